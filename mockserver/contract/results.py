"""What a run found: pass/fail counts per operation and check, distinct failures, and errors.

Filled from schemathesis' scenario recorders as the engine reports them; a failure keeps the request
that shows it, from which the report builds a curl command, and, when it took a sequence of requests (the
stateful phase), the requests before it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from schemathesis.engine import Status

from mockserver.contract.stateful import StatefulSummary

MAX_REASON_LENGTH = 300


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


@dataclass
class FailureRecord:
    """One distinct failure: which check, where, why, and a request that reproduces it."""

    check: str
    operation: str
    title: str
    reason: str
    request: SentRequest | None = None
    occurrences: int = 1
    steps: tuple[SentRequest, ...] = ()  # the requests before `request` that reproducing it needs, in order


@dataclass
class RunResult:
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (operation, check) -> counts
    failures: list[FailureRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the run relaxed or skipped, said in one line each
    apart: list[FailureRecord] = field(default_factory=list)  # findings reported apart, not failing (diff)
    requests: int = 0
    stateful: StatefulSummary | None = None  # when the stateful phase ran
    _index: dict[tuple[str, str, Hashable], FailureRecord] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def tally(self, operation: str, check: str) -> Tally:
        return self.tallies.setdefault((operation, check), Tally())

    def failing_checks(self) -> set[str]:
        return {failure.check for failure in self.failures}

    def add_failure(self, record: FailureRecord, identity: Hashable = None) -> None:
        """Keep one record per distinct failure; a repeat (same identity) counts as another occurrence.

        `identity` is the schemathesis failure itself when there is one: failures compare equal when they
        are the same finding (same kind, operation and e.g. schema location), whatever data showed them.
        """
        same = identity if identity is not None else (record.title, record.reason)
        key = (record.check, record.operation, same)
        existing = self._index.get(key)
        if existing is None:
            self._index[key] = record
            self.failures.append(record)
        else:
            existing.occurrences += 1

    def add_apart(self, record: FailureRecord) -> None:
        """Keep a finding reported apart (once per operation and reason; repeats count as occurrences)."""
        key = ("apart", record.operation, record.reason)
        existing = self._index.get(key)
        if existing is None:
            self._index[key] = record
            self.apart.append(record)
        else:
            existing.occurrences += 1

    def add_scenario(self, recorder: Any) -> None:
        """Count every check result of one schemathesis scenario (a `ScenarioRecorder`)."""
        self.requests += len(recorder.interactions)
        for case_id, nodes in recorder.checks.items():
            node = recorder.cases.get(case_id)
            if node is None:
                continue
            operation = node.value.operation.label
            for check in nodes:
                self._add_check(recorder, case_id, operation, check)

    def _add_check(self, recorder: Any, case_id: str, operation: str, check: Any) -> None:
        tally = self.tally(operation, check.name)
        if check.status == Status.SUCCESS:
            tally.passed += 1
        elif check.status == Status.FAILURE and check.failure_info is not None:
            tally.failed += 1
            failure = check.failure_info.failure
            self.add_failure(FailureRecord(
                check=check.name, operation=operation, title=failure.title,
                reason=one_line(failure.message), request=_sent_request(recorder, case_id),
                steps=_steps_before(recorder, case_id, check.failure_info.steps),
            ), identity=failure)
        elif check.status == Status.ERROR:
            self.errors.append(f"{operation}: check {check.name} raised an error")


def one_line(message: str) -> str:
    lines = [_unquoted(" ".join(line.split())) for line in message.splitlines() if line.strip()]
    text = "; ".join(lines[:2])
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"


def _unquoted(line: str) -> str:
    """A line without the backticks that fence it whole (a code line); inline ones stay in pairs."""
    return line.strip("`") if line.startswith("`") and line.endswith("`") else line


def sent_request(response: Any) -> SentRequest:
    """The request behind a schemathesis response, for a curl command."""
    request = response.request
    body = request.body.encode() if isinstance(request.body, str) else request.body
    return SentRequest(request.method or "GET", request.url or "", tuple(request.headers.items()), body)


def _sent_request(recorder: Any, case_id: str) -> SentRequest | None:
    interaction = recorder.interactions.get(case_id)
    if interaction is None:
        return None
    request = interaction.request
    return SentRequest(request.method, request.uri, _flatten(request.headers.items()), request.body)


def _steps_before(recorder: Any, case_id: str, steps: Iterable[Any]) -> tuple[SentRequest, ...]:
    """The requests sent before the failing one that reproducing it needs (schemathesis' reproduction
    steps, e.g. the POST that created a resource and the DELETE that removed it)."""
    earlier = [_sent_request(recorder, step.case_id) for step in steps if step.case_id != case_id]
    return tuple(request for request in earlier if request is not None)


def _flatten(items: Iterable[tuple[str, list[str]]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, values in items for value in values)
