"""The state in Redis, shared by every worker of every replica (`serve --state redis://HOST:PORT/DB`).

What the request path reads (overrides, scenario switches) is a copy in each worker (`Control`), kept
current by a listener: every change takes the next *generation* and is announced on a pub/sub channel
in the same script; each worker reloads what changed and acknowledges the generation (its key
`worker:<id>`, which is also its heartbeat: it expires unless renewed). An admin change is acknowledged
to its client once every live worker has taken it (at most ACK_TIMEOUT_S; the answer says how many
did), so the next request anywhere is answered with it, while a request that changes nothing costs no
round trip. Records are read and written around each request to a stateful resource (one round trip to
check the session's version: `redis_records`); the journal is written from an outbox (`redis_journal`).

When Redis is lost, requests are answered from the last known copy (marked `X-Mock-Warning`), changes
are refused (`StateUnavailable`), the outage is logged once, and everything resumes when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from contextvars import Token
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from mockserver.resources.store import DEFAULT_SESSION, RecordStore
from mockserver.runtime.backends import redis_scripts
from mockserver.runtime.backends.base import (
    WARNING_HEADER,
    Answering,
    JournalPage,
    Propagation,
    Route,
    StateHolder,
    StateUnavailable,
)
from mockserver.runtime.backends.redis_journal import RedisJournal
from mockserver.runtime.backends.redis_keys import Keys, quoted, unquoted
from mockserver.runtime.backends.redis_records import RedisRecords
from mockserver.runtime.control import CLAIMED, Override, SessionControl

if TYPE_CHECKING:
    from mockserver.http.answer import Answer
    from mockserver.runtime.journal import Exchange
    from mockserver.spec.model import Operation

logger = logging.getLogger("mockserver")

TIMEOUT_S = 1.0  # of a connection attempt and of each command: a lost Redis is noticed quickly
LEASE_MS = 5000  # a worker that has not renewed its key for this long is no longer waited for
HEARTBEAT_S = 1.0
ACK_TIMEOUT_S = 1.0  # the longest an admin change waits for every worker to take it
ACK_POLL_S = 0.002
START_WAIT_S = 2.0  # the longest a worker's first request waits for its first copy of the state
RETRY_MIN_S, RETRY_MAX_S = 0.05, 1.0  # reconnection delays
DEGRADED = ("the shared state (Redis) is unreachable: answered from this worker's last known overrides "
            "and scenario")
_SCRIPTS = {name.lower(): getattr(redis_scripts, name) for name in (
    "ADD_OVERRIDE", "SWITCH_SCENARIO", "CLEAR_OVERRIDES", "CLEAR_EVERY_OVERRIDE", "CLAIM", "RESET_SESSION",
    "RESET_EVERYTHING", "BARRIER", "JOURNAL_ADD", "LOAD_CONTROL", "ACKNOWLEDGED", "LOAD_RECORDS",
    "COMMIT_RECORDS", "ACK", "CLEAR_JOURNAL")}


def redacted(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def connect(url: str) -> Redis:
    """An asyncio client that fails fast (no retries: the backend handles a lost Redis itself)."""
    return Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                          retry=Retry(NoBackoff(), 0), health_check_interval=0)


class RedisBackend:
    """Overrides, scenario switches, records and the journal in Redis, for one deployment."""

    shared = True

    def __init__(self, url: str, deployment: str, *, session_ttl_s: int, journal_size: int,
                 journal_body_limit: int) -> None:
        self.url = url
        self.keys = Keys(deployment)
        self.ttl_ms = session_ttl_s * 1000
        self.description = f"{redacted(url)} (deployment {deployment!r})"
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.journal = RedisJournal(self.keys, journal_size, journal_body_limit, self.ttl_ms)
        self.records: RedisRecords | None = None
        self._holder: StateHolder | None = None
        self._client: Redis | None = None
        self._scripts: dict[str, Any] = {}
        self._available = False
        self._told_down = False
        self._known = 0  # the newest generation this worker's copy holds
        self._fresh_until = 0.0  # the end of this worker's lease, by its clock
        self._deadlines: dict[str, float] = {}  # when sessions' control keys expire, by this process's clock
        self._tasks: list[asyncio.Task[None]] = []
        self._first_attempt = asyncio.Event()
        self._resyncing = asyncio.Lock()

    @property
    def available(self) -> bool:
        return self._available

    @property
    def holder(self) -> StateHolder:
        if self._holder is None:
            raise RuntimeError("the state backend is not attached to a mock")
        return self._holder

    def make_records(self, max_sessions: int, max_records: int, resources: Sequence[str]) -> RecordStore:
        self.records = RedisRecords(self.keys, max_sessions, max_records, resources, self.ttl_ms)
        return self.records

    def attach(self, holder: StateHolder) -> None:
        self._holder = holder
        holder.control.shared = True
        if isinstance(holder.records, RedisRecords):
            self.records = holder.records

    # Starting and stopping (once per worker process, in its event loop).

    async def start(self) -> None:
        if self._client is None:
            self._client = client = connect(self.url)
            self._scripts = {name: client.register_script(source) for name, source in _SCRIPTS.items()}
            self._tasks = [asyncio.create_task(self._listen()),
                           asyncio.create_task(self.journal.run(self._write_journal, lambda: self._available,
                                                                self._down))]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), START_WAIT_S)

    async def stop(self) -> None:
        client = self._client
        if client is None:
            return
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # bounded: a connection stuck in closing must not hold up the shutdown
            await asyncio.wait(self._tasks, timeout=TIMEOUT_S)
        if self._available:
            try:  # what this worker still holds, and no writer waits for it any more
                await asyncio.wait_for(self.journal.flush(self._write_journal), TIMEOUT_S)
                await client.execute_command("SREM", self.keys.workers, self.worker_id)
                await client.execute_command("DEL", self.keys.worker(self.worker_id))
            except (RedisError, OSError, TimeoutError):
                pass
        await client.aclose()
        self._client = None

    # The listener: a copy of the control state kept current, the heartbeat, reconnection.

    async def _listen(self) -> None:
        delay = RETRY_MIN_S
        while True:
            pubsub = self._connected().pubsub()
            try:
                await pubsub.subscribe(self.keys.channel)
                if self.records is not None:  # Redis may have restarted empty: versions may repeat
                    self.records.reset()
                await self._load_all()
                await self._beat()
                self._up()
                await self.journal.flush(self._write_journal)  # what was kept while Redis was away
                delay = RETRY_MIN_S
                self._first_attempt.set()
                next_beat = time.monotonic() + HEARTBEAT_S
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=HEARTBEAT_S)
                    if message is not None:
                        await self._on_message(message["data"])
                    if time.monotonic() >= next_beat:
                        await self._beat()
                        next_beat = time.monotonic() + HEARTBEAT_S
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a lost connection, refused, timed out...
                self._down(error)
                self._first_attempt.set()
            finally:
                with contextlib.suppress(Exception):  # the connection may be gone already
                    await asyncio.wait_for(pubsub.aclose(), TIMEOUT_S)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _on_message(self, data: bytes) -> None:
        message = orjson.loads(data)
        generation, kind, session = int(message["g"]), message["kind"], message.get("session")
        if generation > self._known + 1 or (generation == self._known + 1 and kind == "control"
                                            and session is None):
            await self._load_all()  # a message missed, or a change to every session
        elif generation == self._known + 1 and kind == "control":
            await self._load_session(session)
        if kind == "flush":
            await self.journal.flush(self._write_journal)
        self._known = max(self._known, generation)
        await self._beat()

    async def _beat(self) -> None:
        """Renew this worker's lease, acknowledging the generation its copy holds; forget the sessions
        whose keys expired in Redis meanwhile."""
        sent = time.monotonic()
        for session in [name for name, deadline in self._deadlines.items() if deadline <= sent]:
            del self._deadlines[session]
            self.holder.control.replace({}, only=session)
        await self._script("ack", [self.keys.worker(self.worker_id), self.keys.workers],
                           [self._known, LEASE_MS, self.worker_id])
        self._fresh_until = sent + LEASE_MS / 1000 - HEARTBEAT_S

    async def _load_all(self) -> None:
        found = await self._script("load_control", [self.keys.generation, self.keys.controls],
                                   [self.keys.prefix])
        generation, sessions, self._deadlines = _control(found)
        self.holder.control.replace(sessions)
        self._known = generation  # never less than what messages said, unless Redis restarted empty
        self.holder.refreshed()

    async def _load_session(self, session: str) -> None:
        keys = [self.keys.generation, self.keys.controls,
                *(self.keys.session(session, kind) for kind in ("overrides", "uses", "control"))]
        found = await self._script("load_control", keys, [self.keys.prefix])
        _, sessions, deadlines = _control(found, session)
        self.holder.control.replace(sessions, only=session)
        self._deadlines.pop(session, None)
        self._deadlines.update(deadlines)

    async def _resync(self) -> None:
        """Reload everything when this worker's lease lapsed (its event loop was held up): it may have
        missed changes that writers no longer waited for it to take."""
        async with self._resyncing:
            if time.monotonic() <= self._fresh_until or not self._available:
                return
            try:
                await self._load_all()
                await self._beat()
            except (RedisError, OSError) as error:
                self._down(error)

    def _down(self, error: Exception) -> None:
        if not self._told_down:
            logger.warning("mockserver: warning: lost the shared state at %s (%s); answering from the last "
                           "known overrides and scenario, refusing changes until it is back",
                           self.description, error or type(error).__name__)
            self._told_down = True
        self._available = False

    def _up(self) -> None:
        if self._told_down:
            logger.warning("mockserver: the shared state at %s is back; resumed", self.description)
            self._told_down = False
        self._available = True

    # The request path.

    def record(self, exchange: Exchange) -> None:
        self.journal.record(exchange)

    async def around(self, session: str, route: Callable[[], Route], answer: Answering
                     ) -> tuple[Operation | None, Answer]:
        if not self._first_attempt.is_set():
            await self.start()  # the first requests wait for the first copy (or the first failure)
        if self._available and time.monotonic() > self._fresh_until:
            await self._resync()
        records = self.records
        if records is None and self._available and not self.holder.control.busy:  # most requests
            return answer()
        claim = await self._claim(session, route) if self.holder.control.busy else None
        try:
            if records is None or not route().records:
                operation, answered = answer()
            elif self._available:
                try:
                    scripts = self._scripts
                    operation, answered = await records.around(session, answer, scripts["load_records"],
                                                               scripts["commit_records"], route().writes)
                except (RedisError, OSError) as error:
                    self._down(error)
                    operation, answered = await records.around(session, answer, None, None)
            else:
                operation, answered = await records.around(session, answer, None, None)
        finally:
            if claim is not None:
                CLAIMED.reset(claim)
        if not self._available:
            answered = answered.copy()
            previous = answered.headers.get(WARNING_HEADER)
            answered.headers[WARNING_HEADER] = DEGRADED if previous is None else f"{previous}; {DEGRADED}"
        return operation, answered

    async def _claim(self, session: str, route: Callable[[], Route]) -> Token[Override | None] | None:
        """Win a use of the counted override that would answer this request, if any (atomically in Redis:
        with several workers, `times=N` answers exactly N requests)."""
        candidates = self.holder.control.applicable(session)
        if not candidates:
            return None
        operations = route().operations
        for override in candidates:
            if override.operation_key not in operations:
                continue
            if override.times is None:
                return None
            if not self._available:
                return CLAIMED.set(override)  # counted here only, until Redis is back
            owner = override.session
            keys = [self.keys.generation, *(self.keys.session(owner, kind) for kind in ("overrides", "uses"))]
            try:
                used = await self._script("claim", keys,
                                          [self.keys.channel, owner, override.id, override.times])
            except (RedisError, OSError):
                return CLAIMED.set(override)
            if int(used) > 0:
                return CLAIMED.set(override)
        return None

    # Changes and reads (the admin API).

    async def add_override(self, override: Override) -> Propagation | None:
        session = override.session
        generation = await self._change("add_override", self._control_keys(session),
                                        [self.keys.channel, quoted(session), session, self._ttl(session),
                                         orjson.dumps(override.as_data())])
        override.id = generation
        return await self._propagated(generation)

    async def overrides(self, session: str | None) -> list[Override]:
        if not self._available:
            return self.holder.control.overrides(session)
        keys = [self.keys.generation, self.keys.controls]
        if session is not None:
            keys += [self.keys.session(session, kind) for kind in ("overrides", "uses", "control")]
        found = await self._read("load_control", keys, [self.keys.prefix])
        _, sessions, _ = _control(found, session)
        return sorted((override for own in sessions.values() for override in own.overrides),
                      key=lambda override: override.id)

    async def clear_overrides(self, session: str | None) -> Propagation | None:
        if session is None:
            generation = await self._change("clear_every_override",
                                            [self.keys.generation, self.keys.controls],
                                            [self.keys.channel, self.keys.prefix])
        else:
            keys = [self.keys.generation, self.keys.session(session, "overrides"),
                    self.keys.session(session, "uses")]
            generation = await self._change("clear_overrides", keys, [self.keys.channel, session])
        return await self._propagated(generation)

    async def switch_scenario(self, session: str, scenario: str | None) -> Propagation | None:
        generation = await self._change("switch_scenario", self._control_keys(session),
                                        [self.keys.channel, quoted(session), session, self._ttl(session),
                                         scenario or ""])
        return await self._propagated(generation)

    async def reset(self, session: str | None) -> Propagation | None:
        await self._barrier()  # requests answered before the reset are written before it
        registries = [self.keys.generation, self.keys.controls, self.keys.journals, self.keys.sessions]
        resources = self.records.resources if self.records is not None else []
        if session is None:
            kinds = ["meta", "records", "numbers", *(self.keys.order_suffix(name) for name in resources)]
            generation = await self._change("reset_everything", [*registries, self.keys.journal],
                                            [self.keys.channel, self.keys.prefix, *kinds])
        else:
            kinds = ["overrides", "uses", "control", "journal", "meta", "records", "numbers"]
            keys = [*registries, *(self.keys.session(session, kind) for kind in kinds),
                    *(self.keys.order(session, name) for name in resources)]
            generation = await self._change("reset_session", keys,
                                            [self.keys.channel, quoted(session), session])
        if self.records is not None:
            self.records.reset(session)
        return await self._propagated(generation)

    async def calls(self, session: str | None, limit: int | None = None) -> JournalPage:
        await self._barrier()
        try:
            return await self.journal.read(self._connected(), session, limit)
        except (RedisError, OSError) as error:
            raise self._lost(error) from None

    async def clear_journal(self, session: str | None) -> Propagation | None:
        propagation = await self._barrier()
        if session is None:
            keys = [self.keys.journal, self.keys.journals]
        else:
            keys = [self.keys.session(session, "journal"), self.keys.journals]
        named = "" if session is None else quoted(session)
        await self._change("clear_journal", keys, [self.keys.prefix, named])
        return propagation

    async def refresh_records(self, session: str) -> None:
        if self.records is None or not self._available:
            return
        try:
            await self.records.load(session, self._scripts["load_records"])
        except (RedisError, OSError) as error:
            self._down(error)

    async def record_sessions(self) -> list[str]:
        if not self._available:
            return self.records.sessions() if self.records is not None else []
        found = await self._read_command(lambda client: client.zrange(self.keys.sessions, 0, -1))
        return [unquoted(name.decode()) for name in found]

    def status(self) -> dict[str, Any]:
        return {"backend": "redis", "url": redacted(self.url), "deployment": self.keys.deployment,
                "available": self._available, "worker": self.worker_id, "generation": self._known,
                "journal_outbox": self.journal.pending, "journal_dropped": self.journal.dropped}

    # Helpers.

    def _control_keys(self, session: str) -> list[str]:
        return [self.keys.generation, self.keys.controls,
                *(self.keys.session(session, kind) for kind in ("overrides", "uses", "control"))]

    def _ttl(self, session: str) -> int:
        return 0 if session == DEFAULT_SESSION else self.ttl_ms

    def _connected(self) -> Redis:
        if self._client is None:
            raise StateUnavailable("the shared state is not started")
        return self._client

    async def _ready(self) -> None:
        if not self._first_attempt.is_set():
            await self.start()
        if not self._available:
            raise StateUnavailable(f"the shared state at {self.description} is unreachable; try again when "
                                   "it is back")

    async def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return await self._scripts[name](keys=keys, args=args)

    async def _write_journal(self, keys: list[str], args: list[Any]) -> Any:
        return await self._script("journal_add", keys, args)

    async def _change(self, name: str, keys: list[str], args: list[Any]) -> int:
        """Run a change script (the next generation); StateUnavailable when Redis cannot be reached."""
        await self._ready()
        try:
            return int(await self._script(name, keys, args))
        except (RedisError, OSError) as error:
            raise self._lost(error) from None

    async def _read(self, name: str, keys: list[str], args: list[Any]) -> Any:
        await self._ready()
        try:
            return await self._script(name, keys, args)
        except (RedisError, OSError) as error:
            raise self._lost(error) from None

    async def _read_command(self, command: Callable[[Redis], Any]) -> Any:
        await self._ready()
        try:
            return await command(self._connected())
        except (RedisError, OSError) as error:
            raise self._lost(error) from None

    def _lost(self, error: Exception) -> StateUnavailable:
        self._down(error)
        return StateUnavailable(f"the shared state at {self.description} is unreachable ({error})")

    async def _barrier(self) -> Propagation:
        """Every live worker writes the journal entries it holds; returns once they all did (or in time)."""
        generation = await self._change("barrier", [self.keys.generation], [self.keys.channel])
        return await self._propagated(generation)

    async def _propagated(self, generation: int) -> Propagation:
        """Wait until every live worker acknowledged `generation` (at most ACK_TIMEOUT_S)."""
        deadline = time.monotonic() + ACK_TIMEOUT_S
        live = acknowledged = 0
        while True:
            try:
                live, acknowledged = map(int, await self._script(
                    "acknowledged", [self.keys.workers], [self.keys.prefix, generation]))
            except (RedisError, OSError) as error:
                self._down(error)
                return Propagation(live, acknowledged)
            if acknowledged >= live or time.monotonic() >= deadline:
                return Propagation(live, acknowledged)
            await asyncio.sleep(ACK_POLL_S)


def _control(found: list[Any], only: str | None = None
             ) -> tuple[int, dict[str, SessionControl], dict[str, float]]:
    """The generation, the sessions' control state and when each expires (by this process's clock) from
    LOAD_CONTROL's answer."""
    generation = int(found[0])
    sessions: dict[str, SessionControl] = {}
    deadlines: dict[str, float] = {}
    now = time.monotonic()
    for position in range(1, len(found), 5):
        name_part, overrides, uses, scenario, ttl = found[position:position + 5]
        session = only if only is not None else unquoted(name_part.decode())
        used = {int(uses[i]): int(uses[i + 1]) for i in range(0, len(uses), 2)}
        listed = sorted((Override.from_data(orjson.loads(overrides[i + 1]), session, int(overrides[i]),
                                            used.get(int(overrides[i]), 0))
                         for i in range(0, len(overrides), 2)), key=lambda override: override.id)
        sessions[session] = SessionControl(listed, scenario.decode() if scenario else None)
        if int(ttl) > 0:
            deadlines[session] = now + int(ttl) / 1000
    return generation, sessions, deadlines
