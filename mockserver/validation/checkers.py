"""Compiled checks of one value against one schema: pydantic where the schema translates, else jsonschema_rs.

A checker takes the raw value (strings from the URL or headers, or parsed JSON) and the `loc` prefix
of its errors, and returns the coerced value and the error items.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import enum
import itertools
import json
import math
import re
import typing
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import jsonschema_rs
from pydantic import BaseModel, PydanticSchemaGenerationError, PydanticUserError, ValidationError
from pydantic_core import SchemaError

from mockserver.spec.schemas import declared_types
from mockserver.validation.errors import ErrorItem, Loc, from_pydantic, from_schema_errors
from mockserver.validation.openapi_semantics import OpenApiSemantics
from mockserver.validation.pydantic_types import TypeBuilder, Untranslatable, adapter_for
from mockserver.validation.refs import combined_schemas, resolver, schema_validator

if TYPE_CHECKING:
    from mockserver.spec.model import Spec, Validator

# Anything pydantic may raise while building a validator from a translated type.
_BUILD_ERRORS = (
    Untranslatable,
    PydanticUserError,
    PydanticSchemaGenerationError,
    SchemaError,
    TypeError,
    ValueError,
)

_INTEGER = re.compile(r"[+-]?\d+")
# A number as it is written (Python's `float()` also takes `inf`, `1_0` and surrounding spaces).
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


class Checker(Protocol):
    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]: ...


class PydanticChecker:
    """Validates with a pydantic TypeAdapter in lax python mode, exactly as FastAPI does."""

    def __init__(self, annotation: Any) -> None:
        self._adapter = adapter_for(annotation)
        self._has_models = _mentions_model(annotation)

    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]:
        try:
            value = self._adapter.validate_python(raw, from_attributes=True)
        except ValidationError as error:
            return None, from_pydantic(error, loc)
        if self._has_models:
            value = self._adapter.dump_python(value, by_alias=True, exclude_unset=True)
        return value, []


class Reading(enum.Enum):
    """What a checker is given: parsed JSON, taken as it is, or text to read as the schema's types
    (`coerce_strings`): a parameter's (an integer only as an integer's text) or a form field's (an
    integer also as an integral decimal)."""

    JSON = "json"
    PARAMETER = "parameter"
    FORM = "form"


class SchemaChecker:
    """Validates with jsonschema_rs; raw strings are first coerced to the types the schema allows."""

    def __init__(
        self,
        spec: Spec,
        validator: Validator,
        schema: Any,
        *,
        reading: Reading,
        pointer: str | None = None,
        lax: bool = True,
    ) -> None:
        self._validator = validator
        self._schema = schema
        self._lax = lax  # FastAPI's leniency: pydantic's lax mode decides which type errors count
        self._semantics = OpenApiSemantics(spec, schema, pointer, lax=lax)
        self._resolve = resolver(spec.resolve_pointer)
        self._from_strings = reading is not Reading.JSON
        self._decimal_integers = reading is Reading.FORM
        self._read_only = ReadOnlyProperties(spec)

    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]:
        if _holds_bytes(raw):  # uploaded files: strings of bytes to JSON Schema; handed on as bytes
            return raw, self.check(_bytes_as_text(raw), loc)[1]
        value = coerce_strings(raw, self._schema, self._resolve, self._decimal_integers) \
            if self._from_strings else raw
        if self._validator.is_valid(value):
            return value, self._semantics.errors(value, loc)
        if value != raw and self._validator.is_valid(raw):
            # a string that looked like a number, where the schema also takes strings
            return raw, self._semantics.errors(raw, loc)
        errors = from_schema_errors(self._validator.iter_errors(value), loc, self._read_only, lax=self._lax)
        return value, errors


class RememberedChecker:
    """A checker of URL and header strings that remembers its verdicts on short ones, a bounded number
    of them for every checker together: clients send the same values again and again (`limit=50`, a
    tenant id), and a check costs far more than a lookup. Only immutable results are kept."""

    _serials = itertools.count()

    def __init__(self, checker: Checker) -> None:
        self._checker = checker
        self._serial = next(self._serials)  # never reused, unlike id(): a reload cannot read stale verdicts

    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]:
        if type(raw) is not str or len(raw) > REMEMBERED_LENGTH:
            return self._checker.check(raw, loc)
        key = (self._serial, raw, loc)
        known = _VERDICTS.get(key)
        if known is not None:
            return known[0], list(known[1])
        value, errors = self._checker.check(raw, loc)
        if errors or type(value) in _IMMUTABLE:
            if len(_VERDICTS) >= REMEMBERED_VERDICTS:
                _VERDICTS.clear()
            _VERDICTS[key] = (value, tuple(errors))
        return value, errors


REMEMBERED_VERDICTS = 4096
REMEMBERED_LENGTH = 128
_VERDICTS: dict[tuple[int, str, Loc], tuple[Any, tuple[ErrorItem, ...]]] = {}
_IMMUTABLE = frozenset({str, int, float, bool, type(None), uuid.UUID, datetime.date, datetime.datetime,
                        datetime.time, datetime.timedelta, decimal.Decimal})


class AnyValue:
    """Accepts everything (no schema, or one that cannot be compiled)."""

    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]:
        return raw, []


def compile_checker(
    spec: Spec, builder: TypeBuilder, schema: Any, schema_pointer: str | None, *, reading: Reading,
) -> Checker:
    """The fastest faithful checker for `schema` (which lives at `schema_pointer` in the spec) of values
    given as `reading` says."""
    if schema is None:
        return AnyValue()
    try:
        return PydanticChecker(builder.build(schema))
    except _BUILD_ERRORS:
        pass
    if schema_pointer is None:
        return AnyValue()
    try:
        validator = schema_validator(spec, schema_pointer)
    except (jsonschema_rs.ValidationError, ValueError):
        return AnyValue()  # the spec check reports broken schemas; a request must still get an answer
    return SchemaChecker(spec, validator, schema, reading=reading, pointer=schema_pointer,
                         lax=builder.translates)


class ReadOnlyProperties:
    """Tells whether a property that a `required` keyword asks for is readOnly (so it may be absent)."""

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._builder = TypeBuilder(spec.resolve_pointer)
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, required_pointer: str, name: str) -> bool:
        key = (required_pointer, name)
        if key not in self._known:
            self._known[key] = self._is_read_only(required_pointer, name)
        return self._known[key]

    def _is_read_only(self, required_pointer: str, name: str) -> bool:
        parent = required_pointer.rpartition("/")[0]
        try:
            properties = self._spec.resolve_pointer(parent).get("properties", {})
        except (KeyError, IndexError, ValueError, AttributeError):
            return False
        return self._builder.is_read_only(properties.get(name))


def coerce_strings(raw: Any, schema: Any, resolve: Callable[[Any], Any],
                   decimal_integers: bool = False) -> Any:
    """Turn the strings of a URL, header or form value into the non-string JSON types `schema` allows.

    An integer is written as one (`5`, `+5`, `05`) in a URL or header: servers parsing one refuse `5.0`. A
    form field also takes an integral decimal (`decimal_integers`), as serializers of numbers write them
    (schemathesis sends `2.0`), and as JSON Schema counts `5.0` an integer."""
    schema = resolve(schema)
    if isinstance(raw, list):
        items = _first_in(schema, resolve, "items")
        return [coerce_strings(item, items, resolve, decimal_integers) for item in raw]
    if isinstance(raw, dict):
        properties = _first_in(schema, resolve, "properties") or {}
        extra = _first_in(schema, resolve, "additionalProperties")
        return {key: coerce_strings(value, properties.get(key, extra), resolve, decimal_integers)
                for key, value in raw.items()}
    if isinstance(raw, str):
        return _coerce_string(raw, allowed_types(schema, resolve), decimal_integers)
    return raw


def allowed_types(schema: Any, resolve: Callable[[Any], Any]) -> set[str]:
    """The JSON types a schema admits, looking through `$ref`, combinators and enums."""
    types: set[str] = set()
    for variant in combined_schemas(resolve, schema):
        types |= declared_types(variant)
        enum = variant.get("enum")
        values = enum if isinstance(enum, list) else []
        types.update(
            json_type(value) for value in [*values, *([variant["const"]] if "const" in variant else [])]
        )
    return types


def _coerce_string(raw: str, types: set[str], decimal_integers: bool) -> Any:
    """The typed reading of `raw` when the schema admits one (the caller retries the raw string).

    Exact: `" 3"` or `"\x1e3"` is not an integer (Python's `int()` would strip them). A number that JSON
    cannot hold (more digits than Python converts, or beyond a float's range) stays a string: the schema
    then reports it as no number."""
    text = raw
    numeric = types & {"integer", "number"}
    if numeric and _INTEGER.fullmatch(text):
        with contextlib.suppress(ValueError):  # more digits than Python converts (sys.get_int_max_str_digits)
            return int(text)
    elif (numeric if decimal_integers else "number" in types) and _NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number) and ("number" in types or number.is_integer()):
            return number if "number" in types else int(number)
    if "boolean" in types and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if "null" in types and text == "null":
        return None  # an empty value is the empty string, which a nullable integer does not take
    if types & {"object", "array"} and text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads
            pass
    return raw


def json_type(value: Any) -> str:
    """The JSON type name of a parsed JSON value ("null", "boolean", "integer", ..., "object")."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "string")


def _first_in(schema: Any, resolve: Callable[[Any], Any], keyword: str) -> Any:
    """`schema[keyword]`, or the first one found in the schemas it combines."""
    return next(
        (variant[keyword] for variant in combined_schemas(resolve, schema) if keyword in variant), None
    )


def _holds_bytes(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_bytes(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_bytes(item) for item in value)
    return isinstance(value, bytes)


def _bytes_as_text(value: Any) -> Any:
    """`value` with every `bytes` in it as text of one character per byte (its length is the byte count)."""
    if isinstance(value, dict):
        return {key: _bytes_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_bytes_as_text(item) for item in value]
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _mentions_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_mentions_model(argument) for argument in typing.get_args(annotation))
