"""Fields of JSON bodies: those a body holds (pointer -> JSON types) and those a schema documents.

A field is named by a JSON pointer from the body's root, with `*` for "any item of this array":
`/items/*/amount`. The root itself is the pointer "". Both sides use the same names, so what a consumer
received can be compared with what a spec documents and with what a server answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mockserver.foundation.problems import join_pointer
from mockserver.spec.schemas import declared_types
from mockserver.validation.checkers import json_type

ITEM = "*"
MAX_DEPTH = 12
MAX_FIELDS = 1000
Resolve = Callable[[str], Any]  # a `$ref` (`#/...`) -> the schema it points at


def body_fields(body: Any) -> dict[str, set[str]]:
    """Every field of a parsed JSON body and the JSON types it held (items of an array merged)."""
    found: dict[str, set[str]] = {}
    _collect(body, "", found, 0)
    return found


def _collect(value: Any, pointer: str, found: dict[str, set[str]], depth: int) -> None:
    if len(found) >= MAX_FIELDS and pointer not in found:
        return
    found.setdefault(pointer, set()).add(json_type(value))
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _collect(child, pointer + join_pointer(str(key)), found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect(item, f"{pointer}/{ITEM}", found, depth + 1)


def values_at(body: Any, pointer: str) -> tuple[bool, list[Any]]:
    """(whether the field's parent exists, the values at `pointer`: every item's for a `*`)."""
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]
    nodes = [body]
    for index, token in enumerate(tokens):
        last = index == len(tokens) - 1
        children: list[Any] = []
        for node in nodes:
            if token == ITEM and isinstance(node, list):
                children += node
            elif isinstance(node, dict) and token in node:
                children.append(node[token])
        if last:
            parents = [node for node in nodes if isinstance(node, dict | list)]
            return bool(parents) and _has_room(parents, token), children
        nodes = children
    return True, nodes


def _has_room(parents: list[Any], token: str) -> bool:
    """An item field can only be asked of an array that has items."""
    if token == ITEM:
        return any(isinstance(parent, list) and parent for parent in parents)
    return any(isinstance(parent, dict) for parent in parents)


@dataclass
class FieldDoc:
    """What a schema says about one field: where it is defined, its types, format, enum, requiredness."""

    pointer: str  # where the field's schema is, in the spec document
    types: set[str] = field(default_factory=set)  # empty: any type
    formats: set[str] = field(default_factory=set)
    enum: list[Any] | None = None
    required: bool = False  # required by the object holding it (items and the root always are)


def schema_fields(schema: Any, pointer: str, resolve: Resolve) -> dict[str, FieldDoc]:
    """Every field `schema` (found at `pointer` in the document) documents, by body pointer."""
    found: dict[str, FieldDoc] = {}
    _walk(schema, pointer, "", True, resolve, found, frozenset(), 0)
    return found


def _walk(schema: Any, doc_pointer: str, body_pointer: str, required: bool, resolve: Resolve,
          found: dict[str, FieldDoc], seen: frozenset[str], depth: int) -> None:
    if depth > MAX_DEPTH or len(found) >= MAX_FIELDS:
        return
    parts = list(_parts(schema, doc_pointer, resolve, seen, branch=False, depth=0))
    doc = found.get(body_pointer)
    if doc is None:
        doc = found[body_pointer] = FieldDoc(doc_pointer, required=required)
    else:
        doc.required = doc.required or required
    _describe(doc, [part for part, _, _, _ in parts])
    children: dict[str, list[tuple[Any, str, frozenset[str]]]] = {}
    required_names: set[str] = set()
    items: list[tuple[Any, str, frozenset[str]]] = []
    for part, part_pointer, in_branch, refs in parts:
        if not in_branch:
            required_names.update(str(name) for name in part.get("required") or () if isinstance(name, str))
        for name, child in (part.get("properties") or {}).items():
            if isinstance(child, dict | bool):
                site = part_pointer + join_pointer("properties", name)
                children.setdefault(name, []).append((child, site, refs))
        if isinstance(part.get("items"), dict):
            items.append((part["items"], part_pointer + "/items", refs))
    for name, definitions in children.items():
        for child, site, refs in definitions:
            _walk(child, site, body_pointer + join_pointer(name), name in required_names, resolve, found,
                  refs, depth + 1)
    for child, site, refs in items:
        _walk(child, site, f"{body_pointer}/{ITEM}", True, resolve, found, refs, depth + 1)


def _parts(schema: Any, pointer: str, resolve: Resolve, seen: frozenset[str], *, branch: bool,
           depth: int) -> Iterator[tuple[dict[str, Any], str, bool, frozenset[str]]]:
    """(schema part, its pointer, inside anyOf/oneOf, `$ref`s followed to get there) of what `schema` is."""
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return
    yield schema, pointer, branch, seen
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#") and reference not in seen:
        target = resolve(reference)
        yield from _parts(target, reference[1:], resolve, seen | {reference}, branch=branch, depth=depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for index, part in enumerate(schema.get(keyword) or ()):
            inner = branch or keyword != "allOf"
            yield from _parts(part, join_pointer_to(pointer, keyword, index), resolve, seen, branch=inner,
                              depth=depth + 1)


def join_pointer_to(pointer: str, *tokens: str | int) -> str:
    return pointer + join_pointer(*tokens)


def _describe(doc: FieldDoc, parts: list[dict[str, Any]]) -> None:
    for part in parts:
        doc.types |= declared_types(part)
        if isinstance(part.get("format"), str):
            doc.formats.add(part["format"])
        if isinstance(part.get("enum"), list):
            doc.enum = list(part["enum"]) if doc.enum is None else [*doc.enum, *part["enum"]]
        elif "const" in part:
            doc.enum = [part["const"]] if doc.enum is None else [*doc.enum, part["const"]]
        if part.get("nullable") is True:
            doc.types.add("null")
