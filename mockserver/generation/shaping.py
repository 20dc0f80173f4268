"""Shaping: one schema of the spec document, rewritten as a self-contained schema ready to generate from.

`shape(document, pointer, realism)` follows the schema's local `$ref`s and returns a standalone
JSON Schema 2020-12 document:

- references are inlined where that lets canonicalization merge them (leaf schemas, `allOf` members,
  discriminated branches); shared structured schemas and every recursive one go to `$defs`;
- write-only properties are dropped (they never appear in a response);
- with `realism`, the schema is *narrowed* to realistic values: string fields get an `x-mock:` format
  naming a value provider (see `realism`), numbers a plausible window, `discriminator` branches the
  value of their property. Narrowing never widens what the schema admits, is skipped wherever it
  could change meaning (under `not`, `if`, `contains`, `propertyNames`), and leaves `enum`, `const`
  and `pattern` alone;
- without `realism` the result is the response view of the schema: exactly the document's schema,
  except that write-only properties are forbidden and not required. Bodies are validated against it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from mockserver.generation.realism import FieldFacts, Realism, normalize_name, plausible_window, singular
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve, split_pointer

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


def shape(document: dict[str, Any], pointer: str, realism: Realism | None) -> Shaped:
    """The schema at `pointer` as a standalone schema (see the module docstring)."""
    return _Shaper(document, realism).run(pointer)


class _Shaper:
    def __init__(self, document: dict[str, Any], realism: Realism | None) -> None:
        self.document = document
        self.realism = realism
        self.defs: dict[str, Any] = {}
        self.def_names: dict[tuple[str, bool], str] = {}
        self.stack: list[str] = []
        self.deferred: list[tuple[str, str, bool]] = []  # (def name, pointer, exact) still to walk
        self.key_orders: dict[frozenset[str], tuple[str, ...]] = {}
        self.changed = False

    def run(self, pointer: str) -> Shaped:
        target = self._resolve(pointer)
        frame = _Frame(names=_component_names(pointer), description=_describe(target), component=pointer)
        self.stack.append(pointer)
        root = self.walk(target, frame)
        self.stack.pop()
        while self.deferred:
            name, deferred_pointer, exact = self.deferred.pop()
            self.defs[name] = self._walk_definition(deferred_pointer, exact, [])
        if self.defs:
            root = {"allOf": [root]} if not isinstance(root, dict) or "$defs" in root else dict(root)
            root["$defs"] = self.defs
        return Shaped(root, self.key_orders, self.changed)

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
                out[keyword] = self._properties(value, frame)
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
            self._realistic(out, frame)
            self._inherited_discriminator(out, node, frame)
            _own_discriminator(out, node)
        return out

    def _properties(self, properties: dict[str, Any], frame: _Frame) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            if self._write_only(properties, name):
                self.changed = True
                if self.realism is None:
                    out[name] = False
                continue
            out[name] = self.walk(sub, self._child(frame, sub, (normalize_name(name),)))
        if not frame.exact:
            self.key_orders.setdefault(frozenset(out), tuple(out))
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
        mapping = discriminator.get("mapping") if isinstance(discriminator.get("mapping"), dict) else {}
        for index, branch in enumerate(branches):
            if isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
                values = _mapping_values(mapping, branch["$ref"])
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
            mapping = discriminator.get("mapping") if isinstance(discriminator.get("mapping"), dict) else {}
            values = _mapping_values(mapping, "#" + frame.component)
            out["allOf"] = [*out["allOf"], _property_is(discriminator["propertyName"], values)]

    def _child(self, frame: _Frame, sub: Any, names: tuple[str, ...], *, inherit: bool = False) -> _Frame:
        description = _describe(sub) or (frame.description if inherit or not names else "")
        examples = _examples_of(sub) + (frame.examples if inherit else ())
        return _Frame(
            names=names or frame.names, description=description, examples=examples, exact=frame.exact
        )

    # -- references ------------------------------------------------------------------------

    def _reference(self, node: dict[str, Any], frame: _Frame) -> Any:
        pointer = self._pointer(node["$ref"])
        target = self._resolve(pointer)
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        constraining = any(key not in _ANNOTATIONS and key not in _DROPPED for key in siblings)
        recursive = pointer in self.stack
        if recursive or (not constraining and not frame.inline and _is_structured(target)):
            reference = {"$ref": "#/$defs/" + self._define(pointer, exact=frame.exact)}
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

    def _define(self, pointer: str, *, exact: bool) -> str:
        key = (pointer, exact or self.realism is None)
        name = self.def_names.get(key)
        if name is not None:
            return name
        base = re.sub(r"[^A-Za-z0-9_.-]+", ".", pointer.strip("/")) or "root"
        name = base + ("~exact" if exact and self.realism is not None else "")
        while name in self.defs:
            name += "_"
        self.def_names[key] = name
        self.defs[name] = True  # placeholder while the target is walked (it may refer to itself)
        if len(self.stack) >= _MAX_NESTED_DEFINITIONS:
            # A long chain of references (thousands of schemas in a large spec): walked later from `run`,
            # on a fresh stack, rather than nested deeper into Python's.
            self.deferred.append((name, pointer, exact))
            return name
        self.defs[name] = self._walk_definition(pointer, exact, self.stack)
        return name

    def _walk_definition(self, pointer: str, exact: bool, stack: list[str]) -> Any:
        target = self._resolve(pointer)
        frame = _Frame(
            names=_component_names(pointer), description=_describe(target), exact=exact, component=pointer
        )
        outer, self.stack = self.stack, stack
        self.stack.append(pointer)
        try:
            return self.walk(target, frame)
        finally:
            self.stack.pop()
            self.stack = outer

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
        types = _types(out)
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


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {item for item in declared if isinstance(item, str)}
    return set()


def _is_structured(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    return bool(_STRUCTURE & schema.keys()) or bool(_types(schema) & {"object", "array"})


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
