"""Our contract checks, registered with schemathesis next to its own.

- `auth_enforcement`: the auth rules the mock enforces (config header rules, declared schemes) hold:
  a request without, or with a malformed, token or tenant id gets the documented 401/403, never 2xx.
- `domain_rules`: responses obey the invariants the mock's generator obeys (the fixtures' rules).
- `tenant_isolation`: no record of another tenant ever appears, for the tenant asked for or another.
- `mock_parity` (used by `mockserver diff`): the mock answers the same request with the same status,
  content type and response shape (see `mockserver.contract.parity`).

Each check gets the run's `ContractContext` as its `contract` argument (schemathesis forwards check
configuration to check classes); without one (any other schemathesis run) it skips itself.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure, FailureGroup, Severity

from mockserver.contract.auth_probes import AuthProbe, auth_probes
from mockserver.contract.context import ContractContext
from mockserver.contract.parity import DATA_DEPENDENT, classify, media_type
from mockserver.contract.probing import response_json, send_to_app, send_variant, sent_header, sent_headers
from mockserver.contract.results import FailureRecord, one_line, sent_request
from mockserver.contract.tenancy import foreign_records
from mockserver.generation.rules import RuleContext
from mockserver.http.negotiation import response_key_for
from mockserver.spec.model import Operation

AUTH_ENFORCEMENT = "auth_enforcement"
DOMAIN_RULES = "domain_rules"
TENANT_ISOLATION = "tenant_isolation"
MOCK_PARITY = "mock_parity"
CONTRACT_CHECKS = (AUTH_ENFORCEMENT, DOMAIN_RULES, TENANT_ISOLATION)
MAX_REPORTED_RECORDS = 5


class ContractFailure(Failure):
    """A failure of one of our checks. Failures with the same `kind` are one finding (shown once)."""

    code = "ST950"
    kind_title = "Contract check failed"
    __slots__ = ("kind",)

    def __init__(self, *, operation: str | None, title: str, message: str, kind: str,
                 case_id: str | None = None, severity: Severity = Severity.HIGH) -> None:
        super().__init__(operation=operation, title=title, message=message, case_id=case_id,
                         severity=severity)
        self.kind = kind

    @property
    def _unique_key(self) -> str:
        return f"{self.title}|{self.kind}"


_INDEX = re.compile(r"/\d+(?=/|$)")


def pointer_pattern(pointer: str) -> str:
    """`/items/3/amount` -> `/items/*/amount`: the same place in any item."""
    return _INDEX.sub("/*", pointer)


def _fail(failures: list[Failure]) -> None:
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise FailureGroup(failures, "contract failures")


def _is_success(response: Response) -> bool:
    return 200 <= response.status_code < 300


class _ContractCheck:
    """Base of our checks: holds the run's context; skips (returns True) when there is none."""

    def __init__(self, contract: ContractContext | None = None) -> None:
        self.contract = contract

    def after_response(self, ctx: CheckContext, response: Response, case: Case) -> bool | None:
        if self.contract is None:
            return True
        operation = self.contract.operation_for(case)
        if operation is None:
            return True
        return self.check(self.contract, operation, ctx, response, case)

    def check(self, contract: ContractContext, operation: Operation, ctx: CheckContext,
              response: Response, case: Case) -> bool | None:
        raise NotImplementedError

    def failure(self, case: Case, title: str, message: str, *, kind: str, case_id: str | None = None,
                severity: Severity = Severity.HIGH) -> ContractFailure:
        return ContractFailure(operation=case.operation.label, title=title, message=message, kind=kind,
                               case_id=case_id, severity=severity)


class AuthEnforcement(_ContractCheck):
    """Requests without (or with malformed) credentials get the documented 401/403, never 2xx."""

    def check(self, contract: ContractContext, operation: Operation, ctx: CheckContext,
              response: Response, case: Case) -> bool | None:
        if not _is_success(response):
            return True  # only an accepted request shows what taking its credentials away changes
        probes = auth_probes(contract.spec, operation, contract.config.auth, sent_headers(response))
        if not probes or not contract.take_probe(AUTH_ENFORCEMENT, operation):
            return True
        failures: list[Failure] = []
        for probe in probes:
            variant, answer = send_variant(ctx, case, probe.headers)
            problem = _auth_problem(probe, variant, answer)
            if problem is not None:
                title = "Auth not enforced" if _is_success(answer) else "Wrong answer to bad credentials"
                failures.append(self.failure(case, title, problem, kind=probe.description, case_id=variant.id,
                                             severity=Severity.CRITICAL))
        _fail(failures)
        return None


def _auth_problem(probe: AuthProbe, variant: Case, answer: Response) -> str | None:
    expected, got = probe.expected_status, answer.status_code
    if _is_success(answer):
        return f"a request with {probe.description} was accepted with {got}, expected {expected}"
    if got != expected:
        return f"a request with {probe.description} got {got}, expected {expected}"
    return _documented_body_problem(variant, answer)


def _documented_body_problem(variant: Case, answer: Response) -> str | None:
    """Why `answer` does not match what the spec documents for its status (schemathesis decides)."""
    try:
        variant.operation.validate_response(answer, case=variant)
    except FailureGroup as group:
        first: Failure = group.exceptions[0]
    except Failure as failure:
        first = failure
    else:
        return None
    return f"the {answer.status_code} answer does not match the spec: {one_line(str(first))}"


class DomainRules(_ContractCheck):
    """Responses obey the domain's invariants (the fixtures folder's rules), e.g. totals add up."""

    def check(self, contract: ContractContext, operation: Operation, ctx: CheckContext,
              response: Response, case: Case) -> bool | None:
        if not contract.rules:
            return True
        is_json, body = response_json(response)
        key = response_key_for(operation, response.status_code)
        if not is_json or key is None or _documented_body_problem(case, response) is not None:
            return True  # rules assume a body of the documented shape; other checks report the rest
        context = RuleContext(
            spec=contract.spec, operation=operation, status=key, media_type=media_type(response) or "",
            path=dict(case.path_parameters or {}), query=dict(case.query or {}),
            headers={name.lower(): value for name, value in sent_headers(response).items()},
        )
        violations = contract.rules.check(operation, key, body, context)
        _fail([self.failure(case, "Domain rule broken", str(violation),
                            kind=f"{violation.rule}|{pointer_pattern(violation.pointer)}")
               for violation in violations])
        return None


class TenantIsolation(_ContractCheck):
    """No record of another tenant appears: not for the tenant asked for, nor for a second tenant."""

    def check(self, contract: ContractContext, operation: Operation, ctx: CheckContext,
              response: Response, case: Case) -> bool | None:
        tenancy = contract.tenancy
        if tenancy is None:
            return True
        tenant = sent_header(response, tenancy.header)
        is_json, body = response_json(response)
        if tenant is None or not is_json or not _is_success(response):
            return True
        failures = self._leaks(case, tenancy.field, tenant, body, None)
        other = contract.other_tenant
        if other is not None and other != tenant and contract.take_probe(TENANT_ISOLATION, operation):
            headers = {key: value for key, value in sent_headers(response).items()
                       if key.lower() != tenancy.header.lower()}
            variant, answer = send_variant(ctx, case, {**headers, tenancy.header: other})
            is_json, body = response_json(answer)
            if is_json and _is_success(answer):
                failures += self._leaks(case, tenancy.field, other, body, variant.id)
        _fail(failures)
        return None

    def _leaks(self, case: Case, field: str, tenant: str, body: Any, case_id: str | None) -> list[Failure]:
        found = list(foreign_records(body, field, tenant))
        if not found:
            return []
        shown = ", ".join(f"{pointer} ({field}={value})" for pointer, value in found[:MAX_REPORTED_RECORDS])
        more = f" and {len(found) - MAX_REPORTED_RECORDS} more" if len(found) > MAX_REPORTED_RECORDS else ""
        message = f"asked as {field}={tenant}, got {len(found)} record(s) of another tenant: {shown}{more}"
        kind = "|".join(sorted({pointer_pattern(pointer) for pointer, _ in found}))
        return [self.failure(case, "Another tenant's records leaked", message, kind=kind, case_id=case_id,
                             severity=Severity.CRITICAL)]


class MockParity(_ContractCheck):
    """The mock answers the same request like the server: same status, content type and shape. The mock is
    asked as itself (its credentials, its ids); data-dependent differences are set aside, not failed."""

    def check(self, contract: ContractContext, operation: Operation, ctx: CheckContext,
              response: Response, case: Case) -> bool | None:
        target = contract.mock
        if target is None:
            return True
        path = {name: target.path_value(contract.pool, case.operation.path, name, value)
                for name, value in (case.path_parameters or {}).items()}
        mock = send_to_app(ctx, case, target.headers_for(sent_headers(response)), target.app, target.base_url,
                           path_parameters=path)
        differences = classify(response, mock, operation, contract.spec)
        failing = [difference for difference in differences
                   if difference.kind != DATA_DEPENDENT or contract.fail_on_data_dependent]
        apart = [difference for difference in differences if difference not in failing]
        if apart:
            contract.set_aside_difference(FailureRecord(
                MOCK_PARITY, case.operation.label, "Data-dependent difference",
                "; ".join(map(str, apart)), sent_request(response)))
        if failing:
            kind = "|".join(pointer_pattern(str(difference)) for difference in failing)
            raise self.failure(case, "Mock and server disagree", "; ".join(map(str, failing)), kind=kind,
                               severity=Severity.MEDIUM)
        return None


def _register(name: str, cls: type[_ContractCheck]) -> type[_ContractCheck]:
    """Register `cls` under the snake_case `name` that reports and `--checks` use."""
    named = type(name, (cls,), {"__doc__": cls.__doc__, "__module__": __name__})
    schemathesis.check(named)
    return named


auth_enforcement = _register(AUTH_ENFORCEMENT, AuthEnforcement)
domain_rules = _register(DOMAIN_RULES, DomainRules)
tenant_isolation = _register(TENANT_ISOLATION, TenantIsolation)
mock_parity = _register(MOCK_PARITY, MockParity)
