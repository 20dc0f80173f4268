"""What inference and the stateful answers need to know of a schema: its properties, lists and wrappers.

Schemas are read from the merged document (JSON Schema 2020-12 with local `$ref`s). `allOf` branches are
merged; `anyOf`/`oneOf` are not looked into (which branch holds a record's fields is not known before a
body is seen), so a property only reached through them is not one this module names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from mockserver.spec.schemas import declared_types

MAX_DEPTH = 32  # `$ref` hops and `allOf` levels followed: enough for any real spec, finite for cyclic ones
ID_LIKE = re.compile(r"^(?:id|uuid|guid)$|(?:_id|Id|ID|_uuid|Uuid|UUID)$")


@dataclass(frozen=True)
class Property:
    name: str
    pointer: str  # where its schema is written in the document
    schema: dict[str, Any]  # after following `$ref`s
    read_only: bool
    write_only: bool


@dataclass
class ObjectView:
    """The properties an object schema declares (its `allOf` branches merged), the required ones, and
    whether other properties are refused (`closed`) or explicitly welcome (`open`: additionalProperties or
    patternProperties say so)."""

    pointer: str
    properties: dict[str, Property] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    closed: bool = False
    open: bool = False

    @property
    def read_only(self) -> frozenset[str]:
        return frozenset(name for name, prop in self.properties.items() if prop.read_only)

    @property
    def write_only(self) -> frozenset[str]:
        return frozenset(name for name, prop in self.properties.items() if prop.write_only)


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def at_pointer(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer of the document (KeyError, IndexError or TypeError when absent)."""
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def resolve(document: Any, node: Any, pointer: str) -> tuple[Any, str]:
    """`node` with its `$ref` chain followed (siblings of a `$ref` are ignored here), and where it ends."""
    for _ in range(MAX_DEPTH):
        if not isinstance(node, dict):
            break
        reference = node.get("$ref")
        if not isinstance(reference, str) or not reference.startswith("#"):
            break
        pointer = unquote(reference[1:])
        try:
            node = at_pointer(document, pointer)
        except (KeyError, IndexError, TypeError, ValueError):
            return {}, pointer
    return node, pointer


def types_of(schema: Any) -> set[str]:
    """The JSON types a (resolved) schema names, `null` left out."""
    if not isinstance(schema, dict):
        return set()
    return set(declared_types(schema) - {"null"})


def is_array(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kinds = types_of(schema)
    return "array" in kinds or (not kinds and ("items" in schema or "prefixItems" in schema))


def object_view(document: Any, pointer: str) -> ObjectView | None:
    """The object schema at `pointer` as an ObjectView; None when it declares no property."""
    view = ObjectView(pointer)
    _collect(document, at_pointer_or_empty(document, pointer), pointer, view, 0)
    return view if view.properties else None


_VIEWED = ("properties", "required", "additionalProperties", "unevaluatedProperties", "patternProperties",
           "allOf")  # what `object_view` reads of a schema besides its `$ref`


def view_target(document: Any, pointer: str) -> str:
    """Where the schema at `pointer` has the same `object_view`: the end of its chain of `$ref`s that say
    nothing else a view reads (`pointer` itself when it says more, or is no reference)."""
    node = at_pointer_or_empty(document, pointer)
    for _ in range(MAX_DEPTH):
        if not isinstance(node, dict) or any(key in node for key in _VIEWED):
            break
        reference = node.get("$ref")
        if not isinstance(reference, str) or not reference.startswith("#"):
            break
        pointer = unquote(reference[1:])
        node = at_pointer_or_empty(document, pointer)
    return pointer


def at_pointer_or_empty(document: Any, pointer: str) -> Any:
    try:
        return at_pointer(document, pointer)
    except (KeyError, IndexError, TypeError, ValueError):
        return {}


def _collect(document: Any, node: Any, pointer: str, view: ObjectView, depth: int) -> None:
    if depth > MAX_DEPTH or not isinstance(node, dict):
        return
    if "$ref" in node:
        target, target_pointer = resolve(document, node, pointer)
        _collect(document, target, target_pointer, view, depth + 1)
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            where = f"{pointer}/properties/{escape_token(str(name))}"
            resolved, _ = resolve(document, sub, where)
            flags = (sub, resolved) if isinstance(resolved, dict) else (sub,)
            view.properties.setdefault(str(name), Property(
                str(name), where, resolved if isinstance(resolved, dict) else {},
                any(isinstance(f, dict) and f.get("readOnly") is True for f in flags),
                any(isinstance(f, dict) and f.get("writeOnly") is True for f in flags),
            ))
    required = node.get("required")
    if isinstance(required, list):
        view.required.update(str(name) for name in required)
    if node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False:
        view.closed = True
    extra = node.get("additionalProperties")
    if extra is True or (isinstance(extra, dict) and extra) or node.get("patternProperties"):
        view.open = True
    branches = node.get("allOf")
    if isinstance(branches, list):
        for index, branch in enumerate(branches):
            _collect(document, branch, f"{pointer}/allOf/{index}", view, depth + 1)


def array_items(document: Any, pointer: str) -> str | None:
    """The pointer of the items schema of the array schema at `pointer` (None: not an array of one kind)."""
    node, where = resolve(document, at_pointer_or_empty(document, pointer), pointer)
    if not is_array(node) or not isinstance(node.get("items"), dict):
        return None
    return f"{where}/items"


def normalized(name: str) -> str:
    """`petId`, `pet_id` and `pet-id` alike: lower case without separators."""
    return re.sub(r"[_\-\s]", "", name).lower()


def matching_property(view: ObjectView, name: str) -> str | None:
    """The property spelled like `name` (exactly, else in another case convention), or None."""
    if name in view.properties:
        return name
    wanted = normalized(name)
    return next((prop for prop in view.properties if normalized(prop) == wanted), None)
