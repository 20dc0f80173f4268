"""Turning validation errors into the response the operation documents for them.

An operation that documents FastAPI's `HTTPValidationError` gets FastAPI's 422 body. Any other gets
an RFC 9457 problem document, but only when the documented schema of the chosen response accepts it;
otherwise the documented answer for that status (its example or a generated body). When an operation
documents none of 400, 422, 4XX and default, a request whose only errors are in path parameters gets its
documented 404. A failure no documented response covers is the mock's own, marked with `X-Mock-Error`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockserver.http.answer import MOCK_ERROR_HEADER, PROBLEM_JSON, Answer, DocumentedAnswer, problem_body
from mockserver.validation.errors import ErrorItem, is_unsupported_media_type
from mockserver.validation.refs import follow_refs, schema_validator

if TYPE_CHECKING:
    from mockserver.spec.model import MediaType, Operation, Response, Spec

SOURCE = "validation"
FASTAPI_KEYS = ("422", "4XX", "default")
PROBLEM_KEYS = ("400", "422", "4XX", "default")
UNSUPPORTED_KEYS = ("415", "4XX", "default")
NOT_FOUND_KEYS = ("404",)
FASTAPI_ERROR_SCHEMA = "HTTPValidationError"


class FailureRenderer:
    """The answer to a request that failed validation (or whose Content-Type is not documented: 415), for
    one operation, with what its documented responses say read once."""

    def __init__(self, spec: Spec, operation: Operation, documented: DocumentedAnswer) -> None:
        self.spec = spec
        self.operation = operation
        self.documented = documented
        self._fastapi = _fastapi_target(spec, operation)

    def render(self, errors: list[ErrorItem]) -> Answer:
        spec, operation = self.spec, self.operation
        if is_unsupported_media_type(errors):
            return self._problem(UNSUPPORTED_KEYS, 415, errors[0].msg, [])
        items = [item.as_dict() for item in errors]
        if self._fastapi is not None:
            key, media = self._fastapi
            for detail in (items, [_minimal(item) for item in items]):
                if _fits(spec, media, {"detail": detail}):
                    return Answer(422, {"detail": detail}, media.media_type, SOURCE, response_key=key)
            return self.documented(operation, 422, SOURCE)
        count = len(errors)
        summary = f"{count} validation error{'' if count == 1 else 's'}"
        keys: tuple[str, ...] = PROBLEM_KEYS
        only_path = all(item.loc[:1] == ("path",) for item in errors)
        if only_path and not any(key in operation.responses for key in keys):
            keys = NOT_FOUND_KEYS  # only 404 documented: parameters that do not parse name no resource
        return self._problem(keys, 400, summary, items)

    def _problem(self, keys: tuple[str, ...], fallback_status: int, detail: str, items: list[Any]) -> Answer:
        operation = self.operation
        key = next((key for key in keys if key in operation.responses), None)
        status = int(key) if key is not None and key.isdigit() else fallback_status
        body = problem_body(status, detail)
        if items:
            body["errors"] = items
        if key is None:
            return Answer(status, body, PROBLEM_JSON, SOURCE, {MOCK_ERROR_HEADER: SOURCE})
        media_type, media = _problem_media(operation.responses[key])
        if media is None or not _fits(self.spec, media, body):
            return self.documented(operation, status, SOURCE)
        return Answer(status, body, media_type, SOURCE, response_key=key)


def follows_fastapi(spec: Spec, operation: Operation) -> bool:
    """True when the operation documents FastAPI's `HTTPValidationError` (as a 422, 4XX or default answer).

    Only such an operation is checked with FastAPI's leniency (pydantic's lax mode, empty form fields as
    missing): a schema that merely defines it says nothing about how the other operations validate.
    """
    return _fastapi_target(spec, operation) is not None


def _fastapi_target(spec: Spec, operation: Operation) -> tuple[str, MediaType] | None:
    """The first documented response (422, 4XX, default) whose JSON body is FastAPI's HTTPValidationError."""
    for key in FASTAPI_KEYS:
        response = operation.responses.get(key)
        media = _json_media(response) if response is not None else None
        if media is not None and _is_http_validation_error(spec, media.schema):
            return key, media
    return None


def _problem_media(response: Response) -> tuple[str, MediaType | None]:
    """The media type to send a problem document as, and its documented entry (None: cannot send one)."""
    content = response.content
    if not content:
        return PROBLEM_JSON, None
    for wanted in (PROBLEM_JSON, "application/json"):
        if wanted in content:
            return wanted, content[wanted]
    for key, media in content.items():
        if key.endswith("+json") or key in ("*/*", "application/*"):
            return (PROBLEM_JSON if "*" in key else key), media
    return next(iter(content)), None


def _json_media(response: Response) -> MediaType | None:
    for key, media in response.content.items():
        if key == "application/json" or key.endswith("+json"):
            return media
    return None


def _fits(spec: Spec, media: MediaType, body: Any) -> bool:
    if media.schema_pointer is None:
        return True
    try:
        return schema_validator(spec, media.schema_pointer).is_valid(body)
    except ValueError:
        return False


def _minimal(item: dict[str, Any]) -> dict[str, Any]:
    return {"loc": item["loc"], "msg": item["msg"], "type": item["type"]}


def _is_http_validation_error(spec: Spec, schema: Any) -> bool:
    """An object whose `detail` is an array of objects with `loc`, `msg` and `type` (FastAPI's shape)."""
    detail = _properties(spec, schema).get("detail")
    detail = follow_refs(spec.resolve_pointer, detail)[0]
    if not isinstance(detail, dict) or detail.get("type") != "array":
        return False
    item_properties = _properties(spec, detail.get("items"))
    return {"loc", "msg", "type"} <= item_properties.keys()


def _properties(spec: Spec, schema: Any) -> dict[str, Any]:
    schema = follow_refs(spec.resolve_pointer, schema)[0]
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) else {}
