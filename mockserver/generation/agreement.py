"""Generic agreement between a request and its generated body, for any spec.

Two conventions nearly every API follows, applied without knowing the API:

- a list operation with a page-size query parameter (`limit`, `page_size`, `per_page`, ...) fills its
  page array (`items`, `data`, `results`, ... or the body itself) with that many items, or with the
  parameter's declared default when the request does not send it;
- a path parameter is echoed into the top-level field of the same name (`/customers/{customer_id}/...`
  answers with `customer_id` set), and the last path parameter of `/things/{thing_id}` into `id`.

Anything an API promises beyond this (filters, totals, ...) is declared by its owner as domain rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from jsonschema_rs.canonical import AnyOfView, CanonicalKind, ObjectView, ReferenceView
from pydantic_core import to_jsonable_python

from mockserver.generation.draws import Override
from mockserver.generation.realism import normalize_name
from mockserver.generation.views import view_of
from mockserver.spec.model import Operation, Parameter

PAGE_SIZE_PARAMETERS = (
    "limit",
    "page_size",
    "per_page",
    "pagesize",
    "max_results",
    "size",
    "top",
    "first",
    "take",
    "count",
)
PAGE_ARRAYS = (
    "items",
    "data",
    "results",
    "records",
    "entries",
    "content",
    "elements",
    "rows",
    "list",
    "values",
    "hits",
    "objects",
    "nodes",
    "edges",
)
ENVELOPES = ("data", "result", "results", "payload", "response", "body", "page")


@dataclass(frozen=True)
class Agreement:
    """Where a body must agree with its request: the page array and the echoed path parameters."""

    page_parameter: Parameter | None = None
    page_path: tuple[str, ...] | None = None  # property names down to the page array; () is the body
    echoes: tuple[tuple[str, str], ...] = ()  # (path parameter, top-level property)

    def override(
        self, path: Mapping[str, Any], query: Mapping[str, Any], max_page_size: int
    ) -> Override | None:
        root = Override()
        if self.page_parameter is not None and self.page_path is not None:
            size = _page_size(self.page_parameter, query)
            if size is not None:
                node = root
                for name in self.page_path:
                    node = node.children.setdefault(name, Override())
                node.size = max(0, min(size, max_page_size))
        for parameter, prop in self.echoes:
            if parameter in path:
                # Typed path values (UUID, date, ...) are echoed as the JSON text they were sent as.
                root.children.setdefault(prop, Override()).value = to_jsonable_python(path[parameter])
        return root if root.children or root.size is not None else None


def agreement_for(operation: Operation, root: jsonschema_rs.CanonicalSchema) -> Agreement:
    """How bodies of `operation` with the (shaped, canonical) schema `root` agree with requests."""
    page_parameter = _page_parameter(operation)
    page_path = _page_array(root, root, depth=0) if page_parameter is not None else None
    return Agreement(page_parameter, page_path, _echoes(operation, root))


def _page_parameter(operation: Operation) -> Parameter | None:
    by_name = {
        normalize_name(p.name): p for p in operation.parameters if p.location == "query" and _is_integer(p)
    }
    return next((by_name[name] for name in PAGE_SIZE_PARAMETERS if name in by_name), None)


def _is_integer(parameter: Parameter) -> bool:
    schema = parameter.schema
    if schema.get("type") == "integer" or (
        isinstance(schema.get("type"), list) and "integer" in schema["type"]
    ):
        return True
    return any(
        isinstance(branch, dict) and branch.get("type") == "integer" for branch in schema.get("anyOf", [])
    )


def _page_size(parameter: Parameter, query: Mapping[str, Any]) -> int | None:
    value = query.get(parameter.name)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is not None:
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    default = parameter.schema.get("default")
    return default if isinstance(default, int) and not isinstance(default, bool) else None


def _page_array(
    node: jsonschema_rs.CanonicalSchema, root: jsonschema_rs.CanonicalSchema, depth: int
) -> tuple[str, ...] | None:
    node = _resolved(node, root)
    if node.kind is CanonicalKind.ARRAY and depth == 0:
        return ()
    if node.kind is not CanonicalKind.OBJECT or depth > 2:
        return None
    properties = view_of(node, ObjectView).properties
    arrays = [name for name, sub in properties.items() if _holds_array(sub, root)]
    chosen = next((name for name in PAGE_ARRAYS if name in arrays), arrays[0] if len(arrays) == 1 else None)
    if chosen is not None:
        return (chosen,)
    envelopes = sorted(
        (name for name in properties if _objectish(properties[name], root)),
        key=lambda name: (ENVELOPES.index(name) if name in ENVELOPES else len(ENVELOPES), name),
    )
    for name in envelopes:
        inner = _page_array(_non_null(properties[name], root), root, depth + 1)
        if inner:
            return (name, *inner)
    return None


def _echoes(operation: Operation, root: jsonschema_rs.CanonicalSchema) -> tuple[tuple[str, str], ...]:
    node = _resolved(root, root)
    if node.kind is not CanonicalKind.OBJECT:
        return ()
    properties = {normalize_name(name): name for name in view_of(node, ObjectView).properties}
    echoes = []
    path_parameters = [p.name for p in operation.parameters if p.location == "path"]
    for name in path_parameters:
        if normalize_name(name) in properties:
            echoes.append((name, properties[normalize_name(name)]))
    last = path_parameters[-1] if path_parameters else None
    if (
        last is not None
        and operation.path.rstrip("/").endswith("{" + last + "}")
        and "id" in properties
        and all(parameter != last for parameter, _ in echoes)
    ):
        echoes.append((last, properties["id"]))
    return tuple(echoes)


def _resolved(
    node: jsonschema_rs.CanonicalSchema, root: jsonschema_rs.CanonicalSchema
) -> jsonschema_rs.CanonicalSchema:
    for _ in range(32):
        if node.kind is not CanonicalKind.REFERENCE:
            return node
        uri = view_of(node, ReferenceView).uri
        target = root if uri == "#" else node.definition(uri)
        if target is None:
            return node
        node = target
    return node


def _non_null(
    node: jsonschema_rs.CanonicalSchema, root: jsonschema_rs.CanonicalSchema
) -> jsonschema_rs.CanonicalSchema:
    node = _resolved(node, root)
    if node.kind is CanonicalKind.ANY_OF:
        branches = [_resolved(branch, root) for branch in view_of(node, AnyOfView).branches]
        useful = [branch for branch in branches if branch.kind in (CanonicalKind.ARRAY, CanonicalKind.OBJECT)]
        if len(useful) == 1:
            return useful[0]
    return node


def _holds_array(node: jsonschema_rs.CanonicalSchema, root: jsonschema_rs.CanonicalSchema) -> bool:
    return _non_null(node, root).kind is CanonicalKind.ARRAY


def _objectish(node: jsonschema_rs.CanonicalSchema, root: jsonschema_rs.CanonicalSchema) -> bool:
    return _non_null(node, root).kind is CanonicalKind.OBJECT
