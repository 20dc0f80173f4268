"""The records every session starts with: a dataset's, when a binding names the collection, else those of
the spec's example of the list answer, else generated.

Generated records are a deterministic number per collection (10 unless configured), drawn with the seed
from the record schema, with ids 1, 2, 3... for integer ids and UUIDs derived from the seed for UUID ids;
so `GET /pets` lists them and `GET /pets/{id}` answers the same record, in every session, after every
restart. Nested collections are scoped to their parent: each parent id has its own records, whose field
naming the parent holds its id. Where the ids follow from their numbers, each record is drawn when first
read (reading one record of a large spec's collection draws that record only), else all at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.answers.fixture_sets import FixtureSets
from mockserver.datasets import Dataset
from mockserver.datasets.binding import CompiledBinding
from mockserver.datasets.predicates import text
from mockserver.foundation.bounded import BoundedCache, json_size
from mockserver.generation import ResponseGenerator
from mockserver.resources.inference import Resource, Role
from mockserver.resources.records import id_text, numbered_id, plain_value
from mockserver.resources.store import Record, Scope

CACHED_COLLECTIONS = 512
# The JSON bytes (json_size) kept of computed collections, and of drawn records: thousands of a small
# spec's records, a few hundred of a large spec's (hundreds of nested objects each), drawn again when
# needed. As Python objects, records take about four times their JSON (measured: 33 MB for 8 MiB).
KEPT_BYTES = 4 * 1024 * 1024


class _NoRecord:
    """A draw that gave no record with an id (kept, so that it is not drawn again)."""


_NO_RECORD = _NoRecord()


def _weight(records: Mapping[str, Record]) -> int:
    """What a computed collection holds: its records' values, or only ids for records drawn when read."""
    if isinstance(records, DrawnRecords):
        return len(records.ids)
    return sum(json_size(record) for record in records.values())


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
        self._collections: BoundedCache[tuple[Any, ...], Mapping[str, Record]] = \
            BoundedCache(CACHED_COLLECTIONS, KEPT_BYTES)
        self._drawn_records: BoundedCache[tuple[str, int], Record | _NoRecord] = \
            BoundedCache(CACHED_COLLECTIONS * 16, KEPT_BYTES)

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
                examples: list[Record] | None) -> Mapping[str, Record]:
        """The collection's initial records in this scope, by id text, in order: the dataset's when bound,
        else `examples` (the records of the spec's example list), else generated ones."""
        key = (resource.name, scope, id(bound.binding) if bound is not None else None)
        return self._collections.setdefault(
            key, lambda: self._computed(resource, scope, parents, bound, examples), _weight)

    def _computed(self, resource: Resource, scope: Scope, parents: Mapping[str, Any], bound: Bound | None,
                  examples: list[Record] | None) -> Mapping[str, Record]:
        if bound is not None:
            listed = self._bound_records(resource, parents, bound)
        elif examples is not None:
            listed = [copy.deepcopy(record) for record in examples]
            for record in listed:
                fill_parents(record, resource, parents, scope[0] if scope else "", self.tenant_field)
        else:
            numbered = self._numbered(resource, scope, parents)
            if numbered is not None:
                return numbered
            drawn = (self._drawn(resource, scope, parents, number)
                     for number in range(1, resource.initial_records + 1))
            listed = [record for record in drawn if record is not None]
        found: dict[str, Record] = {}
        for record in listed:
            found.setdefault(id_text(record.get(resource.id_field)), record)
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

    def _salt(self, resource: Resource, scope: Scope) -> str:
        return f"{self.generator.seed}|{resource.name}|{'|'.join(scope)}"

    def _numbered(self, resource: Resource, scope: Scope, parents: Mapping[str, Any]) -> DrawnRecords | None:
        """The generated records, drawn when read, when their ids follow from their numbers alone."""
        salt = self._salt(resource, scope)
        ids = {}
        for number in range(1, resource.initial_records + 1):
            numbered = numbered_id(resource.id_schema, number, salt)
            if numbered is None:
                return None
            ids[id_text(numbered)] = number
        id_field = resource.id_field
        if len(ids) < resource.initial_records or id_field in resource.parent_fields.values() \
                or (self.tenant_field == id_field and scope and scope[0]):
            return None  # ids that collide, or that the parent or tenant fields overwrite
        return DrawnRecords(ids, lambda number: self._kept_draw(resource, scope, parents, salt, number))

    def _kept_draw(self, resource: Resource, scope: Scope, parents: Mapping[str, Any], salt: str,
                   number: int) -> Record | None:
        """`_drawn`, remembered within a bound (a record drawn again is the same record)."""
        def draw() -> Record | _NoRecord:
            record = self._drawn(resource, scope, parents, number)
            return _NO_RECORD if record is None else record

        kept = self._drawn_records.setdefault(
            (salt, number), draw, lambda record: json_size(record) if isinstance(record, dict) else 1)
        return kept if isinstance(kept, dict) else None

    def _drawn(self, resource: Resource, scope: Scope, parents: Mapping[str, Any],
               number: int) -> Record | None:
        """The `number`-th generated record (None when the draw gives no record with an id)."""
        salt = self._salt(resource, scope)
        # A fresh value (the generator never hands out what it keeps), so it is not copied.
        record = self.generator.generate_for_pointer(resource.record.pointer, key=f"initial|{salt}|{number}",
                                                     share=resource.initial_records)
        if not isinstance(record, dict):
            return None
        numbered = numbered_id(resource.id_schema, number, salt)
        if numbered is not None:
            record[resource.id_field] = numbered
        if record.get(resource.id_field) is None:
            return None
        fill_parents(record, resource, parents, scope[0] if scope else "", self.tenant_field)
        return record


class DrawnRecords(Mapping[str, Record]):
    """Generated records by id, in order, each drawn when first read: the ids are known beforehand."""

    def __init__(self, numbers: dict[str, int], draw: Callable[[int], Record | None]) -> None:
        self._numbers = numbers  # id text -> the record's number
        self._draw = draw  # the same record for a number, in any thread, each time

    @property
    def ids(self) -> Mapping[str, int]:
        return self._numbers

    def _record(self, id_key: str) -> Record | None:
        return self._draw(self._numbers[id_key])

    def __getitem__(self, id_key: str) -> Record:
        if id_key not in self._numbers:
            raise KeyError(id_key)
        record = self._record(id_key)
        if record is None:
            raise KeyError(id_key)
        return record

    def __contains__(self, id_key: object) -> bool:
        return isinstance(id_key, str) and id_key in self._numbers and self._record(id_key) is not None

    def __iter__(self) -> Iterator[str]:
        return (id_key for id_key in list(self._numbers) if self._record(id_key) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


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
