"""Response selection: where an answer comes from (fixtures, spec examples, generation), in that order.

A source is a callable taking an `AnswerContext` and returning an `Answer`, or None to pass the
request on to the next source.
"""

from mockserver.answers.answer import Answer, AnswerContext, Source

__all__ = ["Answer", "AnswerContext", "Source"]
