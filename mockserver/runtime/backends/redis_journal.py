"""The journal in Redis: a capped stream of every session's requests (`XADD ... MAXLEN ~ N`) and one per
session, written from a bounded outbox so that no request waits on Redis.

A request's exchange goes into this worker's outbox before its answer is sent; a background task writes
the outbox in batches (one script call each). Reading the journal first asks every worker to write what
its outbox holds (a barrier: see `RedisBackend.calls`), so a request answered before the read is in it.
While Redis is unreachable the outbox keeps the newest entries (at most the journal's size) and is
written when Redis is back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from mockserver.http.answer import Answer
from mockserver.resources.store import DEFAULT_SESSION
from mockserver.runtime.backends.base import JournalPage
from mockserver.runtime.backends.redis_keys import Keys, quoted
from mockserver.runtime.journal import Exchange

BATCH = 256  # exchanges per script call
# How long the writer gathers entries before writing them: a write per request would cost more than the
# request (readers do not wait for it: they ask every worker to write what it holds).
GATHER_S = 0.005

Write = Callable[[list[str], list[Any]], Awaitable[Any]]


class RedisJournal:
    """This worker's side of the shared journal: its outbox, its writer, and reading the streams."""

    def __init__(self, keys: Keys, capacity: int, body_limit: int, ttl_ms: int) -> None:
        self.keys = keys
        self.capacity = capacity
        self.body_limit = body_limit
        self.ttl_ms = ttl_ms
        self.dropped = 0  # entries the outbox could not keep during an outage
        self._outbox: deque[Exchange] = deque()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    @property
    def pending(self) -> int:
        return len(self._outbox)

    def record(self, exchange: Exchange) -> None:
        outbox = self._outbox
        outbox.append(exchange)
        if len(outbox) > self.capacity:
            outbox.popleft()
            self.dropped += 1
        self._wake.set()

    async def run(self, write: Write, can_write: Callable[[], bool],
                  on_error: Callable[[Exception], None]) -> None:
        """Write the outbox whenever it has entries (the background task of a worker)."""
        while True:
            await self._wake.wait()
            if len(self._outbox) < BATCH:
                await asyncio.sleep(GATHER_S)
            self._wake.clear()
            if not can_write():
                continue  # written when the state is back (`flush`)
            try:
                await self.flush(write)
            except Exception as error:  # a lost connection: kept for later
                on_error(error)

    async def flush(self, write: Write) -> None:
        """Write what the outbox holds (not what comes while writing: that waits for the next batch); on
        failure the entries stay in it and the error is raised."""
        async with self._lock:
            outbox = self._outbox
            remaining = len(outbox)
            while remaining > 0 and outbox:
                batch = [outbox.popleft() for _ in range(min(BATCH, remaining, len(outbox)))]
                remaining -= len(batch)
                try:
                    await write(*self._script_input(batch))
                except BaseException:
                    outbox.extendleft(reversed(batch))
                    while len(outbox) > self.capacity:
                        outbox.popleft()
                        self.dropped += 1
                    raise

    def _script_input(self, batch: list[Exchange]) -> tuple[list[str], list[Any]]:
        """JOURNAL_ADD's keys and arguments for a batch (see the script)."""
        keys = [self.keys.journal, self.keys.journals]
        index: dict[str, int] = {}
        entries: list[Any] = []
        blob: list[bytes] = []
        for exchange in batch:
            session = exchange.session
            if session == DEFAULT_SESSION:
                position = 0
            else:
                position = index.get(session, 0)
                if not position:
                    keys.append(self.keys.session(session, "journal"))
                    position = index[session] = len(keys)
            meta, headers, body = encode(exchange, self.body_limit)
            entries.append((position, quoted(session), meta.decode(), len(headers), len(body)))
            blob += (headers, body)
        return keys, [self.capacity, self.ttl_ms, orjson.dumps(entries), b"".join(blob)]

    async def read(self, client: Any, session: str | None, limit: int | None) -> JournalPage:
        """The newest `limit` entries (None: all kept) of one session or of all, oldest first."""
        wanted = self.capacity if limit is None else min(max(limit, 0), self.capacity)
        if session is None or session == DEFAULT_SESSION:
            key = self.keys.journal
        else:
            key = self.keys.session(session, "journal")
        if session == DEFAULT_SESSION:  # kept in the journal of all only: picked out
            found = [entry for entry in _entries(await client.xrevrange(key, count=self.capacity))
                     if entry.session == DEFAULT_SESSION]
            total = len(found)
            found = found[:wanted]
        else:
            total = min(int(await client.xlen(key)), self.capacity)
            found = _entries(await client.xrevrange(key, count=wanted)) if wanted else []
        found.reverse()
        # The stream is in the order the workers' outboxes were written, which lags answering by a few ms
        # and differs between workers: the entries are shown in the order they were answered.
        found.sort(key=lambda exchange: exchange.time)
        return JournalPage(found, total, self.capacity, self.body_limit)


def encode(exchange: Exchange, body_limit: int) -> tuple[bytes, bytes, bytes]:
    """An exchange as a stream entry's fields: its metadata (JSON), its headers (the exchange's block of
    `name: value` lines) and its request body (cut)."""
    body = exchange.body
    size = exchange.body_size
    if len(body) > body_limit:
        size = len(body)
        body = body[:body_limit]
    meta = orjson.dumps((exchange.method, exchange.path, exchange.query, exchange.operation,
                         exchange.operation_id, exchange.status, exchange.source, exchange.duration_ms,
                         exchange.time, size))
    return meta, exchange.header_block, body


def decode(fields: dict[bytes, bytes]) -> Exchange:
    method, path, query, operation, operation_id, status, source, duration_ms, time, size = orjson.loads(
        fields[b"m"])
    return Exchange(method, path, tuple(tuple(pair) for pair in query), fields.get(b"h", b""),
                    fields.get(b"b", b""), operation, operation_id, Answer(status, None, None, source),
                    duration_ms, time, size)


def _entries(found: list[tuple[bytes, dict[bytes, bytes]]]) -> list[Exchange]:
    return [decode(fields) for _, fields in found]
