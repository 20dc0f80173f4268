"""The request validator of one operation: compiled once, then run for every request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockserver.validation.body import BodyValidator
from mockserver.validation.errors import ErrorItem
from mockserver.validation.params import ABSENT, RawSources, compile_parameters
from mockserver.validation.pydantic_types import TypeBuilder
from mockserver.validation.render import follows_fastapi
from mockserver.validation.request import RequestData, ValidRequest

if TYPE_CHECKING:
    from mockserver.spec.model import Operation, Spec


class RequestValidator:
    """Checks requests against one operation's parameters and body, the way FastAPI would.

    `validate` returns the typed request, or every error found, in FastAPI's order (path, query, header,
    cookie, body). Two failures are reported alone, as FastAPI does: a body that is not valid JSON
    (`json_invalid`), and a Content-Type the operation does not document (a single item of type
    `unsupported_media_type`, see `is_unsupported_media_type`; the FailureRenderer answers it with 415).
    """

    def __init__(self, spec: Spec, operation: Operation) -> None:
        # A FastAPI spec is checked as FastAPI checks (pydantic's lax mode: `"5"` and `true` are integers, `0`
        # is a date); any other by the meaning of its JSON Schema.
        builder = TypeBuilder(spec.resolve_pointer, translate=follows_fastapi(spec, operation))
        self._rules = compile_parameters(spec, operation.parameters, builder)
        body = operation.request_body
        self._body = BodyValidator(spec, body, builder) if body is not None and body.content else None

    def validate(self, request: RequestData) -> ValidRequest | list[ErrorItem]:
        # Like FastAPI, an operation without a documented body ignores what is sent.
        parsed = None if self._body is None else self._body.parse(request.body, request.content_type)
        if isinstance(parsed, ErrorItem):
            return [parsed]
        sources = RawSources.build(request.path_params, request.query, request.headers, request.cookies)
        values: dict[str, dict] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
        errors: list[ErrorItem] = []
        query = sources.query
        for rule in self._rules:  # read, then checked; or absent, as most parameters of most requests are
            key = rule.query_key
            raw = ABSENT if key is not None and key not in query else rule.read(sources)
            if raw is not ABSENT:
                rule.check(raw, values[rule.location], errors)
            elif rule.matters_when_absent:
                rule.absent(values[rule.location], errors)
        body = None
        if self._body is not None and parsed is not None:
            body, body_errors = self._body.check(parsed)
            errors.extend(body_errors)
        if errors:
            return errors
        return ValidRequest(  # path, query, headers, cookies, body, media type (positional: it is faster)
            values["path"], values["query"], values["header"], values["cookie"], body,
            parsed.media_type if parsed is not None else None,
        )
