"""A dataset: the collections, tenants and bindings of one fixture set, compiled and checked against the spec.

`compile_dataset` turns the (already overlaid) definitions of a fixture set into a `Dataset` ready to
serve and lists every problem it finds. Collections and tenants are checked here: records that are not
objects or lack their key or tenant, keys used twice, records of unknown tenants. Bindings are checked
by `mockserver.datasets.binding_compiler`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mockserver.datasets.binding import SOURCE, BindingRequest, CompiledBinding, ErrorRule
from mockserver.datasets.binding_compiler import BindingCompiler, unknown_collection
from mockserver.datasets.collections import (
    IndexedCollection,
    Record,
    RecordSource,
    TenantScope,
    canonical_tenant,
)
from mockserver.datasets.hooks import HookLoader
from mockserver.datasets.predicates import text
from mockserver.fixture_files.models import Binding, Collection, Tenants
from mockserver.foundation.problems import Problem
from mockserver.http.answer import Answer, DocumentedAnswer
from mockserver.spec.model import Operation, Spec

T = TypeVar("T")


@dataclass(frozen=True)
class Located(Generic[T]):
    """A definition and where it is written (file as shown in messages, JSON pointer)."""

    value: T
    file: str
    pointer: str


@dataclass
class DatasetDefinition:
    """Everything one fixture set defines for datasets, after scenario overlays."""

    tenants: Located[Tenants] | None = None
    collections: dict[str, Located[Collection]] = field(default_factory=dict)
    bindings: list[Located[Binding]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.tenants is None and not self.collections and not self.bindings


@dataclass
class Dataset:
    """A compiled dataset: answers the operations it binds, for the tenants it knows."""

    scope: TenantScope
    unknown_tenant: ErrorRule
    bindings: dict[str, CompiledBinding]  # by operation key ("GET /path")

    def respond(self, operation: Operation, params: Mapping[str, Any], tenant_value: str | None,
                scenario: str | None, documented: DocumentedAnswer,
                records: Sequence[Record] | None = None) -> Answer | None:
        """The answer for a bound operation (None when it is not bound, or when its hook passes);
        `documented` answers a status as the spec documents it. `records` replaces the tenant's records of
        the bound collection (as a session of the stateful mock has changed them)."""
        binding = self.bindings.get(operation.key)
        if binding is None:
            return None
        tenant, known = self.scope.tenant_for(tenant_value)
        if not known:
            unknown = self.unknown_tenant
            return documented(operation, unknown.status, SOURCE, unknown.body)
        return binding.respond(BindingRequest(operation, params, tenant, scenario, documented, records))


def compile_dataset(spec: Spec, definition: DatasetDefinition, tenant_header: str | None,
                    hooks: HookLoader | None) -> tuple[Dataset, list[Problem]]:
    """Compile one fixture set's dataset; returns it and every problem found."""
    problems: list[Problem] = []
    collections = {name: _collection(name, located, problems)
                   for name, located in definition.collections.items()}
    scope, unknown = _tenants(definition.tenants, collections, tenant_header, problems)
    compiler = BindingCompiler(spec, collections, hooks, unknown if scope.known is not None else None)
    bindings: dict[str, CompiledBinding] = {}
    for located in definition.bindings:
        compiled, found = compiler.compile(located.value, located.file, located.pointer)
        problems += found
        if compiled is not None:
            bindings[compiled.operation_key] = compiled
    return Dataset(scope, unknown, bindings), problems


def _collection(name: str, located: Located[Collection], problems: list[Problem]) -> IndexedCollection:
    """Index a collection's well-formed records; report the others."""
    collection = located.value
    records: list[dict[str, Any]] = []
    sources: list[RecordSource] = []
    seen: dict[tuple[str | None, str], str] = {}
    for index, record in enumerate(collection.records):
        pointer = f"{located.pointer}/records/{index}"
        problem = _record_problem(collection, record)
        if problem is not None:
            problems.append(Problem(located.file, pointer, f"collection {name!r}: {problem}"))
            continue
        tenant = None if collection.tenant is None else canonical_tenant(record[collection.tenant])
        identity = (tenant, text(record[collection.key]))
        if identity in seen:
            owner = "" if tenant is None else f" by tenant {tenant}"
            problems.append(Problem(located.file, f"{pointer}/{collection.key}",
                                    f"collection {name!r}: key {identity[1]!r} is used twice{owner} "
                                    f"(first at {seen[identity]})"))
            continue
        seen[identity] = pointer
        records.append(record)
        sources.append(RecordSource(located.file, pointer))
    return IndexedCollection(name, collection.key, collection.tenant, records, sources)


def _record_problem(collection: Collection, record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"a record must be an object, not {type(record).__name__}"
    for required in (collection.key, collection.tenant):
        if required is not None and record.get(required) is None:
            return f"the record has no {required!r}"
    return None


def _tenants(located: Located[Tenants] | None, collections: dict[str, IndexedCollection],
             tenant_header: str | None, problems: list[Problem]) -> tuple[TenantScope, ErrorRule]:
    """Which tenants exist, and the answer for the others; reports records of unknown tenants."""
    if located is None:
        return TenantScope(tenant_header, None), ErrorRule(403)
    tenants = located.value
    unknown = ErrorRule(tenants.unknown.status, tenants.unknown.body)
    if tenant_header is None:
        problems.append(Problem(located.file, located.pointer,
                                "tenants need `tenant_header` in the mock config (mockserver.yaml): "
                                "the header naming the tenant"))
        return TenantScope(None, None), unknown
    if tenants.collection is not None:
        source = collections.get(tenants.collection)
        if source is None:
            problems.append(unknown_collection(located.file, f"{located.pointer}/collection",
                                               tenants.collection, collections))
            return TenantScope(tenant_header, None), unknown
        declared = [str(record[source.key]) for record in source.records]
    else:
        declared = [str(value) for value in tenants.ids or []]
    known = frozenset(canonical_tenant(value) for value in declared)
    for collection in collections.values():
        for record, where in zip(collection.records, collection.sources, strict=True):
            tenant = collection.tenant_of(record)
            if tenant is not None and tenant not in known:
                message = f"collection {collection.name!r}: tenant {tenant!r} is not one of the tenants"
                problems.append(Problem(where.file, f"{where.pointer}/{collection.tenant_field}",
                                        f"{message} ({located.file}{located.pointer})"))
    return TenantScope(tenant_header, known, tuple(dict.fromkeys(declared))), unknown
