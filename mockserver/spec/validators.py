"""One compiled validator for every schema the operations of a spec use, shared by all of them.

jsonschema_rs compiles the whole graph of `$ref`s a schema reaches, for each validator. In a large spec
whose schemas refer to each other (most real ones), every schema reaches most of the document, so
compiling operation by operation repeats the same work, and holds the same memory, once per schema
(hundreds of MB each on a GitHub-sized spec). Within one validator, each referenced schema is
compiled once. So all the operations' schemas become properties of one root schema,

    {"properties": {"<pointer>": {"$ref": "<spec>#<pointer>"}, ...}}

compiled on first use, and validating an instance against one of them validates `{pointer: instance}`.
Errors come back as the schema's own validator would report them: the leading property is taken off
their instance and evaluation paths (nested errors of `anyOf`/`oneOf` included).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jsonschema_rs

Compile = Callable[[dict[str, Any]], jsonschema_rs.Validator]  # a schema with refs into the spec -> validator


class PointerValidator:
    """The shared validator, seen as the validator of one schema (`is_valid`, `iter_errors`, `validate`)."""

    __slots__ = ("_pointer", "_shared")

    def __init__(self, shared: jsonschema_rs.Validator, pointer: str) -> None:
        self._shared = shared
        self._pointer = pointer

    def is_valid(self, instance: Any) -> bool:
        return self._shared.is_valid({self._pointer: instance})

    def iter_errors(self, instance: Any) -> Iterator[jsonschema_rs.ValidationError]:
        for error in self._shared.iter_errors({self._pointer: instance}):
            yield _unwrapped(error)

    def validate(self, instance: Any) -> None:
        for error in self.iter_errors(instance):
            raise error


class SharedValidators:
    """Validators for the given schema pointers, all backed by one compiled schema (compiled when first
    asked for). When that schema does not compile, `get` answers None and callers compile alone."""

    def __init__(
        self, pointers: Iterable[str], reference: Callable[[str], str], compile_schema: Compile
    ) -> None:
        self._pointers = frozenset(pointers)
        self._reference = reference
        self._compile = compile_schema
        self._shared: jsonschema_rs.Validator | None = None
        self._failed = False
        self._lock = threading.Lock()  # compiled once, though a warm-up thread and a request both ask

    def get(self, pointer: str) -> PointerValidator | None:
        if pointer not in self._pointers or self._failed:
            return None
        shared = self._shared
        if shared is None:
            with self._lock:
                if self._shared is None and not self._failed:
                    root = {"properties": {name: {"$ref": self._reference(name)}
                                           for name in sorted(self._pointers)}}
                    try:
                        self._shared = self._compile(root)
                    except (ValueError, jsonschema_rs.ReferencingError):  # one schema that does not compile
                        self._failed = True
                shared = self._shared
            if shared is None:
                return None
        return PointerValidator(shared, pointer)


def _unwrapped(error: jsonschema_rs.ValidationError) -> jsonschema_rs.ValidationError:
    """The error as the schema's own validator reports it: without the leading property (in place)."""
    error.instance_path = error.instance_path[1:]
    error.evaluation_path = error.evaluation_path[2:]  # "properties", the pointer
    # (`schema_path` is where the keyword is in the spec document, the same either way.)
    for branch in getattr(error.kind, "context", None) or ():
        for inner in branch:
            _unwrapped(inner)
    return error
