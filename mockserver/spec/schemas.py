"""Checking that the schemas each operation uses are valid JSON Schema 2020-12, so they compile when served.

An operation uses its parameter, header and body schemas and every schema they reach through `$ref`. Each
schema reached is checked once against the 2020-12 meta-schema, formats included (as jsonschema_rs does
when it compiles one); an operation that reaches an invalid schema is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import jsonschema_rs

from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.model import Operation
from mockserver.spec.pointers import MISSING, fragment_pointer, is_pointer_fragment, resolve
from mockserver.spec.refs import EXTERNAL_ROOT

Locate = Callable[[str], tuple[str, str]]  # merged-document pointer -> (file, pointer in that file)

# How each keyword holds subschemas: one schema, a list of schemas, or an object of named schemas.
ONE, LIST, MAP = 1, 2, 3
SUBSCHEMA_KEYWORDS = {
    **dict.fromkeys(("not", "additionalProperties", "contains", "propertyNames", "if", "then", "else",
                     "unevaluatedProperties", "unevaluatedItems", "additionalItems", "contentSchema"), ONE),
    **dict.fromkeys(("allOf", "anyOf", "oneOf", "prefixItems"), LIST),
    **dict.fromkeys(("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"), MAP),
    "items": ONE,  # one schema; a list (draft 4 tuples) is walked as a list
}
_META_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
_EMBEDDED = f"/{EXTERNAL_ROOT}/"  # where the files the spec refers to are, in the merged document
_MAX_MESSAGE = 200


@dataclass(frozen=True)
class InvalidSchema:
    pointer: str  # the invalid part, in the merged document
    reason: str


def drop_operations_with_invalid_schemas(
    document: dict[str, Any], operations: list[Operation], locate: Locate
) -> tuple[list[Operation], list[Operation], list[Problem]]:
    """The operations whose schemas are all valid, the others (marked unservable), and a warning for each."""
    graph = _SchemaGraph(document)
    for operation in operations:
        graph.explore(schema_pointers(operation))
    causes = graph.causes()
    if not causes:
        return operations, [], []
    kept: list[Operation] = []
    dropped: list[Operation] = []
    warnings: list[Problem] = []
    for operation in operations:
        cause = next((causes[p] for p in schema_pointers(operation) if p in causes), None)
        if cause is None:
            kept.append(operation)
            continue
        file, pointer = locate(cause.pointer)
        reason = f"it uses a schema that is not valid JSON Schema: {cause.reason}"
        message = f"operation {operation.key} cannot be served (requests get 501): {reason}"
        warnings.append(Problem(file, pointer, message))
        dropped.append(replace(operation, unservable=f"{reason} (at {file}#{pointer})"))
    return kept, dropped, warnings


def schema_pointers(operation: Operation) -> Iterator[str]:
    """The pointers of every schema an operation names directly."""
    for parameter in operation.parameters:
        yield parameter.schema_pointer
    bodies = [operation.request_body.content] if operation.request_body else []
    for response in operation.responses.values():
        bodies.append(response.content)
        yield from (header.schema_pointer for header in response.headers.values())
    for content in bodies:
        yield from (media.schema_pointer for media in content.values() if media.schema_pointer is not None)


class _SchemaGraph:
    """Schemas (by pointer) reached from the operations, the references between them, and the invalid ones."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.references: dict[str, list[str]] = {}  # schema pointer -> pointers it references
        self.invalid: dict[str, InvalidSchema] = {}

    def explore(self, pointers: Iterator[str]) -> None:
        pending = [pointer for pointer in pointers if pointer not in self.references]
        while pending:
            pointer = pending.pop()
            if pointer in self.references:
                continue
            schema = resolve(self.document, pointer)
            self.references[pointer] = targets = list(_references(schema))
            pending.extend(target for target in targets if target not in self.references)
            if isinstance(schema, dict) and len(schema) == 1 and targets:
                continue  # a bare local `$ref` (the loader wrote it as a valid URI): only its target matters
            problem = _first_error(schema, quote_values=not pointer.startswith(_EMBEDDED))
            if problem is not None:
                self.invalid[pointer] = InvalidSchema(pointer + problem[0], problem[1])

    def causes(self) -> dict[str, InvalidSchema]:
        """Every explored schema that reaches an invalid one, with that invalid schema."""
        if not self.invalid:
            return {}
        referrers: dict[str, list[str]] = {}
        for pointer, targets in self.references.items():
            for target in targets:
                referrers.setdefault(target, []).append(pointer)
        causes = dict(self.invalid)
        pending = list(self.invalid)
        while pending:
            pointer = pending.pop()
            for referrer in referrers.get(pointer, ()):
                if referrer not in causes:
                    causes[referrer] = causes[pointer]
                    pending.append(referrer)
        return causes


def declared_types(schema: Mapping[str, Any]) -> frozenset[str]:
    """The JSON types a schema's own `type` names (one, or a list of them; empty when it names none)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset((declared,))
    if isinstance(declared, list):
        return frozenset(item for item in declared if isinstance(item, str))
    return frozenset()


def direct_subschemas(schema: dict[str, Any]) -> Iterator[Any]:
    """The schemas written directly inside `schema` (not those its `$ref` leads to)."""
    for keyword, value in schema.items():
        holds = SUBSCHEMA_KEYWORDS.get(keyword)
        if holds is None:
            continue
        if holds == MAP:
            if isinstance(value, dict):
                yield from value.values()
        elif isinstance(value, list):
            yield from value
        else:
            yield value


def _references(schema: Any) -> Iterator[str]:
    """The pointers of the local `$ref`s in a schema and its subschemas (not following them)."""
    pending = [schema]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        if _is_local_pointer_ref(node.get("$ref")):
            yield fragment_pointer(node["$ref"][1:])
        pending.extend(direct_subschemas(node))


def _is_local_pointer_ref(ref: Any) -> bool:
    return isinstance(ref, str) and ref.startswith("#") and is_pointer_fragment(ref[1:])


@cache
def _meta_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for({"$ref": _META_SCHEMA}, validate_formats=True)


def _first_error(schema: Any, *, quote_values: bool = True) -> tuple[str, str] | None:
    """(pointer inside the schema, reason) of its first meta-schema violation, or None when valid.

    Without `quote_values` (a schema read from a referenced file), the reason names the failed rule only.
    """
    if schema is MISSING:
        return "", "the schema is missing"
    error = next(_meta_validator().iter_errors(schema), None)
    if error is None:
        return None
    if quote_values:
        reason = " ".join(error.message.split("\n", 1)[0].split())
    else:
        reason = f"the value does not fit the meta-schema's rule '{type(error.kind).__name__}'"
    if len(reason) > _MAX_MESSAGE:
        reason = reason[: _MAX_MESSAGE - 1] + "…"
    return join_pointer(*(str(token) for token in error.instance_path)), reason
