"""What observers see of each request and the journal keeps: one Exchange per request, the newest kept.

The journal is bounded whatever clients send: by entries, by a prefix of each request body, and by a
budget of bytes (request bodies and headers), the oldest entries going first. It keeps what was answered
(status, source, media type, headers) but not the answer's body: no reader of the journal shows it, and
a large spec's answers would fill the budget (observers see the whole answer as it is sent). Each
exchange belongs to the session its `X-Mock-Session` header names (else the default one), and the
journal is read and cleared per session too. This is the in-process journal; a shared state keeps its
own (`mockserver.runtime.backends`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mockserver.http.answer import Answer
from mockserver.resources.store import DEFAULT_SESSION

SESSION_HEADER_NAME = b"x-mock-session"  # as ASGI servers give header names: lower case
DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_BODY_LIMIT = 64 * 1024  # bytes of each request body kept
DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024  # bytes of every entry together
ENTRY_OVERHEAD = 512  # what an entry's own objects take besides its bodies and headers


@dataclass(eq=False, slots=True)
class Exchange:
    """One request and what the mock answered. Made for every request and kept by the journal, so it
    holds few objects: the request headers are one block of bytes (`header_block`), read when asked for."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    header_block: bytes  # the headers as the server received them (`header_block` of the raw pairs)
    body: bytes
    operation: str | None  # "METHOD /path" of the operation, None when no route matched
    operation_id: str | None
    answer: Answer
    duration_ms: float
    time: float  # when it was answered, seconds since the epoch
    body_size: int | None = None  # the size of the whole body when `body` is only its start (the journal's)

    @property
    def body_truncated(self) -> bool:
        """True when the journal kept only the start of the body."""
        return self.body_size is not None

    @property
    def status(self) -> int:
        return self.answer.status

    @property
    def source(self) -> str:
        return self.answer.source

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The request headers as the server received them (ASGI: lower-case names), in order."""
        return header_pairs(self.header_block)

    @property
    def session(self) -> str:
        """The session the request belongs to (`X-Mock-Session`, else the default one)."""
        if SESSION_HEADER_NAME not in self.header_block:  # the usual: no session named
            return DEFAULT_SESSION
        for name, value in self.raw_headers:
            if name == SESSION_HEADER_NAME and value:
                return value.decode("latin-1")
        return DEFAULT_SESSION

    @property
    def headers(self) -> dict[str, str]:
        """The request headers by name (of a repeated name, the last value)."""
        return {name.decode("latin-1"): value.decode("latin-1") for name, value in self.raw_headers}

    def json(self) -> Any:
        """The request body, parsed as JSON (None when there is none)."""
        if self.body_size is not None:
            raise ValueError(f"the journal kept only the first {len(self.body)} of the {self.body_size} "
                             "bytes of this body (journal_body_limit; mockserver serve --journal-body-limit)")
        return orjson.loads(self.body) if self.body else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(pair) for pair in self.query],
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "body_truncated": self.body_truncated,
            "operation": self.operation,
            "operation_id": self.operation_id,
            "status": self.status,
            "source": self.source,
            "duration_ms": round(self.duration_ms, 3),
            "time": self.time,
        }


Observer = Callable[[Exchange], None]


def header_block(raw: Iterable[Sequence[bytes]]) -> bytes:
    """Raw header pairs as one block: `name: value` lines joined by CRLF (a header cannot hold a line
    break, so the pairs read back as they were)."""
    return b"\r\n".join(map(b": ".join, raw))  # in C: this runs per request


def header_pairs(block: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """The pairs of a `header_block`."""
    if not block:
        return ()
    pairs = []
    for line in block.split(b"\r\n"):
        name, _, value = line.partition(b": ")
        pairs.append((name, value))
    return tuple(pairs)


class Journal:
    """The newest exchanges, oldest first: at most `size` of them, each request body cut to `body_limit`
    bytes, and `max_bytes` for all of them (the newest is always kept)."""

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE, body_limit: int = DEFAULT_BODY_LIMIT,
                 max_bytes: int = DEFAULT_JOURNAL_BYTES) -> None:
        self.capacity = size
        self.body_limit = body_limit
        self.max_bytes = max_bytes
        self.bytes = 0  # what the kept entries take, as `entry_bytes` counts
        self._entries: deque[tuple[Exchange, int]] = deque()
        self._lock = threading.Lock()
        self._last_kept: tuple[Answer, Answer] | None = None  # an answer, and what is kept of it

    def record(self, exchange: Exchange) -> None:
        exchange = self._kept(exchange)
        size = entry_bytes(exchange)
        with self._lock:
            self._entries.append((exchange, size))
            self.bytes += size
            entries = self._entries
            while len(entries) > self.capacity or (self.bytes > self.max_bytes and len(entries) > 1):
                _, dropped = entries.popleft()
                self.bytes -= dropped

    def _kept(self, exchange: Exchange) -> Exchange:
        """What the journal keeps of `exchange`: its answer without the body, the request body's start."""
        answer = exchange.answer
        if answer.body is not None:
            last = self._last_kept  # a remembered answer is sent again and again: kept the same way
            if last is not None and last[0] is answer:
                answer = last[1]
            else:
                kept = Answer(answer.status, None, answer.media_type, answer.source, answer.headers,
                              answer.delay_ms, answer.response_key, answer.fault)
                self._last_kept, answer = (answer, kept), kept
        body, size = exchange.body, None
        if len(body) > self.body_limit:
            body, size = body[: self.body_limit], len(body)
        return Exchange(exchange.method, exchange.path, exchange.query, exchange.header_block, body,
                        exchange.operation, exchange.operation_id, answer, exchange.duration_ms,
                        exchange.time, size)

    def clear(self, session: str | None = None) -> None:
        """Forget every entry, or those of one session."""
        with self._lock:
            if session is None:
                self._entries.clear()
                self.bytes = 0
                return
            kept = deque(entry for entry in self._entries if entry[0].session != session)
            self._entries = kept
            self.bytes = sum(size for _, size in kept)

    def entries(self, session: str | None = None) -> list[Exchange]:
        """The entries, oldest first: every session's, or one session's."""
        with self._lock:
            found = [exchange for exchange, _ in self._entries]
        return found if session is None else [exchange for exchange in found if exchange.session == session]

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter([exchange for exchange, _ in self._entries])

    def __len__(self) -> int:
        return len(self._entries)


def entry_bytes(exchange: Exchange) -> int:
    """About what keeping `exchange` costs: its request body and headers."""
    return ENTRY_OVERHEAD + len(exchange.body) + len(exchange.header_block)
