"""Fixture sets: the base set (files without `scenario`) and one set per scenario, compiled and checked.

A scenario's named responses come before the base ones. Its collections replace the base collections
of the same name (keeping their `key` and `tenant` unless it sets them), its bindings replace the base
bindings of the same operation, and its tenants replace the base tenants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mockserver.datasets import Dataset, DatasetDefinition, HookLoader, Located, compile_dataset
from mockserver.fixture_files.checks import check_named_response
from mockserver.fixture_files.models import BASE_SET_NAME, Collection
from mockserver.fixture_files.named import CompiledResponse, by_specificity, compile_response
from mockserver.fixture_files.reading import LoadedFile, read_fixture_files
from mockserver.foundation.problems import LoadError, Problem, join_pointer
from mockserver.http.negotiation import NegotiationError
from mockserver.spec.model import Spec


@dataclass
class FixtureSet:
    """The base set or one scenario: its named responses and its (overlaid) dataset."""

    name: str | None
    description: str = ""
    delay_ms: int = 0
    fault: str | None = None
    responses: dict[str, list[CompiledResponse]] = field(default_factory=dict)  # by operation key, best first
    dataset: Dataset | None = None

    def named(self, operation_key: str, name: str) -> CompiledResponse | None:
        return next((r for r in self.responses.get(operation_key, ()) if r.name == name), None)


@dataclass
class FixtureSets:
    base: FixtureSet
    scenarios: dict[str, FixtureSet]

    @property
    def scenario_names(self) -> list[str]:
        return sorted(self.scenarios)

    @property
    def tenants(self) -> tuple[str, ...]:
        """The tenant ids the base set declares, in file order (none when it declares no tenants)."""
        dataset = self.base.dataset
        return dataset.scope.declared if dataset is not None else ()

    def active(self, scenario: str | None) -> tuple[FixtureSet, ...]:
        """The sets to consult, first first; raises NegotiationError for an unknown scenario."""
        if scenario is None or scenario == BASE_SET_NAME:
            return (self.base,)
        chosen = self.scenarios.get(scenario)
        if chosen is None:
            choices = [BASE_SET_NAME, *self.scenario_names]
            raise NegotiationError(400, f"unknown scenario {scenario!r}", choices)
        return chosen, self.base


def load_fixture_sets(spec: Spec, fixtures_dir: Path | None, tenant_header: str | None) -> FixtureSets:
    """Read, compile and check every fixture file; raises LoadError listing every problem."""
    files: list[LoadedFile] = []
    problems: list[Problem] = []
    if fixtures_dir is not None:
        files, problems = read_fixture_files(fixtures_dir)
    hooks = HookLoader(fixtures_dir) if fixtures_dir is not None else None
    sets, found = build_fixture_sets(spec, files, tenant_header, hooks)
    problems += found
    if problems:
        raise LoadError(problems)
    return sets


def build_fixture_sets(spec: Spec, files: list[LoadedFile], tenant_header: str | None,
                       hooks: HookLoader | None) -> tuple[FixtureSets, list[Problem]]:
    """Group files into the base set and scenarios, compile and check them; returns every problem."""
    problems: list[Problem] = []
    groups: dict[str | None, list[LoadedFile]] = {}
    for file in files:
        groups.setdefault(file.content.scenario, []).append(file)
    base_files = groups.pop(None, [])
    base_definition = _overlay(spec, base_files, DatasetDefinition(), problems)
    base = _fixture_set(spec, None, base_files, problems)
    base.dataset = _compile(spec, base_definition, tenant_header, hooks, problems)
    scenarios: dict[str, FixtureSet] = {}
    for name in sorted(name for name in groups if name is not None):  # only scenario names are left
        scenario = _fixture_set(spec, name, groups[name], problems)
        scenario.dataset = base.dataset
        if any(_defines_dataset(file) for file in groups[name]):
            definition = _overlay(spec, groups[name], base_definition, problems)
            scenario.dataset = _compile(spec, definition, tenant_header, hooks, problems)
        scenarios[str(name)] = scenario
    return FixtureSets(base, scenarios), _distinct(problems)


def _fixture_set(spec: Spec, name: str | None, files: list[LoadedFile],
                 problems: list[Problem]) -> FixtureSet:
    fixture_set = FixtureSet(name)
    fixture_set.description = next((f.content.description for f in files if f.content.description), "")
    fixture_set.delay_ms = max((file.content.delay_ms for file in files), default=0)
    fixture_set.fault = next((file.content.fault for file in files if file.content.fault), None)
    first_at: dict[tuple[str, str], str] = {}
    compiled: dict[str, list[CompiledResponse]] = {}
    for file in files:
        for index, fixture in enumerate(file.content.responses):
            found = check_named_response(spec, file, index, fixture)
            problems += found
            operation = spec.find_operation(fixture.operation)
            if found or operation is None:
                continue
            identity = (operation.key, fixture.name)
            if identity in first_at:
                problems.append(Problem(file.display, f"/responses/{index}/name",
                                        f"response {fixture.name!r} of {operation.key} is defined twice "
                                        f"(first in {first_at[identity]})"))
                continue
            order = len(first_at)
            first_at[identity] = f"{file.display}#/responses/{index}"
            compiled.setdefault(operation.key, []).append(compile_response(operation, fixture, order))
    fixture_set.responses = {key: by_specificity(responses) for key, responses in compiled.items()}
    return fixture_set


def _defines_dataset(file: LoadedFile) -> bool:
    content = file.content
    return content.tenants is not None or bool(content.collections) or bool(content.bindings)


def _overlay(spec: Spec, files: list[LoadedFile], base: DatasetDefinition,
             problems: list[Problem]) -> DatasetDefinition:
    """The dataset definitions of `files` laid over `base`; reports what one set defines twice."""
    definition = DatasetDefinition(base.tenants, dict(base.collections), list(base.bindings))
    tenants_in: str | None = None
    collections_in: dict[str, str] = {}
    bindings_in: dict[str, str] = {}
    for file in files:
        content = file.content
        if content.tenants is not None:
            if tenants_in is not None:
                problems.append(Problem(file.display, "/tenants",
                                        f"tenants are already declared in {tenants_in}"))
            else:
                tenants_in = file.display
                definition.tenants = Located(content.tenants, file.display, "/tenants")
        for name, collection in content.collections.items():
            pointer = join_pointer("collections", name)
            if name in collections_in:
                problems.append(Problem(file.display, pointer,
                                        f"collection {name!r} is already defined in {collections_in[name]}"))
                continue
            collections_in[name] = file.display
            inherited = _inherit(collection, definition.collections.get(name))
            definition.collections[name] = Located(inherited, file.display, pointer)
        for index, binding in enumerate(content.bindings):
            key = _operation_key(spec, binding.operation)
            if key in bindings_in:
                problems.append(Problem(file.display, f"/bindings/{index}/operation",
                                        f"{key} is already bound in {bindings_in[key]}"))
                continue
            bindings_in[key] = file.display
            definition.bindings = [located for located in definition.bindings
                                   if _operation_key(spec, located.value.operation) != key]
            definition.bindings.append(Located(binding, file.display, f"/bindings/{index}"))
    return definition


def _operation_key(spec: Spec, name: str) -> str:
    operation = spec.find_operation(name)
    return operation.key if operation is not None else name


def _inherit(collection: Collection, base: Located[Collection] | None) -> Collection:
    """A scenario's collection keeps the base collection's `key` and `tenant` unless it sets them."""
    if base is None:
        return collection
    inherited = {name: getattr(base.value, name) for name in ("key", "tenant")
                 if name not in collection.model_fields_set}
    return collection.model_copy(update=inherited)


def _compile(spec: Spec, definition: DatasetDefinition, tenant_header: str | None, hooks: HookLoader | None,
             problems: list[Problem]) -> Dataset | None:
    if definition.empty:
        return None
    dataset, found = compile_dataset(spec, definition, tenant_header, hooks)
    problems += found
    return dataset


def _distinct(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once (a scenario re-checks the base definitions it keeps)."""
    return list({(p.file, p.pointer, p.message): p for p in problems}.values())
