"""Sessions and their records in memory: the default `RecordStore` (see `mockserver.resources.store`).

A session exists from its first change until it is reset or evicted: at most `max_sessions` of them, the
least recently used going first, and at most `max_records` changes per resource in each, the oldest
going first. Memory therefore stays flat whatever clients do. Versions come from one counter for the
whole store, so a session's version never repeats, not even after a reset or an eviction.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from mockserver.resources.store import MISSING, Changes, Missing, Record, RecordStore, Scope

DEFAULT_MAX_SESSIONS = 100
DEFAULT_MAX_RECORDS = 1000


@dataclass
class _ResourceChanges:
    by_scope: dict[Scope, dict[str, Record | None]] = field(default_factory=dict)
    order: dict[tuple[Scope, str], None] = field(default_factory=dict)  # first change first
    numbers: dict[Scope, int] = field(default_factory=dict)


@dataclass
class _Session:
    version: int = 0
    resources: dict[str, _ResourceChanges] = field(default_factory=dict)


_NO_CHANGES: Changes = {}


class MemoryRecordStore:
    """The sessions' changes in this process's memory, bounded; thread-safe."""

    def __init__(self, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self.max_sessions = max_sessions
        self.max_records = max_records
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._versions = itertools.count(1)
        self._lock = threading.Lock()

    def version(self, session: str) -> int:
        found = self._sessions.get(session)
        return 0 if found is None else found.version

    def changes(self, session: str, resource: str, scope: Scope) -> Changes:
        with self._lock:
            found = self._sessions.get(session)
            changes = found.resources.get(resource) if found is not None else None
            scoped = changes.by_scope.get(scope) if changes is not None else None
            return dict(scoped) if scoped else _NO_CHANGES

    def get(self, session: str, resource: str, scope: Scope, record_id: str) -> Record | Missing | None:
        with self._lock:
            found = self._sessions.get(session)
            changes = found.resources.get(resource) if found is not None else None
            scoped = changes.by_scope.get(scope) if changes is not None else None
            return scoped.get(record_id, MISSING) if scoped is not None else MISSING

    def put(self, session: str, resource: str, scope: Scope, record_id: str, record: Record | None) -> None:
        with self._lock:
            changes = self._session(session).resources.setdefault(resource, _ResourceChanges())
            scoped = changes.by_scope.setdefault(scope, {})
            scoped[record_id] = record
            changes.order[(scope, record_id)] = None
            while len(changes.order) > self.max_records:
                old_scope, old_id = next(iter(changes.order))
                del changes.order[(old_scope, old_id)]
                old = changes.by_scope[old_scope]
                old.pop(old_id, None)
                if not old:
                    del changes.by_scope[old_scope]

    def next_number(self, session: str, resource: str, scope: Scope) -> int:
        with self._lock:
            changes = self._session(session).resources.setdefault(resource, _ResourceChanges())
            number = changes.numbers.get(scope, 0) + 1
            changes.numbers[scope] = number
            if len(changes.numbers) > self.max_records:  # scopes with numbers but no records any more
                changes.numbers.pop(next(iter(changes.numbers)))
            return number

    def _session(self, name: str) -> _Session:
        """The session, created when new, made the most recently used, with a new version (the caller holds
        the lock and is about to change it)."""
        found = self._sessions.get(name)
        if found is None:
            found = self._sessions[name] = _Session()
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        else:
            self._sessions.move_to_end(name)
        found.version = next(self._versions)
        return found

    def reset(self, session: str | None = None) -> None:
        with self._lock:
            if session is None:
                self._sessions.clear()
            else:
                self._sessions.pop(session, None)

    def sessions(self) -> list[str]:
        with self._lock:
            return list(self._sessions)

    def snapshot(self, session: str) -> dict[str, dict[Scope, dict[str, Record | None]]]:
        with self._lock:
            found = self._sessions.get(session)
            if found is None:
                return {}
            return {name: {scope: dict(records) for scope, records in changes.by_scope.items()}
                    for name, changes in found.resources.items()}

    def carry_over(self, previous: RecordStore) -> None:
        if isinstance(previous, MemoryRecordStore):
            with previous._lock:
                self._sessions = previous._sessions
                self._versions = previous._versions
                self._lock = previous._lock
