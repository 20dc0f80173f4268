"""Resources inferred from a spec alone: collections, their items, id fields and list fields.

A *collection* is a path whose GET answers a list of records (an array, or an object holding one in
`items`, `data`, `results`, `records`, or in its only array property) and/or whose POST creates a record
from a JSON object body; its *item* path is the collection path plus one parameter segment (`/pets` and
`/pets/{petId}`). Parameters of the collection path scope it (`/users/{userId}/repos`: each user has
its own repos). The id field is the property the item parameter names (`petId` -> `petId`, else `id`),
else the one read-only property named like an id, else the one required string or integer property
named like an id. The config file's `resources:` section says what inference gets wrong. Only resources
that something can write to (POST, PUT, PATCH or DELETE) are stateful: a read-only API is answered as
before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockserver.foundation.config import ResourceSetting
from mockserver.foundation.problems import Problem
from mockserver.http.negotiation import default_response_key, is_json
from mockserver.resources.schemas import (
    ID_LIKE,
    ObjectView,
    array_items,
    at_pointer_or_empty,
    is_array,
    matching_property,
    normalized,
    object_view,
    resolve,
    types_of,
)
from mockserver.spec.model import MediaType, Operation, Spec

DEFAULT_INITIAL_RECORDS = 10
LIST_FIELDS = ("items", "data", "results", "records")
WRAPPER_FIELDS = ("data", "item", "result", "record")
JSON_PATCH = "application/json-patch+json"
_PARAMETER_SEGMENT = re.compile(r"^\{([^{}]+)\}$")
_PARAMETERS = re.compile(r"\{([^{}]+)\}")


class Role(StrEnum):
    LIST = "list"
    CREATE = "create"
    GET = "get"
    REPLACE = "replace"
    UPDATE = "update"
    DELETE = "delete"


WRITES = frozenset({Role.CREATE, Role.REPLACE, Role.UPDATE, Role.DELETE})
_ROLE_ORDER = tuple(Role)


@dataclass(frozen=True)
class Slot:
    """Where records sit in one documented body: the keys leading to the record (item answers) or to the
    list of records (list answers), `()` for the body itself, and the schema there."""

    path: tuple[str, ...]
    pointer: str


@dataclass
class Resource:
    """A collection and its item path, answered from each session's records."""

    collection: str  # the collection path as the spec writes it: the resource's name
    item: str | None
    id_param: str | None  # the item path's last parameter
    parent_params: tuple[str, ...]  # the collection path's parameters: they scope its records
    id_field: str
    record: ObjectView  # the schema of a record
    operations: dict[Role, Operation] = field(default_factory=dict)
    list_slot: Slot | None = None  # where the list sits in the GET collection answer
    parent_fields: dict[str, str] = field(default_factory=dict)  # parent parameter -> the field naming it
    parent: Resource | None = None  # the resource whose item path the collection path extends
    initial_records: int = DEFAULT_INITIAL_RECORDS
    why: list[str] = field(default_factory=list)  # how each part was inferred, for `mockserver check`

    @property
    def name(self) -> str:
        return self.collection

    @property
    def id_schema(self) -> dict[str, Any]:
        prop = self.record.properties.get(self.id_field)
        return prop.schema if prop is not None else {}

    @property
    def id_pointer(self) -> str | None:
        prop = self.record.properties.get(self.id_field)
        return prop.pointer if prop is not None else None

    def describe(self) -> str:
        """One line for `mockserver check`: what was inferred and why."""
        roles = ", ".join(f"{role.value} ({op.method})" for role, op in self.operations.items())
        item = self.item or "no item path"
        return f"resource {self.collection}: item {item}; {'; '.join(self.why)}; operations: {roles}"


@dataclass
class Inference:
    """The resources of a spec, what `check` tells about them, and the config file's mistakes."""

    resources: list[Resource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be inferred, or was left alone
    problems: list[Problem] = field(default_factory=list)

    def roles(self) -> dict[str, tuple[Resource, Role]]:
        """(resource, role) by operation key."""
        return {op.key: (resource, role) for resource in self.resources
                for role, op in resource.operations.items()}

    def lines(self) -> list[str]:
        return [resource.describe() for resource in self.resources] + self.notes


def infer_resources(spec: Spec, settings: Sequence[ResourceSetting] = (), config_file: str | None = None,
                    initial_records: int = DEFAULT_INITIAL_RECORDS) -> Inference:
    """Every resource of the spec, with the config file's settings applied."""
    routes: dict[str, dict[str, Operation]] = {}
    for operation in spec.operations:
        if "#" not in operation.path:  # operations sharing a route are told apart by their body: not CRUD
            routes.setdefault(operation.path, {})[operation.method] = operation
    for path in list(routes):  # `/users/` (FastAPI's collections) and `/users/{user_id}` belong together
        bare = path.rstrip("/")
        if bare and bare != path and bare in routes:
            routes[path] = {**routes[bare], **routes[path]}
            del routes[bare]
    inference = Inference()
    by_collection = _settings(settings, routes, config_file or "mockserver.yaml", inference.problems)
    claimed: set[str] = set()
    items = _item_routes(routes)
    for collection in _candidates(routes, by_collection):
        setting = by_collection.get(collection)
        if setting is not None and not setting.stateful:
            inference.notes.append(f"not stateful: {collection} (the config file says so)")
            continue
        found = _infer(spec, routes, items, collection, setting, initial_records, inference)
        if found is not None and not claimed & {op.key for op in found.operations.values()}:
            claimed.update(op.key for op in found.operations.values())
            inference.resources.append(found)
    by_item = {resource.item: resource for resource in inference.resources if resource.item is not None}
    for resource in inference.resources:  # `/users/{userId}/repos` belongs to the user `/users/{userId}`
        resource.parent = by_item.get(resource.collection.rstrip("/").rpartition("/")[0])
    return inference


def _settings(settings: Sequence[ResourceSetting], routes: dict[str, dict[str, Operation]], file: str,
              problems: list[Problem]) -> dict[str, ResourceSetting]:
    """The settings by collection path; a path the spec does not serve is a problem."""
    known = sorted(routes)
    found: dict[str, ResourceSetting] = {}
    for index, setting in enumerate(settings):
        for key, path in (("collection", setting.collection), ("item", setting.item)):
            if path is not None and path not in routes and (key == "item" or setting.stateful):
                if key == "collection" and any(other.startswith(path + "/") for other in routes):
                    continue  # a collection path without operations of its own: its item path is enough
                problems.append(Problem(file, f"/resources/{index}/{key}",
                                        f"the spec has no path {path} (paths: {', '.join(known) or 'none'})"))
        if setting.collection in found:
            problems.append(Problem(file, f"/resources/{index}/collection",
                                    f"{setting.collection} is already configured"))
        found.setdefault(setting.collection, setting)
    return found


def _candidates(routes: dict[str, dict[str, Operation]], settings: dict[str, ResourceSetting]) -> list[str]:
    """Paths that may be collections: those with a GET or a POST, and the parents of item-like paths."""
    paths: dict[str, None] = dict.fromkeys(settings)
    for path, methods in routes.items():
        if "GET" in methods or "POST" in methods:
            paths[path] = None
        parent, _, last = path.rpartition("/")
        if _PARAMETER_SEGMENT.match(last) and parent and parent + "/" not in routes:
            paths[parent] = None
    return list(paths)


def _infer(spec: Spec, routes: dict[str, dict[str, Operation]], items: dict[str, str], collection: str,
           setting: ResourceSetting | None, initial_records: int, inference: Inference) -> Resource | None:
    document = spec.document
    methods = routes.get(collection, {})
    item = setting.item if setting is not None and setting.item else items.get(collection.rstrip("/"))
    item_methods = routes.get(item, {}) if item is not None else {}
    id_param = _last_parameter(item)
    list_field = setting.list_field if setting is not None else None
    operations: dict[Role, Operation] = {}
    list_slot = None
    if "GET" in methods:
        list_slot = _list_slot(document, methods["GET"], list_field)
        if list_slot is not None:
            operations[Role.LIST] = methods["GET"]
    create = methods.get("POST")
    if create is not None and _json_body(create) is not None and _record_body(document, create):
        operations[Role.CREATE] = methods["POST"]
    if "GET" in item_methods and _record_body(document, item_methods["GET"]):
        operations[Role.GET] = item_methods["GET"]
    for method, role in (("PUT", Role.REPLACE), ("PATCH", Role.UPDATE)):
        if method in item_methods and _json_body(item_methods[method]) is not None:
            operations[role] = item_methods[method]
    if "DELETE" in item_methods:
        operations[Role.DELETE] = item_methods["DELETE"]
    explicit = setting is not None
    if not operations.keys() & {Role.LIST, Role.GET}:  # nothing would ever show a record
        if explicit:
            inference.notes.append(f"not inferred: {collection}: neither a list (GET {collection}) nor an "
                                   "item read (GET) answers records")
        return None
    writes = operations.keys() & WRITES
    if not writes:
        if explicit or Role.LIST in operations:
            inference.notes.append(f"read-only: {collection}: no POST, PUT, PATCH or DELETE; answered as "
                                   "before (fixtures, datasets, examples, generation)")
        return None
    record, record_why = _record_view(document, operations, list_slot)
    if record is None:
        inference.notes.append(f"not inferred: {collection}: no object schema for its records")
        return None
    id_field, id_why = _id_field(record, id_param, setting)
    if id_field is None:
        inference.notes.append(f"not inferred: {collection}: {id_why}; name it in the config file "
                               f"(resources: [{{collection: {collection}, id_field: ...}}])")
        return None
    why = [f"id field {id_field!r} ({id_why})", f"records: {record_why}"]
    parent_params = tuple(_PARAMETERS.findall(collection))
    parent_fields = _parent_fields(record, parent_params, id_field)
    why += [f"parent {{{param}}} in {name!r}" for param, name in parent_fields.items()]
    if list_slot is not None:
        where = ".".join(list_slot.path) if list_slot.path else "the body itself"
        why.append(f"list: {where}")
    count = initial_records if setting is None or setting.initial_records is None else setting.initial_records
    ordered = {role: operations[role] for role in _ROLE_ORDER if role in operations}
    return Resource(collection, item if item_methods else None, id_param if item_methods else None,
                    parent_params, id_field, record, ordered, list_slot=list_slot, initial_records=count,
                    why=why, parent_fields=parent_fields)


def _parent_fields(view: ObjectView, parent_params: tuple[str, ...], id_field: str) -> dict[str, str]:
    """The field naming each parent (`userId` -> `userId` or `user_id`); for a single parent not named so,
    the only other property named like an id (`owner_id`)."""
    found = {}
    for param in parent_params:
        named = matching_property(view, param)
        if named is not None and named != id_field:
            found[param] = named
    if len(parent_params) == 1 and not found:
        others = [name for name in view.properties if ID_LIKE.search(name) and name != id_field]
        if len(others) == 1:
            found[parent_params[0]] = others[0]
    return found


def _item_routes(routes: dict[str, dict[str, Operation]]) -> dict[str, str]:
    """The item path of each collection path (without its trailing slash): the first path, in the spec's
    order, that adds one parameter segment to it."""
    found: dict[str, str] = {}
    for path in routes:
        parent, _, last = path.rpartition("/")
        if _PARAMETER_SEGMENT.match(last):
            found.setdefault(parent, path)
    return found


def _last_parameter(path: str | None) -> str | None:
    if path is None:
        return None
    found = _PARAMETER_SEGMENT.match(path.rpartition("/")[2])
    return found.group(1) if found else None


def json_media(operation: Operation, key: str | None) -> MediaType | None:
    """The first JSON media type (with a schema) of a documented response."""
    if key is None or key not in operation.responses:
        return None
    return next((media for media in operation.responses[key].content.values()
                 if is_json(media.media_type) and media.schema_pointer is not None), None)


def _json_body(operation: Operation) -> MediaType | None:
    """The request body's JSON media type whose schema is an object (JSON Patch counts), or None."""
    body = operation.request_body
    if body is None:
        return None
    for media in body.content.values():
        if media.media_type == JSON_PATCH:
            return media
        if is_json(media.media_type) and media.schema is not None:
            return media
    return None


def _record_body(document: Any, operation: Operation) -> bool:
    """Whether the operation's success answer is a record (an object, maybe wrapped)."""
    media = json_media(operation, default_response_key(operation))
    return media is not None and media.schema_pointer is not None and \
        record_slot(document, media.schema_pointer) is not None


def record_slot(document: Any, pointer: str) -> Slot | None:
    """Where the record sits in an item answer: the body itself, or its only object property (or `data`,
    `item`, ...) when the body names no id-like property (`{"droplet": {...}}`)."""
    view = object_view(document, pointer)
    if view is None:
        return None
    if any(ID_LIKE.search(name) for name in view.properties):
        return Slot((), view.pointer)
    objects = {name: prop for name, prop in view.properties.items() if object_view(document, prop.pointer)}
    wrapper = next((name for name in WRAPPER_FIELDS if name in objects), None)
    if wrapper is None and len(objects) == 1 and len(view.properties) <= 2:
        wrapper = next(iter(objects))
    if wrapper is None:
        return Slot((), view.pointer)
    return Slot((wrapper,), objects[wrapper].pointer)


def _list_slot(document: Any, operation: Operation, list_field: str | None) -> Slot | None:
    """Where the records sit in a list answer: the body (an array) or its list field; None when the answer
    is not a list of objects."""
    media = json_media(operation, default_response_key(operation))
    if media is None or media.schema_pointer is None:
        return None
    return list_slot(document, media.schema_pointer, list_field)


def list_slot(document: Any, pointer: str, list_field: str | None = None) -> Slot | None:
    """Where the records sit in the list body whose schema is at `pointer` (None: not a list of objects)."""
    node, where = resolve(document, at_pointer_or_empty(document, pointer), pointer)
    if is_array(node):
        items = array_items(document, where)
        return Slot((), items) if items is not None and object_view(document, items) else None
    view = object_view(document, pointer)
    if view is None:
        return None
    arrays = {name: prop for name, prop in view.properties.items() if is_array(prop.schema)}
    name = list_field if list_field in arrays else None
    if name is None and list_field is None:
        name = next((candidate for candidate in LIST_FIELDS if candidate in arrays), None)
        if name is None and len(arrays) == 1:
            name = next(iter(arrays))
    if name is None:
        return None
    items = array_items(document, arrays[name].pointer)
    return Slot((name,), items) if items is not None and object_view(document, items) else None


def _record_view(document: Any, operations: dict[Role, Operation],
                 list_slot: Slot | None) -> tuple[ObjectView | None, str]:
    """The schema of a record: of the item GET answer, else of the list's items, else of the create
    answer, else of the create body."""
    for role, label in ((Role.GET, "the item GET answer"), (Role.CREATE, "the create answer")):
        operation = operations.get(role)
        media = json_media(operation, default_response_key(operation)) if operation is not None else None
        if media is not None and media.schema_pointer is not None:
            slot = record_slot(document, media.schema_pointer)
            view = object_view(document, slot.pointer) if slot is not None else None
            if view is not None:
                return view, label + (f" (in {'.'.join(slot.path)})" if slot and slot.path else "")
        if role is Role.GET and list_slot is not None:
            view = object_view(document, list_slot.pointer)
            if view is not None:
                return view, "the list's items"
    create = operations.get(Role.CREATE)
    media = _json_body(create) if create is not None else None
    if media is not None and media.schema_pointer is not None:
        view = object_view(document, media.schema_pointer)
        if view is not None:
            return view, "the create body"
    return None, ""


def _id_field(view: ObjectView, id_param: str | None,
              setting: ResourceSetting | None) -> tuple[str | None, str]:
    if setting is not None and setting.id_field:
        return setting.id_field, "the config file"
    if id_param is not None:
        named = matching_property(view, id_param)
        if named is not None:
            return named, f"the item parameter {{{id_param}}} names it"
        if "id" in view.properties and (ID_LIKE.search(id_param) or normalized(id_param).endswith("id")):
            return "id", f"the item parameter {{{id_param}}} is an id"
    id_like = [name for name in view.properties if ID_LIKE.search(name)]
    read_only = [name for name in id_like if view.properties[name].read_only]
    if "id" in read_only or len(read_only) == 1:
        chosen = "id" if "id" in read_only else read_only[0]
        return chosen, "the read-only property named like an id"
    required = [name for name in id_like if name in view.required
                and types_of(view.properties[name].schema) & {"string", "integer"}]
    if len(required) == 1:
        return required[0], "the only required property named like an id"
    if "id" in view.properties and types_of(view.properties["id"].schema) & {"string", "integer"}:
        return "id", "the property named id"
    if not id_like:
        return None, "no property is named like an id"
    return None, f"several properties are named like an id ({', '.join(id_like)})"
