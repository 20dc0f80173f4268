"""The in-process state (the default): overrides, scenarios, records and the journal in this process's
memory. Nothing to connect to; `serve --workers N` then gives each worker a state of its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mockserver.runtime.backends.base import Answering, JournalPage, Propagation, Route, StateHolder
from mockserver.runtime.sessions import MemoryRecordStore

if TYPE_CHECKING:
    from mockserver.http.answer import Answer
    from mockserver.resources.store import RecordStore
    from mockserver.runtime.control import Override
    from mockserver.runtime.journal import Exchange
    from mockserver.spec.model import Operation


class MemoryBackend:
    """Everything in this process; every change is immediate, so none needs propagating."""

    shared = False
    description = "memory"
    available = True

    def __init__(self) -> None:
        self._holder: StateHolder | None = None

    @property
    def holder(self) -> StateHolder:
        if self._holder is None:
            raise RuntimeError("the state backend is not attached to a mock")
        return self._holder

    def make_records(self, max_sessions: int, max_records: int, resources: Sequence[str]) -> RecordStore:
        return MemoryRecordStore(max_sessions, max_records)

    def attach(self, holder: StateHolder) -> None:
        self._holder = holder

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def record(self, exchange: Exchange) -> None:
        self.holder.journal.record(exchange)

    async def around(self, session: str, route: Callable[[], Route], answer: Answering
                     ) -> tuple[Operation | None, Answer]:
        return answer()

    async def add_override(self, override: Override) -> Propagation | None:
        self.holder.control.add(override)
        return None

    async def overrides(self, session: str | None) -> list[Override]:
        return self.holder.control.overrides(session)

    async def clear_overrides(self, session: str | None) -> Propagation | None:
        self.holder.control.clear_overrides(session)
        return None

    async def switch_scenario(self, session: str, scenario: str | None) -> Propagation | None:
        self.holder.control.switch(session, scenario)
        return None

    async def reset(self, session: str | None) -> Propagation | None:
        holder = self.holder
        holder.control.reset(session)
        holder.journal.clear(session)
        if holder.records is not None:
            holder.records.reset(session)
        return None

    async def calls(self, session: str | None, limit: int | None = None) -> JournalPage:
        journal = self.holder.journal
        entries = journal.entries(session)
        total = len(entries)
        if limit is not None:
            entries = entries[max(total - limit, 0):]
        return JournalPage(entries, total, journal.capacity, journal.body_limit, journal.bytes,
                           journal.max_bytes)

    async def clear_journal(self, session: str | None) -> Propagation | None:
        self.holder.journal.clear(session)
        return None

    async def refresh_records(self, session: str) -> None:
        return None

    async def record_sessions(self) -> list[str]:
        records = self.holder.records
        return records.sessions() if records is not None else []

    def status(self) -> dict[str, Any]:
        return {"backend": "memory", "available": True}
