"""The one interface to everything the mock changes while it serves: `StateBackend`.

Overrides and scenario switches (by session), the sessions' records of stateful resources, the request
journal, and the moment a process must refresh what it keeps (its copy of the overrides, its answer
memo). Two implementations: in this process's memory (`memory`, the default) and Redis (`redis_state`,
shared by every worker and replica).

The request path is synchronous (the answer logic never awaits): a backend whose state lives outside
the process (`shared`) does its I/O in `around`, an async step wrapped around the answer, and keeps
what the request path reads (the `Control` of overrides and scenarios) current by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mockserver.http.answer import Answer
    from mockserver.resources.store import RecordStore
    from mockserver.runtime.control import Control, Override
    from mockserver.runtime.journal import Exchange, Journal
    from mockserver.spec.model import Operation

WARNING_HEADER = "X-Mock-Warning"


class StateUnavailable(Exception):
    """The shared state cannot be reached: a change is refused (the admin API answers 503)."""


@dataclass(frozen=True)
class Propagation:
    """How many live workers (of every replica) had taken a change when it was acknowledged."""

    workers: int
    acknowledged: int

    @property
    def complete(self) -> bool:
        return self.acknowledged >= self.workers


@dataclass(frozen=True)
class JournalPage:
    """Journal entries, oldest first, and how the journal is bounded."""

    entries: list[Exchange]
    total: int  # entries kept (of the session asked for, or of all)
    capacity: int
    body_limit: int
    bytes: int | None = None  # None: not counted (a shared journal is bounded by entries)
    max_bytes: int | None = None


@dataclass(frozen=True)
class Route:
    """What a request reaches: the operations its route matches, whether any reads or writes records, and
    whether any writes them."""

    operations: tuple[str, ...]
    records: bool
    writes: bool = False


Answering = Callable[[], "tuple[Operation | None, Answer]"]


class StateHolder(Protocol):
    """What a backend keeps current in the process: the mock's state (`mockserver.runtime.state`)."""

    control: Control
    journal: Journal
    records: RecordStore | None

    def refreshed(self) -> None:
        """Everything was reloaded from a shared state: caches of answers may be stale."""
        ...


class StateBackend(Protocol):
    """Where overrides, scenario switches, records and the journal live."""

    shared: bool  # outside this process: the app runs `around` for each request
    description: str  # for the banner and the health endpoint (no password)

    @property
    def available(self) -> bool:
        """False while a shared state cannot be reached (answers come from the last known state)."""
        ...

    def make_records(self, max_sessions: int, max_records: int, resources: Sequence[str]) -> RecordStore:
        """The record store of the stateful resources (their names: `resources`)."""
        ...

    def attach(self, holder: StateHolder) -> None:
        """The process state this backend keeps current (called once per app, and again on reload)."""
        ...

    async def start(self) -> None:
        """Connect (a shared state); never raises: an unreachable state is retried in the background."""
        ...

    async def stop(self) -> None: ...

    def record(self, exchange: Exchange) -> None:
        """Keep an exchange in the journal (per request: must not block)."""
        ...

    async def around(self, session: str, route: Callable[[], Route], answer: Answering
                     ) -> tuple[Operation | None, Answer]:
        """Answer a request (`answer`, synchronous) with the I/O it needs before and after."""
        ...

    async def add_override(self, override: Override) -> Propagation | None: ...

    async def overrides(self, session: str | None) -> list[Override]:
        """One session's overrides (None: every session's), oldest first, with their use counts."""
        ...

    async def clear_overrides(self, session: str | None) -> Propagation | None: ...

    async def switch_scenario(self, session: str, scenario: str | None) -> Propagation | None: ...

    async def reset(self, session: str | None) -> Propagation | None:
        """Forget one session's overrides, scenario switch, journal and records (None: everything)."""
        ...

    async def calls(self, session: str | None, limit: int | None = None) -> JournalPage:
        """The newest `limit` entries (None: all) of one session (None: every session), oldest first;
        every request answered before the call is in it."""
        ...

    async def clear_journal(self, session: str | None) -> Propagation | None: ...

    async def refresh_records(self, session: str) -> None:
        """Make the record store's copy of `session` current (before reading it outside a request)."""
        ...

    async def record_sessions(self) -> list[str]:
        """The sessions holding records, the most recently used last."""
        ...

    def status(self) -> dict[str, Any]:
        """What the health endpoint shows of the state."""
        ...


def propagation_headers(propagation: Propagation | None) -> dict[str, str]:
    """What an admin answer says about a change's reach (nothing for the in-process state)."""
    if propagation is None:
        return {}
    headers = {"X-Mock-Propagated": f"{propagation.acknowledged}/{propagation.workers}"}
    if not propagation.complete:
        headers[WARNING_HEADER] = (f"the change reached {propagation.acknowledged} of {propagation.workers} "
                                   "workers in time; the others take it as soon as they hear of it")
    return headers
