"""JSON Schemas as pydantic types, so that values are coerced and reported exactly as in a FastAPI app.

FastAPI validates each parameter (and the body) with a pydantic `TypeAdapter` in lax python mode; the
schemas it publishes are pydantic's rendering of those types. Translating a schema back gives the same
coercions (`"5"` -> 5, `"yes"` -> True) and the same error items. Only what maps one-to-one is translated:
anything else raises `Untranslatable` and the caller validates with jsonschema_rs instead.
"""

from __future__ import annotations

import datetime
import enum
import keyword
import uuid
from collections.abc import Callable
from functools import cache
from types import GenericAlias
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from mockserver.validation.refs import follow_refs

# fmt: off
# Keywords that say nothing about which values are valid (`x-` extensions are ignored too).
ANNOTATION_KEYWORDS = frozenset({
    "title", "description", "examples", "example", "default", "deprecated", "readOnly", "writeOnly",
    "$comment", "$schema", "$id", "$anchor", "$defs", "definitions", "externalDocs", "xml",
    "contentMediaType", "contentEncoding",
})
# String formats that jsonschema_rs checks; the others only describe the value and accept any string.
CHECKED_STRING_FORMATS = frozenset({
    "date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4",
    "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer",
    "relative-json-pointer", "regex", "uuid",
})
# fmt: on

FORMAT_TYPES: dict[str, Any] = {
    "date": datetime.date,
    "date-time": datetime.datetime,
    "time": datetime.time,
    "duration": datetime.timedelta,
    "uuid": uuid.UUID,
    "binary": bytes,
}
# Formats that only describe the storage of a number.
NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double"})
INTEGER_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

_STRING_KEYWORDS = frozenset({"type", "minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYWORDS = frozenset(
    {"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"}
)
_ARRAY_KEYWORDS = frozenset({"type", "items", "minItems", "maxItems", "uniqueItems"})
_OBJECT_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})

# FastAPI hands enum members to the endpoint; we keep plain values, which is what a mock needs.
MODEL_CONFIG = ConfigDict(use_enum_values=True)


class Untranslatable(Exception):
    """The schema has no exact pydantic counterpart."""


def validation_keywords(schema: dict[str, Any]) -> set[str]:
    """The keywords of `schema` that constrain values."""
    return {name for name in schema if name not in ANNOTATION_KEYWORDS and not name.startswith("x-")}


@cache
def format_adapter(format_name: str) -> TypeAdapter[Any] | None:
    """The pydantic validator of a string format (date, uuid, ...), or None."""
    python_type = FORMAT_TYPES.get(format_name)
    return None if python_type is None else TypeAdapter(python_type)


@cache
def scalar_adapter(json_type: str) -> TypeAdapter[Any] | None:
    """The pydantic validator of a scalar JSON type ("integer", "number", "boolean", "string"), or None."""
    python_type = {"integer": int, "number": float, "boolean": bool, "string": str}.get(json_type)
    return None if python_type is None else TypeAdapter(python_type)


def adapter_for(annotation: Any) -> TypeAdapter[Any]:
    """A TypeAdapter for a translated type (models carry their own config)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return TypeAdapter(annotation)
    return TypeAdapter(annotation, config=MODEL_CONFIG)


class TypeBuilder:
    """Translates the request schemas of one spec (readOnly properties are never required in requests).

    Models of `$ref`ed schemas are built once and shared.
    """

    def __init__(self, resolve_pointer: Callable[[str], Any], *, translate: bool = True) -> None:
        self._resolve_pointer = resolve_pointer
        self._translate = translate  # False: nothing is translated; schemas keep their JSON Schema meaning
        self._by_pointer: dict[str, Any] = {}
        self._in_progress: set[str] = set()

    def build(self, schema: Any, *, named: bool = False) -> Any:
        """The pydantic type for `schema`; raises Untranslatable.

        `named`: the schema is a component reached by `$ref`. Pydantic publishes an `Enum` class that way
        and a `Literal` inline, and their errors differ (`enum` vs `literal_error`).
        """
        if not self._translate:
            raise Untranslatable("translation is off")
        if schema is True or schema == {}:
            return Any
        if not isinstance(schema, dict):
            raise Untranslatable("a false schema")
        keywords = validation_keywords(schema)
        if "$ref" in keywords:
            _only(keywords, {"$ref"})
            return self._reference(schema["$ref"])
        if "enum" in keywords:
            _only(keywords, {"enum", "type"})
            return _enum_type(schema["enum"], schema.get("title")) if named else _literal_type(schema["enum"])
        if "const" in keywords:
            _only(keywords, {"const", "type"})
            return Literal[schema["const"]]
        for combinator in ("anyOf", "oneOf", "allOf"):
            if combinator in keywords:
                _only(keywords, {combinator, "discriminator"})
                if "discriminator" in keywords:
                    return self._discriminated(schema[combinator], schema["discriminator"])
                return self._combination(combinator, schema[combinator])
        schema_type = schema.get("type")
        if schema_type is None:
            _only(keywords, set())
            return Any
        return self._typed(schema_type, schema, keywords)

    @property
    def translates(self) -> bool:
        """Whether schemas are translated (a FastAPI spec, checked with FastAPI's leniency)."""
        return self._translate

    def is_read_only(self, schema: Any) -> bool:
        """True when `schema` (or the schema its `$ref`s name) is marked readOnly."""
        if isinstance(schema, dict) and schema.get("readOnly") is True:
            return True
        target = self.resolve(schema)
        return isinstance(target, dict) and target.get("readOnly") is True

    def resolve(self, schema: Any) -> Any:
        """The schema a chain of `$ref`s names, or `schema` itself."""
        return follow_refs(self._resolve_pointer, schema)[0]

    def _reference(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise Untranslatable(f"non-local $ref {ref!r}")
        pointer = ref[1:]
        if pointer in self._by_pointer:
            return self._by_pointer[pointer]
        if pointer in self._in_progress:
            raise Untranslatable(f"recursive schema at {pointer}")
        target, _ = follow_refs(self._resolve_pointer, {"$ref": ref})
        if target is None:
            raise Untranslatable(f"unresolvable $ref {ref!r}")
        self._in_progress.add(pointer)
        try:
            built = self.build(target, named=True)
        finally:
            self._in_progress.discard(pointer)
        self._by_pointer[pointer] = built
        return built

    def _combination(self, combinator: str, members: Any) -> Any:
        if not isinstance(members, list) or not members:
            raise Untranslatable(f"empty {combinator}")
        if combinator == "allOf":
            if len(members) != 1:
                raise Untranslatable("allOf of several schemas")
            return self.build(members[0])
        non_null = [member for member in members if not _is_null_schema(member)]
        nullable = len(non_null) < len(members)
        if combinator == "oneOf" and len(non_null) > 1:
            raise Untranslatable("oneOf of several schemas")  # pydantic unions accept several matches
        if not non_null:
            return None
        inner = [self.build(member) for member in non_null]
        combined = inner[0] if len(inner) == 1 else Union[tuple(inner)]  # noqa: UP007
        return Optional[combined] if nullable else combined  # noqa: UP045

    def _discriminated(self, members: Any, discriminator: Any) -> Any:
        """A tagged union of objects (pydantic's `Field(discriminator=...)`)."""
        tag = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        if not isinstance(members, list) or not _is_field_name(tag):
            raise Untranslatable("discriminator without a usable propertyName")
        models = [self.build(member) for member in members]
        return Annotated[Union[tuple(models)], Field(discriminator=tag)]  # noqa: UP007

    def _typed(self, schema_type: Any, schema: dict[str, Any], keywords: set[str]) -> Any:
        if isinstance(schema_type, list):
            non_null = [name for name in schema_type if name != "null"]
            if len(non_null) != 1:
                raise Untranslatable("several types")
            inner = self._typed(non_null[0], schema, keywords)
            return Optional[inner] if "null" in schema_type else inner  # noqa: UP045
        if schema_type == "string":
            return _string_type(schema, keywords)
        if schema_type in ("integer", "number"):
            return _number_type(int if schema_type == "integer" else float, schema, keywords)
        if schema_type == "boolean":
            _only(keywords, {"type"})
            return bool
        if schema_type == "null":
            _only(keywords, {"type"})
            return None
        if schema_type == "array":
            return self._array_type(schema, keywords)
        if schema_type == "object":
            return self._object_type(schema, keywords)
        raise Untranslatable(f"unknown type {schema_type!r}")

    def _array_type(self, schema: dict[str, Any], keywords: set[str]) -> Any:
        _only(keywords, _ARRAY_KEYWORDS)
        items_schema = schema.get("items", True)
        items = self.build(items_schema)
        container: Any = GenericAlias(list, (items,))
        if schema.get("uniqueItems") is True:
            # pydantic publishes `set[X]` this way; a set drops duplicates instead of refusing them.
            if not _is_scalar_schema(self.resolve(items_schema)):
                raise Untranslatable("uniqueItems of objects or arrays")
            container = GenericAlias(set, (items,))
        bounds = _field_bounds(schema, {"minItems": "min_length", "maxItems": "max_length"})
        return Annotated[container, Field(**bounds)] if bounds else container

    def _object_type(self, schema: dict[str, Any], keywords: set[str]) -> Any:
        _only(keywords, _OBJECT_KEYWORDS)
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        if not properties and "required" not in schema:
            return dict[str, Any] if extra in (True, {}) else GenericAlias(dict, (str, self.build(extra)))
        if extra not in (True, False, {}):
            raise Untranslatable("properties with an additionalProperties schema")
        required = set(schema.get("required", ()))
        fields: dict[str, Any] = {}
        for index, name in enumerate([*properties, *sorted(required - properties.keys())]):
            property_schema = properties.get(name, True)
            annotation = self.build(property_schema)
            is_required = name in required and not self.is_read_only(property_schema)
            default = ... if is_required else None
            if _is_field_name(name):
                fields[name] = (annotation, Field(default))
            else:
                fields[f"field_{index}"] = (annotation, Field(default, alias=name))
        config = ConfigDict(**MODEL_CONFIG)
        config["extra"] = "forbid" if extra is False else "ignore"
        model_name = str(schema.get("title") or "Model")
        return create_model(model_name, __config__=config, **fields)


def _only(keywords: set[str], allowed: set[str] | frozenset[str]) -> None:
    unknown = keywords - allowed
    if unknown:
        raise Untranslatable(f"keywords {sorted(unknown)}")


def _is_field_name(name: Any) -> bool:
    """True when a property name can be a pydantic field name as it is (discriminators need that)."""
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith(("_", "model_"))
        and not hasattr(BaseModel, name)
    )


def _is_scalar_schema(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    declared = schema.get("type")
    types = set(declared if isinstance(declared, list) else [declared])
    return bool(types) and not types & {"object", "array", None}


def _is_null_schema(schema: Any) -> bool:
    return (
        isinstance(schema, dict) and schema.get("type") == "null" and validation_keywords(schema) == {"type"}
    )


def _enum_type(values: Any, title: Any) -> Any:
    if not isinstance(values, list) or not values:
        raise Untranslatable("empty enum")
    if any(isinstance(value, (dict, list)) for value in values):
        raise Untranslatable("enum of objects")
    options = [value for value in values if value is not None]
    if not options:
        return None
    if all(isinstance(value, str) for value in options):
        mixin: type | None = str
    elif all(isinstance(value, int) and not isinstance(value, bool) for value in options):
        mixin = int
    else:
        mixin = None
    members = [(f"member_{index}", value) for index, value in enumerate(options)]
    enum_class = enum.Enum(str(title or "Enum"), members, type=mixin)  # type: ignore[misc]
    return Optional[enum_class] if len(options) < len(values) else enum_class  # noqa: UP045


def _literal_type(values: Any) -> Any:
    if not isinstance(values, list) or not values:
        raise Untranslatable("empty enum")
    if any(isinstance(value, (dict, list)) for value in values):
        raise Untranslatable("enum of objects")
    return Literal[tuple(values)]


def _string_type(schema: dict[str, Any], keywords: set[str]) -> Any:
    _only(keywords, _STRING_KEYWORDS)
    format_name = schema.get("format")
    bounds = _field_bounds(
        schema, {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}
    )
    if format_name in FORMAT_TYPES and not bounds:
        return FORMAT_TYPES[format_name]
    if format_name in CHECKED_STRING_FORMATS or format_name in FORMAT_TYPES:
        raise Untranslatable(f"string format {format_name!r}")
    return Annotated[str, Field(**bounds)] if bounds else str


def _number_type(python_type: type, schema: dict[str, Any], keywords: set[str]) -> Any:
    _only(keywords, _NUMBER_KEYWORDS)
    format_name = schema.get("format")
    if format_name is not None and format_name not in NUMBER_FORMATS:
        raise Untranslatable(f"number format {format_name!r}")
    names = {
        "minimum": "ge",
        "maximum": "le",
        "exclusiveMinimum": "gt",
        "exclusiveMaximum": "lt",
        "multipleOf": "multiple_of",
    }
    bounds = _field_bounds(schema, names)
    if any(isinstance(value, bool) or not isinstance(value, (int, float)) for value in bounds.values()):
        raise Untranslatable("non-numeric bounds")
    if python_type is int and format_name in INTEGER_FORMAT_BOUNDS:  # an int64 holds 64 bits, no more
        low, high = INTEGER_FORMAT_BOUNDS[format_name]
        bounds["ge"], bounds["le"] = max(bounds.get("ge", low), low), min(bounds.get("le", high), high)
    if python_type is int:
        if any(isinstance(value, float) and not value.is_integer() for value in bounds.values()):
            raise Untranslatable("fractional bounds on an integer")
        bounds = {name: int(value) for name, value in bounds.items()}
    return Annotated[python_type, Field(**bounds)] if bounds else python_type


def _field_bounds(schema: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {field_name: schema[keyword] for keyword, field_name in names.items() if keyword in schema}
