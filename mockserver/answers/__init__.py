"""Response selection: where an answer comes from (overrides, fixtures, datasets, spec examples, generation).

A `Source` answers a valid request (`answer(ctx) -> Answer | None`) or passes it on to the next one; the
spec answers come last and always answer. `SpecAnswers.documented` is the one way to answer a status as
the spec documents it: the other sources, the validation and the faults are given it.
"""
