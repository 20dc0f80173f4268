"""Findings about the set of operations: operationIds used twice, and operations that share a route."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.foundation.problems import Problem
from mockserver.spec.model import Operation


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
