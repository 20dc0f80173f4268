"""What a contract run exercised, per operation: statuses, media types, parameters and their kinds of
values, and response properties; totals per metric, and thresholds (`--min-coverage`).

Fed with schemathesis' scenario recorders (every request the run sent, check probes included). A
parameter's kind of value (absent, valid, boundary, invalid) is judged from what was sent against its
schema (`mockserver.consumers.kinds`); schemathesis' own case metadata adds what the value alone does not
show: its coverage phase's near-boundary values count as boundary.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from schemathesis.generation.meta import CoverageScenario, coverage_scenario

from mockserver.consumers import kinds
from mockserver.consumers.fields import ITEM, body_fields, schema_fields
from mockserver.contract.probing import response_json
from mockserver.http.negotiation import response_key_for
from mockserver.spec.model import Operation, Parameter, Spec

METRICS = ("operations", "statuses", "media_types", "parameters", "values", "properties")
METRIC_TITLES = {
    "operations": "operations called", "statuses": "documented statuses returned",
    "media_types": "documented media types returned", "parameters": "parameters sent",
    "values": "kinds of parameter values sent", "properties": "response properties present",
}
# Schemathesis' coverage scenarios that sit next to a bound rather than on it.
_NEAR_BOUNDARY = frozenset({
    CoverageScenario.NEAR_BOUNDARY_LENGTH_STRING, CoverageScenario.NEAR_BOUNDARY_NUMBER,
    CoverageScenario.NEAR_BOUNDARY_ITEMS_ARRAY, CoverageScenario.MINIMUM_LENGTH_STRING,
    CoverageScenario.MAXIMUM_LENGTH_STRING, CoverageScenario.MINIMUM_VALUE, CoverageScenario.MAXIMUM_VALUE,
    CoverageScenario.MAXIMUM_ITEMS_ARRAY,
})


class ThresholdError(ValueError):
    """A `--min-coverage` value that cannot be read."""


def parse_thresholds(text: str | None) -> dict[str, float]:
    """`operations=100,statuses=80` -> {"operations": 100.0, "statuses": 80.0}."""
    thresholds: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, separator, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not separator or name not in METRICS:
            raise ThresholdError(f"--min-coverage {item.strip()!r}: expected METRIC=PERCENT with METRIC "
                                 f"one of {', '.join(METRICS)}")
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            number = -1.0
        if not 0 <= number <= 100:
            raise ThresholdError(f"--min-coverage {item.strip()!r}: the percentage must be from 0 to 100")
        thresholds[name] = number
    return thresholds


@dataclass
class Ratio:
    covered: int = 0
    total: int = 0

    @property
    def percent(self) -> float:
        return 100.0 if self.total == 0 else 100.0 * self.covered / self.total

    def add(self, covered: bool) -> None:
        self.total += 1
        self.covered += int(covered)

    def __str__(self) -> str:
        return f"{self.covered}/{self.total}"


@dataclass
class _Seen:
    """What the run sent to and got from one operation."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    media: set[tuple[str, str]] = field(default_factory=set)  # (response key, media type)
    kinds: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)  # (in, name) -> kind counts
    present: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (key, media) -> pointers


@dataclass
class OperationCoverage:
    """One operation's coverage, computed from what was seen and what the spec documents."""

    operation: str
    requests: int
    statuses: dict[str, bool]  # documented response key -> returned
    returned: dict[int, int]  # status -> responses
    media_types: dict[tuple[str, str], bool]
    parameters: dict[tuple[str, str], dict[str, int]]  # (in, name) -> kind -> requests (possible kinds)
    properties: dict[tuple[str, str], dict[str, bool]]  # (key, media) -> pointer -> present

    def ratios(self) -> dict[str, Ratio]:
        ratios = {metric: Ratio() for metric in METRICS}
        ratios["operations"].add(self.requests > 0)
        for returned in self.statuses.values():
            ratios["statuses"].add(returned)
        for returned in self.media_types.values():
            ratios["media_types"].add(returned)
        for counts in self.parameters.values():
            sent = any(count for kind, count in counts.items() if kind != kinds.ABSENT)
            ratios["parameters"].add(sent)
            for count in counts.values():
                ratios["values"].add(count > 0)
        for pointers in self.properties.values():
            for present in pointers.values():
                ratios["properties"].add(present)
        return ratios


@dataclass
class CoverageReport:
    operations: list[OperationCoverage]
    thresholds: dict[str, float] = field(default_factory=dict)

    def totals(self) -> dict[str, Ratio]:
        totals = {metric: Ratio() for metric in METRICS}
        for operation in self.operations:
            for metric, ratio in operation.ratios().items():
                totals[metric].covered += ratio.covered
                totals[metric].total += ratio.total
        return totals

    def below(self) -> dict[str, tuple[float, float]]:
        """Metrics under their threshold: metric -> (percent reached, threshold)."""
        totals = self.totals()
        return {metric: (totals[metric].percent, minimum) for metric, minimum in self.thresholds.items()
                if totals[metric].percent + 1e-9 < minimum}


class CoverageCollector:
    """Thread-safe: schemathesis' workers report scenarios concurrently."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._seen: dict[str, _Seen] = {}
        self._operations: dict[str, Operation | None] = {}
        self._properties: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def add_scenario(self, recorder: Any) -> None:
        """Every request of one schemathesis scenario (a `ScenarioRecorder`) and its response."""
        for case_id, node in recorder.cases.items():
            interaction = recorder.interactions.get(case_id)
            if interaction is None or interaction.response is None:
                continue
            case = node.value
            operation = self._operation(f"{case.operation.method.upper()} {case.operation.path}")
            if operation is not None:
                self.add(operation, case, interaction.request, interaction.response)

    def _operation(self, key: str) -> Operation | None:
        if key not in self._operations:
            self._operations[key] = self.spec.find_operation(key)
        return self._operations[key]

    def add(self, operation: Operation, case: Any, request: Any, response: Any) -> None:
        raw = _sent_values(case, request)
        near = _near_boundary(case)
        judged = []
        for parameter in _documented(operation):
            kind, _ = kinds.judge(self.spec, parameter, raw.get((parameter.location, parameter.name.lower())))
            if kind == kinds.VALID and (parameter.location, parameter.name) in near:
                kind = kinds.BOUNDARY
            judged.append(((parameter.location, parameter.name), kind))
        key = response_key_for(operation, response.status_code)
        media_type = _media_type(response)
        present: set[str] = set()
        if key is not None and media_type is not None:
            is_json, body = response_json(response)
            if is_json:
                present = set(body_fields(body))
        with self._lock:
            seen = self._seen.setdefault(operation.key, _Seen())
            seen.requests += 1
            seen.statuses[response.status_code] += 1
            for slot, kind in judged:
                seen.kinds.setdefault(slot, Counter())[kind] += 1
            if key is not None and media_type is not None:
                seen.media.add((key, media_type))
                seen.present.setdefault((key, media_type), set()).update(present)

    def report(self, thresholds: dict[str, float] | None = None) -> CoverageReport:
        with self._lock:
            operations = [self._operation_coverage(operation, self._seen.get(operation.key, _Seen()))
                          for operation in sorted(self.spec.operations, key=lambda item: item.key)]
        return CoverageReport(operations, dict(thresholds or {}))

    def _operation_coverage(self, operation: Operation, seen: _Seen) -> OperationCoverage:
        hit_keys = {key for key, _ in seen.media} | {
            key for status in seen.statuses if (key := response_key_for(operation, status)) is not None}
        keys = [key for key in operation.responses if key != "default" or key in hit_keys]
        media_types = {(key, media): (key, media) in seen.media
                       for key in keys for media in operation.responses[key].content}
        parameters: dict[tuple[str, str], dict[str, int]] = {}
        for parameter in _documented(operation):
            slot = (str(parameter.location), parameter.name)
            counts = seen.kinds.get(slot, Counter())
            possible = kinds.possible_kinds(self.spec, parameter)
            parameters[slot] = {kind: counts.get(kind, 0) for kind in possible}
        properties = {}
        for key, media in media_types:
            documented = self._documented_properties(operation.responses[key].content[media].schema_pointer)
            present = seen.present.get((key, media), set())
            if documented:
                properties[(key, media)] = {pointer: pointer in present for pointer in documented}
        return OperationCoverage(operation.key, seen.requests, {key: key in hit_keys for key in keys},
                                 dict(sorted(seen.statuses.items())), media_types, parameters, properties)

    def _documented_properties(self, schema_pointer: str | None) -> list[str]:
        if schema_pointer is None:
            return []
        if schema_pointer not in self._properties:
            schema = self.spec.resolve_pointer(schema_pointer)
            fields = schema_fields(schema, schema_pointer, self.spec.resolve_ref)
            self._properties[schema_pointer] = [pointer for pointer in fields
                                                if pointer and not pointer.endswith("/" + ITEM)]
        return self._properties[schema_pointer]


def _documented(operation: Operation) -> Iterable[Parameter]:
    seen: set[tuple[str, str]] = set()
    for parameter in operation.parameters:
        slot = (parameter.location, parameter.name.lower())
        if slot not in seen:
            seen.add(slot)
            yield parameter


def _sent_values(case: Any, request: Any) -> dict[tuple[str, str], str | list[str]]:
    """What the request carried, by (location, lower-case name): path values from the case (real ids put
    in), query and headers as sent, cookies from the Cookie header."""
    values: dict[tuple[str, str], str | list[str]] = {}
    for name, value in (case.path_parameters or {}).items():
        values[("path", str(name).lower())] = _text(value)
    for name, value in parse_qsl(urlsplit(request.uri).query, keep_blank_values=True):
        slot = ("query", name.lower())
        previous = values.get(slot)
        values[slot] = value if previous is None else [*_as_list(previous), value]
    for name, items in request.headers.items():
        if items:
            values[("header", name.lower())] = items[0]
    for item in (request.headers.get("cookie") or request.headers.get("Cookie") or [""])[0].split(";"):
        name, separator, value = item.strip().partition("=")
        if separator:
            values[("cookie", name.lower())] = value
    return values


def _text(value: Any) -> str | list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _near_boundary(case: Any) -> set[tuple[str, str]]:
    """(in, name) of the parameter a coverage-phase case put next to (or on) one of its bounds."""
    scenario = coverage_scenario(case)
    if scenario not in _NEAR_BOUNDARY:
        return set()
    data = case._meta.phase.data
    if data.parameter is None or data.parameter_location is None:
        return set()
    return {(str(data.parameter_location.value), str(data.parameter))}


def _media_type(response: Any) -> str | None:
    value = (response.headers.get("content-type") or [""])[0]
    return value.split(";", 1)[0].strip().lower() or None
