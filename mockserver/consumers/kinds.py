"""Kinds of parameter values: absent, valid, boundary (valid, on a declared bound) or invalid.

A value from the wire (path, query, header, cookie: always text) is first read as the schema's type
(`"5"` is the integer 5 for an integer parameter), then judged against the parameter's schema.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mockserver.spec.model import Parameter, Spec
from mockserver.spec.schemas import declared_types
from mockserver.validation.checkers import json_type

ABSENT = "absent"
VALID = "valid"
BOUNDARY = "boundary"
INVALID = "invalid"
KINDS = (ABSENT, VALID, BOUNDARY, INVALID)

Resolve = Callable[[str], Any]  # a `$ref` (`#/...`) -> the schema it points at
IsValid = Callable[[Any], bool]

_MAX_DEPTH = 16


def effective_schemas(schema: Any, resolve: Resolve, depth: int = 0) -> list[dict[str, Any]]:
    """`schema` and the schemas it is made of (`$ref` followed, allOf/anyOf/oneOf opened), itself first."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return []
    reference = schema.get("$ref")
    if isinstance(reference, str):
        target = resolve(reference)
        own = {key: value for key, value in schema.items() if key != "$ref"}
        return [own, *effective_schemas(target, resolve, depth + 1)] if own else effective_schemas(
            target, resolve, depth + 1)
    found = [schema]
    for keyword in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(keyword) or ():
            found += effective_schemas(part, resolve, depth + 1)
    return found


def schema_types(schema: Any, resolve: Resolve) -> set[str]:
    """The JSON types a schema names anywhere in what it is made of (empty: any type)."""
    types: set[str] = set()
    for part in effective_schemas(schema, resolve):
        types |= declared_types(part)
        if "enum" in part or "const" in part:
            enum = part.get("enum")
            values: list[Any] = enum if isinstance(enum, list) else [part.get("const")]
            types.update(json_type(value) for value in values)
    return types


def enum_values(schema: Any, resolve: Resolve) -> list[Any] | None:
    """The values an enum (or const) parameter can take, or None when it is not one."""
    for part in effective_schemas(schema, resolve):
        if isinstance(part.get("enum"), list):
            return list(part["enum"])
        if "const" in part:
            return [part["const"]]
    return None


def from_wire(text: str | list[str], schema: Any, resolve: Resolve) -> Any:
    """A parameter's text as the value its schema describes (lists item by item); unreadable text stays."""
    if isinstance(text, list):
        items = _items_schema(schema, resolve)
        return [from_wire(item, items, resolve) for item in text]
    types = schema_types(schema, resolve)
    if "array" in types and not types & {"string"} and "," in text:
        return from_wire(text.split(","), schema, resolve)
    if "array" in types and not types & {"string"}:
        return from_wire([text], schema, resolve)
    for kind in ("integer", "number", "boolean", "null"):
        if kind in types:
            value = _read(kind, text)
            if value is not _UNREAD:
                return value
    return text


def classify(value: Any, schema: Any, resolve: Resolve, is_valid: IsValid) -> str:
    """VALID, BOUNDARY or INVALID for a value (already read with `from_wire` when it came as text)."""
    if not is_valid(value):
        return INVALID
    return BOUNDARY if on_bound(value, schema, resolve) else VALID


def on_bound(value: Any, schema: Any, resolve: Resolve) -> bool:
    """True when the value sits exactly on a bound its schema declares (a minimum, a maximum length...)."""
    if _is_number(value):
        measure, bounds = float(value), ("minimum", "maximum")
    elif isinstance(value, str):
        measure, bounds = float(len(value)), ("minLength", "maxLength")
    elif isinstance(value, list):
        measure, bounds = float(len(value)), ("minItems", "maxItems")
    else:
        return False
    if not math.isfinite(measure):
        return False
    return any(_is_number(part.get(bound)) and float(part[bound]) == measure
               for part in effective_schemas(schema, resolve) for bound in bounds)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _items_schema(schema: Any, resolve: Resolve) -> Any:
    for part in effective_schemas(schema, resolve):
        if isinstance(part.get("items"), dict):
            return part["items"]
    return {}


class _Unread:
    pass


_UNREAD: Any = _Unread()


def _read(kind: str, text: str) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return _UNREAD
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return _UNREAD
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), _UNREAD)
    return None if text in ("", "null") else _UNREAD



def judge(spec: Spec, parameter: Parameter, raw: str | list[str] | None) -> tuple[str, Any]:
    """(kind, value read) of what a request sent for `parameter`; None when it sent nothing."""
    if raw is None:
        return ABSENT, None
    resolve = spec.resolve_ref
    value = from_wire(raw, parameter.schema, resolve)
    is_valid = spec.validator(parameter.schema_pointer).is_valid
    return classify(value, parameter.schema, resolve, is_valid), value


def possible_kinds(spec: Spec, parameter: Parameter) -> tuple[str, ...]:
    """The kinds a request can send for `parameter`: absent only when optional, boundary only when the
    schema declares a bound, invalid only when some text is not a valid value."""
    resolve = spec.resolve_ref
    parts = effective_schemas(parameter.schema, resolve)
    found = [] if parameter.required else [ABSENT]
    found.append(VALID)
    bounds = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems")
    if any(bound in part for part in parts for bound in bounds):
        found.append(BOUNDARY)
    types = schema_types(parameter.schema, resolve)
    constrained = ("enum", "const", "pattern", "format", "minLength", "maxLength", "not")
    if (types and not types & {"string"}) or any(key in part for part in parts for key in constrained):
        found.append(INVALID)
    return tuple(found)
