"""The sessions' records in Redis: a `RecordStore` whose reads and writes, made by the synchronous answer
logic, go to a copy of the session taken just before the answer and whose changes are written just after.

Around a request to a stateful resource (`RedisRecords.around`): one round trip reads the session's
version, and its records only when this worker's copy is older; the answer logic then runs on that copy,
collecting its changes; one script writes them if the session's version is still the one read (a
compare-and-set), else the answer is computed again on the newer records. So every worker and replica
reads what any of them wrote before, and two writes never interleave.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver.http.answer import Answer, mock_error
from mockserver.resources.store import DEFAULT_SESSION, MISSING, Changes, Missing, Record, RecordStore, Scope
from mockserver.runtime.backends.redis_keys import Keys, quoted
from mockserver.spec.model import Operation

MAX_ATTEMPTS = 50  # answers computed again when other processes' writes to the session came first
CONFLICT_PAUSE_S = 0.002  # at most, before trying again (random: two processes do not meet again)
Script = Callable[[list[str], list[Any]], Awaitable[Any]]


@dataclass
class _Copy:
    """A worker's copy of one session's changes, as of `version`."""

    version: int = 0
    by_resource: dict[str, dict[Scope, dict[str, Record | None]]] = field(default_factory=dict)
    order: dict[str, dict[tuple[Scope, str], None]] = field(default_factory=dict)  # first change first
    numbers: dict[tuple[str, Scope], int] = field(default_factory=dict)


@dataclass
class _View:
    """One request's reads and writes: its session's copy and the changes made on top of it."""

    session: str
    base: _Copy
    writes: list[tuple[str, Scope, str, Record | None]] = field(default_factory=list)
    overlay: dict[tuple[str, Scope], dict[str, Record | None]] = field(default_factory=dict)
    numbers: dict[tuple[str, Scope], int] = field(default_factory=dict)

    def scoped(self, resource: str, scope: Scope) -> dict[str, Record | None] | None:
        found = self.overlay.get((resource, scope))
        if found is not None:
            return found
        return self.base.by_resource.get(resource, {}).get(scope)


_VIEW: ContextVar[_View | None] = ContextVar("mockserver_records_view", default=None)


class RedisRecords:
    """A `RecordStore` over Redis for the answer logic, with the async steps around each request."""

    def __init__(self, keys: Keys, max_sessions: int, max_records: int, resources: Sequence[str],
                 ttl_ms: int) -> None:
        self.keys = keys
        self.max_sessions = max_sessions
        self.max_records = max_records
        self.resources = list(resources)
        self.ttl_ms = ttl_ms
        self._copies: OrderedDict[str, _Copy] = OrderedDict()  # the most recently used last
        # A session's writes in this process, one at a time: its lock and how many requests hold or await it.
        self._writing: dict[str, tuple[asyncio.Lock, int]] = {}

    # The RecordStore protocol, read by the answer logic (synchronous: no I/O).

    def version(self, session: str) -> int:
        view = _VIEW.get()
        if view is not None and view.session == session:
            return view.base.version
        found = self._copies.get(session)
        return found.version if found is not None else 0

    def changes(self, session: str, resource: str, scope: Scope) -> Changes:
        scoped = self._scoped(session, resource, scope)
        return dict(scoped) if scoped else {}

    def get(self, session: str, resource: str, scope: Scope, record_id: str) -> Record | Missing | None:
        scoped = self._scoped(session, resource, scope)
        return scoped.get(record_id, MISSING) if scoped is not None else MISSING

    def put(self, session: str, resource: str, scope: Scope, record_id: str, record: Record | None) -> None:
        view = self._view(session)
        key = (resource, scope)
        scoped = view.overlay.get(key)
        if scoped is None:
            scoped = view.overlay[key] = dict(view.base.by_resource.get(resource, {}).get(scope) or {})
        scoped[record_id] = record
        view.writes.append((resource, scope, record_id, record))

    def next_number(self, session: str, resource: str, scope: Scope) -> int:
        view = self._view(session)
        key = (resource, scope)
        number = view.numbers.get(key, view.base.numbers.get(key, 0)) + 1
        view.numbers[key] = number
        return number

    def reset(self, session: str | None = None) -> None:
        """Forget this worker's copy (the store itself is reset by the backend's script)."""
        if session is None:
            self._copies.clear()
        else:
            self._copies.pop(session, None)

    def sessions(self) -> list[str]:
        return list(self._copies)

    def snapshot(self, session: str) -> dict[str, dict[Scope, dict[str, Record | None]]]:
        found = self._copies.get(session)
        if found is None:
            return {}
        return {name: {scope: dict(records) for scope, records in scopes.items()}
                for name, scopes in found.by_resource.items()}

    def carry_over(self, previous: RecordStore) -> None:
        if isinstance(previous, RedisRecords):
            self._copies = previous._copies

    def _scoped(self, session: str, resource: str, scope: Scope) -> dict[str, Record | None] | None:
        view = _VIEW.get()
        if view is not None and view.session == session:
            return view.scoped(resource, scope)
        found = self._copies.get(session)
        return found.by_resource.get(resource, {}).get(scope) if found is not None else None

    def _view(self, session: str) -> _View:
        view = _VIEW.get()
        if view is None or view.session != session:
            raise RuntimeError("records of a shared state change only while answering a request")
        return view

    # The async steps around a request.

    async def around(self, session: str, answer: Callable[[], tuple[Operation | None, Answer]],
                     load: Script | None, commit: Script | None, writes: bool = False
                     ) -> tuple[Operation | None, Answer]:
        """Answer on a current copy of the session and write its changes; without `load` and `commit` (the
        state is unreachable) on the last known copy, refusing changes. A request that may write waits for
        the session's other writes in this process, so that only other processes' can come first."""
        if not writes or commit is None:
            return await self._attempts(session, answer, load, commit)
        lock, users = self._writing.get(session) or (asyncio.Lock(), 0)
        self._writing[session] = (lock, users + 1)
        try:
            async with lock:
                return await self._attempts(session, answer, load, commit)
        finally:
            lock, users = self._writing[session]
            if users == 1:
                del self._writing[session]
            else:
                self._writing[session] = (lock, users - 1)

    async def _attempts(self, session: str, answer: Callable[[], tuple[Operation | None, Answer]],
                        load: Script | None, commit: Script | None) -> tuple[Operation | None, Answer]:
        for _ in range(MAX_ATTEMPTS):
            if load is not None:
                await self.load(session, load)
            view = _View(session, self._copy(session))
            token = _VIEW.set(view)
            try:
                operation, answered = answer()
            finally:
                _VIEW.reset(token)
            if not view.writes and not view.numbers:
                return operation, answered
            if commit is None:
                return operation, unavailable_answer("the change was not made")
            version = await self.commit(view, commit)
            if version is not None:
                self._apply(view, version)
                return operation, answered
            await asyncio.sleep(random.uniform(0, CONFLICT_PAUSE_S))
        return operation, mock_error(503, f"session {session!r}: too many simultaneous changes; try again",
                                     source="state")

    async def load(self, session: str, script: Script) -> None:
        """Make this worker's copy of `session` current (one round trip; the records only when changed)."""
        copy = self._copy(session)
        keys = [self.keys.session(session, kind) for kind in ("meta", "records", "numbers")]
        found = await script(keys, [copy.version])
        version = int(found[0])
        if version == copy.version:
            return
        fresh = _Copy(version)
        if len(found) > 1:
            _fill(fresh, found[1], found[2])
        self._copies[session] = fresh
        self._bound()

    async def commit(self, view: _View, script: Script) -> int | None:
        """Write a request's changes if the session is still at the version they were made on."""
        session = view.session
        keys = [self.keys.session(session, kind) for kind in ("meta", "records", "numbers")]
        keys += [self.keys.sessions, self.keys.records_version]
        orders = {resource: len(keys) + position + 1 for position, resource in enumerate(self.resources)}
        keys += [self.keys.order(session, resource) for resource in self.resources]
        kinds = [self.keys.order_suffix(resource) for resource in self.resources]
        changes: list[Any] = []
        for resource, scope, record_id, record in view.writes:
            field_name = orjson.dumps([resource, list(scope), record_id])
            changes += [orders[resource], field_name, orjson.dumps(record)]
        numbers: list[Any] = []
        for (resource, scope), number in view.numbers.items():
            numbers += [orjson.dumps([resource, list(scope)]), number]
        ttl = 0 if session == DEFAULT_SESSION else self.ttl_ms
        args: list[Any] = [view.base.version, quoted(session), ttl, self.max_records, self.max_sessions,
                           self.keys.prefix, len(kinds), *kinds, len(view.writes), *changes,
                           len(view.numbers), *numbers]
        version = int(await script(keys, args))
        return None if version < 0 else version

    def _copy(self, session: str) -> _Copy:
        found = self._copies.get(session)
        if found is None:
            found = self._copies[session] = _Copy()
            self._bound()
        else:
            self._copies.move_to_end(session)
        return found

    def _apply(self, view: _View, version: int) -> None:
        """This worker's copy after its own changes were written (as the script changed the store)."""
        copy = self._copy(view.session)
        for resource, scope, record_id, record in view.writes:
            copy.by_resource.setdefault(resource, {}).setdefault(scope, {})[record_id] = record
            order = copy.order.setdefault(resource, {})
            order[(scope, record_id)] = None
            while len(order) > self.max_records:
                old_scope, old_id = next(iter(order))
                del order[(old_scope, old_id)]
                scoped = copy.by_resource[resource][old_scope]
                scoped.pop(old_id, None)
                if not scoped:
                    del copy.by_resource[resource][old_scope]
        copy.numbers.update(view.numbers)
        copy.version = version

    def _bound(self) -> None:
        while len(self._copies) > self.max_sessions:
            self._copies.popitem(last=False)


def _fill(copy: _Copy, records: list[bytes], numbers: list[bytes]) -> None:
    """A session's records and numbers from the store's hashes (field, value, field, value...)."""
    changed = []
    for position in range(0, len(records), 2):
        resource, scope, record_id = orjson.loads(records[position])
        seq, _, value = records[position + 1].partition(b"|")
        changed.append((int(seq), resource, tuple(scope), record_id, orjson.loads(value)))
    for _, resource, scope, record_id, record in sorted(changed, key=lambda change: change[0]):
        copy.by_resource.setdefault(resource, {}).setdefault(scope, {})[record_id] = record
        copy.order.setdefault(resource, {})[(scope, record_id)] = None
    for position in range(0, len(numbers), 2):
        resource, scope = orjson.loads(numbers[position])
        copy.numbers[(resource, tuple(scope))] = int(numbers[position + 1])


def unavailable_answer(what: str) -> Answer:
    return mock_error(503, f"the shared state (Redis) is unreachable: {what}; try again when it is back",
                      source="state")
