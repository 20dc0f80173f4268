"""The records every session starts with: a dataset's, when a binding names the collection, else those of
the spec's example of the list answer, else generated.

Generated records are a deterministic number per collection (10 unless configured), drawn with the seed
from the record schema, with ids 1, 2, 3... for integer ids and UUIDs derived from the seed for UUID ids;
so `GET /pets` lists them and `GET /pets/{id}` answers the same record, in every session, after every
restart. Nested collections are scoped to their parent: each parent id has its own records, whose field
naming the parent holds its id.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.answers.fixture_sets import FixtureSets
from mockserver.datasets import Dataset
from mockserver.datasets.binding import CompiledBinding
from mockserver.datasets.predicates import text
from mockserver.generation import ResponseGenerator
from mockserver.resources.inference import Resource, Role
from mockserver.resources.records import id_text, numbered_id, plain_value
from mockserver.resources.store import Record, Scope

CACHED_COLLECTIONS = 512


@dataclass(frozen=True)
class Bound:
    """A resource whose list (or item) operation a dataset binding answers from a collection."""

    dataset: Dataset
    binding: CompiledBinding
    tenant: Any  # the dataset's tenant key for the request


class InitialRecords:
    """The initial records of each collection and scope, by id, computed once (a bounded number kept)."""

    def __init__(self, generator: ResponseGenerator, sets: FixtureSets | None,
                 tenant_field: str | None) -> None:
        self.generator = generator
        self.sets = sets
        self.tenant_field = tenant_field
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Record]] = OrderedDict()

    def bound(self, resource: Resource, scenario: str | None,
              tenant_value: str | None) -> tuple[Bound | None, bool]:
        """The dataset binding answering the resource's list (else item) operation in this scenario, and
        whether the request's tenant is one the dataset knows (True without a binding)."""
        if self.sets is None:
            return None, True
        dataset = self.sets.active(scenario)[0].dataset
        if dataset is None:
            return None, True
        for role in (Role.LIST, Role.GET):
            operation = resource.operations.get(role)
            binding = dataset.bindings.get(operation.key) if operation is not None else None
            if binding is not None and binding.collection is not None and binding.hook is None:
                tenant, known = dataset.scope.tenant_for(tenant_value)
                return (Bound(dataset, binding, tenant) if known else None), known
        return None, True

    def records(self, resource: Resource, scope: Scope, parents: Mapping[str, Any], bound: Bound | None,
                examples: list[Record] | None) -> dict[str, Record]:
        """The collection's initial records in this scope, by id text, in order: the dataset's when bound,
        else `examples` (the records of the spec's example list), else generated ones."""
        key = (resource.name, scope, id(bound.binding) if bound is not None else None)
        found = self._cache.get(key)
        if found is None:
            if bound is not None:
                listed = self._bound_records(resource, parents, bound)
            elif examples is not None:
                listed = [copy.deepcopy(record) for record in examples]
                for record in listed:
                    fill_parents(record, resource, parents, scope[0] if scope else "", self.tenant_field)
            else:
                listed = self._generated(resource, scope, parents)
            found = {}
            for record in listed:
                found.setdefault(id_text(record.get(resource.id_field)), record)
            self._cache[key] = found
            while len(self._cache) > CACHED_COLLECTIONS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found

    def _bound_records(self, resource: Resource, parents: Mapping[str, Any], bound: Bound) -> list[Record]:
        collection = bound.binding.collection
        assert collection is not None
        visible = collection.visible_to(bound.tenant)
        owner = bound.binding.owner
        if owner is not None and owner.param in parents:
            wanted = text(parents[owner.param])
            visible = [record for record in visible if text(record.get(owner.link)) == wanted]
        return [dict(record) for record in visible if record.get(resource.id_field) is not None]

    def _generated(self, resource: Resource, scope: Scope, parents: Mapping[str, Any]) -> list[Record]:
        records = []
        salt = f"{self.generator.seed}|{resource.name}|{'|'.join(scope)}"
        for number in range(1, resource.initial_records + 1):
            key = f"initial|{salt}|{number}"
            drawn = self.generator.generate_for_pointer(resource.record.pointer, key=key)
            if not isinstance(drawn, dict):
                continue
            record = copy.deepcopy(drawn)
            numbered = numbered_id(resource.id_schema, number, salt)
            if numbered is not None:
                record[resource.id_field] = numbered
            if record.get(resource.id_field) is None:
                continue
            fill_parents(record, resource, parents, scope[0] if scope else "", self.tenant_field)
            records.append(record)
        return records


def fill_parents(record: Record, resource: Resource, parents: Mapping[str, Any], tenant: str,
                 tenant_field: str | None, link: str | None = None) -> None:
    """Set the fields naming the record's parents (`userId` of `/users/{userId}/repos`) and its tenant."""
    for name, value in parents.items():
        field = resource.parent_fields.get(name)
        if field is not None:
            record[field] = plain_value(value, resource.record.properties[field].schema)
        if link is not None and link != field:
            prop = resource.record.properties.get(link)
            record[link] = plain_value(value, prop.schema if prop is not None else {})
    if tenant and tenant_field is not None and tenant_field in resource.record.properties:
        record[tenant_field] = tenant
