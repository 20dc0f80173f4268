"""Answers straight from the spec: a documented example when there is one, else a generated body."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from mockserver.answers.context import AnswerContext
from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.http.answer import MOCK_ERROR_HEADER, Answer
from mockserver.http.negotiation import (
    NegotiationError,
    choose_media_type,
    choose_response,
    is_json,
    response_key_for,
)
from mockserver.spec.model import MediaType, Operation, Response, Spec

logger = logging.getLogger("mockserver")


class SpecAnswers:
    """The last source in the chain: it always answers, from examples or by generation. Its `documented`
    is the one way to answer a status as the spec documents it, for every other source."""

    impure_operations: frozenset[str] = frozenset()

    def __init__(self, spec: Spec, generator: ResponseGenerator, *, always_generate: bool = False) -> None:
        self.spec = spec
        self.generator = generator
        self.always_generate = always_generate
        self._example_ok: dict[tuple[str, str, str, str], bool] = {}
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
            return Answer(status, body, media.media_type if media else "application/json", source,
                          response_key=key)
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
            return Answer(
                status,
                media.examples[example],
                media.media_type,
                f"example:{example}",
                headers,
                response_key=key,
            )
        if use_examples:
            for name, value in media.examples.items():
                if self._example_is_valid(operation, key, media, name, value):
                    return Answer(
                        status, value, media.media_type, f"example:{name}", headers, response_key=key
                    )
        generate = self.generator.generate_json if is_json(media.media_type) else self.generator.generate
        body = generate(operation, key, media.media_type, request, seed=seed)  # JSON: the bytes to send
        return Answer(status, body, media.media_type, "generated", headers, response_key=key)

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

    def _example_is_valid(
        self, operation: Operation, key: str, media: MediaType, name: str, value: Any
    ) -> bool:
        cache_key = (operation.key, key, media.media_type, name)
        verdict = self._example_ok.get(cache_key)
        if verdict is None:
            verdict = media.schema_pointer is None or self.spec.validator(media.schema_pointer).is_valid(
                value
            )
            if not verdict:
                logger.warning(
                    "%s: example %r of response %s does not match its schema; generating instead",
                    operation.key,
                    name,
                    key,
                )
            self._example_ok[cache_key] = verdict
        return verdict


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_header_text(item) for item in value)
    return str(value)
