"""What a source is asked (AnswerContext) and what a source is (the Source protocol)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mockserver.generation import RequestContext
from mockserver.http.answer import Answer
from mockserver.http.negotiation import Preferences
from mockserver.spec.model import Operation
from mockserver.validation import ValidRequest


@dataclass
class AnswerContext:
    """Everything a source may look at to answer one valid request."""

    operation: Operation
    request: ValidRequest
    preferences: Preferences
    accept: str | None
    scenario: str | None
    headers: Mapping[str, str] = field(default_factory=dict)  # every request header, case-insensitive
    behaviour_headers: tuple[str, ...] = ()  # lower-case names of the operation's header parameters
    # (Not a functools.cached_property: Python 3.11's takes a lock on the first read, once per request here.)
    _generation: RequestContext | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def generation(self) -> RequestContext:
        """What of the request a generated body may depend on: its typed path and query parameters and
        the declared headers it sent (never its credentials). Built when a source first asks."""
        if self._generation is None:
            headers = self.headers
            sent = ((name, headers.get(name)) for name in self.behaviour_headers
                    if name != "authorization")  # a token must not change the data
            selected = {name: value for name, value in sent if value is not None}
            self._generation = RequestContext(self.request.path, self.request.query, selected)
        return self._generation


class Source(Protocol):
    """Where answers come from: a source answers a valid request, or passes it on (None)."""

    @property
    def impure_operations(self) -> frozenset[str]:
        """Keys of the operations whose answers may differ for the same request (user code): never
        remembered by the answer memo."""
        ...

    def answer(self, ctx: AnswerContext) -> Answer | None: ...
