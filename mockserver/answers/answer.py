"""The types every response source shares: what it is asked (AnswerContext) and what it answers (Answer)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mockserver.generation import RequestContext
from mockserver.http.negotiation import Preferences
from mockserver.spec.model import Operation

if TYPE_CHECKING:
    from mockserver.validation import ValidRequest

_SAME: Any = object()


@dataclass
class Answer:
    """A response ready to encode. `body` is JSON-able data, `str`, `bytes`, or None for no body."""

    status: int
    body: Any
    media_type: str | None
    source: str  # "fixture:<name>", "dataset", "example:<name>", "generated", "auth", "validation", ...
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    response_key: str | None = None  # the documented response key this answers as; None: the mock's own
    fault: str | None = None  # a fault (see mockserver.runtime.faults) to deliver instead of a clean response

    def copy(self, body: Any = _SAME, source: str | None = None) -> Answer:
        """A copy whose headers can be changed without touching this answer; `body` and `source` replace
        this answer's when given."""
        return Answer(self.status, self.body if body is _SAME else body, self.media_type,
                      self.source if source is None else source, dict(self.headers), self.delay_ms,
                      self.response_key, self.fault)


@dataclass
class AnswerContext:
    """Everything a source may look at to answer one valid request."""

    operation: Operation
    request: ValidRequest
    preferences: Preferences
    accept: str | None
    scenario: str | None
    state: Any = None  # the MockApp answering (its runtime state, documented answers)
    headers: Mapping[str, str] = field(default_factory=dict)  # every request header, case-insensitive
    behaviour_headers: tuple[str, ...] = ()  # lower-case names of the operation's header parameters

    @cached_property
    def generation(self) -> RequestContext:
        """What of the request a generated body may depend on: its typed path and query parameters and
        the declared headers it sent (never its credentials). Built when a source first asks."""
        headers = self.headers
        selected = {name: headers[name] for name in self.behaviour_headers
                    if name != "authorization" and name in headers}  # a token must not change the data
        return RequestContext(path=self.request.path, query=self.request.query, headers=selected)


Source = Callable[[AnswerContext], Answer | None]
