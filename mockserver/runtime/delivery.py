"""How late, and how badly, an answer reaches the client: latency and faults applied to one answer.

What a delay or a fault is written as lives in `mockserver.http.faults`. Connection faults need the
server's transport (uvicorn gives it); in-process (httpx's ASGI transport) they surface as a
`ConnectionError` raised to the client.
"""

from __future__ import annotations

import asyncio
import math
import random
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from starlette.types import Message, Receive, Send

from mockserver.http.answer import Answer, DocumentedAnswer, mock_error
from mockserver.http.faults import FAULT_CHOICES, DelayRange, Fault, parse_delay, parse_fault
from mockserver.http.negotiation import NegotiationError, parse_preferences, response_key_for
from mockserver.spec.model import Operation

TRICKLE_STEP_MS = 100
DISCONNECT_WAIT_SECONDS = 5.0

SendAnswer = Callable[[Send, Answer, bool], Awaitable[None]]


@dataclass
class FaultSettings:
    """The mock-wide latency (`--delay`); per-request and per-answer settings come with each request."""

    delay: DelayRange | None = None
    rng: random.Random | None = None

    def plan(
        self, documented: DocumentedAnswer, operation: Operation | None, answer: Answer, prefer: str | None
    ) -> tuple[Answer, Fault | None]:
        """The answer to send (its `delay_ms` the delay to wait first) and the connection fault to deliver
        it with, if any, from the request's `Prefer`, the answer and the settings.

        A status fault is answered with `documented`; a bad `delay` or `fault` preference gets the mock's
        own 400 naming the choices.
        """
        if not prefer and not answer.delay_ms and answer.fault is None and self.delay is None:
            return answer, None
        try:
            wanted = _wanted(prefer)
            delay_ms = self._delay_ms(answer, wanted.get("delay"))
            fault_text = wanted.get("fault") or answer.fault
            if operation is None or not fault_text:
                same = delay_ms == answer.delay_ms  # the usual: a Prefer that asks for no delay or fault
                return (answer if same else replace(answer, delay_ms=delay_ms)), None
            fault = _parse_preference_fault(fault_text)
            if fault.kind == "status":
                return replace(_status_answer(documented, operation, fault), delay_ms=delay_ms), None
            return replace(answer, source=f"{answer.source};fault={fault}", delay_ms=delay_ms), fault
        except NegotiationError as error:
            return mock_error(error.status, error.message, error.choices), None

    def _delay_ms(self, answer: Answer, requested: str | None) -> int:
        rng = self.rng or _RNG
        if requested is not None:
            return _parse_preference_delay(requested).pick(rng)
        if answer.delay_ms:
            return answer.delay_ms
        return self.delay.pick(rng) if self.delay is not None else 0


_RNG = random.Random()


async def deliver(send_answer: SendAnswer, send: Send, receive: Receive, answer: Answer,
                  fault: Fault | None, *, head: bool) -> None:
    """Send `answer` with `send_answer(send, answer, head)`, broken as `fault` says."""
    if fault is None:
        await send_answer(send, answer, head)
    elif fault.kind == "trickle":
        await send_answer(_trickling(send, fault.duration_ms), answer, head)
    elif fault.kind == "truncate":
        await send_answer(_truncating(send, receive), answer, head)
    else:
        await _drop_connection(receive, reset=fault.kind == "reset")


def _wanted(prefer: str | None) -> Mapping[str, str]:
    """The `Prefer` tokens of the request (a malformed `code=` is reported by the answer itself)."""
    if not prefer:
        return _NOTHING_WANTED
    try:
        return parse_preferences(prefer, ()).raw or _NOTHING_WANTED
    except NegotiationError:
        return _NOTHING_WANTED


_NOTHING_WANTED: Mapping[str, str] = MappingProxyType({})


def _parse_preference_delay(value: str) -> DelayRange:
    try:
        return parse_delay(value)
    except ValueError as error:
        raise NegotiationError(400, f"Prefer delay: {error}", ["MS", "MIN-MAX"]) from None


def _parse_preference_fault(value: str) -> Fault:
    try:
        return parse_fault(value)
    except ValueError as error:
        raise NegotiationError(400, f"Prefer fault: {error}", list(FAULT_CHOICES)) from None


def _status_answer(documented: DocumentedAnswer, operation: Operation, fault: Fault) -> Answer:
    status = fault.status if fault.status is not None else _first_server_error(operation)
    if not fault.forced and response_key_for(operation, status) is None:
        listed = sorted(key for key in operation.responses if key[0] in "45")
        raise NegotiationError(
            400,
            f"{operation.key} documents no response for status {status}; "
            f"choose a documented error status or force one with fault={status}!",
            listed,
        )
    return documented(operation, status, f"fault:{status}")


def _first_server_error(operation: Operation) -> int:
    numeric = sorted(int(key) for key in operation.responses if key.isdigit() and key.startswith("5"))
    if numeric:
        return numeric[0]
    if any(key.upper() == "5XX" for key in operation.responses) or "default" in operation.responses:
        return 500
    listed = sorted(key for key in operation.responses if key[0] in "45")
    raise NegotiationError(
        400, f"{operation.key} documents no server error; name a documented status or force one "
        "with fault=500!", listed
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
