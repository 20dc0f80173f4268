"""Pure operations on records: ids as text, new ids, timestamps, patches, equality filters and pages.

Nothing here keeps state or knows about requests beyond typed parameter values: the stateful answers
(`mockserver.answers.stateful`) compose these with the record store.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import jsonpatch
import jsonpointer

from mockserver.resources.schemas import ObjectView, is_array, matching_property, normalized, types_of
from mockserver.spec.model import Operation, Parameter

CREATED_FIELDS = frozenset({"createdat", "created", "creationdate", "datecreated", "createdon", "insertedat",
                            "createdtime", "creationtime", "createddate"})
UPDATED_FIELDS = frozenset({"updatedat", "updated", "modifiedat", "modified", "lastmodified", "updatedon",
                            "datemodified", "lastupdated", "modifiedon", "updatedtime", "lastmodifiedat",
                            "lastupdatedat", "updateddate"})
LIMIT_PARAMS = ("limit", "pagesize", "perpage", "size", "maxresults", "top", "take", "first", "count")
OFFSET_PARAMS = ("offset", "skip", "start")
PAGE_PARAMS = ("page", "pagenumber", "pageno", "pagenum")
CURSOR_PARAMS = ("cursor", "after", "pagetoken", "nexttoken", "startingafter", "continuation",
                 "continuationtoken", "marker", "startafter")
TOTAL_FIELDS = frozenset({"total", "count", "totalcount", "totalitems", "totalresults", "totalelements",
                          "totalrecords", "totalsize"})
LIMIT_FIELDS = frozenset({"limit", "pagesize", "perpage", "size"})
OFFSET_FIELDS = frozenset({"offset", "skip"})
PAGE_FIELDS = frozenset({"page", "pagenumber"})
HAS_MORE_FIELDS = frozenset({"hasmore", "hasnext", "hasnextpage", "more"})
NEXT_CURSOR_FIELDS = frozenset({"nextcursor", "next", "nextpagetoken", "nexttoken", "cursor"})
_CURSOR_PREFIX = "offset:"


class PatchError(ValueError):
    """A patch that cannot be applied (a JSON Patch `test` that fails, a path that does not exist...)."""


def id_text(value: Any) -> str:
    """An id as the store keys it: `7` and `"7"` alike, UUIDs in canonical form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value.value if isinstance(value, Enum) else value)
    if len(text) == 36 and text.count("-") == 4:
        try:
            return str(uuid.UUID(text))
        except ValueError:
            return text
    return text


def plain_value(value: Any, schema: Mapping[str, Any]) -> Any:
    """A typed parameter value (int, UUID, date, enum...) as a record field of this schema holds it."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, uuid.UUID | dt.date | dt.datetime | dt.time):
        value = as_text(value)
    kinds = types_of(schema)
    if "string" in kinds and not isinstance(value, str):
        return id_text(value)
    if isinstance(value, str) and kinds & {"integer", "number"} and "string" not in kinds:
        try:
            return int(value)
        except ValueError:
            return value
    return value


def as_text(value: Any) -> str:
    """A scalar as text for equality filters: booleans in JSON spelling, dates in ISO 8601."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return id_text(value)


def numbered_id(schema: Mapping[str, Any], number: int, salt: str) -> Any:
    """The `number`-th id of an integer or UUID id schema (None for other schemas: they are generated)."""
    if "integer" in types_of(schema):
        lowest = schema.get("minimum", 1)
        if isinstance(schema.get("exclusiveMinimum"), int | float):
            lowest = max(lowest, int(schema["exclusiveMinimum"]) + 1)
        return max(int(lowest), 1) + number - 1
    if schema.get("format") == "uuid":
        digest = hashlib.sha256(f"{salt}|{number}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))
    return None


def now_value(schema: Mapping[str, Any], now: dt.datetime) -> Any:
    """`now` in the form a timestamp property's schema asks for (None: the schema is not a time)."""
    kinds = types_of(schema)
    if "integer" in kinds:
        return int(now.timestamp())
    if "number" in kinds:
        return now.timestamp()
    if kinds and "string" not in kinds:
        return None
    if schema.get("format") == "date":
        return now.date().isoformat()
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(record: dict[str, Any], view: ObjectView, now: dt.datetime, *, created: bool) -> None:
    """Set the record's updated-at (and, for a new record, created-at) properties to now."""
    for name, prop in view.properties.items():
        kind = normalized(name)
        if kind in UPDATED_FIELDS or (created and kind in CREATED_FIELDS):
            value = now_value(prop.schema, now)
            if value is not None:
                record[name] = value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: `null` removes a member, objects merge, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def json_patch(target: dict[str, Any], operations: Any) -> Any:
    """RFC 6902 JSON Patch, applied to a copy; PatchError when it cannot be."""
    try:
        return jsonpatch.apply_patch(target, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, TypeError, KeyError,
            IndexError, ValueError) as error:
        raise PatchError(str(error) or type(error).__name__) from None


@dataclass(frozen=True)
class EqualityFilter:
    parameter: str
    field: str

    def keeps(self, record: Mapping[str, Any], value: Any) -> bool:
        """Whether the record's field equals the value (one of them, for a list; contains it, for a list
        field)."""
        wanted = {as_text(item) for item in value} if isinstance(value, list | tuple) else {as_text(value)}
        held = record.get(self.field)
        if isinstance(held, list):
            return any(as_text(item) in wanted for item in held if not isinstance(item, dict | list))
        return held is not None and not isinstance(held, dict) and as_text(held) in wanted


@dataclass(frozen=True)
class Paging:
    """The pagination parameters a list operation declares, by convention of their names."""

    limit: Parameter | None = None
    offset: Parameter | None = None
    page: Parameter | None = None
    cursor: Parameter | None = None

    @classmethod
    def of(cls, operation: Operation) -> Paging:
        query = {normalized(p.name): p for p in operation.parameters if p.location == "query"}

        def first(names: Sequence[str]) -> Parameter | None:
            return next((query[name] for name in names if name in query), None)

        return cls(first(LIMIT_PARAMS), first(OFFSET_PARAMS), first(PAGE_PARAMS), first(CURSOR_PARAMS))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in (self.limit, self.offset, self.page, self.cursor) if p is not None)

    def window(self, query: Mapping[str, Any], total: int, max_items: int | None) -> Window:
        """Which records of `total` this request's page holds."""
        limit = self._limit(query, max_items)
        warning = ""
        start = 0
        cursor = query.get(self.cursor.name) if self.cursor is not None else None
        if self.cursor is not None and isinstance(cursor, str) and cursor:
            decoded = decode_cursor(cursor)
            if decoded is None:
                warning = f"{self.cursor.name} is not a cursor this mock issued; answered the first page"
            else:
                start = decoded
        elif self.offset is not None and _whole(query.get(self.offset.name)):
            start = max(int(query[self.offset.name]), 0)
        elif self.page is not None and limit is not None and _whole(query.get(self.page.name)):
            first_page = 0 if self.page.schema.get("minimum") == 0 else 1
            start = max(int(query[self.page.name]) - first_page, 0) * limit
        end = total if limit is None else min(start + limit, total)
        return Window(min(start, total), max(end, min(start, total)), limit, total, warning)

    def _limit(self, query: Mapping[str, Any], max_items: int | None) -> int | None:
        limit: int | None = None
        if self.limit is not None:
            asked = query.get(self.limit.name, self.limit.schema.get("default"))
            limit = int(asked) if _whole(asked) else None
            if limit is None and isinstance(self.limit.schema.get("maximum"), int):
                limit = int(self.limit.schema["maximum"])
        if max_items is not None:
            limit = max_items if limit is None else min(limit, max_items)
        return None if limit is None else max(limit, 0)


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    limit: int | None
    total: int
    warning: str = ""

    @property
    def has_more(self) -> bool:
        return self.end < self.total

    @property
    def next_cursor(self) -> str | None:
        return encode_cursor(self.end) if self.has_more else None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int | None:
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not decoded.startswith(_CURSOR_PREFIX) or not decoded[len(_CURSOR_PREFIX):].isdigit():
        return None
    return int(decoded[len(_CURSOR_PREFIX):])


def equality_filters(operation: Operation, view: ObjectView, paging: Paging) -> tuple[EqualityFilter, ...]:
    """Query parameters named like a scalar field of the records (pagination parameters aside)."""
    found = []
    for parameter in operation.parameters:
        if parameter.location != "query" or parameter.name in paging.names:
            continue
        field = matching_property(view, parameter.name)
        if field is None:
            continue
        schema = view.properties[field].schema
        if types_of(schema) & {"object"}:
            continue
        if is_array(schema) and not isinstance(schema.get("items"), dict):
            continue
        found.append(EqualityFilter(parameter.name, field))
    return tuple(found)
