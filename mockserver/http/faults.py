"""Latency and faults as a client or a fixture writes them: `delay=300`, `delay=200-800`, `fault=503!`.

Latency, most specific first: `Prefer: delay=MS` (or `MIN-MAX`) on one request, else the answering
fixture's `delay_ms`, else the global `mockserver serve --delay MS|MIN-MAX`.

Faults, asked per request with `Prefer: fault=...` (or carried by the answer, e.g. from a fixture):

- `503`:       the operation's documented 503 response (any documented status works);
- `503!`:      the same even when the operation does not document 503 (marked with `X-Mock-Error`);
- `error`:     the operation's first documented server error (5xx);
- `reset`:     the connection is reset (TCP RST) before any byte of the response;
- `empty`:     the connection is closed without any response ("Empty reply from server");
- `truncate`:  the status, the headers (with the full Content-Length) and half the body, then a close;
- `trickle`:   the whole response, its body sent in small pieces over 2 s (`trickle:MS` sets the time).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

MAX_DELAY_MS = 600_000
DEFAULT_TRICKLE_MS = 2000
CONNECTION_FAULTS = ("reset", "empty", "truncate", "trickle")
FAULT_CHOICES = ("<status>", "<status>!", "error", *CONNECTION_FAULTS, "trickle:<ms>")

FaultKind = Literal["status", "reset", "empty", "truncate", "trickle"]


@dataclass(frozen=True)
class DelayRange:
    """A delay in milliseconds: fixed (`low == high`) or drawn uniformly from `low..high`."""

    low: int
    high: int

    def pick(self, rng: random.Random) -> int:
        return self.low if self.low == self.high else rng.randint(self.low, self.high)

    def __str__(self) -> str:
        return f"{self.low}" if self.low == self.high else f"{self.low}-{self.high}"


def parse_delay(text: str) -> DelayRange:
    """`"300"` or `"200-800"` (milliseconds); raises ValueError saying what is wrong."""
    low_text, dash, high_text = text.strip().partition("-")
    try:
        low = int(low_text)
        high = int(high_text) if dash else low
    except ValueError:
        raise ValueError(f"delay {text!r} is not MS or MIN-MAX (milliseconds, e.g. 300 or 200-800)") from None
    if not 0 <= low <= high <= MAX_DELAY_MS:
        raise ValueError(f"delay {text!r} must satisfy 0 <= MIN <= MAX <= {MAX_DELAY_MS} ms")
    return DelayRange(low, high)


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int | None = None  # for kind "status"; None with kind "status" means "first server error"
    forced: bool = False  # an undocumented status is sent anyway
    duration_ms: int = DEFAULT_TRICKLE_MS  # for kind "trickle"

    def __str__(self) -> str:
        if self.kind == "status":
            return "error" if self.status is None else f"{self.status}{'!' if self.forced else ''}"
        if self.kind == "trickle" and self.duration_ms != DEFAULT_TRICKLE_MS:
            return f"trickle:{self.duration_ms}"
        return self.kind


def parse_fault(text: str) -> Fault:
    """A fault from its written form (see the module docstring); raises ValueError listing the choices."""
    value = text.strip().lower()
    if value in ("reset", "empty", "truncate", "trickle"):
        return Fault(value)  # type: ignore[arg-type]
    if value == "error":
        return Fault("status")
    if value.startswith("trickle:"):
        duration = value.removeprefix("trickle:")
        if duration.isdigit() and int(duration) <= MAX_DELAY_MS:
            return Fault("trickle", duration_ms=int(duration))
        raise ValueError(f"fault {text!r}: trickle takes milliseconds up to {MAX_DELAY_MS}, "
                         "e.g. trickle:3000")
    forced = value.endswith("!")
    status = value.removesuffix("!")
    if status.isdigit() and 400 <= int(status) <= 599:
        return Fault("status", int(status), forced)
    raise ValueError(f"fault {text!r} is not one of: {', '.join(FAULT_CHOICES)} (status 400-599)")
