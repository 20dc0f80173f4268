"""`mockserver contract` and `mockserver diff` from options to exit code.

Loads the spec, config and rules the mock would load, resolves credentials (flags, else environment
variables), picks the target (a base URL that must answer, or the mock in-process), runs the suite
and writes the reports. Exit codes: 0 no failure, 1 contract failures (or disagreements), 2 usage
errors, invalid spec or config, unreachable server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from mockserver.contract import checks as contract_checks
from mockserver.contract import mock_target
from mockserver.contract.context import ContractContext, MockTarget
from mockserver.contract.coverage import CoverageCollector, CoverageReport, ThresholdError, parse_thresholds
from mockserver.contract.coverage_report import coverage_table, junit_suite, write_coverage
from mockserver.contract.report import Rebase, render, write_junit
from mockserver.contract.results import RunResult
from mockserver.contract.runner import (
    ALL_PHASES,
    ContractError,
    SuitePlan,
    contract_check_names,
    run_suite,
    warm_up_mock,
)
from mockserver.foundation.config import MockConfig, load_config
from mockserver.foundation.masking import (
    OTHER_TENANT_VARIABLE,
    TENANT_VARIABLE,
    TOKEN_VARIABLE,
    Masker,
)
from mockserver.foundation.problems import LoadError
from mockserver.http.credentials import credential_headers, merge_headers
from mockserver.spec import load_spec
from mockserver.spec.model import Spec

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_ERROR = 2
SERVE_ORIGIN = "http://127.0.0.1:4010"  # where `mockserver serve` listens by default
DEFAULT_MAX_RESPONSE_TIME = 2.0
REACHABILITY_TIMEOUT = 10.0


@dataclass
class ContractOptions:
    spec: Path = Path("openapi")
    fixtures: Path | None = None
    base_url: str | None = None
    self_test: bool = False
    headers: list[str] = field(default_factory=list)  # "Name: value"
    checks: str = "all"
    mode: str = "all"
    max_examples: int | None = None
    seed: int | None = None
    max_response_time: float | None = DEFAULT_MAX_RESPONSE_TIME
    params: list[str] = field(default_factory=list)  # "NAME=VALUE"
    junit: Path | None = None
    workers: int = 1
    token: str | None = None
    tenant: str | None = None
    other_tenant: str | None = None
    phases: str = "all"
    coverage_report: Path | None = None  # write coverage as PATH.json and PATH.html
    min_coverage: str | None = None  # "operations=100,statuses=80": fail below these percentages
    mock_tenant: str | None = None  # diff: the tenant the mock is asked as (default: the fixtures' first)
    fail_on_data_dependent: bool = False  # diff: data-dependent differences fail the run too


@dataclass
class Loaded:
    spec: Spec
    config: MockConfig
    rules: Any


def run_contract(options: ContractOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`mockserver contract`: the suite against a base URL, or against the mock with `--self`."""
    return _main(_contract_plan, options, out or sys.stdout, err or sys.stderr, title="Contract",
                 coverage=True)


def run_diff(options: ContractOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """`mockserver diff`: the same generated requests to the server and to the mock, compared."""
    return _main(_diff_plan, options, out or sys.stdout, err or sys.stderr, title="Diff",
                 failures_label="Disagreements",
                 apart_label="Data-dependent differences (not failing; --fail-on-data-dependent to fail)")


def _main(
    make_plan: Callable[[ContractOptions, Masker], SuitePlan], options: ContractOptions, out: TextIO,
    err: TextIO, *, title: str, failures_label: str = "Failures", apart_label: str = "Reported apart",
    coverage: bool = False,
) -> int:
    masker = Masker()
    report: CoverageReport | None = None
    try:
        thresholds = _thresholds(options.min_coverage)
        plan = make_plan(options, masker)
        if coverage:
            plan.coverage = CoverageCollector(plan.contract.spec)
        target = plan.base_url or "the mock (in-process)"
        operations = len(plan.contract.spec.operations)
        say(err, masker, f"mockserver {title.lower()}: {operations} operation(s) against {target}")
        result = run_suite(plan, lambda line: say(err, masker, line))
        for record in plan.contract.set_aside:
            result.add_apart(record)
        rebase = (mock_target.SUITE_ORIGIN, SERVE_ORIGIN) if plan.base_url is None else None
        text = render(result, masker, title=title, failures_label=failures_label, apart_label=apart_label,
                      rebase=rebase)
        print(text, file=out, flush=True)
        if plan.coverage is not None:
            report = plan.coverage.report(thresholds)
            print("\n" + masker.mask(coverage_table(report)), file=out, flush=True)
            if options.coverage_report is not None:
                _write_coverage(options.coverage_report, report, masker, err, title)
        if options.junit is not None:
            extra = [junit_suite(report)] if report is not None else []
            write_junit_report(options.junit, result, masker, f"mockserver {title.lower()}", extra, rebase)
    except (LoadError, ContractError) as error:
        return report_error(error, masker, err)
    code = exit_code(result)
    if code == EXIT_OK and report is not None and report.below():
        below = ", ".join(f"{metric} {reached:.1f}% < {minimum:g}%" for metric, (reached, minimum)
                          in report.below().items())
        print(f"FAILED: coverage below the minimum: {below}", file=out, flush=True)
        return EXIT_FAILURES
    return code


def _thresholds(text: str | None) -> dict[str, float]:
    try:
        return parse_thresholds(text)
    except ThresholdError as error:
        raise ContractError(str(error)) from None


def say(stream: TextIO, masker: Masker, line: str) -> None:
    print(masker.mask(line), file=stream, flush=True)


def report_error(error: LoadError | ContractError, masker: Masker, err: TextIO) -> int:
    """Say why a run could not happen (one line per problem, secrets masked); its exit status."""
    if isinstance(error, LoadError):
        for problem in error.problems:
            say(err, masker, f"mockserver: error: {problem}")
    else:
        say(err, masker, f"mockserver: error: {error}")
    return EXIT_ERROR


def write_junit_report(path: Path, result: RunResult, masker: Masker, suite_name: str,
                 extra_suites: list[Any] | None = None, rebase: Rebase | None = None) -> None:
    try:
        write_junit(path, result, masker, suite_name=suite_name, extra_suites=extra_suites or [],
                    rebase=rebase)
    except OSError as error:
        raise ContractError(f"--junit {path}: cannot write the report: {error.strerror or error}") from None


def _write_coverage(path: Path, report: CoverageReport, masker: Masker, err: TextIO, title: str) -> None:
    try:
        written = write_coverage(path, report, title=f"mockserver {title.lower()}: coverage")
    except OSError as error:
        raise ContractError(f"--coverage-report {path}: cannot write the report: "
                            f"{error.strerror or error}") from None
    say(err, masker, f"coverage report written: {written[0]}, {written[1]}")


def exit_code(result: RunResult) -> int:
    if result.failures:
        return EXIT_FAILURES
    if result.errors or not result.requests:
        return EXIT_ERROR
    return EXIT_OK


# --- plans ---------------------------------------------------------------------------------------


@dataclass
class _Inputs:
    """The options that need no spec, checked before anything is loaded or started."""

    headers: dict[str, str]
    params: list[tuple[str, str]]
    checks: tuple[str, ...]
    phases: tuple[str, ...]


def _inputs(options: ContractOptions, masker: Masker, checks: tuple[str, ...] | None = None) -> _Inputs:
    if options.max_examples is not None and options.max_examples < 1:
        raise ContractError("--max-examples must be at least 1")
    if options.workers < 1:
        raise ContractError("--workers must be at least 1")
    if options.mode not in ("positive", "negative", "all"):
        raise ContractError("--mode must be positive, negative or all")
    phases = _selected_phases(options.phases)
    if options.mode == "negative" and phases == ("stateful",):
        raise ContractError("the stateful phase sends valid requests only: with --mode negative, choose "
                            "another phase (--phases examples,coverage,fuzzing)")
    return _Inputs(headers=parse_headers(options.headers, masker), params=parse_params(options.params),
                   checks=checks or _selected_checks(options.checks), phases=phases)


def _contract_plan(options: ContractOptions, masker: Masker) -> SuitePlan:
    if options.self_test == (options.base_url is not None):
        raise ContractError("give exactly one of --base-url URL and --self")
    inputs = _inputs(options, masker)
    if options.self_test:
        return _self_plan(options, inputs, masker)
    base_url = require_base_url(options.base_url)
    token, tenant, other = resolve_secrets(options, masker, from_environment=True)
    loaded = load_target(options)
    require_tenant_header(loaded.config, tenant, other)
    headers = merge_headers(credential_headers(loaded.config, loaded.spec, token, tenant), inputs.headers)
    context = make_context(loaded, tenant, other, inputs.params)
    return _plan(options, inputs, context, headers, base_url=require_reachable(base_url))


def _self_plan(options: ContractOptions, inputs: _Inputs, masker: Masker) -> SuitePlan:
    token, tenant, other = resolve_secrets(options, masker, from_environment=False)
    loaded = load_target(options)
    require_tenant_header(loaded.config, tenant, other)
    app = mock_target.build_mock(loaded.spec, options.fixtures, seed=options.seed or 0)
    data = mock_target.mock_data(options.fixtures)
    known = [value for value in data.tenants if value not in (tenant, other)]
    tenant = tenant or (known.pop(0) if known else None)
    other = other or (known.pop(0) if known else None)
    headers = merge_headers(mock_target.mock_headers(app, token, tenant), inputs.headers)
    context = make_context(loaded, tenant, other, inputs.params)
    data.seed(context.pool, tenant)
    return _plan(options, inputs, context, headers, app=app)


def _diff_plan(options: ContractOptions, masker: Masker) -> SuitePlan:
    """The server under test as usual (its ids harvested from its answers); the mock asked as itself: its
    own tenant and credentials, and for each server id the mock's id at the same place in its lists."""
    inputs = _inputs(options, masker, checks=(contract_checks.MOCK_PARITY,))
    base_url = require_base_url(options.base_url)
    token, tenant, other = resolve_secrets(options, masker, from_environment=True)
    loaded = load_target(options)
    require_tenant_header(loaded.config, tenant, other)
    credentials = credential_headers(loaded.config, loaded.spec, token, tenant)
    headers = merge_headers(credentials, inputs.headers)
    base_url = require_reachable(base_url)
    app = mock_target.build_mock(loaded.spec, options.fixtures, seed=options.seed or 0)
    data = mock_target.mock_data(options.fixtures)
    mock_tenant = options.mock_tenant or (data.tenants[0] if data.tenants else tenant)
    mock_headers = mock_target.mock_headers(app, None, mock_tenant)
    context = make_context(loaded, tenant, other, inputs.params)
    context.fail_on_data_dependent = options.fail_on_data_dependent
    context.mock = MockTarget(app, mock_target.mock_base_url(app), credentials=mock_headers,
                              replaced={name.lower(): value for name, value in credentials.items()})
    mock_context = make_context(loaded, mock_tenant, None, [])
    mock_context.pool = context.mock.pool
    warm_up_mock(SuitePlan(contract=mock_context, checks=(), app=app,
                           headers=merge_headers(mock_headers, inputs.headers)))
    data.seed(mock_context.pool, mock_tenant)  # ids no list leads to, after the listed ones
    return _plan(options, inputs, context, headers, base_url=base_url)


def _plan(
    options: ContractOptions, inputs: _Inputs, context: ContractContext, headers: dict[str, str],
    *, base_url: str | None = None, app: Any = None,
) -> SuitePlan:
    return SuitePlan(
        contract=context, checks=inputs.checks, base_url=base_url, app=app, headers=headers,
        mode=options.mode, max_examples=options.max_examples, seed=options.seed, workers=options.workers,
        max_response_time=options.max_response_time or None, phases=inputs.phases,
    )


# --- pieces --------------------------------------------------------------------------------------


def load_target(options: ContractOptions) -> Loaded:
    spec = load_spec(options.spec, validate=False, strict=False)
    fixtures = options.fixtures if options.fixtures is not None and options.fixtures.is_dir() else None
    if options.fixtures is not None and fixtures is None:
        raise ContractError(f"--fixtures {options.fixtures}: no such folder")
    config, _ = load_config(fixtures)
    return Loaded(spec, config, _load_rules(fixtures))


def _load_rules(fixtures: Path | None) -> Any:
    if fixtures is None:
        return None
    from mockserver.generation.rules import load_rules

    return load_rules(fixtures)


def make_context(loaded: Loaded, tenant: str | None, other: str | None,
             params: list[tuple[str, str]]) -> ContractContext:
    context = ContractContext(spec=loaded.spec, config=loaded.config, rules=loaded.rules, tenant=tenant,
                              other_tenant=other)
    for name, value in params:
        context.pool.give(name, value)
    return context


def resolve_secrets(options: ContractOptions, masker: Masker, *,
                    from_environment: bool) -> tuple[str | None, ...]:
    def pick(flag: str | None, variable: str) -> str | None:
        value = flag if flag else (os.environ.get(variable) if from_environment else None)
        value = value.strip() if value else None
        masker.add_variable(value, variable)
        return value or None

    return (pick(options.token, TOKEN_VARIABLE), pick(options.tenant, TENANT_VARIABLE),
            pick(options.other_tenant, OTHER_TENANT_VARIABLE))


def require_tenant_header(config: MockConfig, tenant: str | None, other: str | None) -> None:
    if (tenant or other) and not config.tenant_header:
        raise ContractError("a tenant was given but the mock config names no `tenant_header` "
                            "(add it to mockserver.yaml in the fixtures folder)")


def require_base_url(base_url: str | None) -> str:
    if not base_url:
        raise ContractError("--base-url URL is required")
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ContractError(f"--base-url {base_url!r} is not an http(s) URL")
    return base_url.rstrip("/")


def require_reachable(base_url: str) -> str:
    try:
        httpx.get(base_url, timeout=REACHABILITY_TIMEOUT)
    except httpx.HTTPError as error:
        raise ContractError(f"cannot reach {base_url}: {error or type(error).__name__}") from None
    return base_url


def _selected_checks(value: str) -> tuple[str, ...]:
    available = contract_check_names()
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or names == ["all"]:
        return tuple(available)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ContractError(f"unknown check(s): {', '.join(unknown)}; available: all, {', '.join(available)}")
    return tuple(dict.fromkeys(names))


def _selected_phases(value: str) -> tuple[str, ...]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or names == ["all"]:
        return ALL_PHASES
    unknown = [name for name in names if name not in ALL_PHASES]
    if unknown:
        available = ", ".join(ALL_PHASES)
        raise ContractError(f"unknown phase(s): {', '.join(unknown)}; available: all, {available}")
    return tuple(dict.fromkeys(names))


def parse_headers(values: list[str], masker: Masker) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw in values:
        name, separator, value = raw.partition(":")
        if not separator or not name.strip() or " " in name.strip():
            raise ContractError(f"--header {raw!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    masker.add_headers(headers)
    return headers


def parse_params(values: list[str]) -> list[tuple[str, str]]:
    params = []
    for raw in values:
        name, separator, value = raw.partition("=")
        name = name.strip().removeprefix("path.")
        if not separator or not name or not value:
            raise ContractError(f"--param {raw!r}: expected NAME=VALUE")
        params.append((name, value))
    return params
