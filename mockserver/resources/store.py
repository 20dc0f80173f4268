"""The record store seam: where each session keeps its changes to the resources.

A session starts with the initial records of every collection (from the fixtures' datasets, else
generated from the seed: the same in every session, so they are computed, never stored). What the store
keeps is each session's *changes*: records created or replaced, and ids deleted. The answer logic
(`mockserver.answers.stateful`) overlays them on the initial records; the store never interprets them.

Two implementations are meant to sit behind this protocol: in memory (`mockserver.runtime.sessions`, the
default) and Redis (one hash per session and collection, a sequence per collection, a version counter
per session; `put` and its version bump in one MULTI/EXEC). Every method is one short, atomic step, so
that either can serve several workers without the answer logic knowing which it talks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

Record = dict[str, Any]
# What a collection's records are scoped to: the tenant (or "") and the values of the collection path's
# parameters (`/users/{userId}/repos` -> ("", "42")).
Scope = tuple[str, ...]
# A session's changes to one collection, oldest first: id -> the record as it now is, or None (deleted).
Changes = Mapping[str, Record | None]
DEFAULT_SESSION = "default"


class Missing:
    """The store holds no change for an id: it is whatever the initial records (or generation) make it."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


class RecordStore(Protocol):
    """Each session's changes to the resources' records, bounded, with a version per session."""

    def version(self, session: str) -> int:
        """A number that changes with every change to the session's records (0: none since its start or
        reset). Answers to reads are remembered by it, so it must never repeat for a session."""
        ...

    def changes(self, session: str, resource: str, scope: Scope) -> Changes:
        """The session's changes to one collection, oldest first."""
        ...

    def get(self, session: str, resource: str, scope: Scope, record_id: str) -> Record | Missing | None:
        """The session's change to one record: the record, None when deleted, MISSING when unchanged."""
        ...

    def put(self, session: str, resource: str, scope: Scope, record_id: str, record: Record | None) -> None:
        """Record a change (None: the record is deleted); the oldest changes of the collection go first
        beyond the store's bound, and the least recently used sessions beyond its number of sessions."""
        ...

    def next_number(self, session: str, resource: str, scope: Scope) -> int:
        """1, 2, 3... per session and collection: what new ids are made from (never twice the same)."""
        ...

    def reset(self, session: str | None = None) -> None:
        """Forget one session's changes (None: every session's)."""
        ...

    def sessions(self) -> list[str]:
        """The sessions holding changes, the most recently used last."""
        ...

    def snapshot(self, session: str) -> dict[str, dict[Scope, dict[str, Record | None]]]:
        """A copy of the session's changes: by resource, by scope, by id."""
        ...

    def carry_over(self, previous: RecordStore) -> None:
        """Continue `previous`'s sessions (a reloaded app continues the old one's records)."""
        ...
