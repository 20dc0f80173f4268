"""Plans for objects and arrays, with the realism that needs structure.

- Objects keep the spec's property order, fill optional properties most of the time (containers
  nearly always), and honour `minProperties`/`maxProperties`, closed `propertyNames` and
  `additionalProperties`; a free-form object gets a few plausible entries.
- *Record seeding*: an object with a scalar `id` draws its id first and every other field from a seed
  made of the world (seed and tenant), the schema and that id. The same record therefore looks the
  same in a list page, in a summary and in its own detail response.
- A record's timestamps are put in life order: created <= the others <= updated.
- Arrays get a moderate number of items (`PlanOptions.array_size`), or exactly what the request
  pins (a page size); `uniqueItems` is honoured by redrawing duplicates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from random import Random
from typing import Any

import jsonschema_rs
from jsonschema_rs.canonical import (
    AnyOfView,
    ArrayView,
    CanonicalKind,
    ConstView,
    Distinctness,
    EnumView,
    ObjectView,
    StringView,
)

from mockserver.generation.draws import Compiler, Draw, DrawState, Override, child_of
from mockserver.generation.errors import RetryDraw
from mockserver.generation.keys import entity_seed, stable_hash
from mockserver.generation.realism import MOCK_FORMAT_PREFIX, realistic_key, realistic_scalar
from mockserver.generation.scalars import bare_plan
from mockserver.generation.views import view_of

_CONTAINERS = (CanonicalKind.ARRAY, CanonicalKind.OBJECT)
_SCALAR_KINDS = (
    CanonicalKind.STRING,
    CanonicalKind.INTEGER,
    CanonicalKind.MULTI_TYPE,
    CanonicalKind.ENUM,
    CanonicalKind.CONST,
)
_UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_WHOLE_NUMBER = re.compile(r"-?\d+")
_FULL_IDENTITY_DEFINITIONS = 64


def array_plan(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: ArrayView) -> Draw:
    if view.contains or view.distinctness is Distinctness.SOME_REPEATED:
        return compiler.hard(node)
    prefix = [compiler.when_drawn(item) for item in view.prefix_items]
    if view.items is not None and compiler.resolved_kind(view.items) is CanonicalKind.FALSE:
        item_plan: Draw | None = None
    elif view.items is None:
        item_plan = None if prefix else bare_plan(compiler, "string")
    else:
        item_plan = compiler.when_drawn(view.items)
    low, high = view.min_items or 0, view.max_items
    if item_plan is None:
        high = len(prefix) if high is None else min(high, len(prefix))
    if high is not None and high < low:
        return compiler.hard(node)
    unique = view.distinctness is Distinctness.ALL_DISTINCT
    options = compiler.options
    usual_low, usual_high = options.array_size

    def size(rng: Random, state: DrawState, override: Override | None) -> int:
        if override is not None and override.size is not None:
            wanted = max(low, override.size)
            return wanted if high is None else min(high, wanted)
        if state.deep(options):
            return low
        top = max(low, usual_high) if high is None else min(high, max(low, usual_high))
        bottom = max(low, min(usual_low, top))
        count = rng.randint(bottom, top)
        return count or rng.randint(bottom, top)  # empty arrays, but not too often

    def item(index: int) -> Draw:
        plan = prefix[index] if index < len(prefix) else item_plan
        assert plan is not None
        return plan

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        count = size(rng, state, override)
        state.depth += 1
        state.containers += 1
        try:
            if not unique:
                return [item(index)(rng, state, None) for index in range(count)]
            return _distinct_items(rng, state, count, low, item)
        finally:
            state.depth -= 1

    return draw


def _distinct_items(rng: Random, state: DrawState, count: int, low: int, item: Any) -> list[Any]:
    out: list[Any] = []
    seen: set[str] = set()
    for index in range(count):
        for _ in range(10):
            value = item(index)(rng, state, None)
            marker = json.dumps(value, sort_keys=True)
            if marker not in seen:
                seen.add(marker)
                out.append(value)
                break
        else:
            if len(out) < low:
                raise RetryDraw("too few distinct items")
            break
    return out


def object_plan(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: ObjectView) -> Draw:
    if view.violations or view.pattern_properties:
        return compiler.hard(node)
    closed, name_plan = _property_names(compiler, view.property_names)
    if view.property_names is not None and closed is None and name_plan is None:
        return compiler.hard(node)
    extras = view.additional_properties
    extras_allowed = extras is None or compiler.resolved_kind(extras) is not CanonicalKind.FALSE
    extra_plan: Draw = (
        compiler.when_drawn(extras)
        if extras is not None and extras_allowed
        else lambda rng, state, override: realistic_scalar(rng)
    )
    properties = dict(view.properties)
    plans: dict[str, Draw] = {}
    for name in set(properties) | set(view.required) | (closed or set()):
        sub = properties.get(name)
        if sub is not None and compiler.resolved_kind(sub) is CanonicalKind.FALSE:
            if name in view.required:
                return compiler.hard(node)
            continue  # a property no value satisfies is always absent
        plans[name] = compiler.when_drawn(sub) if sub is not None else extra_plan
    required = [name for name in view.required if name in plans]
    order = _declared_order(compiler, list(plans))
    optional = [name for name in order if name not in set(required)]
    options = compiler.options
    rates = {
        name: options.container_rate
        if name in properties and _holds_container(compiler, properties[name])
        else options.optional_rate
        for name in optional
    }
    # Compiled when a request first pins the property: on an interlinked spec, each validator compiles
    # the schema's whole `$ref` graph, and most properties are never pinned.
    pinnable = {name: properties[name] for name in properties if name in plans}
    min_properties, max_properties = view.min_properties or 0, view.max_properties
    free_form = not properties and closed is None and extras_allowed
    entity = "id" if "id" in plans and "id" in properties and properties["id"].kind in _SCALAR_KINDS else None
    identities: list[int] = []  # the schema's hash, taken on the first draw (it can be large to dump)
    stamps = _timestamps(compiler, properties)

    def pins(override: Override | None) -> dict[str, Any]:
        """The values the request pins in this object, where they are valid for their property."""
        if override is None or not override.children:
            return {}
        pinned = {}
        for name, child in override.children.items():
            if child.pins_value and name in plans:
                sub = pinnable.get(name)
                value = _valid_pin(child.value, None if sub is None else compiler.validator(sub))
                if value is not _INVALID:
                    pinned[name] = value
        return pinned

    def choose(rng: Random, deep: bool, pinned: dict[str, Any], result: dict[str, Any]) -> set[str]:
        chosen = set(required) | set(pinned) | set(result)
        for name in optional:
            if name not in chosen and not deep and rng.random() < rates[name]:
                chosen.add(name)
        return _within_limits(chosen, required, optional, min_properties, max_properties, rng)

    def add_extras(rng: Random, state: DrawState, deep: bool, result: dict[str, Any]) -> None:
        wanted = max(0, min_properties - len(result))
        if free_form and not deep:
            wanted = max(wanted, rng.randint(*options.free_properties))
        if max_properties is not None:
            wanted = min(wanted, max_properties - len(result))
        if wanted and not extras_allowed:
            raise RetryDraw("the object needs more properties than it may have")
        for _ in range(wanted * 3):
            if wanted <= 0:
                break
            key = name_plan(rng, state, None) if name_plan is not None else realistic_key(rng)
            if key not in result:
                result[key] = extra_plan(rng, state, None)
                wanted -= 1

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        deep = state.deep(options)
        pinned = pins(override)
        result: dict[str, Any] = {}
        state.depth += 1
        state.containers += 1
        try:
            if entity is not None and (
                entity in required or entity in pinned or (not deep and rng.random() < rates[entity])
            ):
                value = (
                    pinned[entity]
                    if entity in pinned
                    else plans[entity](rng, state, child_of(override, entity))
                )
                result[entity] = value
                if not identities:
                    identities.append(_identity(compiler, node))
                rng = Random(entity_seed(state.seed, identities[0], value))  # the rest follows from the id
            chosen = choose(rng, deep, pinned, result)
            for name in order:
                if name in chosen and name not in result:
                    result[name] = (
                        pinned[name] if name in pinned else plans[name](rng, state, child_of(override, name))
                    )
            add_extras(rng, state, deep, result)
            if stamps:
                _order_timestamps(result, stamps)
            return result
        finally:
            state.depth -= 1

    return draw


_INVALID: Any = object()


def _identity(compiler: Compiler, node: jsonschema_rs.CanonicalSchema) -> int:
    """What tells this record schema from the others in record seeds: the whole schema; or, in a document
    of many definitions (where a schema's JSON drags much of the document along), its property names."""
    if compiler.definition_count <= _FULL_IDENTITY_DEFINITIONS:
        return stable_hash(node.to_json_schema())
    view = view_of(node, ObjectView)
    return stable_hash("record", sorted(view.properties), sorted(view.required))


def _valid_pin(value: Any, validator: jsonschema_rs.Validator | None) -> Any:
    """A pinned value as its property admits it (a path's "42" for an integer id), or _INVALID."""
    if validator is None or validator.is_valid(value):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value) and validator.is_valid(int(value)):
        return int(value)
    return _INVALID


def _holds_container(compiler: Compiler, node: jsonschema_rs.CanonicalSchema) -> bool:
    if compiler.resolved_kind(node) in _CONTAINERS:
        return True
    node = compiler.resolved(node)
    return node.kind is CanonicalKind.ANY_OF and any(
        compiler.resolved_kind(branch) in _CONTAINERS for branch in view_of(node, AnyOfView).branches
    )


def _property_names(
    compiler: Compiler, names: jsonschema_rs.CanonicalSchema | None
) -> tuple[set[str] | None, Draw | None]:
    """A closed set of allowed names, or a plan drawing names; (None, None) when neither is possible."""
    if names is None:
        return None, None
    names = compiler.resolved(names)
    if names.kind is CanonicalKind.CONST:
        value = view_of(names, ConstView).value
        return ({value} if isinstance(value, str) else set()), None
    if names.kind is CanonicalKind.ENUM:
        return {value for value in view_of(names, EnumView).values if isinstance(value, str)}, None
    if names.kind is CanonicalKind.STRING:
        return None, compiler.compile(names)
    return None, None


def _declared_order(compiler: Compiler, names: list[str]) -> list[str]:
    """`names` in the order the spec declares them (canonicalization sorts properties)."""
    wanted = set(names)
    best: tuple[str, ...] = ()
    for keys, order in compiler.key_orders.items():
        if len(keys & wanted) > len(set(best) & wanted):
            best = order
    position = {name: index for index, name in enumerate(best)}
    return sorted(names, key=lambda name: (position.get(name, len(position)), name))


def _within_limits(
    chosen: set[str], required: list[str], optional: list[str], low: int, high: int | None, rng: Random
) -> set[str]:
    """The chosen keys, with optional ones added or dropped to respect min/maxProperties."""
    if high is not None and len(chosen) > high:
        droppable = [name for name in optional if name in chosen and name not in required]
        rng.shuffle(droppable)
        for name in droppable[: len(chosen) - high]:
            chosen.discard(name)
    for name in optional:
        if len(chosen) >= low:
            break
        chosen.add(name)
    return chosen


# -- timestamps ---------------------------------------------------------------------------------


def _timestamps(
    compiler: Compiler, properties: Mapping[str, jsonschema_rs.CanonicalSchema]
) -> list[tuple[str, str]]:
    """(name, role) of the date-time properties that take part in life ordering."""
    stamps = []
    for name, sub in properties.items():
        role = compiler.realism.timestamp_role(name)
        if role is not None and _is_date_time(compiler, sub):
            stamps.append((name, role))
    if len(stamps) < 2 or not any(role in ("first", "last") for _, role in stamps):
        return []
    return stamps


def _is_date_time(compiler: Compiler, node: jsonschema_rs.CanonicalSchema) -> bool:
    node = compiler.resolved(node)
    if node.kind is CanonicalKind.ANY_OF:
        branches = [branch for branch in view_of(node, AnyOfView).branches if not compiler.is_null(branch)]
        return len(branches) == 1 and _is_date_time(compiler, branches[0])
    if node.kind is not CanonicalKind.STRING:
        return False
    view = view_of(node, StringView)
    if view.patterns or view.min_length or view.max_length is not None:
        return False
    return any(
        name == "date-time" or (name.startswith(MOCK_FORMAT_PREFIX) and '"date_time"' in name)
        for name in view.formats
    )


def _order_timestamps(record: dict[str, Any], stamps: list[tuple[str, str]]) -> None:
    """Reassign the record's timestamps so that created <= the others <= updated."""
    present = [(name, role) for name, role in stamps if isinstance(record.get(name), str)]
    if len(present) < 2:
        return
    texts = [record[name] for name, _ in present]
    if all(_UTC_SECONDS.fullmatch(text) for text in texts):
        ordered = sorted(texts)  # one fixed format: the text order is the time order
    else:
        moments = [moment for text in texts if (moment := _parse_moment(text)) is not None]
        if len(moments) < len(texts):
            return
        ordered = [text for _, text in sorted(zip(moments, texts, strict=True), key=lambda pair: pair[0])]
    slots = [name for name, role in present if role == "first"]
    slots += [name for name, role in present if role == "between"]
    slots += [name for name, role in present if role == "last"]
    for name, text in zip(slots, ordered, strict=True):
        record[name] = text


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
