"""The changes between two versions of a spec, each marked breaking or safe for the API's clients.

Operations are matched by method and path template (path parameter names do not matter), parameters by
location and name, responses by status key, bodies by media type, and schema fields by their pointer from
the body's root (`/items/*/amount`, see `mockserver.consumers.fields`). What a client sends may not
narrow (a new required input, a type, format, constraint or enum value taken away); what it receives may
not widen or vanish (a field, a status or a media type removed, a new type or enum value, a field made
optional). Each change carries the JSON pointers of both sides and the use a consumer must make of the
API for the change to affect it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mockserver.consumers.fields import FieldDoc, schema_fields
from mockserver.consumers.kinds import effective_schemas
from mockserver.foundation.problems import join_pointer
from mockserver.spec.model import MediaType, Operation, Parameter, Spec

# Kinds of change.
REMOVED_OPERATION = "removed operation"
ADDED_OPERATION = "added operation"
REMOVED_RESPONSE = "removed response"
ADDED_RESPONSE = "added response"
CHANGED_STATUS = "changed status code"
REMOVED_PROPERTY = "removed property"
ADDED_PROPERTY = "added property"
REMOVED_ENUM_VALUE = "removed enum value"
ADDED_ENUM_VALUE = "added enum value"
NARROWED_TYPE = "narrowed type"
WIDENED_TYPE = "widened type"
NARROWED_FORMAT = "narrowed format"
WIDENED_FORMAT = "widened format"
MADE_REQUIRED = "made required"
MADE_OPTIONAL = "made optional"
REMOVED_PARAMETER = "removed parameter"
ADDED_PARAMETER = "added parameter"
CHANGED_SECURITY = "changed security"
REMOVED_MEDIA_TYPE = "removed media type"
ADDED_MEDIA_TYPE = "added media type"

# Constraints that narrow what is accepted when they grow (lower bounds) or shrink (upper bounds).
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


@dataclass(frozen=True)
class Usage:
    """What a consumer must have done for a change to affect it (see `mockserver.compat.usage`)."""

    operation: str  # "GET /path" as the old spec names it
    aspect: str  # operation | status | response_media | response_field | parameter | parameter_absent |
    #              parameter_value | parameter_type | body | body_field | body_field_absent
    status: str | None = None  # a response key: "200", "4XX", "default"
    other_statuses: tuple[str, ...] = ()  # the old operation's other response keys (for "default")
    media_type: str | None = None
    pointer: str | None = None  # a body field
    location: str | None = None
    name: str | None = None
    values: tuple[str, ...] = ()  # parameter values (as JSON) or JSON types


@dataclass
class Change:
    kind: str
    breaking: bool
    operation: str  # "GET /path"
    where: str  # what changed, for a person: "query parameter limit", "200 application/json /items/*/id"
    detail: str
    old_pointer: str | None
    new_pointer: str | None
    usage: Usage
    consumers: list[str] = field(default_factory=list)  # the consumers it affects (with consumer files)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind, "breaking": self.breaking, "operation": self.operation, "where": self.where,
            "detail": self.detail, "old": self.old_pointer, "new": self.new_pointer,
        }
        if self.consumers:
            data["consumers"] = list(self.consumers)
        return data


def compare(old: Spec, new: Spec) -> list[Change]:
    """Every change from `old` to `new`, in a stable order: by operation, then as found."""
    changes: list[Change] = []
    old_operations = {_template_key(operation): operation for operation in old.operations}
    new_operations = {_template_key(operation): operation for operation in new.operations}
    for key in sorted(old_operations.keys() | new_operations.keys()):
        before, after = old_operations.get(key), new_operations.get(key)
        if after is None and before is not None:
            changes.append(Change(REMOVED_OPERATION, True, before.key, "operation", "the operation is gone",
                                  _operation_pointer(before), None, Usage(before.key, "operation")))
        elif before is None and after is not None:
            changes.append(Change(ADDED_OPERATION, False, after.key, "operation", "a new operation", None,
                                  _operation_pointer(after), Usage(after.key, "operation")))
        elif before is not None and after is not None:
            changes += _OperationDiff(old, new, before, after).changes()
    return changes


def _template_key(operation: Operation) -> str:
    return f"{operation.method} {re.sub(r'{[^}]*}', '{}', operation.path)}"


def _operation_pointer(operation: Operation) -> str:
    return join_pointer("paths", operation.path, operation.method.lower())


class _OperationDiff:
    """The changes within one operation present in both versions."""

    def __init__(self, old: Spec, new: Spec, before: Operation, after: Operation) -> None:
        self.old, self.new = old, new
        self.before, self.after = before, after
        self.label = before.key
        self.found: list[Change] = []

    def add(self, kind: str, breaking: bool, where: str, detail: str, old_pointer: str | None,
            new_pointer: str | None, usage: Usage) -> None:
        self.found.append(Change(kind, breaking, self.label, where, detail, old_pointer, new_pointer, usage))

    def usage(self, aspect: str, **parts: Any) -> Usage:
        return Usage(self.label, aspect, **parts)

    def changes(self) -> list[Change]:
        self._parameters()
        self._request_body()
        self._responses()
        self._security()
        return self.found

    # --- parameters ------------------------------------------------------------------------------

    def _parameters(self) -> None:
        before = _parameters_by_key(self.before)
        after = _parameters_by_key(self.after)
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key), after.get(key)
            where = f"{key[0]} parameter {(old or new).name}"  # type: ignore[union-attr]
            if new is None and old is not None:
                self.add(REMOVED_PARAMETER, True, where,
                         "the parameter is gone: what clients send is no longer read",
                         _parameter_pointer(old), None,
                         self.usage("parameter", location=old.location, name=old.name))
            elif old is None and new is not None:
                if new.required:
                    self.add(MADE_REQUIRED, True, where, "a new required parameter", None,
                             _parameter_pointer(new), self.usage("operation"))
                else:
                    self.add(ADDED_PARAMETER, False, where, "a new optional parameter", None,
                             _parameter_pointer(new), self.usage("operation"))
            elif old is not None and new is not None:
                self._parameter(where, old, new)

    def _parameter(self, where: str, old: Parameter, new: Parameter) -> None:
        pointers = (_parameter_pointer(old), _parameter_pointer(new))
        if new.required and not old.required:
            self.add(MADE_REQUIRED, True, where, "the parameter is now required", *pointers,
                     self.usage("parameter_absent", location=old.location, name=old.name))
        elif old.required and not new.required:
            self.add(MADE_OPTIONAL, False, where, "the parameter is now optional", *pointers,
                     self.usage("operation"))
        old_fields = schema_fields(old.schema, old.schema_pointer, self.old.resolve_ref)
        new_fields = schema_fields(new.schema, new.schema_pointer, self.new.resolve_ref)
        old_root, new_root = old_fields.get(""), new_fields.get("")
        if old_root is None or new_root is None:
            return
        sent = {"location": old.location, "name": old.name}
        removed_types = _removed_types(old_root.types, new_root.types)
        if removed_types:
            usage = self.usage("parameter_type", values=tuple(sorted(removed_types)), **sent)
            self.add(NARROWED_TYPE, True, where, _types_detail(old_root, new_root), old_root.pointer,
                     new_root.pointer, usage)
        elif _added_types(old_root.types, new_root.types):
            self.add(WIDENED_TYPE, False, where, _types_detail(old_root, new_root), old_root.pointer,
                     new_root.pointer, self.usage("operation"))
        self._format(where, old_root, new_root, request=True, usage=self.usage("parameter", **sent))
        for value in _removed_values(old_root, new_root):
            used = self.usage("parameter_value", values=(value,), **sent)
            self.add(REMOVED_ENUM_VALUE, True, where, f"value {value} is no longer accepted",
                     old_root.pointer, new_root.pointer, used)
        narrowed = _narrowed_constraints(old.schema, new.schema, self.old.resolve_ref, self.new.resolve_ref)
        for detail in narrowed:
            self.add(NARROWED_TYPE, True, where, detail, old_root.pointer, new_root.pointer,
                     self.usage("parameter", **sent))

    # --- request body ----------------------------------------------------------------------------

    def _request_body(self) -> None:
        old, new = self.before.request_body, self.after.request_body
        body_pointer = (join_pointer("paths", self.before.path, self.before.method.lower(), "requestBody"),
                        join_pointer("paths", self.after.path, self.after.method.lower(), "requestBody"))
        if new is None:
            return
        if new.required and (old is None or not old.required):
            self.add(MADE_REQUIRED, True, "request body", "a request body is now required",
                     body_pointer[0] if old is not None else None, body_pointer[1], self.usage("body_absent"))
        if old is None:
            return
        for media_type in sorted(old.content.keys() - new.content.keys()):
            self.add(REMOVED_MEDIA_TYPE, True, f"request body {media_type}",
                     "the server no longer reads bodies of this media type",
                     join_pointer_to(body_pointer[0], "content", media_type), None,
                     self.usage("body", media_type=media_type))
        for media_type in sorted(new.content.keys() - old.content.keys()):
            self.add(ADDED_MEDIA_TYPE, False, f"request body {media_type}", "a new media type for the body",
                     None, join_pointer_to(body_pointer[1], "content", media_type), self.usage("operation"))
        for media_type in sorted(old.content.keys() & new.content.keys()):
            self._fields(f"request body {media_type}", old.content[media_type], new.content[media_type],
                         request=True, media_type=media_type, status=None)

    # --- responses -------------------------------------------------------------------------------

    def _responses(self) -> None:
        before, after = self.before.responses, self.after.responses
        removed = sorted(before.keys() - after.keys())
        added = sorted(after.keys() - before.keys())
        success_added = [status for status in added if status.startswith("2")]
        for status in removed:
            pointer = join_pointer("paths", self.before.path, self.before.method.lower(), "responses", status)
            usage = self.usage("status", status=status, other_statuses=tuple(key for key in before
                                                                             if key != status))
            if status.startswith("2") and success_added:
                self.add(CHANGED_STATUS, True, f"response {status}",
                         f"{status} is now {', '.join(success_added)}", pointer,
                         join_pointer("paths", self.after.path, self.after.method.lower(), "responses",
                                      success_added[0]), usage)
            else:
                self.add(REMOVED_RESPONSE, True, f"response {status}", f"the {status} response is no longer "
                         "documented", pointer, None, usage)
        for status in added:
            if status in success_added and any(key.startswith("2") for key in removed):
                continue  # reported as a changed status code
            pointer = join_pointer("paths", self.after.path, self.after.method.lower(), "responses", status)
            self.add(ADDED_RESPONSE, False, f"response {status}", f"a new {status} response", None, pointer,
                     self.usage("operation"))
        for status in sorted(before.keys() & after.keys()):
            self._response(status)

    def _response(self, status: str) -> None:
        old, new = self.before.responses[status], self.after.responses[status]
        base = (join_pointer("paths", self.before.path, self.before.method.lower(), "responses", status),
                join_pointer("paths", self.after.path, self.after.method.lower(), "responses", status))
        statuses = {"status": status, "other_statuses": tuple(key for key in self.before.responses
                                                               if key != status)}
        for media_type in sorted(old.content.keys() - new.content.keys()):
            self.add(REMOVED_MEDIA_TYPE, True, f"response {status} {media_type}",
                     "the server no longer answers with this media type",
                     join_pointer_to(base[0], "content", media_type), None,
                     self.usage("response_media", media_type=media_type, **statuses))
        for media_type in sorted(new.content.keys() - old.content.keys()):
            self.add(ADDED_MEDIA_TYPE, False, f"response {status} {media_type}", "a new media type", None,
                     join_pointer_to(base[1], "content", media_type), self.usage("operation"))
        for media_type in sorted(old.content.keys() & new.content.keys()):
            self._fields(f"response {status} {media_type}", old.content[media_type], new.content[media_type],
                         request=False, media_type=media_type, status=status)

    # --- fields of bodies ------------------------------------------------------------------------

    def _fields(self, where: str, old: MediaType, new: MediaType, *, request: bool, media_type: str,
                status: str | None) -> None:
        if old.schema_pointer is None or new.schema_pointer is None:
            return
        old_fields = schema_fields(old.schema, old.schema_pointer, self.old.resolve_ref)
        new_fields = schema_fields(new.schema, new.schema_pointer, self.new.resolve_ref)
        statuses = {} if status is None else {
            "status": status, "other_statuses": tuple(key for key in self.before.responses if key != status)}
        aspect = "body_field" if request else "response_field"
        gone: list[str] = []
        for pointer in sorted(old_fields.keys() | new_fields.keys(), key=_pointer_order):
            before, after = old_fields.get(pointer), new_fields.get(pointer)
            if any(pointer.startswith(parent + "/") for parent in gone):
                continue  # inside a field already reported gone (or new)
            shown = f"{where} {pointer or '(body)'}"
            used = self.usage(aspect, media_type=media_type, pointer=pointer, **statuses)
            if after is None and before is not None:
                gone.append(pointer)
                self.add(REMOVED_PROPERTY, True, shown, "the field is gone", before.pointer, None, used)
            elif before is None and after is not None:
                gone.append(pointer)
                if request and after.required and _parent_exists(pointer, old_fields):
                    self.add(MADE_REQUIRED, True, shown, "a new required field", None, after.pointer,
                             self.usage("body_field_absent", media_type=media_type, pointer=pointer))
                else:
                    self.add(ADDED_PROPERTY, False, shown, "a new field", None, after.pointer, self.usage(
                        "operation"))
            elif before is not None and after is not None:
                self._field(shown, before, after, request=request, used=used, media_type=media_type,
                            pointer=pointer)

    def _field(self, where: str, old: FieldDoc, new: FieldDoc, *, request: bool, used: Usage, media_type: str,
               pointer: str) -> None:
        pointers = (old.pointer, new.pointer)
        if request and new.required and not old.required:
            self.add(MADE_REQUIRED, True, where, "the field is now required", *pointers,
                     self.usage("body_field_absent", media_type=media_type, pointer=pointer))
        elif not request and old.required and not new.required:
            self.add(MADE_OPTIONAL, True, where, "the field may now be left out of answers", *pointers, used)
        removed, added = _removed_types(old.types, new.types), _added_types(old.types, new.types)
        if removed:
            self.add(NARROWED_TYPE, request, where, _types_detail(old, new), *pointers, used)
        if added:
            self.add(WIDENED_TYPE, not request, where, _types_detail(old, new), *pointers, used)
        self._format(where, old, new, request=request, usage=used)
        for value in _removed_values(old, new):
            self.add(REMOVED_ENUM_VALUE, request, where, f"value {value} is gone", *pointers, used)
        for value in _added_values(old, new):
            self.add(ADDED_ENUM_VALUE, not request, where, f"new value {value}", *pointers, used)

    def _format(self, where: str, old: FieldDoc, new: FieldDoc, *, request: bool, usage: Usage) -> None:
        if old.formats == new.formats:
            return
        detail = f"format {_formats(old)} -> {_formats(new)}"
        pointers = (old.pointer, new.pointer)
        if new.formats and (not old.formats or not new.formats <= old.formats):
            # A format added or changed: fewer values are valid.
            self.add(NARROWED_FORMAT, request or bool(old.formats), where, detail, *pointers, usage)
        else:
            self.add(WIDENED_FORMAT, not request, where, detail, *pointers, usage)

    # --- security --------------------------------------------------------------------------------

    def _security(self) -> None:
        old = _requirements(self.old, self.before)
        new = _requirements(self.new, self.after)
        old_pointer = _security_pointer(self.before)
        new_pointer = _security_pointer(self.after)
        # A client that meets an old alternative must still meet some new one, with the same schemes.
        unmet = [alternative for alternative in old if not any(
            _satisfies(alternative, option, self.old, self.new) for option in new)]
        if unmet:
            self.add(CHANGED_SECURITY, True, "security", f"{_describe_security(old)} -> "
                     f"{_describe_security(new)}", old_pointer, new_pointer, self.usage("operation"))
        elif old != new:
            self.add(CHANGED_SECURITY, False, "security", f"{_describe_security(old)} -> "
                     f"{_describe_security(new)}", old_pointer, new_pointer, self.usage("operation"))


def join_pointer_to(pointer: str, *tokens: str) -> str:
    return pointer + join_pointer(*tokens)


def _pointer_order(pointer: str) -> tuple[int, str]:
    return pointer.count("/"), pointer


def _parent_exists(pointer: str, fields: dict[str, FieldDoc]) -> bool:
    parent = pointer.rsplit("/", 1)[0]
    return parent in fields


def _parameters_by_key(operation: Operation) -> dict[tuple[str, str], Parameter]:
    found: dict[tuple[str, str], Parameter] = {}
    for parameter in operation.parameters:
        name = parameter.name.lower() if parameter.location == "header" else parameter.name
        segments = operation.path.split("/")
        if parameter.location == "path" and "{" + parameter.name + "}" in segments:
            name = f"{{segment {segments.index('{' + parameter.name + '}')}}}"  # path names may change
        found.setdefault((parameter.location, name), parameter)
    return found


def _parameter_pointer(parameter: Parameter) -> str:
    return parameter.schema_pointer.removesuffix("/schema")


def _removed_types(old: set[str], new: set[str]) -> set[str]:
    """Types `old` allows that `new` does not (no types: any type). An integer is also a number."""
    if not new:
        return set()
    if not old:
        return {"any other type"}
    return {kind for kind in old if kind not in new and not (kind == "integer" and "number" in new)}


def _added_types(old: set[str], new: set[str]) -> set[str]:
    return _removed_types(new, old)


def _types_detail(old: FieldDoc, new: FieldDoc) -> str:
    return f"type {'|'.join(sorted(old.types)) or 'any'} -> {'|'.join(sorted(new.types)) or 'any'}"


def _formats(doc: FieldDoc) -> str:
    return "|".join(sorted(doc.formats)) or "none"


def _enum_values(doc: FieldDoc) -> list[str] | None:
    if doc.enum is None:
        return None
    return sorted({json.dumps(value, sort_keys=True) for value in doc.enum})


def _removed_values(old: FieldDoc, new: FieldDoc) -> list[str]:
    before, after = _enum_values(old), _enum_values(new)
    if before is None or after is None:
        return []
    return [value for value in before if value not in after]


def _added_values(old: FieldDoc, new: FieldDoc) -> list[str]:
    before, after = _enum_values(old), _enum_values(new)
    if before is None or after is None:
        return []
    return [value for value in after if value not in before]


def _narrowed_constraints(old: Any, new: Any, resolve_old: Any, resolve_new: Any) -> Iterator[str]:
    before = _constraints(old, resolve_old)
    after = _constraints(new, resolve_new)
    for name in _LOWER_BOUNDS:
        if name in after and (name not in before or after[name] > before[name]):
            yield f"{name} {before.get(name, 'none')} -> {after[name]}"
    for name in _UPPER_BOUNDS:
        if name in after and (name not in before or after[name] < before[name]):
            yield f"{name} {before.get(name, 'none')} -> {after[name]}"
    if "pattern" in after and after.get("pattern") != before.get("pattern"):
        yield f"pattern {before.get('pattern', 'none')} -> {after['pattern']}"


def _constraints(schema: Any, resolve: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in effective_schemas(schema, resolve):
        for name in (*_LOWER_BOUNDS, *_UPPER_BOUNDS, "pattern"):
            value = part.get(name)
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if (name == "pattern" and isinstance(value, str)) or (name != "pattern" and is_number):
                found[name] = value
    return found


Requirement = frozenset[tuple[str, frozenset[str]]]


def _requirements(spec: Spec, operation: Operation) -> list[Requirement]:
    """The operation's security alternatives; one empty alternative when it is open."""
    declared: Any = operation.security
    if declared is None:
        declared = spec.global_security or []
    alternatives = [frozenset((str(name), frozenset(scopes)) for name, scopes in item.items())
                    for item in declared if isinstance(item, dict)]
    return alternatives or [frozenset()]


def _satisfies(old: Requirement, new: Requirement, old_spec: Spec, new_spec: Spec) -> bool:
    """A client meeting `old` also meets `new`: every scheme of `new` is in `old`, the same, with scopes."""
    held = dict(old)
    for name, scopes in new:
        if name not in held or not scopes <= held[name]:
            return False
        if old_spec.security_schemes.get(name) != new_spec.security_schemes.get(name):
            return False
    return True


def _describe_security(alternatives: list[Requirement]) -> str:
    shown = []
    for alternative in alternatives:
        if not alternative:
            shown.append("open")
            continue
        shown.append(" + ".join(f"{name}" + (f"[{', '.join(sorted(scopes))}]" if scopes else "")
                                for name, scopes in sorted(alternative)))
    return " or ".join(sorted(shown))


def _security_pointer(operation: Operation) -> str:
    if operation.security is not None:
        return join_pointer("paths", operation.path, operation.method.lower(), "security")
    return "/security"
