"""The mock's runtime state: response overrides and scenario switches by session, the request journal and
the sessions' records (stateful resources), behind a `StateBackend` (in this process, or shared in Redis).

The pytest plugin and the admin API drive the same object, so a test and a browser see one behaviour.
The synchronous methods are the in-process state's (the pytest plugin's own mock); the admin API uses
the backend's async ones, which work for either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.answers.context import AnswerContext
from mockserver.answers.stateful import SESSION_HEADER
from mockserver.fixture_files.checks import header_field_problem
from mockserver.fixture_files.values import condition_text
from mockserver.http.answer import Answer, DocumentedAnswer
from mockserver.http.negotiation import response_key_for
from mockserver.resources.store import DEFAULT_SESSION, RecordStore
from mockserver.runtime.backends import MemoryBackend, StateBackend
from mockserver.runtime.control import Control, Override
from mockserver.runtime.journal import (
    DEFAULT_BODY_LIMIT,
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_SIZE,
    Exchange,
    Journal,
)
from mockserver.spec.model import Operation, Spec


class OverrideError(ValueError):
    """An override the spec cannot honour: unknown operation, undocumented status, or invalid body."""


class OverrideHeaderError(OverrideError):
    """An override header that cannot be sent: not an RFC 9110 field, or one the server writes itself."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


@dataclass
class MockState:
    spec: Spec
    default_scenario: str | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    journal_body_limit: int = DEFAULT_BODY_LIMIT
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    records: RecordStore | None = None  # the sessions' records; None when the mock is stateless
    backend: StateBackend = field(default_factory=MemoryBackend)
    control: Control = field(init=False)
    journal: Journal = field(init=False)  # the in-process journal (a shared state keeps its own)
    listeners: list[Callable[[], None]] = field(default_factory=list)  # told when a shared state reloads

    def __post_init__(self) -> None:
        self.journal = Journal(self.journal_size, self.journal_body_limit, self.journal_bytes)
        self.control = Control()
        self.backend.attach(self)

    @property
    def scenario(self) -> str | None:
        """The scenario served to requests of the default session (and of sessions not switched)."""
        return self.control.scenario(DEFAULT_SESSION, self.default_scenario)

    @scenario.setter
    def scenario(self, name: str | None) -> None:
        self.control.switch(DEFAULT_SESSION, name)

    @property
    def overrides(self) -> list[Override]:
        """Every session's overrides, oldest first."""
        return self.control.overrides()

    def scenario_for(self, session: str | None) -> str | None:
        return self.control.scenario(session, self.default_scenario)

    def refreshed(self) -> None:
        for listener in self.listeners:
            listener()

    def operation(self, name: str) -> Operation:
        operation = self.spec.find_operation(name)
        if operation is None:
            known = ", ".join(op.operation_id or op.key for op in self.spec.operations)
            raise OverrideError(f"unknown operation {name!r}; known operations: {known}")
        return operation

    def make_override(
        self,
        operation_name: str,
        *,
        status: int = 200,
        json: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        session: str = DEFAULT_SESSION,
    ) -> Override:
        """An override of `operation_name` checked against the spec (not yet in force)."""
        operation = self.operation(operation_name)
        checked_headers = override_headers(operation.key, headers or {})
        key = response_key_for(operation, status)
        if key is None:
            documented = ", ".join(sorted(operation.responses)) or "none"
            raise OverrideError(f"{operation.key} documents no response {status} (documented: {documented})")
        media = next(iter(operation.responses[key].content.values()), None)
        if json is not None and media is not None and media.schema_pointer is not None:
            errors = [
                f"{'/'.join(map(str, e.instance_path)) or '/'}: {e.message}"
                for e in self.spec.validator(media.schema_pointer).iter_errors(json)
            ]
            if errors:
                raise OverrideError(
                    f"override body for {operation.key} {status} violates the spec: " + "; ".join(errors[:5])
                )
        media_type = media.media_type if media else None
        return Override(operation.key, status, json, checked_headers, media_type, times, session=session)

    def add_override(
        self,
        operation_name: str,
        *,
        status: int = 200,
        json: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
        session: str = DEFAULT_SESSION,
    ) -> Override:
        """Answer `operation_name` with this response (the next `times` calls, or until reset), for every
        session (the default one's overrides apply to all) or for one."""
        override = self.make_override(operation_name, status=status, json=json, headers=headers, times=times,
                                      session=session)
        self.control.add(override)
        return override

    def take_override(self, operation: Operation, session: str | None = None) -> Override | None:
        return self.control.take(operation.key, session)

    def record(self, exchange: Exchange) -> None:
        self.backend.record(exchange)

    def calls(self, operation: str | None = None, session: str | None = None) -> list[Exchange]:
        """Recorded requests, oldest first (of one session when named); only those of one operation when
        named."""
        return self.of_operation(self.journal.entries(session), operation)

    def of_operation(self, entries: list[Exchange], operation: str | None) -> list[Exchange]:
        if operation is None:
            return entries
        key = self.operation(operation).key
        return [entry for entry in entries if entry.operation == key]

    def reset(self, *, records: bool = True) -> None:
        """Forget overrides, the journal and the scenario switches, and every session's records unless told
        not to (a test resets only its own session: `reset_session`)."""
        self.control.reset()
        self.journal.clear()
        if records and self.records is not None:
            self.records.reset()

    def reset_session(self, session: str) -> None:
        """Forget one session's records."""
        if self.records is not None:
            self.records.reset(session)

    def carry_over(self, previous: MockState) -> None:
        """Take over `previous`, the state of the app being replaced (`serve --watch`): share its journal,
        overrides, scenario switches and backend, so requests still finishing on the old app are recorded
        here too."""
        self.journal = previous.journal
        self.control = previous.control
        self.backend = previous.backend
        if self.records is not None and previous.records is not None:
            self.records.carry_over(previous.records)
        self.backend.attach(self)


def override_headers(operation_key: str, headers: dict[str, Any]) -> dict[str, str]:
    """The headers of an override as text; raises OverrideHeaderError for one that cannot be sent
    (framing, Content-Type, or not a valid field), so a bad override never breaks a response."""
    checked = {}
    for name, value in headers.items():
        text = value if isinstance(value, str) else condition_text(value)
        problem = header_field_problem(str(name), text)
        if problem is not None:
            raise OverrideHeaderError(str(name), f"override of {operation_key}: {problem}")
        checked[str(name)] = text
    return checked


class OverrideSource:
    """The source answering from the state's overrides; it runs before every other source."""

    impure_operations: frozenset[str] = frozenset()

    def __init__(self, state: MockState, documented: DocumentedAnswer) -> None:
        self.state = state
        self.documented = documented

    def answer(self, ctx: AnswerContext) -> Answer | None:
        state = self.state
        if not state.control.busy:  # most requests: nothing to look at
            return None
        override = state.take_override(ctx.operation, ctx.headers.get(SESSION_HEADER) or DEFAULT_SESSION)
        if override is None:
            return None
        if override.json is None and override.media_type is not None:
            # No body given: the one the spec documents (or a generated one) for that status.
            answer = self.documented(ctx.operation, override.status, "override")
            answer.headers.update(override.headers)
            return answer
        body = override.json
        return Answer(
            override.status,
            body,
            override.media_type if body is not None else None,
            "override",
            dict(override.headers),
            response_key=str(override.status),
        )
