"""Answers straight from the spec: a documented example when there is one, else a generated body.

Each body is sent in its media type's own format: JSON as it is, XML written with the schema's `xml`
object, and under a text media type a string (a structured value as JSON text, never a Python repr).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from mockserver.answers.context import AnswerContext
from mockserver.foundation.jsonbytes import dumps_json
from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.http.answer import MOCK_ERROR_HEADER, Answer
from mockserver.http.encoding import body_format
from mockserver.http.negotiation import (
    NegotiationError,
    Preferences,
    choose_media_type,
    choose_response,
    is_json,
    response_key_for,
    status_code_for,
)
from mockserver.http.xml import XmlCodec, XmlError
from mockserver.spec.model import MediaType, Operation, Response, Spec
from mockserver.spec.schemas import declared_types
from mockserver.validation.refs import follow_refs

logger = logging.getLogger("mockserver")

_INVALID: Any = object()  # an example that does not match its schema
_NONE: Any = object()  # no schema example to send
# The error responses searched for an example a client names on an invalid request, without a `code`.
_FAILURE_KEYS = ("422", "400", "4XX", "4xx")


class SpecAnswers:
    """The last source in the chain: it always answers, from examples or by generation. Its `documented`
    is the one way to answer a status as the spec documents it, for every other source."""

    impure_operations: frozenset[str] = frozenset()

    def __init__(self, spec: Spec, generator: ResponseGenerator, *, always_generate: bool = False) -> None:
        self.spec = spec
        self.generator = generator
        self.always_generate = always_generate
        # Each documented example as it is sent (its media type's format), or _INVALID.
        self._examples: dict[tuple[str, str, str, str], Any] = {}
        self._schema_examples: dict[tuple[str, str, str], Any] = {}  # text media types: see _schema_example
        self._xml = XmlCodec(spec.document)
        # Documented answers without a given body, by (operation key, status): the same for every request.
        self._documented: dict[tuple[str, int], Answer] = {}

    def documented(self, operation: Operation, status: int, source: str, body: Any = None) -> Answer:
        """An answer with `status` whose body is `body`, else the documented example or a generated one."""
        if body is not None:
            return self._documented_answer(operation, status, source, body)
        found = self._documented.get((operation.key, status))
        if found is None:  # the same for every request: built once
            found = self._documented_answer(operation, status, source)
            self._documented[(operation.key, status)] = found
        return found.copy(source=source)

    def _documented_answer(self, operation: Operation, status: int, source: str, body: Any = None) -> Answer:
        key = response_key_for(operation, status)
        if key is None:
            given = body if body is not None else {"detail": HTTPStatus(status).phrase}
            message = f"status {status} is not documented for {operation.key}"
            return Answer(status, given, "application/json", source, {MOCK_ERROR_HEADER: message})
        media = choose_media_type(operation.responses[key], None)
        if body is not None:
            if media is None:
                return Answer(status, body, "application/json", source, response_key=key)
            return Answer(status, self.as_sent(media, body), media.media_type, source, response_key=key)
        answer = self.answer_for(operation, key, status, media, RequestContext({}, {}, {}))
        answer.source = source
        return answer

    def answer(self, ctx: AnswerContext) -> Answer:
        key, status = choose_response(ctx.operation, ctx.preferences)
        if key is None:
            return Answer(status, None, None, "empty", response_key=None)
        response = ctx.operation.responses[key]
        media = choose_media_type(response, ctx.accept)
        use_examples = not self.always_generate and ctx.preferences.dynamic is not True
        answer = self.answer_for(
            ctx.operation,
            key,
            status,
            media,
            ctx.generation,
            example=ctx.preferences.example,
            use_examples=use_examples,
            seed=ctx.preferences.seed,
        )
        return answer

    def answer_for(
        self,
        operation: Operation,
        key: str,
        status: int,
        media: MediaType | None,
        request: RequestContext,
        *,
        example: str | None = None,
        use_examples: bool = True,
        seed: int | None = None,
    ) -> Answer:
        """The body for one documented response: the named or first valid example, else generated."""
        response = operation.responses[key]
        headers = self.required_headers(operation, response, request)
        if media is None:
            return Answer(status, None, None, "empty", headers, response_key=key)
        if example is not None:
            if example not in media.examples:
                raise NegotiationError(
                    404,
                    f"{operation.key} has no example {example!r} for {key} {media.media_type}",
                    list(media.examples),
                )
            body = self.as_sent(media, media.examples[example])
            return Answer(status, body, media.media_type, f"example:{example}", headers, response_key=key)
        if use_examples:
            for name, value in media.examples.items():
                sent = self._example_as_sent(operation, key, media, name, value)
                if sent is not _INVALID:
                    source = f"example:{name}"
                    return Answer(status, sent, media.media_type, source, headers, response_key=key)
        # Error bodies carry their status in integer `status`/`code` fields.
        status_code = status if status >= 400 else None
        if is_json(media.media_type):  # the bytes to send
            body = self.generator.generate_json(operation, key, media.media_type, request, seed=seed,
                                                status_code=status_code)
            return Answer(status, body, media.media_type, "generated", headers, response_key=key)
        if use_examples:
            found = self._schema_example(operation, key, media)
            if found is not _NONE:
                return Answer(status, found, media.media_type, "example:schema", headers, response_key=key)
        value = self.generator.generate(operation, key, media.media_type, request, seed=seed,
                                        status_code=status_code)
        return Answer(status, self.as_sent(media, value), media.media_type, "generated", headers,
                      response_key=key)

    def failure_example(self, operation: Operation, preferences: Preferences) -> Answer | None:
        """For a request that failed validation, the documented error example the client names
        (`Prefer: example=NAME`, or `?__example=NAME`), from the error response `code=N` names, else from
        its 422, 400 or 4XX response; None when that response has no such example."""
        name = preferences.example
        if name is None:
            return None
        if preferences.code is not None:
            key = response_key_for(operation, preferences.code) if preferences.code >= 400 else None
            keys = [] if key is None else [key]
        else:
            keys = [key for key in _FAILURE_KEYS if key in operation.responses]
        for key in keys:
            response = operation.responses[key]
            for media in response.content.values():
                if name in media.examples:
                    status = preferences.code if preferences.code is not None else status_code_for(key)
                    headers = self.required_headers(operation, response, RequestContext({}, {}, {}))
                    body = self.as_sent(media, media.examples[name])
                    return Answer(status, body, media.media_type, f"example:{name}", headers,
                                  response_key=key)
        return None

    def as_sent(self, media: MediaType, value: Any) -> Any:
        """`value` in `media`'s format: XML written with the schema's `xml` object (an XML document given
        as a string is sent as it is), a structured value under a text media type as JSON text; JSON and
        binary bodies as they are."""
        kind = body_format(media.media_type)
        if value is None or isinstance(value, bytes) or kind in ("json", "binary"):
            return value
        if kind == "xml":
            if isinstance(value, str) and value.lstrip().startswith("<"):
                return value
            return self._xml.write(value, media.schema)
        return value if isinstance(value, str) else dumps_json(value).decode()

    def _example_as_sent(
        self, operation: Operation, key: str, media: MediaType, name: str, value: Any
    ) -> Any:
        """A documented example as it is sent, or _INVALID when it does not match its schema (worked out
        once per example)."""
        cache_key = (operation.key, key, media.media_type, name)
        sent = self._examples.get(cache_key, _NONE)
        if sent is _NONE:
            if self._example_fits(media, value):
                sent = self.as_sent(media, value)
            else:
                logger.warning(
                    "%s: example %r of response %s does not match its schema; generating instead",
                    operation.key,
                    name,
                    key,
                )
                sent = _INVALID
            self._examples[cache_key] = sent
        return sent

    def _example_fits(self, media: MediaType, value: Any) -> bool:
        if media.schema_pointer is None:
            return True
        if isinstance(value, str) and body_format(media.media_type) == "xml":
            try:  # an XML document written out in the spec: well-formed is all that can be asked of it
                self._xml.read(value.encode("utf-8"), media.schema)
            except XmlError:
                return False
            return True
        return self.spec.validator(media.schema_pointer).is_valid(value)

    def _schema_example(self, operation: Operation, key: str, media: MediaType) -> Any:
        """Under a text media type with a string schema, the schema's own `example`, `examples` or `enum`
        value that matches it (a real text, rather than generated words); _NONE otherwise."""
        cache_key = (operation.key, key, media.media_type)
        found = self._schema_examples.get(cache_key)
        if found is None:
            found = _NONE
            if body_format(media.media_type) == "text" and media.schema_pointer is not None:
                schema = follow_refs(self.spec.resolve_pointer, media.schema)[0]
                validator = self.spec.validator(media.schema_pointer)
                valid = (value for value in _schema_examples(schema) if validator.is_valid(value))
                found = next(valid, _NONE)
            self._schema_examples[cache_key] = found
        return found

    def required_headers(
        self, operation: Operation, response: Response, request: RequestContext
    ) -> dict[str, str]:
        headers = {}
        for name, header in response.headers.items():
            if header.required and name.lower() != "content-type":
                value = self.generator.generate_for_pointer(
                    header.schema_pointer, key=f"{operation.key}|{name}|{sorted(request.path.items())}"
                )
                headers[name] = _header_text(value)
        return headers

def _schema_examples(schema: Any) -> list[str]:
    """The strings a string schema offers as examples: `example`, `examples`, then `enum`."""
    if not isinstance(schema, dict):
        return []
    if "string" not in declared_types(schema):
        return []
    found = [schema["example"]] if "example" in schema else []
    for keyword in ("examples", "enum"):
        if isinstance(schema.get(keyword), list):
            found += schema[keyword]
    return [value for value in found if isinstance(value, str)]


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(item) for item in value)
    return str(value)
