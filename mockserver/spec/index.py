"""Indexing the merged document into `Operation` objects (parameters, bodies, responses, security).

An operation that cannot be served as written (a parameter without a name, a response that is not an
object, ...) is kept apart as unservable, with a warning naming its file, place and reason: requests to it
are answered 501, and the rest of the spec still loads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mockserver.foundation.problems import Problem, join_pointer
from mockserver.spec.model import (
    HTTP_METHODS,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    ResponseHeader,
)
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve

Locate = Callable[[str], tuple[str, str]]  # merged-document pointer -> (file, pointer in that file)
Security = tuple[dict[str, tuple[str, ...]], ...] | None

LOCATIONS = ("path", "query", "header", "cookie")
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}
# OpenAPI: header parameters with these names are ignored (they are described by other fields).
_IGNORED_REQUEST_HEADERS = frozenset({"accept", "content-type", "authorization"})
_STATUS_KEY = re.compile(r"^(?:[1-5](?:[0-9]{2}|XX)|default)$")
_SERVER_VARIABLE = re.compile(r"\{([^{}]+)\}")
_MAX_REF_HOPS = 32


class _Unservable(Exception):
    """The operation cannot be served; `pointer` (merged document) says where the cause is."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(reason)
        self.pointer = pointer
        self.reason = reason


@dataclass
class Index:
    """The operations of a document: those that can be served, those that cannot, and warnings."""

    operations: list[Operation] = field(default_factory=list)
    unservable: list[Operation] = field(default_factory=list)  # each with its `unservable` reason
    warnings: list[Problem] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # operation key -> its rank in the document

    def in_document_order(self, operations: list[Operation]) -> list[Operation]:
        return sorted(operations, key=lambda operation: self.order.get(operation.key, len(self.order)))


def index_operations(document: dict[str, Any], locate: Locate) -> Index:
    """Every operation under `paths` (webhooks are not operations), in document order."""
    indexer = _Indexer(document, locate)
    paths = document.get("paths")
    for url, item in paths.items() if isinstance(paths, dict) else ():
        if not str(url).startswith("x-"):
            indexer.path(url, item, join_pointer("paths", url))
    return indexer.index


def base_path(document: dict[str, Any]) -> str:
    """The path of the document's first server URL ("" when absent or "/")."""
    return servers_base_path(document.get("servers"))


def servers_base_path(servers: Any) -> str:
    """The path of the first server URL of a `servers` list ("" when absent or "/"), with server variables
    at their defaults."""
    if not (isinstance(servers, list) and servers and isinstance(servers[0], dict)):
        return ""
    url = servers[0].get("url")
    if not isinstance(url, str):
        return ""
    variables = servers[0].get("variables")
    variables = variables if isinstance(variables, dict) else {}

    def default_of(match: re.Match[str]) -> str:
        variable = variables.get(match.group(1))
        default = variable.get("default") if isinstance(variable, dict) else None
        return str(default) if default is not None else ""

    path = urlsplit(_SERVER_VARIABLE.sub(default_of, url)).path
    path = path.rstrip("/")
    return path if not path or path.startswith("/") else "/" + path


class _Indexer:
    def __init__(self, document: dict[str, Any], locate: Locate) -> None:
        self.document = document
        self.locate = locate
        self.index = Index()
        self.document_base_path = base_path(document)

    def warn(self, pointer: str, message: str) -> None:
        file, file_pointer = self.locate(pointer)
        self.index.warnings.append(Problem(file, file_pointer, message))

    def follow(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow `$ref`s (of parameter, response, ... objects) to the object and its pointer."""
        for _ in range(_MAX_REF_HOPS):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str):
                return node, pointer
            if not ref.startswith("#"):
                raise _Unservable(pointer, f"$ref '{ref}' is not a local reference")
            target_pointer = fragment_pointer(ref[1:])
            target = resolve(self.document, target_pointer)
            if target is MISSING:
                raise _Unservable(pointer, f"$ref '{ref}' points at nothing")
            node, pointer = target, target_pointer
        raise _Unservable(pointer, "$ref chain is too long or circular")

    # --- paths and operations --------------------------------------------------------------------------

    def path(self, url: str, item: Any, pointer: str) -> None:
        try:
            item, pointer = self.follow(item, pointer)
        except _Unservable as exc:
            self.warn(exc.pointer, f"path {url} skipped: {exc.reason}")
            return
        if not isinstance(item, dict):
            self.warn(pointer, f"path {url} skipped: a path item must be an object")
            return
        shared = item.get("parameters", [])
        item_base_path = _own_base_path(item, self.document_base_path)
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation_pointer = pointer + join_pointer(method)
            self.index.order.setdefault(f"{method.upper()} {url}", len(self.index.order))
            try:
                operation, operation_pointer = self.follow(item[method], operation_pointer)
                self.index.operations.append(self.operation(
                    url, method, operation, operation_pointer, shared, pointer + "/parameters", item_base_path
                ))
            except _Unservable as exc:
                self.unservable(url, method, item[method], operation_pointer, item_base_path, exc)

    def unservable(
        self, url: str, method: str, operation: Any, pointer: str, item_base_path: str, cause: _Unservable
    ) -> None:
        """Keep what is known of an operation that cannot be served, and warn about it."""
        name = f"{method.upper()} {url}"
        self.warn(cause.pointer, f"operation {name} cannot be served (requests get 501): {cause.reason}")
        operation = operation if isinstance(operation, dict) else {}
        operation_id = operation.get("operationId") if isinstance(operation.get("operationId"), str) else None
        file, file_pointer = self.locate(pointer)
        self.index.unservable.append(Operation(
            method=method.upper(), path=url, operation_id=operation_id,
            summary="", parameters=(), request_body=None, responses={}, security=None, source_file=file,
            pointer=file_pointer, base_path=_own_base_path(operation, item_base_path),
            unservable=f"{cause.reason} (at {file}#{self.locate(cause.pointer)[1]})",
        ))

    def operation(
        self, url: str, method: str, operation: Any, pointer: str, shared: Any, shared_pointer: str,
        item_base_path: str,
    ) -> Operation:
        if not isinstance(operation, dict):
            raise _Unservable(pointer, "an operation must be an object")
        file, file_pointer = self.locate(pointer)
        summary = operation.get("summary")
        operation_id = operation.get("operationId")
        return Operation(
            method=method.upper(),
            path=url,
            operation_id=operation_id,
            summary=summary if isinstance(summary, str) else "",
            parameters=self.parameters(shared, shared_pointer, operation.get("parameters", []),
                                       pointer + "/parameters"),
            request_body=self.request_body(operation.get("requestBody"), pointer + "/requestBody"),
            responses=self.responses(operation.get("responses", {}), pointer + "/responses"),
            security=self.security(operation, pointer),
            source_file=file,
            pointer=file_pointer,
            deprecated=operation.get("deprecated") is True,
            base_path=_own_base_path(operation, item_base_path),
        )

    # --- parameters ------------------------------------------------------------------------------------

    def parameters(
        self, shared: Any, shared_pointer: str, own: Any, own_pointer: str
    ) -> tuple[Parameter, ...]:
        by_key: dict[tuple[str, str], Parameter] = {}
        for declared, pointer in ((shared, shared_pointer), (own, own_pointer)):  # the operation's win
            if not isinstance(declared, list):
                raise _Unservable(pointer, "parameters must be a list")
            for index, node in enumerate(declared):
                parameter = self.parameter(node, f"{pointer}/{index}")
                if parameter is not None:
                    name = parameter.name.lower() if parameter.location == "header" else parameter.name
                    by_key[(parameter.location, name)] = parameter
        return tuple(by_key.values())

    def parameter(self, node: Any, pointer: str) -> Parameter | None:
        node, pointer = self.follow(node, pointer)
        if not isinstance(node, dict):
            raise _Unservable(pointer, "a parameter must be an object")
        name, location = node.get("name"), node.get("in")
        if not isinstance(name, str) or not name:
            raise _Unservable(pointer, "a parameter has no name")
        if location is None:
            raise _Unservable(pointer, f"parameter '{name}' has no location (`in`)")
        if location not in LOCATIONS:
            raise _Unservable(pointer, f"parameter '{name}' has location {location!r}; "
                                       "it must be one of path, query, header, cookie")
        if location == "header" and name.lower() in _IGNORED_REQUEST_HEADERS:
            return None
        schema, schema_pointer = self.parameter_schema(node, pointer, f"parameter '{name}'")
        style = node.get("style", _DEFAULT_STYLE[location])
        description = node.get("description")
        return Parameter(
            name=name,
            location=location,
            required=location == "path" or node.get("required") is True,
            schema=schema,
            schema_pointer=schema_pointer,
            style=str(style),
            explode=bool(node.get("explode", style == "form")),
            description=description if isinstance(description, str) else "",
            deprecated=node.get("deprecated") is True,
        )

    def parameter_schema(self, node: dict[str, Any], pointer: str, what: str) -> tuple[dict[str, Any], str]:
        """The schema of a parameter or header: its `schema`, else that of its single `content` entry."""
        if "schema" in node:
            return _schema_at(node["schema"], pointer + "/schema", what)
        content = node.get("content")
        if isinstance(content, dict) and content:
            media_type, entry = next(iter(content.items()))
            entry_pointer = pointer + join_pointer("content", media_type)
            if isinstance(entry, dict) and "schema" in entry:
                return _schema_at(entry["schema"], entry_pointer + "/schema", what)
        raise _Unservable(pointer, f"{what} has no schema")

    # --- bodies and responses --------------------------------------------------------------------------

    def request_body(self, node: Any, pointer: str) -> RequestBody | None:
        if node is None:
            return None
        node, pointer = self.follow(node, pointer)
        if not isinstance(node, dict):
            raise _Unservable(pointer, "requestBody must be an object")
        return RequestBody(required=node.get("required") is True,
                           content=self.content(node.get("content", {}), pointer + "/content"))

    def content(self, node: Any, pointer: str) -> dict[str, MediaType]:
        if not isinstance(node, dict):
            raise _Unservable(pointer, "content must be an object of media types")
        content: dict[str, MediaType] = {}
        for media_type, entry in node.items():
            entry_pointer = pointer + join_pointer(media_type)
            if not isinstance(entry, dict):
                raise _Unservable(entry_pointer, f"media type {media_type} must be an object")
            schema, schema_pointer = None, None
            if "schema" in entry:
                schema, schema_pointer = _schema_at(entry["schema"], entry_pointer + "/schema",
                                                    f"media type {media_type}")
            content[media_type] = MediaType(media_type, schema, schema_pointer,
                                            self.examples(entry, entry_pointer))
        return content

    def examples(self, media_type: dict[str, Any], pointer: str) -> dict[str, Any]:
        examples: dict[str, Any] = {}
        if "example" in media_type:
            examples["default"] = media_type["example"]
        named = media_type.get("examples")
        for name, example in named.items() if isinstance(named, dict) else ():
            try:
                example, _ = self.follow(example, pointer + join_pointer("examples", name))
            except _Unservable:
                continue  # an example that cannot be found only loses that example
            if isinstance(example, dict) and "value" in example:  # `externalValue` ones are not fetched
                examples[name] = example["value"]
        return examples

    def responses(self, node: Any, pointer: str) -> dict[str, Response]:
        if not isinstance(node, dict):
            raise _Unservable(pointer, "responses must be an object of status codes")
        responses: dict[str, Response] = {}
        for status, response in node.items():
            status = str(status)
            if status.startswith("x-"):
                continue
            response_pointer = pointer + join_pointer(status)
            if not _STATUS_KEY.match(status):
                self.warn(response_pointer, f"response '{status}' ignored: the key must be a status code "
                                            "(100-599), a range such as 4XX, or default")
                continue
            responses[status] = self.response(status, response, response_pointer)
        return responses

    def response(self, status: str, node: Any, pointer: str) -> Response:
        node, pointer = self.follow(node, pointer)
        if not isinstance(node, dict):
            raise _Unservable(pointer, f"response {status} must be an object")
        description = node.get("description")
        return Response(
            status=status,
            description=description if isinstance(description, str) else "",
            content=self.content(node.get("content", {}), pointer + "/content"),
            headers=self.response_headers(node.get("headers", {}), pointer + "/headers"),
        )

    def response_headers(self, node: Any, pointer: str) -> dict[str, ResponseHeader]:
        if not isinstance(node, dict):
            raise _Unservable(pointer, "headers must be an object")
        headers: dict[str, ResponseHeader] = {}
        for name, header in node.items():
            if str(name).lower() == "content-type":  # OpenAPI: described by `content`, so ignored
                continue
            header, header_pointer = self.follow(header, pointer + join_pointer(name))
            if not isinstance(header, dict):
                raise _Unservable(header_pointer, f"header {name} must be an object")
            schema, schema_pointer = self.parameter_schema(header, header_pointer, f"header {name}")
            headers[name] = ResponseHeader(name, header.get("required") is True, schema, schema_pointer)
        return headers

    # --- security --------------------------------------------------------------------------------------

    def security(self, operation: dict[str, Any], pointer: str) -> Security:
        if "security" in operation:
            declared, pointer = operation["security"], pointer + "/security"
        else:
            declared, pointer = self.document.get("security"), "/security"
        if declared is None:
            return None
        if not isinstance(declared, list) or not all(isinstance(entry, dict) for entry in declared):
            raise _Unservable(pointer, "security must be a list of security requirement objects")
        requirements = []
        for entry in declared:
            if not all(isinstance(scopes, list) for scopes in entry.values()):
                raise _Unservable(pointer, "each security requirement maps a scheme name to a list of scopes")
            requirements.append({name: tuple(map(str, scopes)) for name, scopes in entry.items()})
        return tuple(requirements)


def _own_base_path(node: dict[str, Any], inherited: str) -> str:
    """The base path of a path item's or operation's own `servers` (when it lists some), else `inherited`."""
    servers = node.get("servers")
    return servers_base_path(servers) if isinstance(servers, list) and servers else inherited


def _schema_at(schema: Any, pointer: str, what: str) -> tuple[dict[str, Any], str]:
    if isinstance(schema, dict):
        return schema, pointer
    if isinstance(schema, bool):  # JSON Schema's `true`/`false`: compiled from the document as they are
        return ({} if schema else {"not": {}}), pointer
    raise _Unservable(pointer, f"the schema of {what} must be an object")

