"""Form bodies (urlencoded and multipart) read into the document their schema describes, then checked whole.

A form is flat: names with text values (and files). Read along the media type's schema and `encoding`
(OpenAPI's `style`/`explode` for urlencoded forms, `contentType` for multipart parts):

- bracketed names nest (`transfer_data[amount]=5`, deepObject and the Rails/PHP convention), and index
  an array where the schema has one (`items[0][price]=3`, `tags[]=a`);
- an array is every value of a repeated name, or one value split at its delimiter (`form`,
  `spaceDelimited`, `pipeDelimited` without explode); a single value is a scalar where the schema takes one;
- an object is its bracketed names, its properties sent as names of their own (`form` with explode, the
  urlencoded default), `key,value,...` pairs (`form` without explode), or a JSON document (a part whose
  Content-Type or `encoding` says JSON, the multipart default for objects);
- text becomes the number, integer, boolean or null its schema asks for, through `$ref`, `allOf`, `anyOf`
  and `oneOf`; an empty value is the empty string, or an empty object or array where the schema takes no
  string (a form has no other way to write them).

The document is then checked with the media type's whole schema, as a JSON body is: undocumented names
where `additionalProperties` is false, `required` names (with or without a `properties` entry), every
keyword of nested fields. This is how a spec that is not FastAPI's is checked; FastAPI's own forms are read
field by field (see `body.BodyFields`).
"""

from __future__ import annotations

import copy
import json
import re
from typing import TYPE_CHECKING, Any

from mockserver.validation.checkers import Checker, Reading, allowed_types, coerce_strings, compile_checker
from mockserver.validation.errors import ErrorItem, Loc
from mockserver.validation.params import ABSENT, schema_default, value_shape
from mockserver.validation.pydantic_types import TypeBuilder
from mockserver.validation.refs import combined_schemas, resolver

if TYPE_CHECKING:
    from mockserver.spec.model import MediaType, Spec

_DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
MAX_DEPTH = 32  # bracketed names nested deeper are taken as they are written (no schema nests that far)
_SCALARS = frozenset({"string", "integer", "number", "boolean"})


class JsonPart(str):
    """The text of a multipart part whose Content-Type is JSON."""

    __slots__ = ()


class _Values(list[Any]):
    """Every value sent for one name (or one bracketed path), in order."""


class _Tree(dict[str, Any]):
    """Bracketed names under one name: `a[b][c]=v` is `{"b": {"c": [v]}}` under `a` (leaves are `_Values`)."""


def is_json_media_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


class FormBody:
    """One form media type of an operation, compiled once: its fields' encodings and its whole check."""

    def __init__(self, spec: Spec, builder: TypeBuilder, media: MediaType) -> None:
        self._resolve = resolver(spec.resolve_pointer)
        self._variants: dict[int, list[dict[str, Any]]] = {}  # by id of a schema: what it combines
        self._kinds_of: dict[int, set[str]] = {}  # by id of a schema: the JSON types it takes
        self._checker: Checker = compile_checker(
            spec, builder, media.schema, media.schema_pointer, reading=Reading.JSON
        )
        self._schema = media.schema
        self._properties = self._merged_properties(media.schema)
        self._encoding = _encoding_of(spec, media)
        self._defaults = {
            name: default
            for name, schema in self._properties.items()
            if (default := schema_default(schema, self._resolve)) is not ABSENT
        }
        self._exploded = {  # object properties sent `form`-exploded: their own properties' names
            name: frozenset(self._merged_properties(schema))
            for name, schema in self._properties.items()
            if self._encoding.get(name, {}).get("style", "form") == "form"
            and self._encoding.get(name, {}).get("explode") is not False
            and "object" in self._kinds(schema)
        }

    def check(
        self, fields: list[tuple[str, Any]], *, multipart: bool, loc: Loc
    ) -> tuple[Any, list[ErrorItem]]:
        """The form as a typed document, and its errors."""
        document = self.read(fields, multipart=multipart)
        value, errors = self._checker.check(document, loc)
        if errors or not isinstance(value, dict):
            return value, errors
        for name, default in self._defaults.items():
            if name not in value:
                value[name] = copy.deepcopy(default) if isinstance(default, (dict, list)) else default
        return value, errors

    # --- reading ---------------------------------------------------------------------------------------

    def read(self, fields: list[tuple[str, Any]], *, multipart: bool) -> dict[str, Any]:
        """The fields as the document they write (see the module's docstring)."""
        plain: dict[str, _Values] = {}
        nested: dict[str, _Tree] = {}
        for key, value in fields:
            name, path = self._split(key)
            if path:
                _insert(nested.setdefault(name, _Tree()), path, value)
            else:
                plain.setdefault(name, _Values()).append(value)
        document: dict[str, Any] = {}
        for name in [*plain, *(name for name in nested if name not in plain)]:
            if name in nested:
                document[name] = self._typed(nested[name], self._properties.get(name, True))
            elif name in self._properties:
                document[name] = self._field(name, plain[name], multipart=multipart)
            else:
                document[name] = self._typed(plain[name], self._extra_schema())
        if not multipart and self._exploded:
            self._gather_exploded_objects(document, plain)
        return document

    def _split(self, key: str) -> tuple[str, list[str]]:
        """`a[b][]` -> ("a", ["b", ""]) when `a` is a documented property (and `a[b][]` is not). Only `][`
        separates keys, so a key may hold a lone bracket (`a[x]y]` -> ("a", ["x]y"]))."""
        if key in self._properties:
            return key, []
        name, bracket, rest = key.partition("[")
        if not bracket or not rest.endswith("]") or name not in self._properties:
            return key, []
        path = rest[:-1].split("][")
        return (name, path) if len(path) <= MAX_DEPTH else (key, [])

    def _field(self, name: str, values: _Values, *, multipart: bool) -> Any:
        """A documented property sent under its own name (no brackets)."""
        schema = self._properties[name]
        encoding = self._encoding.get(name, {})
        kinds = self._kinds(schema)
        content_type = encoding.get("contentType")
        if isinstance(content_type, str):
            as_json = is_json_media_type(content_type)
        else:  # the multipart default: JSON for an object, and for an array of objects or arrays
            structured = self._kinds(self._first(schema, "items")) if "array" in kinds else kinds
            as_json = multipart and bool(structured & {"object", "array"}) and not structured & _SCALARS
        values = _Values(JsonPart(value) if as_json and _is_text(value) else value for value in values)
        if "array" in kinds:
            return self._typed(self._array_reading(values, encoding, kinds, multipart=multipart), schema)
        last = values[-1]
        style, explode = encoding.get("style", "form"), encoding.get("explode")
        pairs = "object" in kinds and style == "form" and explode is False
        if pairs and not multipart and _is_text(last) and not isinstance(last, JsonPart):
            last = _pairs(last)
        return self._typed(last, schema)

    def _array_reading(
        self, values: _Values, encoding: dict[str, Any], kinds: set[str], *, multipart: bool
    ) -> Any:
        if len(values) == 1 and isinstance(values[0], JsonPart):
            document = self._typed(values[0], True)  # the whole array, or its one item
            return document if isinstance(document, list) else _Values([values[0]])
        style = encoding.get("style", "form")
        explode = encoding.get("explode", style == "form")
        if len(values) == 1 and kinds & _SCALARS:
            return values[0]  # a single value is the scalar the schema also takes
        if multipart or explode or not _is_text(values[-1]):
            return values
        delimiter = _DELIMITERS.get(style, ",")
        return _Values(values[-1].split(delimiter)) if values[-1] else _Values()

    def _gather_exploded_objects(self, document: dict[str, Any], plain: dict[str, _Values]) -> None:
        """Object properties sent `form`-exploded (the urlencoded default): their properties are names of
        their own. Names the body does not document are taken back to the object that documents them."""
        for name, inner in self._exploded.items():
            if name in document:
                continue
            taken = [key for key in plain if key not in self._properties and key in inner]
            if taken:
                spread = _Tree({key: plain[key] for key in taken})
                document[name] = self._typed(spread, self._properties[name])
                for key in taken:
                    document.pop(key, None)

    # --- typing along the schema -----------------------------------------------------------------------

    def _typed(self, raw: Any, schema: Any) -> Any:
        """`raw` (text, files, values of a name, a tree of bracketed names, or a JSON document already
        parsed) as the schema reads it."""
        if isinstance(raw, JsonPart):
            try:
                return json.loads(raw)
            except (ValueError, RecursionError):  # not JSON, or more deeply nested than Python reads
                return str(raw)
        if isinstance(raw, bytes) or (type(raw) in (list, dict)):  # files, and JSON documents: as they are
            return raw
        kinds = self._kinds(schema)
        if isinstance(raw, _Values):
            if "array" in kinds and not (len(raw) == 1 and kinds & _SCALARS):
                items = self._first(schema, "items")
                return [self._typed(value, items) for value in raw]
            return self._typed(raw[-1], schema)
        if isinstance(raw, _Tree):
            if "array" in kinds and all(key == "" or _is_index(key) for key in raw):
                return self._indexed(raw, self._first(schema, "items"))
            return {key: self._typed(value, self._property_schema(schema, key)) for key, value in raw.items()}
        if raw == "" and "string" not in kinds and kinds & {"object", "array"}:
            return {} if "object" in kinds else []
        if isinstance(raw, str):
            return coerce_strings(raw, schema, self._resolve, decimal_integers=True)
        return raw

    def _indexed(self, tree: _Tree, items: Any) -> list[Any]:
        """`{"0": ..., "1": ..., "": [...]}` (from `a[0]`, `a[1]`, `a[]`) as the list it writes."""
        listed = [self._typed(tree[key], items) for key in sorted((k for k in tree if k), key=_index_order)]
        appended = tree.get("")
        if isinstance(appended, _Values):
            listed.extend(self._typed(value, items) for value in appended)
        elif appended is not None:
            listed.append(self._typed(appended, items))
        return listed

    def _kinds(self, schema: Any) -> set[str]:
        """The JSON types a schema takes (`object` and `array` also when `properties` or `items` say so)."""
        known = self._kinds_of.get(id(schema))
        if known is None:
            known = self._kinds_of[id(schema)] = self._find_kinds(schema)
        return known

    def _find_kinds(self, schema: Any) -> set[str]:
        kinds = allowed_types(schema, self._resolve)
        shape = value_shape(schema, self._resolve)
        if shape != "scalar":
            kinds.add(shape)
        for variant in self._combined(schema):
            if "items" in variant:
                kinds.add("array")
        return kinds

    def _property_schema(self, schema: Any, name: str) -> Any:
        """The schema of property `name` of an object schema (any of the schemas it combines)."""
        for variant in self._combined(schema):
            properties = variant.get("properties")
            if isinstance(properties, dict) and name in properties:
                return properties[name]
        for variant in self._combined(schema):
            patterns = variant.get("patternProperties")
            for pattern, pattern_schema in patterns.items() if isinstance(patterns, dict) else ():
                if _searches(pattern, name):
                    return pattern_schema
        extra = self._first(schema, "additionalProperties")
        return extra if isinstance(extra, dict) else True

    def _extra_schema(self) -> Any:
        extra = self._first(self._schema, "additionalProperties")
        return extra if isinstance(extra, dict) else True

    def _merged_properties(self, schema: Any) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for variant in self._combined(schema):
            properties = variant.get("properties")
            for name, property_schema in properties.items() if isinstance(properties, dict) else ():
                merged.setdefault(name, property_schema)
        return merged

    def _first(self, schema: Any, keyword: str) -> Any:
        return next((variant[keyword] for variant in self._combined(schema) if keyword in variant), True)

    def _combined(self, schema: Any) -> list[dict[str, Any]]:
        key = id(schema)
        variants = self._variants.get(key)
        if variants is None:
            variants = self._variants[key] = combined_schemas(self._resolve, schema)
        return variants


def _encoding_of(spec: Spec, media: MediaType) -> dict[str, dict[str, Any]]:
    """The media type's `encoding` object (read from the media type object its schema pointer is in)."""
    pointer = media.schema_pointer
    if pointer is None or not pointer.endswith("/schema"):
        return {}
    try:
        media_object = spec.resolve_pointer(pointer[: -len("/schema")])
    except (KeyError, IndexError, ValueError, TypeError):
        return {}
    encoding = media_object.get("encoding") if isinstance(media_object, dict) else None
    if not isinstance(encoding, dict):
        return {}
    return {name: entry for name, entry in encoding.items() if isinstance(entry, dict)}


def _insert(tree: _Tree, path: list[str], value: Any) -> None:
    """Put `value` at `path` in a tree of bracketed names (a value under a name already holding a tree, or
    the reverse, is dropped: a form cannot mean both)."""
    node = tree
    for token in path[:-1]:
        child = node.setdefault(token, _Tree())
        if not isinstance(child, _Tree):
            return
        node = child
    leaf = node.setdefault(path[-1], _Values())
    if isinstance(leaf, _Values):
        leaf.append(value)


def _pairs(text: str) -> Any:
    parts = text.split(",") if text else []
    if len(parts) % 2:
        return text  # not key,value pairs: the schema reports it
    return _Tree(zip(parts[::2], parts[1::2], strict=True))


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit()


def _index_order(key: str) -> tuple[int, str]:
    """The order of decimal indexes, without converting them (an index may have thousands of digits)."""
    digits = key.lstrip("0")
    return len(digits), digits


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _searches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False

