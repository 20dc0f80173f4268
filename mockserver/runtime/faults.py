"""Latency and faults: how late, and how badly, an answer reaches the client.

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

Connection faults need the server's transport (uvicorn gives it); in-process (httpx's ASGI transport)
they surface as a `ConnectionError` raised to the client.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from mockserver.http.negotiation import NegotiationError, parse_preferences, response_key_for

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Send

    from mockserver.answers.answer import Answer
    from mockserver.spec.model import Operation

MAX_DELAY_MS = 600_000
DEFAULT_TRICKLE_MS = 2000
TRICKLE_STEP_MS = 100
DISCONNECT_WAIT_SECONDS = 5.0
CONNECTION_FAULTS = ("reset", "empty", "truncate", "trickle")
FAULT_CHOICES = ("<status>", "<status>!", "error", *CONNECTION_FAULTS, "trickle:<ms>")

FaultKind = Literal["status", "reset", "empty", "truncate", "trickle"]
SendAnswer = Callable[..., Awaitable[None]]


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


@dataclass
class Delivery:
    """How one answer is delivered: after `delay_ms`, and with a connection fault or not."""

    answer: Answer
    delay_ms: int = 0
    fault: Fault | None = None  # a connection fault; status faults are already in `answer`

    async def deliver(self, send_answer: SendAnswer, send: Send, receive: Receive, *, head: bool) -> None:
        """Send the answer with `send_answer(send, answer, head=...)`, broken as the fault says."""
        fault = self.fault
        if fault is None:
            await send_answer(send, self.answer, head=head)
        elif fault.kind == "trickle":
            await send_answer(_trickling(send, fault.duration_ms), self.answer, head=head)
        elif fault.kind == "truncate":
            await send_answer(_truncating(send, receive), self.answer, head=head)
        else:
            await _drop_connection(receive, reset=fault.kind == "reset")


@dataclass
class FaultSettings:
    """The mock-wide latency (`--delay`); per-request and per-answer settings come with each request."""

    delay: DelayRange | None = None
    rng: random.Random | None = None

    def plan(
        self, app: Any, operation: Operation | None, answer: Answer, prefer: str | None
    ) -> Delivery | None:
        """The delivery of `answer`: its delay and fault, from the request, the answer and the settings;
        None when it is simply sent at once (most answers).

        `app` is the MockApp (for documented answers); a bad `delay` or `fault` preference gets the
        mock's own 400 naming the choices.
        """
        if not prefer and not answer.delay_ms and answer.fault is None and self.delay is None:
            return None
        try:
            wanted = _wanted(prefer)
            delay_ms = self._delay_ms(answer, wanted.get("delay"))
            fault_text = wanted.get("fault") or _answer_fault(answer)
            if operation is None or not fault_text:
                return Delivery(answer, delay_ms)
            fault = fault_text if isinstance(fault_text, Fault) else _parse_preference("fault", fault_text)
            if fault.kind == "status":
                return Delivery(_status_answer(app, operation, fault), delay_ms)
            return Delivery(replace(answer, source=f"{answer.source};fault={fault}"), delay_ms, fault)
        except NegotiationError as error:
            from mockserver.runtime.app import mock_error  # the app imports this module

            return Delivery(mock_error(error.status, error.message, error.choices))

    def _delay_ms(self, answer: Answer, requested: str | None) -> int:
        rng = self.rng or _RNG
        if requested is not None:
            return _parse_preference("delay", requested).pick(rng)
        if answer.delay_ms:
            return answer.delay_ms
        return self.delay.pick(rng) if self.delay is not None else 0


_RNG = random.Random()


def _wanted(prefer: str | None) -> Mapping[str, str]:
    """The `Prefer` tokens of the request (a malformed `code=` is reported by the answer itself)."""
    if not prefer:
        return {}
    try:
        return parse_preferences(prefer, ()).raw or {}
    except NegotiationError:
        return {}


def _answer_fault(answer: Answer) -> Fault | str | None:
    return answer.fault  # set by a fixture or its scenario


def _parse_preference(name: str, value: str) -> Any:
    parser = parse_delay if name == "delay" else parse_fault
    try:
        return parser(value)
    except ValueError as error:
        choices = ["MS", "MIN-MAX"] if name == "delay" else list(FAULT_CHOICES)
        raise NegotiationError(400, f"Prefer {name}: {error}", choices) from None


def _status_answer(app: Any, operation: Operation, fault: Fault) -> Answer:
    status = fault.status if fault.status is not None else _first_server_error(operation)
    if not fault.forced and response_key_for(operation, status) is None:
        documented = sorted(key for key in operation.responses if key[0] in "45")
        raise NegotiationError(
            400,
            f"{operation.key} documents no response for status {status}; "
            f"choose a documented error status or force one with fault={status}!",
            documented,
        )
    answer = app.documented_answer(operation, status, "fault")
    return replace(answer, source=f"fault:{status}")


def _first_server_error(operation: Operation) -> int:
    numeric = sorted(int(key) for key in operation.responses if key.isdigit() and key.startswith("5"))
    if numeric:
        return numeric[0]
    if any(key.upper() == "5XX" for key in operation.responses) or "default" in operation.responses:
        return 500
    documented = sorted(key for key in operation.responses if key[0] in "45")
    raise NegotiationError(
        400, f"{operation.key} documents no server error; name a documented status or force one "
        "with fault=500!", documented
    )


def _trickling(send: Send, duration_ms: int) -> Send:
    """A `send` that spreads each body over `duration_ms`, in pieces sent every TRICKLE_STEP_MS."""

    async def trickle(message: Message) -> None:
        body = message.get("body", b"")
        if message["type"] != "http.response.body" or not body:
            await send(message)
            return
        pieces = max(1, min(len(body), math.ceil(duration_ms / TRICKLE_STEP_MS)))
        size = math.ceil(len(body) / pieces)
        for start in range(0, len(body), size):
            await asyncio.sleep(duration_ms / pieces / 1000)
            last = start + size >= len(body)
            await send({**message, "body": body[start : start + size], "more_body": not last or
                        message.get("more_body", False)})

    return trickle


def _truncating(send: Send, receive: Receive) -> Send:
    """A `send` that passes the head on, then half the body, then closes the connection."""

    async def truncate(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body = message.get("body", b"")
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        await _drop_connection(receive, reset=False)

    return truncate


async def _drop_connection(receive: Receive, *, reset: bool) -> None:
    """Close the client's connection (with a TCP RST when `reset`) and wait until the server sees it."""
    transport = _transport_of(receive)
    if transport is None:
        raise ConnectionResetError("mockserver fault: the connection was " + ("reset" if reset else "closed"))
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger on, timeout 0: closing sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    try:
        async with asyncio.timeout(DISCONNECT_WAIT_SECONDS):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


def _transport_of(receive: Receive) -> Any:
    """The connection's transport, when the server is uvicorn (its `receive` is a bound method of the
    request cycle, which holds the transport); None for servers that do not expose it."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    # uvloop's transports do not subclass asyncio's: check for what is used instead.
    return transport if hasattr(transport, "abort") and hasattr(transport, "get_extra_info") else None
