"""The parts of a spec document its schemas can reach: what the validators' registry needs to hold.

jsonschema_rs keeps its own copy of every document it is given, several times the JSON's size. A spec's
descriptions, examples and operations take most of a large document (GitHub's: 7.3 MB of JSON, 1.2 MB of
it the schemas its operations use) and no validator reads them. So the registry gets a document that holds
only the schemas the operations use and what their local `$ref`s reach, each at its own JSON pointer, so
that every reference resolves as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from mockserver.foundation.jsonbytes import dumps_json
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve, split_pointer

_REFERENCE = re.compile(rb'"\$(ref|dynamicRef|recursiveRef)":"((?:[^"\\]|\\.)*)"')


def schema_parts(document: dict[str, Any], roots: Iterable[str]) -> dict[str, Any] | None:
    """A document holding the schemas at `roots` (JSON pointers) and the parts of `document` they reach,
    each at its pointer; None when a reference is not a plain JSON pointer into it (an anchor, another
    resource, the document's root), where only the whole document will do."""
    wanted = list(roots)
    reached: dict[str, Any] = {}
    while wanted:
        pointer = wanted.pop()
        if pointer in reached:
            continue
        node = resolve(document, pointer)
        if node is MISSING:
            continue  # a `$ref` inside an example, say: the validator would not follow it either
        reached[pointer] = node
        for reference in _references(node):
            if not reference.startswith("#/"):
                return None
            wanted.append(fragment_pointer(reference[1:]))
    return _placed({pointer: reached[pointer] for pointer in _outermost(set(reached))})


def _references(node: Any) -> Iterator[str]:
    """The references in `node`, read from its JSON text (an order of magnitude quicker than walking it
    in Python; a "$ref" string inside example data is read too, and at worst keeps a few more parts)."""
    for match in _REFERENCE.finditer(dumps_json(node)):
        keyword, value = match.groups()
        if keyword != b"ref":
            yield ""  # dynamic ones: the whole document
        elif b"\\" in value:
            yield json.loads(b'"' + value + b'"')
        else:  # no escape: the JSON text is the string's UTF-8 (orjson writes non-ASCII as is)
            yield value.decode()


def _outermost(pointers: set[str]) -> list[str]:
    """The pointers not inside another of them."""
    kept: set[str] = set()
    for pointer in sorted(pointers, key=lambda found: found.count("/")):
        if not _within(pointer, kept):
            kept.add(pointer)
    return sorted(kept)


def _within(pointer: str, pointers: set[str]) -> bool:
    """Whether `pointer` is one of `pointers` or inside one."""
    path = pointer
    while path:
        if path in pointers:
            return True
        path = path.rpartition("/")[0]
    return False


def _placed(parts: dict[str, Any]) -> dict[str, Any]:
    """A document holding each part at its pointer (containers on the way are objects: a JSON pointer's
    `0` names an object's member as it names a list's first item)."""
    placed: dict[str, Any] = {}
    for pointer, part in parts.items():
        tokens = split_pointer(pointer)
        container = placed
        for token in tokens[:-1]:
            inner = container.get(token)
            if inner is None:
                inner = container[token] = {}
            container = inner
        container[tokens[-1]] = part
    return placed
