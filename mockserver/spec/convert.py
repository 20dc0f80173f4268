"""OpenAPI 3.0 schema objects -> JSON Schema 2020-12, in place, in the merged document.

Every schema reachable from components, paths, parameters, headers, bodies and responses is visited once
(`$ref`s are followed, so schemas inside embedded external files are converted too):
`nullable: true` adds "null" to `type` (an `enum` keeps its values: as OpenAPI 3.0.3 says, null is then
valid only when the enum lists it), or wraps the `$ref`/`allOf`/... part as
`anyOf: [that, {"type": "null"}]` when there is no `type`; boolean `exclusiveMinimum`/`exclusiveMaximum`
take the number of `minimum`/`maximum`.
"""

from __future__ import annotations

from typing import Any

from mockserver.spec.model import HTTP_METHODS
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve
from mockserver.spec.schemas import direct_subschemas

# Keywords that restrict every instance, null included: moved under `anyOf` with a null alternative.
_RESTRICTING_EVERY_TYPE = ("$ref", "allOf", "anyOf", "oneOf", "not")
_COMPONENT_KINDS = {
    "schemas": "schema", "parameters": "parameter", "headers": "parameter", "requestBodies": "body",
    "responses": "response", "callbacks": "callback", "pathItems": "path_item",
}


def convert_openapi30_schemas(document: dict[str, Any]) -> None:
    """Convert, in place, every OpenAPI 3.0 schema object of `document` to JSON Schema 2020-12."""
    _Converter(document).run()


class _Converter:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        # Objects already visited, as (id, kind) and, for schemas, id: objects may be shared ($ref
        # targets, YAML aliases).
        self.done: set[tuple[int, str]] = set()
        self.schemas_done: set[int] = set()
        self._targets: dict[str, Any] = {}  # `$ref` -> its target (MISSING when there is none)

    def run(self) -> None:
        components = self.document.get("components")
        if isinstance(components, dict):
            for section, kind in _COMPONENT_KINDS.items():
                entries = components.get(section)
                for entry in entries.values() if isinstance(entries, dict) else ():
                    self.visit(entry, kind)
        for section in ("paths", "webhooks"):
            items = self.document.get(section)
            for item in items.values() if isinstance(items, dict) else ():
                self.visit(item, "path_item")

    def visit(self, node: Any, kind: str) -> None:
        """Visit an OpenAPI object of the given kind (following its `$ref` to the same kind)."""
        if kind == "schema":
            self.schema(node)
            return
        if not isinstance(node, dict) or (id(node), kind) in self.done:
            return
        self.done.add((id(node), kind))
        target = self._target(node)
        if target is not None:
            self.visit(target, kind)
        getattr(self, f"_{kind}")(node)

    def _path_item(self, item: dict[str, Any]) -> None:
        for parameter in _list(item.get("parameters")):
            self.visit(parameter, "parameter")
        for method in HTTP_METHODS:
            self.visit(item.get(method), "operation")

    def _operation(self, operation: dict[str, Any]) -> None:
        for parameter in _list(operation.get("parameters")):
            self.visit(parameter, "parameter")
        self.visit(operation.get("requestBody"), "body")
        for response in _values(operation.get("responses")):
            self.visit(response, "response")
        for callback in _values(operation.get("callbacks")):
            self.visit(callback, "callback")

    def _callback(self, callback: dict[str, Any]) -> None:
        for item in callback.values():
            self.visit(item, "path_item")

    def _parameter(self, parameter: dict[str, Any]) -> None:
        self.visit(parameter.get("schema"), "schema")
        self._content(parameter.get("content"))

    def _body(self, body: dict[str, Any]) -> None:
        self._content(body.get("content"))

    def _response(self, response: dict[str, Any]) -> None:
        for header in _values(response.get("headers")):
            self.visit(header, "parameter")
        self._content(response.get("content"))

    def _content(self, content: Any) -> None:
        for media_type in _values(content):
            if isinstance(media_type, dict):
                self.visit(media_type.get("schema"), "schema")
                for encoding in _values(media_type.get("encoding")):
                    for header in _values(encoding.get("headers") if isinstance(encoding, dict) else None):
                        self.visit(header, "parameter")

    def schema(self, root: Any) -> None:
        """Convert a schema and everything under it (iteratively: schemas may nest deeply)."""
        pending: list[Any] = [root]
        while pending:
            schema = pending.pop()
            if not isinstance(schema, dict) or id(schema) in self.schemas_done:
                continue
            self.schemas_done.add(id(schema))
            if "nullable" in schema or "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
                convert_keywords(schema)
            if "$ref" in schema:
                pending.append(self._target(schema))
            pending.extend(direct_subschemas(schema))

    def _target(self, node: dict[str, Any]) -> Any:
        ref = node.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#")):
            return None
        target = self._targets.get(ref, MISSING)
        if target is MISSING:
            target = self._targets[ref] = resolve(self.document, fragment_pointer(ref[1:]))
        return None if target is MISSING else target


def convert_keywords(schema: dict[str, Any]) -> None:
    """Rewrite the OpenAPI 3.0 keywords of one schema object (not its subschemas) to JSON Schema 2020-12."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = schema.get(exclusive)
        if isinstance(flag, bool):
            del schema[exclusive]
            if flag and bound in schema:
                schema[exclusive] = schema.pop(bound)
    if "nullable" not in schema:
        return
    if schema.pop("nullable") is not True:
        return
    declared = schema.get("type")
    if isinstance(declared, str):
        schema["type"] = [declared, "null"]
    elif isinstance(declared, list):
        if "null" not in declared:
            schema["type"] = [*declared, "null"]
    else:
        restricting = {key: schema.pop(key) for key in _RESTRICTING_EVERY_TYPE if key in schema}
        if restricting:
            schema["anyOf"] = [restricting, {"type": "null"}]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _values(value: Any) -> Any:
    return value.values() if isinstance(value, dict) else ()
