"""`mockserver verify`: replay each consumer's recorded interactions against a real server.

Each interaction is sent as one concrete request of its kind: path ids from `--param`, else from the
server's own list answers (a warm-up GET per list operation, as `contract` does), else the recorded
example; an interaction that got an error status keeps its recorded id (an id the mock did not know).
The answer must conform to the spec (schemathesis' response checks) and give the consumer what it relied
on: the same status, and every response field it received, with the same JSON type (a null is data, not a
type: whether the spec allows it is the spec check's business). Interactions recorded
in a provider state (a scenario, a named response the consumer asked for) are replayed only when
`--state-setup URL` can put the server in that state.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import httpx
import requests
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mockserver.consumers import kinds
from mockserver.consumers.fields import values_at
from mockserver.consumers.model import ConsumerContract, Interaction, contract_files, load
from mockserver.consumers.recorder import spec_identity
from mockserver.contract.probing import response_json
from mockserver.contract.report import render
from mockserver.contract.results import FailureRecord, RunResult, SentRequest, one_line, sent_request
from mockserver.contract.runner import ContractError, SuitePlan, load_schema, pool_hooks, warm_up
from mockserver.contract.session import (
    ContractOptions,
    exit_code,
    load_target,
    make_context,
    parse_headers,
    parse_params,
    report_error,
    require_base_url,
    require_reachable,
    require_tenant_header,
    resolve_secrets,
    say,
    write_junit_report,
)
from mockserver.foundation.masking import Masker, is_sensitive_header
from mockserver.foundation.problems import LoadError
from mockserver.http.credentials import credential_headers, merge_headers
from mockserver.spec.model import Operation, Spec
from mockserver.validation.checkers import json_type

SPEC_CONFORMANCE = "spec_conformance"
STATUS_RELIED_ON = "status_relied_on"
FIELDS_RELIED_ON = "fields_relied_on"
PROVIDER_STATE = "provider_state"
SPEC_CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
INVALID_VALUE = "not-a-valid-value"  # sent for a credential the consumer sent malformed
MAX_FIELDS_SHOWN = 8
STATE_SETUP_TIMEOUT = 30.0


@dataclass
class VerifyOptions(ContractOptions):
    consumers: list[Path] = field(default_factory=list)  # files, or folders of them
    state_setup: str | None = None  # POSTed {"consumer", "state"} before an interaction that needs a state


def run_verify(options: VerifyOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    masker = Masker()
    try:
        contracts = [load(path) for path in contract_files(options.consumers)]
        if not contracts:
            raise ContractError("--consumer FILE: give at least one consumer contract")
        replay = _Replay.prepare(options, contracts, masker, lambda line: say(err, masker, line))
        result = replay.run()
        print(render(result, masker, title="Verify"), file=out, flush=True)
        if options.junit is not None:
            write_junit_report(options.junit, result, masker, "mockserver verify")
    except (LoadError, ContractError) as error:
        return report_error(error, masker, err)
    return exit_code(result)


@dataclass
class _Replay:
    options: VerifyOptions
    contracts: list[ConsumerContract]
    spec: Spec
    schema: Any
    plan: SuitePlan
    secret_headers: frozenset[str]
    progress: Any
    result: RunResult = field(default_factory=RunResult)

    @classmethod
    def prepare(cls, options: VerifyOptions, contracts: list[ConsumerContract], masker: Masker,
                progress: Any) -> _Replay:
        base_url = require_base_url(options.base_url)
        extra_headers = parse_headers(options.headers, masker)
        params = parse_params(options.params)
        token, tenant, other = resolve_secrets(options, masker, from_environment=True)
        loaded = load_target(options)
        require_tenant_header(loaded.config, tenant, other)
        if options.state_setup is not None:
            require_base_url(options.state_setup)
        headers = merge_headers(credential_headers(loaded.config, loaded.spec, token, tenant), extra_headers)
        context = make_context(loaded, tenant, other, params)
        plan = SuitePlan(contract=context, checks=(), base_url=require_reachable(base_url), headers=headers)
        schema = load_schema(replace(plan, headers={}))  # each replayed request carries its own headers
        pool_hooks(schema, context)
        secret = {rule.header.lower() for rule in loaded.config.auth}
        secret |= {name.lower() for name in headers}
        replay = cls(options, contracts, loaded.spec, schema, plan, frozenset(secret), progress)
        replay.announce()
        warm_up(schema, plan)
        return replay

    def announce(self) -> None:
        identity = spec_identity(self.spec)
        count = sum(len(contract.interactions) for contract in self.contracts)
        self.progress(f"mockserver verify: {count} interaction(s) of {len(self.contracts)} consumer(s) "
                      f"against {self.plan.base_url}")
        for contract in self.contracts:
            if contract.spec.sha256 and contract.spec.sha256 != identity.sha256:
                self.progress(f"  note: {contract.consumer} was recorded against another version of the spec "
                              f"(sha256 {contract.spec.sha256[:12]}, this one {identity.sha256[:12]})")
        states = sorted({(state, contract.consumer) for contract in self.contracts
                         for state in contract.states()})
        if states:
            listed = "; ".join(f"{state} ({consumer})" for state, consumer in states)
            how = "set up through --state-setup" if self.options.state_setup else \
                "give --state-setup URL to replay them"
            self.progress(f"  provider states needed: {listed} ({how})")

    def run(self) -> RunResult:
        skipped: dict[str, int] = {}
        for contract, interaction in self._ordered():
            if interaction.state and self.options.state_setup is None:
                skipped[interaction.state] = skipped.get(interaction.state, 0) + 1
                continue
            self._replay(contract, interaction)
        for state, count in sorted(skipped.items()):
            self.result.notes.append(f"{count} interaction(s) in provider state {state!r} not replayed: "
                                     "give --state-setup URL to prepare the server")
        if not self.result.requests and not self.result.errors:
            self.result.errors.append("no interaction could be replayed")
        return self.result

    def _ordered(self) -> list[tuple[ConsumerContract, Interaction]]:
        """Interactions in no provider state first, and among them those whose paths need no id: their
        answers give ids to the others."""
        pairs = [(contract, interaction) for contract in self.contracts
                 for interactions in contract.operations().values() for interaction in interactions]
        return sorted(pairs, key=lambda pair: (pair[1].state or "", pair[1].operation.count("{"),
                                               pair[0].consumer))

    def _replay(self, contract: ConsumerContract, interaction: Interaction) -> None:
        label = f"{interaction.operation} [{contract.consumer}]"
        operation = self.spec.find_operation(interaction.operation)
        target = self._schema_operation(interaction.operation)
        if operation is None or target is None:
            self.result.errors.append(f"{label}: the spec has no such operation")
            return
        if interaction.state and not self._state(contract, interaction, label, "setup"):
            return
        try:
            sent = self._send(target, operation, interaction, label)
        finally:
            if interaction.state:
                self._state(contract, interaction, label, "teardown")
        if sent is None:
            return
        case, response = sent
        self.result.requests += 1
        self.progress(f"  {label}: {response.status_code} (relied on {interaction.status})")
        request = sent_request(response)
        spec_problems = _spec_problems(case, response)
        self._check(label, SPEC_CONFORMANCE, spec_problems, request, "Answer breaks the spec")
        status_ok = response.status_code == interaction.status
        problem = None if status_ok else (
            f"{contract.consumer} relied on {interaction.status} for this kind of request; "
            f"the server answered {response.status_code}")
        self._check(label, STATUS_RELIED_ON, [problem] if problem else [], request, "Status changed")
        if status_ok:
            self._check(label, FIELDS_RELIED_ON, _field_problems(contract.consumer, interaction, response),
                        request, "Field relied on changed")

    def _send(self, target: Any, operation: Operation, interaction: Interaction,
              label: str) -> tuple[Any, Any] | None:
        """(the case sent, the answer), or None when it could not be sent (an error is recorded)."""
        case = self._case(target, operation, interaction, label)
        if case is None:
            return None
        try:
            return case, case.call()
        except requests.RequestException as error:
            self.result.errors.append(f"{label}: the request failed: {one_line(str(error))}")
            return None

    def _schema_operation(self, key: str) -> Any:
        method, _, path = key.partition(" ")
        try:
            return self.schema[path][method]
        except (KeyError, LookupError):
            return None

    def _state(self, contract: ConsumerContract, interaction: Interaction, label: str, action: str) -> bool:
        """Ask the provider to set up (or tear down) the interaction's state; False when it could not."""
        assert self.options.state_setup is not None
        body = {"consumer": contract.consumer, "state": interaction.state, "action": action,
                "states": [part.strip() for part in (interaction.state or "").split(",")]}
        try:
            answer = httpx.post(self.options.state_setup, json=body, headers=self.plan.headers,
                                timeout=STATE_SETUP_TIMEOUT)
            problem = None if answer.is_success else f"the state setup answered {answer.status_code}"
        except httpx.HTTPError as error:
            problem = f"the state setup failed: {error or type(error).__name__}"
        if action == "setup" or problem is not None:
            problems = [f"{interaction.state} ({action}): {problem}"] if problem else []
            self._check(label, PROVIDER_STATE, problems, None, "Provider state not set up")
        return problem is None

    def _case(self, target: Any, operation: Operation, interaction: Interaction, label: str) -> Any:
        values: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        headers = dict(self.plan.headers)
        for use in interaction.request.parameters:
            secret = use.location == "header" and (use.name.lower() in self.secret_headers
                                                   or is_sensitive_header(use.name))
            if secret:
                headers = _credential(headers, use.name, use.kind,
                                      interaction.examples.get(f"header.{use.name}"))
                continue
            if use.kind == kinds.ABSENT:
                continue
            value = self._value(operation, interaction, use.location, use.name)
            if value is None:
                self.result.errors.append(f"{label}: no value for {use.location} parameter {use.name} "
                                          f"(give --param {use.name}=VALUE)")
                return None
            values[use.location][use.name] = value
        headers.update(values["header"])
        body: dict[str, Any] = {}
        if interaction.request.body_media_type is not None and interaction.body_example is not None:
            body = {"body": interaction.body_example, "media_type": interaction.request.body_media_type}
        return target.Case(path_parameters=values["path"], query=values["query"], headers=headers,
                           cookies=values["cookie"], **body)

    def _value(self, operation: Operation, interaction: Interaction, location: str, name: str) -> Any:
        example = interaction.examples.get(f"{location}.{name}")
        use = interaction.parameter(location, name)
        if use is not None and use.value is not None and example is None:
            value = json.loads(use.value)
            example = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        if location != "path":
            return example
        pool = self.plan.contract.pool
        if interaction.status < 400 and pool.has_values(operation.path, name):
            return pool.first(operation.path, name)
        return example if example is not None else pool.first(operation.path, name)

    def _check(self, label: str, check: str, problems: list[str], sent: SentRequest | None,
               title: str) -> None:
        tally = self.result.tally(label, check)
        if not problems:
            tally.passed += 1
            return
        tally.failed += 1
        for problem in problems:
            self.result.add_failure(FailureRecord(check, label, title, one_line(problem), sent))


def _credential(headers: dict[str, str], name: str, kind: str, example: str | None) -> dict[str, str]:
    """The credential header as the consumer sent it: left out, malformed (as recorded when it was blank),
    or the one given."""
    kept = {key: value for key, value in headers.items() if key.lower() != name.lower()}
    if kind == kinds.ABSENT:
        return kept
    if kind == kinds.INVALID:
        return {**kept, name: INVALID_VALUE if example is None else example}
    return headers


def _spec_problems(case: Any, response: Any) -> list[str]:
    try:
        case.validate_response(response, checks=SPEC_CHECKS)
    except FailureGroup as group:
        return [_failure_text(failure) for failure in group.exceptions]
    except Failure as failure:
        return [_failure_text(failure)]
    return []


def _failure_text(failure: Failure) -> str:
    return f"{failure.title}: {one_line(failure.message)}" if failure.message else failure.title


def _field_problems(consumer: str, interaction: Interaction, response: Any) -> list[str]:
    """The fields `consumer` received that the answer lacks, or holds with another JSON type."""
    if not interaction.fields:
        return []
    is_json, body = response_json(response)
    if not is_json:
        return [f"{consumer} received a JSON body; the answer has none"]
    missing, changed = [], []
    for pointer, types in sorted(interaction.fields.items()):
        has_room, found = values_at(body, pointer)
        if not has_room:
            continue  # its parent is absent or an empty list: nothing to compare
        if not found:
            missing.append(f"{pointer} ({'|'.join(sorted(types))})")
            continue
        # A null where the spec allows one is data, not a change of type (spec_conformance judges the rest).
        other = sorted({json_type(value) for value in found if value is not None} - _compatible(types))
        if other:
            received = "|".join(sorted(types))
            changed.append(f"{pointer or '(body)'} is {'|'.join(other)}, received as {received}")
    problems = []
    if missing:
        problems.append(f"{consumer} received {_listed(missing)}; the answer has no such field")
    if changed:
        problems.append(f"{consumer} relied on the type of {_listed(changed)}")
    return problems


def _compatible(types: set[str]) -> set[str]:
    """JSON types a consumer that received `types` reads the same: a number field takes integers too."""
    return types | {"integer"} if "number" in types else types


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_FIELDS_SHOWN])
    return shown + (f" and {len(items) - MAX_FIELDS_SHOWN} more" if len(items) > MAX_FIELDS_SHOWN else "")
