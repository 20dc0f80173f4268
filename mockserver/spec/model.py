"""The loaded spec as plain data: operations, parameters, bodies and responses, ready for serving.

Schemas held here are JSON Schema 2020-12 (OpenAPI 3.0 schemas are converted at load time) and may
contain local `$ref`s (`#/...`) into `Spec.document`; `Spec.validator()` and the generator resolve them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal
from urllib.parse import quote

import jsonschema_rs

from mockserver.foundation.problems import Problem
from mockserver.spec.schema_parts import schema_parts
from mockserver.spec.validators import PointerValidator, SharedValidators

ParameterLocation = Literal["path", "query", "header", "cookie"]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


Validator = jsonschema_rs.Validator | PointerValidator  # both offer is_valid, iter_errors and validate

# The merged document is registered under this URI so that any schema can be compiled by its pointer.
SPEC_URI = "urn:mockserver:spec"
_POINTER_SAFE = "/~!$&'()*+,;=:@"
_SHARING = threading.Lock()  # one SharedValidators per spec, whichever thread asks first


@dataclass(frozen=True)
class Parameter:
    name: str
    location: ParameterLocation
    required: bool
    schema: dict[str, Any]
    schema_pointer: str  # where `schema` lives in Spec.document (after following a `$ref`ed parameter)
    style: str
    explode: bool
    description: str = ""
    deprecated: bool = False


@dataclass(frozen=True)
class MediaType:
    """One media type of a body: its schema and its named examples (`example` is named "default")."""

    media_type: str
    schema: dict[str, Any] | None
    schema_pointer: str | None
    examples: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestBody:
    required: bool
    content: dict[str, MediaType]


@dataclass(frozen=True)
class ResponseHeader:
    name: str
    required: bool
    schema: dict[str, Any]
    schema_pointer: str


@dataclass(frozen=True)
class Response:
    """One documented response. `status` is the key as written: "200", "4XX" or "default"."""

    status: str
    description: str
    content: dict[str, MediaType]
    headers: dict[str, ResponseHeader] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str  # upper case: "GET"
    path: str  # the path template as written in the spec: "/api/v1/items/{item_id}"
    operation_id: str | None
    summary: str
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: dict[str, Response]
    # None: nothing declared or inherited; (): explicitly open; else OpenAPI security requirements.
    security: tuple[dict[str, tuple[str, ...]], ...] | None
    source_file: str
    pointer: str  # JSON pointer of the operation inside its source file
    deprecated: bool = False
    # The path of its server URL ("" or e.g. "/v1"): the operation's own `servers`, else its path item's,
    # else the document's.
    base_path: str = ""
    # Why the mock cannot serve the operation as documented ("" when it can): requests to it get 501.
    unservable: str = ""

    @cached_property
    def key(self) -> str:
        """The operation's name for humans and fixture files: "GET /path" (a `#fragment` kept as written)."""
        return f"{self.method} {self.path}"

    @cached_property
    def route(self) -> str:
        """The path template clients request: `path` without its `#fragment` (`/files#add` -> `/files`)."""
        return self.path.split("#", 1)[0]

    @cached_property
    def default_response_key(self) -> str | None:
        """What a valid request gets when nothing is forced: the lowest 2xx, else `2XX`, else `default`,
        else the lowest documented status, else the first key (None: no response documented)."""
        keys = list(self.responses)
        successes = sorted(key for key in keys if key.isdigit() and key.startswith("2"))
        if successes:
            return successes[0]
        for key in ("2XX", "2xx", "default"):
            if key in self.responses:
                return key
        numeric = sorted(key for key in keys if key.isdigit())
        return numeric[0] if numeric else (keys[0] if keys else None)

    @property
    def url_path(self) -> str:
        """The path template under the operation's base path: what a client puts in the URL."""
        return self.base_path + self.route

    def matches_name(self, name: str) -> bool:
        """True when `name` is this operation's operationId or its `METHOD /path`."""
        if name == self.operation_id:
            return True
        method, _, path = name.strip().partition(" ")
        return method.upper() == self.method and path.strip() == self.path


@dataclass
class Spec:
    """A merged, validated OpenAPI document and its operations."""

    # Merged document: every `$ref` is local (`#/...`); schema objects are JSON Schema 2020-12.
    document: dict[str, Any]
    operations: tuple[Operation, ...]
    openapi_version: str  # as declared: "3.0.3", "3.1.0"
    base_path: str  # "" or the path of servers[0].url, e.g. "/v1" (an operation may have its own)
    files: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()
    # Operations documented but not servable as written (each with its reason): routed, answered with 501.
    unservable: tuple[Operation, ...] = ()
    notes: tuple[Problem, ...] = ()  # worth knowing, not wrong (e.g. operations that share a route)
    # Every operation a request can reach, servable or not, in document order (default: those two lists).
    routes: tuple[Operation, ...] = ()
    _validators: dict[str, Validator] = field(default_factory=dict, repr=False)
    _shared: SharedValidators | None = field(default=None, repr=False)  # see mockserver.spec.validators
    _also_shared: set[str] = field(default_factory=set, repr=False)  # see `share_validators`

    def __post_init__(self) -> None:
        if not self.routes:
            self.routes = self.operations + self.unservable

    @property
    def security_schemes(self) -> dict[str, dict[str, Any]]:
        return self.document.get("components", {}).get("securitySchemes", {})

    @property
    def global_security(self) -> list[dict[str, list[str]]] | None:
        return self.document.get("security")

    def find_operation(self, name: str) -> Operation | None:
        """The operation named by operationId or `METHOD /path`, or None."""
        return next((op for op in self.operations if op.matches_name(name)), None)

    def resolve_ref(self, reference: str) -> Any:
        """What a local `$ref` (`#/components/schemas/X`) of the document leads to; an empty schema when
        it leads nowhere."""
        try:
            return self.resolve_pointer(reference.removeprefix("#"))
        except (KeyError, IndexError, ValueError, TypeError):
            return {}

    def operation_by_key(self, key: str) -> Operation | None:
        """The operation whose `key` is `key` (what an exchange records), or None."""
        return self._by_key.get(key)

    @cached_property
    def _by_key(self) -> dict[str, Operation]:
        return {operation.key: operation for operation in self.routes}

    def resolve_pointer(self, pointer: str) -> Any:
        """The value at a JSON pointer (`/components/schemas/X`) of the merged document."""
        node: Any = self.document
        for raw in pointer.split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    @cached_property
    def _sharing(self) -> frozenset[str]:
        """The pointers of the shared validator, listed once, when it is first needed."""
        return frozenset(self._shared_pointers())

    @cached_property
    def _schema_parts(self) -> dict[str, Any] | None:
        return schema_parts(self.document, self._sharing)

    @cached_property
    def _registry(self) -> jsonschema_rs.Registry:
        """The registry of the document's schemas (see `mockserver.spec.schema_parts`), else the whole."""
        parts = self._schema_parts
        return self._whole_registry if parts is None else _registry_of(parts)

    @cached_property
    def _whole_registry(self) -> jsonschema_rs.Registry:
        return _registry_of(self.document)

    def validator(self, schema_pointer: str) -> Validator:
        """A compiled validator for the schema at `schema_pointer`, compiled on first use and cached.

        The schemas the operations use share one compiled validator (see `mockserver.spec.validators`);
        any other schema is compiled alone.
        """
        compiled = self._validators.get(schema_pointer)
        if compiled is None:
            if self._shared is None:
                with _SHARING:
                    if self._shared is None:
                        self._shared = SharedValidators(self._sharing, _reference, self._compile)
            pointer = self._referred(schema_pointer)
            compiled = self._shared.get(pointer) or self._compile({"$ref": _reference(pointer)})
            self._validators[schema_pointer] = compiled
        return compiled

    def _referred(self, pointer: str) -> str:
        """The schema a schema made only of a local `$ref` stands for (followed through such schemas):
        `items: {$ref: '#/components/schemas/Pet'}` and a response's `{$ref: ...Pet}` share Pet's validator
        instead of each compiling, and holding, all Pet reaches."""
        seen = {pointer}
        while True:
            try:
                node = self.resolve_pointer(pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                return pointer
            reference = node.get("$ref") if isinstance(node, dict) and len(node) == 1 else None
            if not isinstance(reference, str) or not reference.startswith("#/") or reference[1:] in seen:
                return pointer
            pointer = reference[1:]
            seen.add(pointer)

    def share_validators(self, pointers: Iterable[str]) -> None:
        """Compile the validators of these schemas (say, the records of stateful resources) into the one
        the operations share, when it is compiled: alone, each would compile again the part of the
        document it reaches, and hold it (tens of MB each on a large interlinked spec)."""
        self._also_shared.update(pointers)

    def _compile(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        """`schema` compiled against the document's schema parts; against the whole document when it
        refers to something outside them (a schema no operation uses, a reference the parts missed)."""
        try:
            return jsonschema_rs.validator_for(schema, registry=self._registry, validate_formats=True)
        except (ValueError, jsonschema_rs.ReferencingError):  # jsonschema_rs: a pointer it cannot resolve
            if self._schema_parts is None:  # the registry is the whole document already
                raise
            return jsonschema_rs.validator_for(schema, registry=self._whole_registry, validate_formats=True)

    def _shared_pointers(self) -> set[str]:
        """What the shared validator covers: every operation's schemas and those `share_validators` named,
        each as the schema it stands for (`_referred`)."""
        pointers: set[str] = set()
        for operation in self.operations:
            pointers.update(parameter.schema_pointer for parameter in operation.parameters)
            media_types = list(operation.request_body.content.values()) if operation.request_body else []
            for response in operation.responses.values():
                media_types += response.content.values()
                pointers.update(header.schema_pointer for header in response.headers.values())
            pointers.update(media.schema_pointer for media in media_types if media.schema_pointer is not None)
        return {self._referred(pointer) for pointer in pointers | self._also_shared}


def _registry_of(document: dict[str, Any]) -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(SPEC_URI, document)], draft=jsonschema_rs.Draft202012)


def _reference(schema_pointer: str) -> str:
    # Path templates put "{" and "}" in pointers: a URI reference needs them percent-encoded.
    return f"{SPEC_URI}#{quote(schema_pointer, safe=_POINTER_SAFE)}"
