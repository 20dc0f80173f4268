"""The types every response source shares: what it is asked (AnswerContext) and what it answers (Answer)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.generation import RequestContext
from mockserver.negotiation import Preferences
from mockserver.spec.model import Operation
from mockserver.validation import ValidRequest


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
    fault: str | None = None  # a fault (see mockserver.faults) to deliver instead of a clean response


@dataclass
class AnswerContext:
    """Everything a source may look at to answer one valid request."""

    operation: Operation
    request: ValidRequest
    generation: RequestContext
    preferences: Preferences
    accept: str | None
    scenario: str | None
    state: Any = None  # the MockApp answering (its runtime state, documented answers)
    headers: Mapping[str, str] = field(default_factory=dict)  # every request header, case-insensitive


Source = Callable[[AnswerContext], Answer | None]
