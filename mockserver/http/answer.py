"""What the mock sends: one Answer type for every source, the mock's own errors, the documented answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

from mockserver.spec.model import Operation

MOCK_ERROR_HEADER = "X-Mock-Error"
PROBLEM_JSON = "application/problem+json"

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
    fault: str | None = None  # a fault, as written (see mockserver.http.faults), to deliver instead
    # The encoded head (header pairs), for an answer kept to be sent as it is again and again (the answer
    # memory's); never copied, so a changed copy encodes its own.
    wire_headers: tuple[tuple[bytes, bytes], ...] | None = field(default=None, init=False, compare=False,
                                                                 repr=False)

    def copy(self, body: Any = _SAME, source: str | None = None) -> Answer:
        """A copy whose headers can be changed without touching this answer; `body` and `source` replace
        this answer's when given."""
        return Answer(self.status, self.body if body is _SAME else body, self.media_type,
                      self.source if source is None else source, dict(self.headers), self.delay_ms,
                      self.response_key, self.fault)


class DocumentedAnswer(Protocol):
    """Answers `status` as `operation` documents it: with `body` when given, else the documented example
    or a generated body. The one place that knows how (the spec answers) is injected where it is needed."""

    def __call__(self, operation: Operation, status: int, source: str, body: Any = None) -> Answer: ...


def problem_body(status: int, detail: str) -> dict[str, Any]:
    """An RFC 9457 problem details body for `status`."""
    return {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}


def mock_error(status: int, message: str, choices: list[str] | tuple[str, ...] = (), *,
               source: str = "mock") -> Answer:
    """The mock's own answer (not the API's): problem+json, marked with the X-Mock-Error header."""
    body = problem_body(status, message)
    if choices:
        body["choices"] = list(choices)
    return Answer(status, body, PROBLEM_JSON, source, {MOCK_ERROR_HEADER: _header_safe(message)})


def _header_safe(message: str) -> str:
    """The message as a header value: one line, printable ASCII, at most 200 characters."""
    text = "".join(char if " " <= char <= "~" else "?" for char in message)
    return text[:200]
