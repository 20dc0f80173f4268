"""Parameters: reading raw values per OpenAPI style, then coercing and checking them as FastAPI does.

Each parameter is compiled once into a `ParameterRule`: a reader (location + style + explode + the
shape of its schema) and a checker (see checkers.py). Reading never fails: a value that does not fit
the style is handed to the checker as it is, which reports it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from starlette.datastructures import Headers

from mockserver.http.headers import RequestHeaders
from mockserver.spec.schemas import declared_types
from mockserver.validation.checkers import (
    AnyValue,
    Checker,
    Reading,
    RememberedChecker,
    allowed_types,
    compile_checker,
)
from mockserver.validation.errors import ErrorItem, Loc, missing
from mockserver.validation.pydantic_types import TypeBuilder
from mockserver.validation.refs import combined_schemas, resolver

if TYPE_CHECKING:
    from mockserver.spec.model import Parameter, Spec

Shape = Literal["scalar", "array", "object"]
LOCATION_ORDER = {"path": 0, "query": 1, "header": 2, "cookie": 3}
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean"})


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


class PlainHeaders:
    """A plain mapping of headers read like starlette's `Headers` (names are case-insensitive)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._values = {name.lower(): value for name, value in headers.items()}

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)

    def getlist(self, name: str) -> list[str]:
        value = self._values.get(name.lower())
        return [] if value is None else [value]


@dataclass
class RawSources:
    """The request's parameter sources, indexed once per request."""

    path: Mapping[str, str]
    query: dict[str, list[str]]  # every value of each key, in order
    query_pairs: Sequence[tuple[str, str]]
    headers: Headers | PlainHeaders
    cookies: Mapping[str, str]

    @classmethod
    def build(
        cls,
        path: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
    ) -> RawSources:
        by_key: dict[str, list[str]] = {}
        for key, value in query:
            by_key.setdefault(key, []).append(value)
        # (The type first: `Headers` is a `Mapping`, whose isinstance check runs Python code.)
        readable = headers if type(headers) is RequestHeaders or isinstance(headers, Headers) \
            else PlainHeaders(headers)
        return cls(path, by_key, query, readable, cookies)


Reader = Callable[[RawSources], Any]


@dataclass(frozen=True)
class ParameterRule:
    """One compiled parameter: where and how to read it, how to check it, what to do when it is absent."""

    name: str
    location: str
    required: bool
    default: Any  # ABSENT when the schema has none
    read: Reader
    checker: Checker
    loc: tuple[str, str]  # where its errors are: (location, name)
    query_key: str | None = None  # a query parameter read from this key alone: absent when it is

    matters_when_absent: bool = field(init=False)  # required, or it has a default

    def __post_init__(self) -> None:
        object.__setattr__(self, "matters_when_absent", self.required or self.default is not ABSENT)

    def absent(self, into: dict[str, Any], errors: list[ErrorItem]) -> None:
        """What an absent parameter gives: its default, or an error when it is required."""
        if self.required:
            errors.append(missing(self.loc))
        elif self.default is not ABSENT:
            default = self.default
            into[self.name] = copy.deepcopy(default) if isinstance(default, (dict, list)) else default

    def check(self, raw: Any, into: dict[str, Any], errors: list[ErrorItem]) -> None:
        """Check a value that was sent; store it, typed, or append its errors."""
        value, found = self.checker.check(raw, self.loc)
        if found:
            errors.extend(found)
        else:
            into[self.name] = value


def compile_parameters(
    spec: Spec, parameters: tuple[Parameter, ...], builder: TypeBuilder
) -> list[ParameterRule]:
    """Rules for all parameters, in FastAPI's error order: path, query, header, cookie (spec order within)."""
    ordered = sorted(parameters, key=lambda parameter: LOCATION_ORDER.get(parameter.location, 9))
    query_names = frozenset(p.name for p in parameters if p.location == "query")
    return [compile_parameter(spec, parameter, builder, query_names) for parameter in ordered]


def compile_parameter(
    spec: Spec, parameter: Parameter, builder: TypeBuilder, query_names: frozenset[str] = frozenset()
) -> ParameterRule:
    resolve = resolver(spec.resolve_pointer)
    shape = value_shape(parameter.schema, resolve)
    read = make_reader(
        parameter, shape, _property_names(parameter.schema, resolve), query_names - {parameter.name}
    )
    checker = compile_checker(spec, builder, parameter.schema, parameter.schema_pointer,
                              reading=Reading.PARAMETER)
    if _scalar_or_array(parameter, shape, builder, resolve):
        read, checker = _scalar_or_array_reading(parameter, checker)
    required = parameter.required or parameter.location == "path"
    return ParameterRule(
        parameter.name, parameter.location, required, schema_default(parameter.schema, resolve), read,
        checker if isinstance(checker, AnyValue) else RememberedChecker(checker),
        (parameter.location, parameter.name), _query_key(parameter, shape),
    )


def _scalar_or_array(
    parameter: Parameter, shape: Shape, builder: TypeBuilder, resolve: Callable[[Any], Any]
) -> bool:
    """A query parameter that may be a scalar or an array (`oneOf: [string, array]`), in a spec checked by
    its JSON Schema: a single value is the scalar. (FastAPI reads a union with a list as a list.)"""
    if parameter.location != "query" or shape != "array" or builder.translates:
        return False
    return bool(allowed_types(parameter.schema, resolve) & SCALAR_TYPES)


def _scalar_or_array_reading(parameter: Parameter, checker: Checker) -> tuple[Reader, Checker]:
    """Read one value as it is (several, exploded, as a list); the checker tries the array when the scalar
    does not pass."""
    name = parameter.name
    if parameter.explode:
        def read(sources: RawSources) -> Any:
            values = sources.query.get(name)
            return ABSENT if not values else values[0] if len(values) == 1 else values

        return read, ScalarOrArray(checker, lambda raw: [raw])
    delimiter = _DELIMITERS.get(parameter.style, ",")
    return (
        lambda sources: values[-1] if (values := sources.query.get(name)) else ABSENT,
        ScalarOrArray(checker, lambda raw: _split(raw, delimiter)),
    )


class ScalarOrArray:
    """Checks a value sent once as the scalar it reads as, else as the array it also reads as."""

    def __init__(self, checker: Checker, as_array: Callable[[str], list[str]]) -> None:
        self._checker = checker
        self._as_array = as_array

    def check(self, raw: Any, loc: Loc) -> tuple[Any, list[ErrorItem]]:
        value, errors = self._checker.check(raw, loc)
        if errors and isinstance(raw, str):
            listed, list_errors = self._checker.check(self._as_array(raw), loc)
            if not list_errors:
                return listed, []
        return value, errors


def _query_key(parameter: Parameter, shape: Shape) -> str | None:
    """The query key that holds all of a query parameter, when one does (not for objects spread over
    several keys: deepObject, exploded form objects)."""
    spread = parameter.style == "deepObject" or (shape == "object" and parameter.explode)
    return parameter.name if parameter.location == "query" and not spread else None


def schema_default(schema: Any, resolve: Callable[[Any], Any]) -> Any:
    """The `default` of a schema (beside or behind its `$ref`), or ABSENT."""
    if isinstance(schema, dict) and "default" in schema:
        return schema["default"]
    target = resolve(schema)
    if target is not schema and isinstance(target, dict) and "default" in target:
        return target["default"]
    return ABSENT


def value_shape(schema: Any, resolve: Callable[[Any], Any]) -> Shape:
    """Whether values of `schema` are arrays, objects or scalars (through `$ref`s and nullable unions)."""
    shapes: set[str] = set()
    for variant in combined_schemas(resolve, schema):
        shapes |= declared_types(variant)
        if "properties" in variant:
            shapes.add("object")
    if "array" in shapes:
        return "array"  # like FastAPI: a union with a list is read as a list
    return "object" if "object" in shapes else "scalar"


def _property_names(schema: Any, resolve: Callable[[Any], Any]) -> frozenset[str]:
    names: set[str] = set()
    for variant in combined_schemas(resolve, schema):
        properties = variant.get("properties")
        names.update(properties if isinstance(properties, dict) else ())
    return frozenset(names)


# ---------------------------------------------------------------------------------------------------
# Readers


def make_reader(
    parameter: Parameter, shape: Shape, properties: frozenset[str], other_query: frozenset[str]
) -> Reader:
    """The function that extracts this parameter's raw value (str, list or dict of str) or ABSENT."""
    location, name, explode = parameter.location, parameter.name, parameter.explode
    if location == "query":
        return _query_reader(name, parameter.style, explode, shape, properties, other_query)
    if location == "path":
        return _path_reader(name, parameter.style, explode, shape)
    if location == "header":
        return _header_reader(name.lower(), explode, shape)
    return _cookie_reader(name, explode, shape)


_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}


def _query_reader(
    name: str,
    style: str,
    explode: bool,
    shape: Shape,
    properties: frozenset[str],
    other_query: frozenset[str],
) -> Reader:
    if style == "deepObject":
        return lambda sources: _deep_object(name, sources.query_pairs)
    if shape == "scalar":
        return lambda sources: values[-1] if (values := sources.query.get(name)) else ABSENT
    if shape == "array" and explode:
        return lambda sources: sources.query.get(name) or ABSENT
    if shape == "array":
        delimiter = _DELIMITERS.get(style, ",")
        return lambda sources: (
            _split(values[-1], delimiter) if (values := sources.query.get(name)) else ABSENT
        )
    if explode:
        return lambda sources: _exploded_object(sources.query, properties, other_query)
    return lambda sources: _pairs(values[-1], ",") if (values := sources.query.get(name)) else ABSENT


def _path_reader(name: str, style: str, explode: bool, shape: Shape) -> Reader:
    if style == "label":
        separator = "." if explode else ","
        return lambda sources: _unpack(_strip_prefix(sources.path.get(name), "."), shape, separator, explode)
    if style == "matrix":
        return lambda sources: _matrix(name, sources.path.get(name), shape, explode)
    return lambda sources: _unpack(sources.path.get(name, ABSENT), shape, ",", explode)


def _header_reader(name: str, explode: bool, shape: Shape) -> Reader:
    if shape == "scalar":
        return lambda sources: sources.headers.get(name, ABSENT)

    def read(sources: RawSources) -> Any:
        sent = sources.headers.getlist(name)
        if not sent:
            return ABSENT
        return _unpack(",".join(sent), shape, ",", explode)

    return read


def _cookie_reader(name: str, explode: bool, shape: Shape) -> Reader:
    return lambda sources: _unpack(sources.cookies.get(name, ABSENT), shape, ",", explode)


def _unpack(raw: Any, shape: Shape, separator: str, explode: bool) -> Any:
    """A simple/label/form-style value as a scalar, a list, or an object (`k,v,k,v` or `k=v,k=v`)."""
    if raw is ABSENT or raw is None or shape == "scalar":
        return ABSENT if raw is None else raw
    if shape == "array":
        return _split(raw, separator)
    if explode:
        return dict(item.partition("=")[::2] for item in _split(raw, separator))
    return _pairs(raw, separator)


def _split(raw: str, separator: str) -> list[str]:
    if raw == "":
        return []
    parts = raw.split(separator)
    return [part.strip() for part in parts] if separator == "," else parts


def _pairs(raw: str, separator: str) -> Any:
    parts = _split(raw, separator)
    if len(parts) % 2:
        return raw  # not key,value pairs: let the checker report it
    return dict(zip(parts[::2], parts[1::2], strict=True))


def _strip_prefix(raw: str | None, prefix: str) -> str | None:
    if raw is None:
        return None
    return raw[len(prefix) :] if raw.startswith(prefix) else raw


def _matrix(name: str, raw: str | None, shape: Shape, explode: bool) -> Any:
    """`;id=5`, `;id=3,4`, `;id=3;id=4`, `;a=1;b=2` (exploded object)."""
    if raw is None:
        return ABSENT
    segments = [segment for segment in raw.split(";") if segment]
    if shape == "object" and explode:
        return dict(segment.partition("=")[::2] for segment in segments)
    values = [segment.partition("=")[2] for segment in segments if segment.partition("=")[0] == name]
    if not values:
        return _unpack(raw, shape, ",", explode)
    if shape == "array" and explode:
        return values
    return _unpack(values[-1], shape, ",", False)


def _deep_object(name: str, pairs: Sequence[tuple[str, str]]) -> Any:
    """`filter[name]=x&filter[age]=3` as `{"name": "x", "age": "3"}` (nested brackets nest)."""
    prefix = name + "["
    found: dict[str, Any] = {}
    for key, value in pairs:
        if not key.startswith(prefix) or not key.endswith("]"):
            continue
        path = key[len(prefix) : -1].split("][")
        target = found
        for step in path[:-1]:
            nested = target.setdefault(step, {})
            if not isinstance(nested, dict):
                break
            target = nested
        else:
            target[path[-1]] = value
    return found or ABSENT


def _exploded_object(
    query: dict[str, list[str]], properties: frozenset[str], other_query: frozenset[str]
) -> Any:
    """An exploded form object: its properties are top-level query keys."""
    if properties:
        found = {key: query[key][-1] for key in properties if key in query}
    else:
        found = {key: values[-1] for key, values in query.items() if key not in other_query}
    return found or ABSENT
