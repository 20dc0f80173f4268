"""The spec document handed to schemathesis: the mock's merged document, parameter schemas inlined.

Schemathesis 4.32 cannot re-validate a query parameter whose schema is a `$ref` (its
`negative_data_rejection` check then silently skips the request, so an API that accepts an invalid
enum value passes). Inlining the `$ref`s of parameter schemas gives it the same schemas without
references; nothing else changes. Response and body schemas keep their references (they may recurse).
"""

from __future__ import annotations

import copy
from typing import Any

from mockserver.spec.model import HTTP_METHODS

MAX_INLINE_DEPTH = 32


def schemathesis_document(document: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(document)
    for path_item in result.get("paths", {}).values():
        if not isinstance(path_item, dict):
            continue
        _inline_parameters(result, path_item)
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if isinstance(operation, dict):
                _inline_parameters(result, operation)
    return result


def _inline_parameters(document: dict[str, Any], owner: dict[str, Any]) -> None:
    parameters = owner.get("parameters")
    if not isinstance(parameters, list):
        return
    inlined = []
    for parameter in parameters:
        resolved = _follow(document, parameter)
        if isinstance(resolved, dict) and isinstance(resolved.get("schema"), dict):
            resolved = {**resolved, "schema": _inline(document, resolved["schema"], 0)}
        inlined.append(resolved)
    owner["parameters"] = inlined


def _follow(document: dict[str, Any], node: Any) -> Any:
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        target = _resolve(document, node["$ref"])
        if target is None:
            return node
        node = target
    return copy.deepcopy(node)


def _inline(document: dict[str, Any], schema: Any, depth: int) -> Any:
    if depth > MAX_INLINE_DEPTH:
        return schema
    if isinstance(schema, list):
        return [_inline(document, item, depth + 1) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str):
        target = _resolve(document, reference)
        if isinstance(target, dict):
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            return _inline(document, {**copy.deepcopy(target), **siblings}, depth + 1)
    return {key: _inline(document, value, depth + 1) for key, value in schema.items()}


def _resolve(document: dict[str, Any], reference: str) -> Any:
    if not reference.startswith("#/"):
        return None
    node: Any = document
    for raw in reference[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node
