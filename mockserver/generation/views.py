"""Typed views of canonical schema nodes: the view class a node's kind promises, and the node as a schema.

`CanonicalSchema.view()` returns a union of seventeen view classes. Code that has already branched on
`node.kind` knows which one it holds; `view_of(node, ObjectView)` says so once, is checked at run time
(one `isinstance`), and gives the type checker the one class instead of the union.
"""

from __future__ import annotations

from typing import Any, TypeVar

import jsonschema_rs
from jsonschema_rs.canonical import CanonicalViewType

View = TypeVar("View", bound=CanonicalViewType)


def view_of(node: jsonschema_rs.CanonicalSchema, view_type: type[View]) -> View:
    """The node's view as `view_type`; TypeError when the node is of another kind (a caller's mistake)."""
    view = node.view()
    if not isinstance(view, view_type):
        given, wanted = type(view).__name__, view_type.__name__
        raise TypeError(f"a canonical node of kind {node.kind} gives {given}, not {wanted}")
    return view


def json_schema_of(node: jsonschema_rs.CanonicalSchema) -> dict[str, Any] | bool:
    """The node written back as a JSON Schema: an object, or `true`/`false`."""
    schema = node.to_json_schema()
    if not isinstance(schema, (dict, bool)):
        raise TypeError(f"a canonical node of kind {node.kind} is written as {type(schema).__name__}")
    return schema
