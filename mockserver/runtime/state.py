"""The mock's runtime state: response overrides, the current scenario, the bounded request journal and the
sessions' records (stateful resources).

The pytest plugin and the admin API drive the same object, so a test and a browser see one behaviour.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mockserver.answers.context import AnswerContext
from mockserver.fixture_files.checks import header_field_problem
from mockserver.fixture_files.values import condition_text
from mockserver.http.answer import Answer, DocumentedAnswer
from mockserver.http.negotiation import response_key_for
from mockserver.resources.store import RecordStore
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
class Override:
    operation_key: str
    status: int
    json: Any
    headers: dict[str, str]
    media_type: str | None
    times: int | None  # None: until reset
    used: int = 0


@dataclass
class MockState:
    spec: Spec
    default_scenario: str | None = None
    journal_size: int = DEFAULT_JOURNAL_SIZE
    journal_body_limit: int = DEFAULT_BODY_LIMIT
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    scenario: str | None = None
    overrides: list[Override] = field(default_factory=list)
    records: RecordStore | None = None  # the sessions' records; None when the mock is stateless
    journal: Journal = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.journal = Journal(self.journal_size, self.journal_body_limit, self.journal_bytes)
        self.scenario = self.default_scenario

    def operation(self, name: str) -> Operation:
        operation = self.spec.find_operation(name)
        if operation is None:
            known = ", ".join(op.operation_id or op.key for op in self.spec.operations)
            raise OverrideError(f"unknown operation {name!r}; known operations: {known}")
        return operation

    def add_override(
        self,
        operation_name: str,
        *,
        status: int = 200,
        json: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = None,
    ) -> Override:
        """Answer `operation_name` with this response (the next `times` calls, or until reset)."""
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
        override = Override(
            operation.key, status, json, checked_headers, media.media_type if media else None, times
        )
        with self._lock:
            self.overrides.append(override)
        return override

    def take_override(self, operation: Operation) -> Override | None:
        with self._lock:
            for override in reversed(self.overrides):
                if override.operation_key != operation.key:
                    continue
                override.used += 1
                if override.times is not None and override.used >= override.times:
                    self.overrides.remove(override)
                return override
        return None

    def record(self, exchange: Exchange) -> None:
        self.journal.record(exchange)

    def calls(self, operation: str | None = None) -> list[Exchange]:
        """Recorded requests, oldest first; only those of one operation when named."""
        entries = list(self.journal)
        if operation is None:
            return entries
        key = self.operation(operation).key
        return [entry for entry in entries if entry.operation == key]

    def reset(self, *, records: bool = True) -> None:
        """Forget overrides, the journal and the scenario switch, and every session's records unless told
        not to (a test resets only its own session: `reset_session`)."""
        with self._lock:
            self.overrides.clear()
            self.journal.clear()
            self.scenario = self.default_scenario
        if records and self.records is not None:
            self.records.reset()

    def reset_session(self, session: str) -> None:
        """Forget one session's records."""
        if self.records is not None:
            self.records.reset(session)

    def carry_over(self, previous: MockState) -> None:
        """Take over `previous`, the state of the app being replaced (`serve --watch`): share its journal,
        overrides and lock, so requests still finishing on the old app are recorded here too."""
        with previous._lock:
            self.journal = previous.journal
            self.overrides = previous.overrides
            self._lock = previous._lock
            self.scenario = previous.scenario
        if self.records is not None and previous.records is not None:
            self.records.carry_over(previous.records)


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
        if not state.overrides:  # most requests: no lock to take
            return None
        override = state.take_override(ctx.operation)
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
