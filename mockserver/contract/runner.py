"""Running the schemathesis engine (in-process, its Python API) with our checks, ids and credentials.

A `SuitePlan` says what to run against what: the merged spec the mock serves, a base URL or an
in-process ASGI app, the headers to send (credentials included), the checks, and generation settings.
Before the engine starts, a warm-up sends one plain GET to each operation it can fill in, so that ids
are known before the first generated request; during the run, every answer adds ids to the pool, and
path parameters of generated requests are swapped for real ids (except where the stateful phase chains
requests through links: see `mockserver.contract.stateful`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.errors
import requests
import schemathesis
from schemathesis import Case, HookContext, Response
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import ConfigError, SchemathesisConfig
from schemathesis.core.errors import LoaderError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok
from schemathesis.engine import Status, events, from_schema
from schemathesis.generation.meta import TestPhase

from mockserver.contract import checks as contract_checks
from mockserver.contract.context import ContractContext
from mockserver.contract.coverage import CoverageCollector
from mockserver.contract.document import schemathesis_document
from mockserver.contract.probing import response_json
from mockserver.contract.results import FailureRecord, RunResult, one_line
from mockserver.contract.stateful import CreatedResources, StatefulSummary
from mockserver.spec.model import Operation

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_RESPONSE_TIME_CHECK = "max_response_time"
WARM_UP_ROUNDS = 3
# Hypothesis' health checks stop an operation's run when generation is slow or filters much (e.g. negative
# values for a parameter that admits almost anything): relaxed, so the run goes on with what it generates.
RELAXED_HEALTH_CHECKS = ["filter_too_much", "too_slow", "data_too_large", "large_base_example"]
# The stateful phase follows the links the spec declares and those schemathesis infers from both sources.
LINK_INFERENCE = ["location-headers", "dependency-analysis"]
STATEFUL_PHASE = "stateful"

Progress = Callable[[str], None]


class ContractError(Exception):
    """The run cannot start or cannot go on: bad usage, an invalid spec, an unreachable server."""


def builtin_check_names() -> list[str]:
    """Schemathesis' own checks, `max_response_time` included (other registered checks are left out)."""
    load_all_checks()
    names = [check.__name__ for check in CHECKS.get_all() if check.__module__.startswith("schemathesis.")]
    return [*sorted(names), MAX_RESPONSE_TIME_CHECK]


def contract_check_names() -> list[str]:
    """Every check `mockserver contract` runs by default: schemathesis' own, then ours."""
    return [*builtin_check_names(), *contract_checks.CONTRACT_CHECKS]


@dataclass
class SuitePlan:
    contract: ContractContext
    checks: tuple[str, ...]
    base_url: str | None = None
    app: Any = None  # an in-process ASGI app instead of a base URL
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "all"
    max_examples: int | None = None
    seed: int | None = None
    max_response_time: float | None = None
    workers: int = 1
    phases: tuple[str, ...] = ALL_PHASES
    coverage: CoverageCollector | None = None  # what the run exercised, when asked


def run_suite(plan: SuitePlan, progress: Progress) -> RunResult:
    """Run the engine to completion; raises ContractError when it cannot run at all."""
    if plan.seed is None:
        plan.seed = random.randrange(2**32)
    progress(f"seed {plan.seed} (rerun with --seed {plan.seed})")
    schema = load_schema(plan)
    pool_hooks(schema, plan.contract)
    warm_up(schema, plan)
    return _execute(schema, plan, progress)


def load_schema(plan: SuitePlan) -> Any:
    try:
        config = SchemathesisConfig.from_dict(_config_data(plan))
        document = schemathesis_document(plan.contract.spec.document)
        schema = schemathesis.openapi.from_dict(document, config=config)
    except (ConfigError, LoaderError) as error:
        raise ContractError(str(error)) from None
    if plan.app is not None:
        schema.app = plan.app
    for name in plan.checks:
        if name in contract_checks.CONTRACT_CHECKS or name == contract_checks.MOCK_PARITY:
            schema.config.checks.custom_kwargs[name] = {"contract": plan.contract}
    return schema


def _config_data(plan: SuitePlan) -> dict[str, Any]:
    known = [*contract_check_names(), contract_checks.MOCK_PARITY]
    checks: dict[str, Any] = {
        name: {"enabled": name in plan.checks} for name in known if name != MAX_RESPONSE_TIME_CHECK
    }
    if MAX_RESPONSE_TIME_CHECK in plan.checks and plan.max_response_time:
        checks[MAX_RESPONSE_TIME_CHECK] = plan.max_response_time
    generation: dict[str, Any] = {"mode": plan.mode, "database": "none"}
    if plan.max_examples is not None:
        generation["max-examples"] = plan.max_examples
    data: dict[str, Any] = {
        "headers": dict(plan.headers),
        "workers": plan.workers,
        "continue-on-failure": True,
        "cache": {"enabled": False},
        "output": {"sanitization": {"enabled": False}},
        "warnings": False,
        "suppress-health-check": RELAXED_HEALTH_CHECKS,
        "generation": generation,
        "phases": _phases_config(plan.phases, plan.mode),
        "checks": checks,
    }
    if plan.base_url is not None:
        data["base-url"] = plan.base_url
    if plan.seed is not None:
        data["seed"] = plan.seed
    return data


def _phases_config(phases: tuple[str, ...], mode: str) -> dict[str, Any]:
    """Each phase on or off. The stateful phase chains valid requests only: an invalid one in a chain
    creates nothing for the next to follow (and schemathesis' mixed mode, drawing from its smallest values
    first, makes most of a short run's chains invalid); so with `--mode negative` it does not run."""
    config: dict[str, Any] = {phase: {"enabled": phase in phases} for phase in ALL_PHASES}
    config[STATEFUL_PHASE] = {
        "enabled": STATEFUL_PHASE in phases and mode != "negative",
        "generation": {"mode": "positive"},
        "inference": {"algorithms": LINK_INFERENCE},
    }
    return config


def pool_hooks(schema: Any, contract: ContractContext) -> None:
    """Harvest ids from every answer; give generated requests real ids for their path parameters (but for
    the stateful phase's requests to what a POST creates, which keep what schemathesis chose)."""
    pool = contract.pool
    created = CreatedResources(contract.spec)

    def harvest_ids(context: HookContext, case: Case, response: Response) -> None:
        if contract.harvest_ids and 200 <= response.status_code < 300:
            is_json, body = response_json(response)
            if is_json:
                pool.harvest(case.operation.path, body)

    def use_real_ids(context: HookContext, case: Case) -> Case:
        meta = case.meta
        if meta is not None and meta.is_negative_at(ParameterLocation.PATH):
            return case
        if meta is not None and meta.phase.name == TestPhase.STATEFUL and \
                created.written_by_post(case.operation.path):
            return case
        for name, value in list((case.path_parameters or {}).items()):
            chosen = pool.choose(case.operation.path, name, value)
            if chosen is not None:
                case.path_parameters[name] = chosen
        return case

    schema.hook("after_call")(harvest_ids)
    schema.hook("map_case")(use_real_ids)


def warm_up(schema: Any, plan: SuitePlan) -> None:
    """One plain GET per operation whose path parameters can be filled, until no new one can be."""
    if not plan.contract.harvest_ids:
        return
    pending = [
        operation for operation in _operations(schema) if operation.method.upper() == "GET"
    ]
    for _ in range(WARM_UP_ROUNDS):
        sent = [operation for operation in pending if _warm_up_call(operation, plan)]
        pending = [operation for operation in pending if operation not in sent]
        if not sent or not pending:
            return


def warm_up_mock(plan: SuitePlan) -> None:
    """The warm-up GETs sent to an in-process app (the mock `diff` compares with), harvesting its ids into
    `plan.contract.pool` in the order the server's are: the n-th id of a list on each side correspond."""
    schema = load_schema(plan)
    pool_hooks(schema, plan.contract)
    warm_up(schema, plan)


def _operations(schema: Any) -> list[Any]:
    """The operations schemathesis could read (the others it reports itself during the run)."""
    return [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]


def _warm_up_call(operation: Any, plan: SuitePlan) -> bool:
    ours = plan.contract.spec.find_operation(f"{operation.method.upper()} {operation.path}")
    if ours is None:
        return False
    path = _path_values(ours, plan.contract)
    query = _required_query(ours)
    if path is None or query is None:
        return False
    case = operation.Case(path_parameters=path, query=query)
    try:
        case.call(headers=dict(plan.headers))
    except requests.RequestException:
        return False
    return True


def _path_values(operation: Operation, contract: ContractContext) -> dict[str, str] | None:
    values = {}
    for parameter in operation.parameters:
        if parameter.location == "path":
            value = contract.pool.first(operation.path, parameter.name)
            if value is None:
                return None
            values[parameter.name] = value
    return values


def _required_query(operation: Operation) -> dict[str, Any] | None:
    """A value for each required query parameter (its default, example or first enum value)."""
    values: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.location != "query" or not parameter.required:
            continue
        value = _known_value(parameter.schema)
        if value is None:
            return None
        values[parameter.name] = value
    return values


def _known_value(schema: dict[str, Any]) -> Any:
    for key in ("default", "const"):
        if schema.get(key) is not None:
            return schema[key]
    for key in ("examples", "enum"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return options[0]
    return None


def _is_generation_limit(error: Exception) -> bool:
    """Hypothesis gave up on generating inputs (a health check, or nothing satisfied the schema)."""
    return isinstance(error, hypothesis.errors.FailedHealthCheck | hypothesis.errors.Unsatisfiable)


def _phase(event: events.NonFatalError) -> str:
    return f"{event.phase.value} phase: " if event.phase is not None else ""


def _why(error: Exception) -> str:
    if isinstance(error, hypothesis.errors.FailedHealthCheck):
        return "too many generated values were filtered out or too slow to generate"
    return "no generated value satisfied the schema"


@dataclass
class _ProgressReport:
    """Progress lines as the engine reports events: each phase, then each operation's scenario."""

    progress: Progress
    result: RunResult

    def __call__(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.PhaseStarted):
            if event.phase.name.value in ALL_PHASES and event.phase.is_enabled and event.operations is None:
                self.progress(f"{event.phase.name.value} phase{_links(event.payload)}")
        elif isinstance(event, events.ScenarioFinished):
            sent = len(event.recorder.interactions)
            if event.label and event.status != Status.SKIP:
                self.progress(f"  {event.label}: {sent} request(s), {event.status.value}")
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value == STATEFUL_PHASE:
            summary = self.result.stateful
            if summary is not None and summary.scenarios:
                self.progress(f"  {summary.scenarios} scenario(s), {summary.requests} request(s), "
                              f"{len(summary.followed)} link(s) followed")


def _links(payload: Any) -> str:
    """`: 6 links (3 inferred)` for the stateful phase; nothing for the others."""
    if not isinstance(payload, events.StatefulPhasePayload):
        return ""
    inferred = f" ({payload.inferred_transitions} inferred)" if payload.inferred_transitions else ""
    return f": {payload.transitions_total} link(s) between operations{inferred}"


def _record_stateful(result: RunResult, event: events.EngineEvent) -> None:
    """Keep what the stateful phase did: the links it had at its start, each scenario it ran."""
    if isinstance(event, events.PhaseStarted) and isinstance(event.payload, events.StatefulPhasePayload):
        if result.stateful is None:
            result.stateful = StatefulSummary()
        # A repeated pass infers again and finds nothing new: keep the largest counts.
        result.stateful.links = max(result.stateful.links, event.payload.transitions_total)
        result.stateful.inferred = max(result.stateful.inferred, event.payload.inferred_transitions)
    elif isinstance(event, events.ScenarioFinished) and event.phase.value == STATEFUL_PHASE and \
            result.stateful is not None and event.recorder.interactions:
        result.stateful.add_scenario(event.recorder)


def _execute(schema: Any, plan: SuitePlan, progress: Progress) -> RunResult:
    result = RunResult()
    report = _ProgressReport(progress, result)
    for event in from_schema(schema).execute():
        _record_stateful(result, event)
        report(event)
        if isinstance(event, events.ScenarioFinished):
            result.add_scenario(event.recorder)
            if plan.coverage is not None:
                plan.coverage.add_scenario(event.recorder)
        elif isinstance(event, events.NonFatalError) and _is_generation_limit(event.value):
            note = (f"{event.label}: {_phase(event)}inputs hypothesis could not generate were skipped "
                    f"({_why(event.value)})")
            result.notes.append(note)
            progress(f"  {note}")
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.title}: {event.info.message}".strip())
        elif isinstance(event, events.FatalError):
            raise ContractError(f"schemathesis stopped: {event.exception}")
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:  # from checks that judge the whole run
                operation = failure.operation or "-"
                record = FailureRecord("run", operation, failure.title, one_line(failure.message))
                result.add_failure(record, identity=failure)
    return result
