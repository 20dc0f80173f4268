"""Shaping: one schema of the spec document, rewritten as a self-contained schema ready to generate from.

`shape(document, pointer, realism)` follows the schema's local `$ref`s and returns a standalone
JSON Schema 2020-12 document (`SchemaShaper` does the same for many pointers of one document,
shaping each definition they share once):

- references are inlined where that lets canonicalization merge them (leaf schemas, `allOf` members,
  discriminated branches); shared structured schemas and every recursive one go to `$defs`;
- write-only properties are dropped (they never appear in a response);
- records embedded `EMBEDDING_DEPTH` references deep keep their required properties and those that
  embed nothing further, so that a record of an interlinked spec is not a copy of half the document;
- with `realism`, the schema is *narrowed* to realistic values: string fields get an `x-mock:` format
  naming a value provider (see `realism`), numbers a plausible window, `discriminator` branches the
  value of their property, a schema with `properties` but no `type` an object. Narrowing never widens
  what the schema admits, is skipped wherever it could change meaning (under `not`, `if`, `contains`,
  `propertyNames`), and leaves `enum`, `const` and `pattern` alone;
- without `realism` the result is the response view of the schema: exactly the document's schema,
  except that write-only properties are forbidden and not required. Bodies are validated against it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

from mockserver.generation.realism import FieldFacts, Realism, normalize_name, plausible_window, singular
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve, split_pointer
from mockserver.spec.schemas import declared_types

_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "example",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$comment",
        "discriminator",
        "xml",
        "externalDocs",
    }
)
_DROPPED = frozenset({"$defs", "definitions", "$id", "$schema", "$anchor", "$dynamicAnchor", "$vocabulary"})
# Annotations no reader of a shaped schema looks at (canonicalization and validation ignore them, realism
# reads them as it walks): left out, they no longer make up half of a large spec's shaped JSON.
_UNREAD = frozenset({"title", "description", "example", "examples", "$comment", "externalDocs"})
# Subschemas whose values appear in the generated value as they are: realism may narrow them.
_POSITIVE_SUBSCHEMAS = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
)
# Subschemas that only test a value (or are tested against): narrowing them could change meaning.
_EXACT_SUBSCHEMAS = ("not", "if", "then", "else", "contains", "propertyNames")
_STRUCTURE = frozenset(
    {
        "properties",
        "patternProperties",
        "additionalProperties",
        "items",
        "prefixItems",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "$ref",
        "dependentSchemas",
        "unevaluatedProperties",
        "unevaluatedItems",
        "contains",
    }
)
# Definitions nested deeper than this are walked after the root: Python's stack is not deep enough for
# the chains of references of a large interlinked spec.
_MAX_NESTED_DEFINITIONS = 24
# Records embed records: in realistic bodies, a definition this many references deep keeps only the
# properties it requires and those that embed nothing further. Without a limit, one record of a large
# interlinked spec reaches every schema of the document (and its body holds a large part of it).
EMBEDDING_DEPTH = 3
_PLAIN_POINTER = re.compile(r"[A-Za-z0-9_/-]*")
_INT_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class ShapingError(Exception):
    """The schema cannot be shaped (a non-local `$ref`, a dangling pointer)."""


@dataclass(frozen=True)
class Shaped:
    """A standalone schema, plus what generation needs to know about where it came from."""

    schema: Any
    # Declared property order by property-name set (canonicalization sorts properties).
    key_orders: dict[frozenset[str], tuple[str, ...]] = field(default_factory=dict)
    # Whether write-only properties made it differ from the document's schema.
    changed: bool = False


@dataclass(frozen=True)
class _Frame:
    names: tuple[str, ...] = ()
    description: str = ""
    examples: tuple[Any, ...] = ()
    exact: bool = False  # inside `not`/`if`/...: copy faithfully, no realism
    inline: bool = False  # the next `$ref` must be inlined (so that canonicalization can merge it)
    component: str | None = None  # pointer of the schema being walked when it is a `$ref` target
    depth: int = 0  # how many definitions deep the walk is (embedded records), up to the embedding depth


@dataclass
class _Walk:
    """What one walk (the root of a shape, or one definition) produced, and the definitions it names."""

    schema: Any = None
    refs: set[str] = field(default_factory=set)
    key_orders: dict[frozenset[str], tuple[str, ...]] = field(default_factory=dict)
    changed: bool = False


def shape(document: dict[str, Any], pointer: str, realism: Realism | None) -> Shaped:
    """The schema at `pointer` as a standalone schema (see the module docstring)."""
    return SchemaShaper(document, realism).shape(pointer)


class SchemaShaper:
    """Shapes the schemas of one document, shaping each definition once for all of them.

    A definition's shape depends only on its pointer, on whether it is exact and on its embedding depth:
    every definition is walked on a fresh stack, and named after its pointer. The operations of a large
    spec mostly share their definitions, so the second operation costs little more than its own root,
    and a shape never depends on which shapes came before it (replicas generate the same bodies).
    """

    def __init__(
        self, document: dict[str, Any], realism: Realism | None, *, embedding_depth: int = EMBEDDING_DEPTH
    ) -> None:
        self.document = document
        self.realism = realism
        self.embedding_depth = embedding_depth
        self._definitions: dict[tuple[str, bool, int], _Walk] = {}
        self._by_name: dict[str, _Walk] = {}
        self._walks: list[_Walk] = []  # in progress, innermost last
        self._deferred: list[tuple[str, bool, int]] = []  # definitions named but still to walk
        self._nesting = 0
        self.stack: list[str] = []

    def shape(self, pointer: str) -> Shaped:
        """The schema at `pointer`, standalone: its root, plus the definitions it reaches in `$defs`."""
        target = self._resolve(pointer)
        frame = _Frame(names=_component_names(pointer), description=_describe(target), component=pointer)
        root = self._walk_fresh(pointer, target, frame)
        while self._deferred:
            self._walk_definition(self._deferred.pop())
        key_orders = dict(root.key_orders)
        changed = root.changed
        defs: dict[str, Any] = {}
        for name in self._reached(root):
            definition = self._by_name[name]
            defs[name] = definition.schema
            changed = changed or definition.changed
            for names, order in definition.key_orders.items():
                key_orders.setdefault(names, order)
        schema = root.schema
        if defs:
            wrap = not isinstance(schema, dict) or "$defs" in schema
            schema = {"allOf": [schema]} if wrap else dict(schema)
            schema["$defs"] = defs
        return Shaped(schema, key_orders, changed)

    def _reached(self, root: _Walk) -> list[str]:
        """The names of the definitions `root` reaches, sorted."""
        reached: set[str] = set()
        pending = list(root.refs)
        while pending:
            name = pending.pop()
            if name not in reached:
                reached.add(name)
                pending.extend(self._by_name[name].refs - reached)
        return sorted(reached)

    def _walk_fresh(self, pointer: str, target: Any, frame: _Frame) -> _Walk:
        walk = _Walk()
        outer, self.stack = self.stack, [pointer]
        self._walks.append(walk)
        try:
            walk.schema = self.walk(target, frame)
        finally:
            self._walks.pop()
            self.stack = outer
        return walk

    @property
    def _current(self) -> _Walk:
        return self._walks[-1]

    # -- walking ---------------------------------------------------------------------------

    def walk(self, node: Any, frame: _Frame) -> Any:
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self._reference(node, frame)
        out: dict[str, Any] = {}
        for keyword, value in node.items():
            if keyword in _DROPPED:
                continue
            if keyword == "properties" and isinstance(value, dict):
                required = node.get("required")
                out[keyword] = self._properties(value, frame, required if isinstance(required, list) else [])
            elif keyword == "required" and isinstance(value, list):
                out[keyword] = [
                    name for name in value if not self._write_only(node.get("properties", {}), name)
                ]
            elif keyword in ("allOf", "anyOf", "oneOf", "prefixItems") and isinstance(value, list):
                out[keyword] = self._branches(keyword, value, node, frame)
            elif keyword in ("patternProperties", "dependentSchemas") and isinstance(value, dict):
                out[keyword] = {
                    name: self.walk(sub, self._child(frame, sub, ())) for name, sub in value.items()
                }
            elif keyword in _POSITIVE_SUBSCHEMAS:
                out[keyword] = self.walk(
                    value, self._child(frame, value, tuple(singular(n) for n in frame.names))
                )
            elif keyword in _EXACT_SUBSCHEMAS:
                out[keyword] = self.walk(value, _Frame(exact=True))
            else:
                out[keyword] = value
        if self.realism is not None and not frame.exact:
            if "properties" in out and "type" not in out and "enum" not in out and "const" not in out:
                out["type"] = "object"  # what a schema with properties describes, though it admits any type
            self._realistic(out, frame)
            self._inherited_discriminator(out, node, frame)
            _own_discriminator(out, node)
        for keyword in _UNREAD.intersection(out):
            del out[keyword]
        return out

    def _properties(self, properties: dict[str, Any], frame: _Frame, required: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        deepest = self.realism is not None and not frame.exact and frame.depth >= self.embedding_depth
        for name, sub in properties.items():
            if self._write_only(properties, name):
                self._current.changed = True
                if self.realism is None:
                    out[name] = False
                continue
            if deepest and name not in required and self._embeds(sub):
                out[name] = False  # a record embedded this deep keeps what it must have, and no more
                continue
            out[name] = self.walk(sub, self._child(frame, sub, (normalize_name(name),)))
        if not frame.exact:
            self._current.key_orders.setdefault(frozenset(out), tuple(out))
        return out

    def _branches(self, keyword: str, branches: list[Any], node: dict[str, Any], frame: _Frame) -> list[Any]:
        inline = keyword == "allOf" or (keyword != "prefixItems" and "discriminator" in node)
        names = tuple(singular(n) for n in frame.names) if keyword == "prefixItems" else frame.names
        walked = [
            self.walk(branch, replace(self._child(frame, branch, names, inherit=True), inline=inline))
            for branch in branches
        ]
        discriminator = node.get("discriminator")
        if (
            self.realism is None
            or frame.exact
            or keyword not in ("anyOf", "oneOf")
            or not isinstance(discriminator, dict)
            or not isinstance(discriminator.get("propertyName"), str)
        ):
            return walked
        property_name = discriminator["propertyName"]
        mapping = discriminator.get("mapping")
        for index, branch in enumerate(branches):
            if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                values = _mapping_values(mapping if isinstance(mapping, dict) else {}, branch["$ref"])
                walked[index] = {"allOf": [walked[index], _property_is(property_name, values)]}
        return walked

    def _inherited_discriminator(self, out: dict[str, Any], node: dict[str, Any], frame: _Frame) -> None:
        """`Cat: allOf[Pet, ...]` where Pet has a discriminator: Cat's value names Cat."""
        if frame.component is None or not isinstance(node.get("allOf"), list):
            return
        for member in node["allOf"]:
            if not isinstance(member, dict) or not isinstance(member.get("$ref"), str):
                continue
            base = self._resolve(self._pointer(member["$ref"]))
            discriminator = base.get("discriminator") if isinstance(base, dict) else None
            if (
                not isinstance(discriminator, dict)
                or not isinstance(discriminator.get("propertyName"), str)
                or "oneOf" in base
                or "anyOf" in base
            ):
                continue
            mapping = discriminator.get("mapping")
            values = _mapping_values(mapping if isinstance(mapping, dict) else {}, "#" + frame.component)
            out["allOf"] = [*out["allOf"], _property_is(discriminator["propertyName"], values)]

    def _child(self, frame: _Frame, sub: Any, names: tuple[str, ...], *, inherit: bool = False) -> _Frame:
        description = _describe(sub) or (frame.description if inherit or not names else "")
        examples = _examples_of(sub) + (frame.examples if inherit else ())
        return _Frame(
            names=names or frame.names,
            description=description,
            examples=examples,
            exact=frame.exact,
            depth=frame.depth,
        )

    # -- references ------------------------------------------------------------------------

    def _reference(self, node: dict[str, Any], frame: _Frame) -> Any:
        pointer = self._pointer(node["$ref"])
        target = self._resolve(pointer)
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        constraining = any(key not in _ANNOTATIONS and key not in _DROPPED for key in siblings)
        recursive = pointer in self.stack
        if recursive or (not constraining and not frame.inline and _is_structured(target)):
            reference = {"$ref": "#/$defs/" + self._define(pointer, frame)}
            if not constraining:
                return reference
            return {"allOf": [reference, self.walk(siblings, frame)]}
        inner = replace(
            frame,
            names=frame.names + _component_names(pointer),
            description=frame.description or _describe(target),
            examples=frame.examples + _examples_of(target),
            inline=False,
            component=pointer,
        )
        self.stack.append(pointer)
        try:
            walked = self.walk(target, inner)
        finally:
            self.stack.pop()
        if not constraining:
            return walked
        return {"allOf": [walked, self.walk(siblings, replace(frame, inline=False))]}

    def _define(self, pointer: str, frame: _Frame) -> str:
        """The name of the definition of `pointer` in `$defs`, walked now or later if it is new."""
        exact = frame.exact or self.realism is None
        key = (pointer, exact, 0 if exact else min(frame.depth + 1, self.embedding_depth))
        name = _definition_name(*key, realistic=self.realism is not None)
        if key not in self._definitions:
            self._definitions[key] = self._by_name[name] = _Walk()
            if self._nesting >= _MAX_NESTED_DEFINITIONS:
                # A long chain of references (thousands of schemas in a large spec): walked later from
                # `shape`, rather than nested deeper into Python's stack.
                self._deferred.append(key)
            else:
                self._walk_definition(key)
        self._current.refs.add(name)
        return name

    def _walk_definition(self, key: tuple[str, bool, int]) -> None:
        pointer, exact, depth = key
        target = self._resolve(pointer)
        frame = _Frame(
            names=_component_names(pointer),
            description=_describe(target),
            exact=exact and self.realism is not None,
            component=pointer,
            depth=depth,
        )
        self._nesting += 1
        try:
            walked = self._walk_fresh(pointer, target, frame)
        finally:
            self._nesting -= 1
        definition = self._definitions[key]
        definition.schema, definition.refs = walked.schema, walked.refs
        definition.key_orders, definition.changed = walked.key_orders, walked.changed

    def _embeds(self, schema: Any) -> bool:
        """Whether a property's schema refers to a structured schema (a record it would embed)."""
        pending = [schema]
        while pending:
            node = pending.pop()
            if isinstance(node, list):
                pending.extend(node)
            elif isinstance(node, dict):
                ref = node.get("$ref")
                target = resolve(self.document, fragment_pointer(ref[1:])) if _local(ref) else None
                if _is_structured(target):
                    return True
                pending.extend(value for value in node.values() if isinstance(value, (dict, list)))
        return False

    def _pointer(self, ref: str) -> str:
        if not ref.startswith("#"):
            raise ShapingError(f"only local references can be generated from, found $ref {ref!r}")
        return fragment_pointer(ref[1:])

    def _resolve(self, pointer: str) -> Any:
        target = resolve(self.document, pointer)
        if target is MISSING:
            raise ShapingError(f"$ref target #{pointer} does not exist")
        return target

    def _write_only(self, properties: Any, name: str) -> bool:
        sub = properties.get(name) if isinstance(properties, dict) else None
        for _ in range(16):  # follow a chain of references, but never loop
            if not isinstance(sub, dict):
                return False
            if sub.get("writeOnly") is True:
                return True
            if not isinstance(sub.get("$ref"), str) or not sub["$ref"].startswith("#"):
                return False
            sub = resolve(self.document, fragment_pointer(sub["$ref"][1:]))
        return False

    # -- realism ---------------------------------------------------------------------------

    def _realistic(self, out: dict[str, Any], frame: _Frame) -> None:
        assert self.realism is not None
        types = declared_types(out)
        if not types or "enum" in out or "const" in out:
            return
        facts = FieldFacts(
            names=frame.names,
            description=frame.description,
            format=out.get("format") if isinstance(out.get("format"), str) else None,
            examples=frame.examples + _examples_of(out),
        )
        if "string" in types and "pattern" not in out:
            mock_format = self.realism.string_format(facts)
            if mock_format is not None:
                out["format"] = mock_format
        if "integer" in types or "number" in types:
            self._realistic_number(
                out, replace(facts, decimal="number" in types), integer="number" not in types
            )

    def _realistic_number(self, out: dict[str, Any], facts: FieldFacts, *, integer: bool) -> None:
        """Narrow to the field's plausible window, or to one next to the bounds the spec gives."""
        assert self.realism is not None
        floor = _bound(out, "minimum", "exclusiveMinimum", max)
        ceiling = _bound(out, "maximum", "exclusiveMaximum", min)
        format_bounds = _INT_FORMAT_BOUNDS.get(out.get("format", ""))
        if format_bounds is not None:
            _narrow(out, format_bounds, integer=True)
        window = self.realism.number_window(facts)
        if window is None and (floor is None or ceiling is None):
            window = plausible_window(floor, ceiling)
        if window is not None:
            _narrow(out, window, integer=integer)


def _local(ref: Any) -> TypeGuard[str]:
    return isinstance(ref, str) and ref.startswith("#")


def _definition_name(pointer: str, exact: bool, depth: int, *, realistic: bool) -> str:
    """A name for `$defs` made from the pointer, the same in every process (a hash where the pointer has
    characters that would otherwise let two pointers share a name)."""
    path = pointer.strip("/")
    name = path.replace("/", ".") if _PLAIN_POINTER.fullmatch(path) else (
        re.sub(r"[^A-Za-z0-9_-]+", ".", path) + "." + hashlib.sha256(pointer.encode()).hexdigest()[:10]
    )
    if exact:
        return (name or "root") + ("@exact" if realistic else "")
    return f"{name or 'root'}@{depth}"


def _narrow(schema: dict[str, Any], window: tuple[float, float], *, integer: bool) -> None:
    """Intersect the schema's numeric bounds with `window`, unless they do not meet."""
    low, high = window
    if integer:
        low, high = math.ceil(low), math.floor(high)
    floor = _bound(schema, "minimum", "exclusiveMinimum", max)
    ceiling = _bound(schema, "maximum", "exclusiveMaximum", min)
    new_low = low if floor is None else max(floor, low)
    new_high = high if ceiling is None else min(ceiling, high)
    if new_low > new_high:
        return
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0 and math.ceil(new_low / step) * step > new_high:
        return
    schema["minimum"], schema["maximum"] = new_low, new_high


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, pick: Any) -> float | None:
    values = [
        schema[key]
        for key in (inclusive, exclusive)
        if isinstance(schema.get(key), (int, float)) and not isinstance(schema.get(key), bool)
    ]
    return pick(values) if values else None


def _is_structured(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    return bool(_STRUCTURE & schema.keys()) or bool(declared_types(schema) & {"object", "array"})


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    description = schema.get("description")
    return description if isinstance(description, str) else ""


def _examples_of(schema: Any) -> tuple[Any, ...]:
    if not isinstance(schema, dict):
        return ()
    found: list[Any] = []
    if isinstance(schema.get("examples"), list):
        found.extend(schema["examples"])
    if "example" in schema:
        found.append(schema["example"])
    if schema.get("default") is not None:
        found.append(schema["default"])
    return tuple(found)


def _component_names(pointer: str) -> tuple[str, ...]:
    tokens = split_pointer(pointer)
    if len(tokens) >= 3 and tokens[0] == "components":
        return (normalize_name(tokens[-1]),)
    return ()


def _mapping_values(mapping: dict[str, Any], ref: str) -> list[str]:
    """The discriminator values that select the schema `ref` names (explicit mapping, else its name)."""
    name = split_pointer(fragment_pointer(ref[1:]))[-1] if ref.startswith("#") else ref
    values = [key for key, target in mapping.items() if target in (ref, name)]
    return values or [name]


def _own_discriminator(out: dict[str, Any], node: dict[str, Any]) -> None:
    """A base schema whose discriminator maps values to its subtypes (`Vehicle` with `car`, `bike`) and has
    no `oneOf`/`anyOf` of them: its value names one of the mapped subtypes."""
    discriminator = node.get("discriminator")
    if not isinstance(discriminator, dict) or "oneOf" in node or "anyOf" in node:
        return
    property_name, mapping = discriminator.get("propertyName"), discriminator.get("mapping")
    if isinstance(property_name, str) and isinstance(mapping, dict) and mapping:
        out["allOf"] = [*out.get("allOf", []), _property_is(property_name, list(mapping))]


def _property_is(name: str, values: list[str]) -> dict[str, Any]:
    return {"properties": {name: {"enum": values}}, "required": [name]}
