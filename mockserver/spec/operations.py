"""Findings about the set of operations: operationIds used twice, operations that share a route, and
structured schemas documented under a text media type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.model import Operation
from mockserver.spec.pointers import fragment_pointer, resolve

_MAX_REF_CHAIN = 32


def duplicate_operation_ids(operations: Sequence[Operation]) -> list[Problem]:
    """A problem for each operation whose operationId an earlier one (of `operations`, in document order)
    has, naming both places."""
    first: dict[str, Operation] = {}
    problems: list[Problem] = []
    for operation in operations:
        if operation.operation_id is None:
            continue
        earlier = first.setdefault(operation.operation_id, operation)
        if earlier is not operation:
            problems.append(Problem(
                operation.source_file, operation.pointer,
                f"operationId '{operation.operation_id}' of {operation.key} is also the operationId of "
                f"{earlier.key} ({_place(earlier)}): each operationId must be unique, since fixtures and "
                "tests name operations by it",
            ))
    return problems


def shared_routes(operations: Sequence[Operation]) -> list[Problem]:
    """A note for each operation that shares its method and route with an earlier one (`#fragment` paths);
    `operations` in document order."""
    first: dict[tuple[str, str], Operation] = {}
    notes: list[Problem] = []
    for operation in operations:
        route = (operation.method, _template_shape(operation.url_path))
        earlier = first.setdefault(route, operation)
        if earlier is not operation:
            notes.append(Problem(
                operation.source_file, operation.pointer,
                f"{operation.key} is requested as {operation.method} {operation.url_path}, like "
                f"{earlier.key} ({_place(earlier)}): a request goes to the first of them whose parameters "
                "and body are valid, else to the first",
            ))
    return notes


def structured_text_bodies(operations: Sequence[Operation], document: Mapping[str, Any]) -> list[Problem]:
    """A note for each response documented under a `text/*` media type with an object or array schema:
    the mock sends such a body as JSON text."""
    notes: list[Problem] = []
    for operation in operations:
        for key, response in operation.responses.items():
            for media_type, media in response.content.items():
                if not media_type.lower().startswith("text/"):
                    continue
                kind = _structured_type(media.schema, document)
                if kind is not None:
                    notes.append(Problem(
                        operation.source_file,
                        operation.pointer + join_pointer("responses", key, "content", media_type, "schema"),
                        f"response {key} of {operation.key} documents {media_type} with an {kind} schema: "
                        "the mock sends it as JSON text",
                    ))
    return notes


def _structured_type(schema: Any, document: Mapping[str, Any]) -> str | None:
    """"object" or "array" when the schema (through its `$ref`s) is of that type alone; else None."""
    for _ in range(_MAX_REF_CHAIN):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        schema = resolve(document, fragment_pointer(ref[1:]))
    if not isinstance(schema, dict):  # also a dangling reference (MISSING)
        return None
    declared = schema.get("type")
    if declared is None and "properties" in schema:
        declared = "object"
    if isinstance(declared, list):
        declared = [item for item in declared if item != "null"]
        declared = declared[0] if len(declared) == 1 else None
    return declared if declared in ("object", "array") else None


def _template_shape(path: str) -> str:
    """A path template with its parameters unnamed: `/a/{id}` and `/a/{key}` are one route."""
    shape, depth = [], 0
    for character in path:
        if character == "{":
            depth += 1
            if depth == 1:
                shape.append("{}")
        elif character == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            shape.append(character)
    return "".join(shape)


def _place(operation: Operation) -> str:
    return f"{operation.source_file}#{operation.pointer}"
