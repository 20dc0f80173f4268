"""The HTTP app: wires routing, auth, validation, negotiation and the response sources together.

Data flows one way: request -> route -> auth -> validation -> sources (fixtures, examples, generation)
-> encoded response. Each step lives in its own module; this one only connects them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import Message, Receive, Scope, Send

from mockserver.answers.answer import Answer, AnswerContext, Source
from mockserver.answers.fixture_sets import BASE_SET_NAME
from mockserver.answers.fixtures import load_fixture_sources
from mockserver.answers.spec_answers import SpecAnswers
from mockserver.foundation.config import MockConfig, load_config
from mockserver.foundation.problems import LoadError, Problem
from mockserver.generation import GenerationError, RequestContext, ResponseGenerator
from mockserver.generation.rules import load_rules
from mockserver.http.auth import AuthFailure, Check, Credentials, authenticate, operation_checks
from mockserver.http.encoding import content_type_header, dumps_json, encode_body
from mockserver.http.headers import RequestHeaders
from mockserver.http.negotiation import (
    NegotiationError,
    choose_media_type,
    parse_preferences,
    response_key_for,
)
from mockserver.http.routing import Router
from mockserver.runtime.faults import FaultSettings
from mockserver.runtime.memo import AnswerMemo
from mockserver.runtime.state import DEFAULT_JOURNAL_SIZE, JournalEntry, MockState, override_source
from mockserver.spec import load_spec
from mockserver.spec.model import Operation, Spec
from mockserver.validation import FailureRenderer, FailureResponse, RequestData
from mockserver.validation.render import problem_body

if TYPE_CHECKING:
    from mockserver.validation import RequestValidator

logger = logging.getLogger("mockserver")

MAX_BODY_BYTES = 10 * 1024 * 1024
MOCK_ERROR_HEADER = "X-Mock-Error"
SOURCE_HEADER = "X-Mock-Source"
SCENARIO_HEADER = "x-mock-scenario"
_SOURCE_HEADER_NAME = SOURCE_HEADER.lower().encode()


@dataclass
class Exchange:
    """One request and what the mock answered, as seen by observers (journal, log)."""

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Headers
    body: bytes
    operation: Operation | None
    answer: Answer
    started: float
    duration_ms: float = 0.0


Observer = Callable[[Exchange], None]


@dataclass
class _OperationRuntime:
    """What the app compiles once per operation, on its first request."""

    checks: tuple[Check, ...]
    validator: RequestValidator
    behaviour_headers: tuple[str, ...]
    failures: FailureRenderer


@dataclass
class MockApp:
    """An ASGI app serving one spec."""

    spec: Spec
    config: MockConfig
    generator: ResponseGenerator
    sources: list[Source]
    spec_answers: SpecAnswers
    state: MockState
    scenario_names: list[str] = field(default_factory=list)
    observers: list[Observer] = field(default_factory=list)
    faults: FaultSettings = field(default_factory=FaultSettings)  # latency and faults
    _runtimes: dict[str, _OperationRuntime] = field(default_factory=dict)
    memo: AnswerMemo = field(default_factory=AnswerMemo)  # answers to requests seen before
    # Documented answers without a given body, by (operation key, status): the same for every request.
    _documented: dict[tuple[str, int], Answer] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.router = Router(self.spec.routes)
        # Operations whose answers may vary for the same request (Python hooks): never memoized.
        self._impure = frozenset(
            key for source in self.sources for key in getattr(source, "impure_operations", ())
        )
        self.sources = [override_source(self.state), *self.sources]
        self.observers.insert(0, self._record)

    def _record(self, exchange: Exchange) -> None:
        operation, answer = exchange.operation, exchange.answer
        # Positional: this runs for every request, and keyword arguments cost more.
        self.state.record(JournalEntry(
            exchange.method, exchange.path, tuple(exchange.query),
            tuple(exchange.headers.raw),  # decoded when read: most entries never are
            exchange.body, operation.key if operation else None,
            operation.operation_id if operation else None, answer.status, answer.source,
            exchange.duration_ms, time.time(),
        ))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = RequestHeaders(scope)
        body, too_large = await _read_body(receive)
        path, query = _request_target(scope.get("raw_path") or scope["path"].encode(),
                                      scope.get("query_string", b""))
        operation, answer = self._memoized(scope, path, query, headers, body, too_large)
        delivery = self.faults.plan(self, operation, answer, headers.get("prefer"))
        if delivery is not None:
            answer = delivery.answer
            if delivery.delay_ms:
                await asyncio.sleep(delivery.delay_ms / 1000)
        exchange = Exchange(scope["method"], path, query, headers, body, operation, answer, started)
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        # Observed before sending, so a client holding its answer always finds the request in the journal.
        for observer in self.observers:
            observer(exchange)
        if delivery is None or delivery.fault is None:
            await _send_answer(send, answer, head=scope["method"] == "HEAD")
        else:
            await delivery.deliver(_send_answer, send, receive, head=scope["method"] == "HEAD")

    def _memoized(
        self,
        scope: Scope,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: Headers,
        body: bytes,
        too_large: bool,
    ) -> tuple[Operation | None, Answer]:
        """`handle`, or the answer it gave the same request before (see `mockserver.runtime.memo`)."""
        state = self.state
        key = None if state.overrides else AnswerMemo.key(scope, body, too_large, state.scenario)
        if key is not None and (found := self.memo.get(key)) is not None:
            return found
        operation, answer = self.handle(scope["method"], path, query, headers, body, too_large)
        pure = operation is None or operation.key not in self._impure
        if key is not None and pure and not state.overrides:
            answer = self.memo.put(key, operation, answer)
        return operation, answer

    def handle(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: Headers,
        body: bytes,
        too_large: bool = False,
    ) -> tuple[Operation | None, Answer]:
        """Answer one request; never raises for anything a client can send."""
        match = self.router.match(path, method)
        if match is None:
            return None, _plain(404, "Not Found", "routing")
        if match.operation is None:
            answer = _plain(405, "Method Not Allowed", "routing")
            answer.headers["Allow"] = ", ".join(match.allowed)
            return None, answer
        operation, path_params = match.operation, match.path_params
        if len(match.candidates) > 1:
            operation, path_params = self._first_valid(match.candidates, query, headers, body)
        if operation.unservable:
            return operation, mock_error(501, f"{operation.key} cannot be served: {operation.unservable}")
        try:
            return operation, self._answer(operation, path_params, query, headers, body, too_large)
        except NegotiationError as error:
            return operation, mock_error(error.status, error.message, error.choices)
        except GenerationError as error:  # the spec's schema admits no body: its problem, not the client's
            logger.warning("%s", error)
            return operation, mock_error(500, f"cannot answer from the spec: {error}")

    def _first_valid(
        self,
        candidates: Sequence[tuple[Operation, dict[str, str]]],
        query: Sequence[tuple[str, str]],
        headers: Headers,
        body: bytes,
    ) -> tuple[Operation, dict[str, str]]:
        """Of operations sharing a route (`#fragment` paths), the first whose parameters and body are valid,
        else the first (which answers its validation error)."""
        cookie = headers.get("cookie")
        cookies = cookie_parser(cookie) if cookie else {}
        for operation, path_params in candidates:
            if not operation.unservable:
                request = RequestData(path_params, query, headers, cookies, body, headers.get("content-type"))
                if not isinstance(self._runtime(operation).validator.validate(request), list):
                    return operation, path_params
        return candidates[0]

    def _answer(
        self,
        operation: Operation,
        path_params: dict[str, str],
        query: Sequence[tuple[str, str]],
        headers: Headers,
        body: bytes,
        too_large: bool,
    ) -> Answer:
        runtime = self._runtime(operation)
        cookie = headers.get("cookie")
        cookies = cookie_parser(cookie) if cookie else {}
        if runtime.checks:
            failure = authenticate(runtime.checks, Credentials(headers, dict(query), cookies))
            if failure is not None:
                return self._auth_answer(operation, failure)
        if too_large:
            return mock_error(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        request = RequestData(path_params, query, headers, cookies, body, headers.get("content-type"))
        outcome = runtime.validator.validate(request)
        if isinstance(outcome, list):  # the errors found
            return self._validation_answer(operation, runtime.failures.render(outcome))
        context = AnswerContext(  # positional: keyword arguments cost more, per request
            operation, outcome, parse_preferences(headers.get("prefer"), query), headers.get("accept"),
            headers.get(SCENARIO_HEADER) or self.state.scenario, self, headers, runtime.behaviour_headers,
        )
        for source in self.sources:
            answer = source(context)
            if answer is not None:
                return answer
        return self.spec_answers(context)

    def _runtime(self, operation: Operation) -> _OperationRuntime:
        runtime = self._runtimes.get(operation.key)
        if runtime is None:
            from mockserver.validation.validator import RequestValidator  # pydantic types: imported late

            behaviour = tuple(p.name.lower() for p in operation.parameters if p.location == "header")
            runtime = _OperationRuntime(
                checks=operation_checks(self.spec, operation, self.config.auth),
                validator=RequestValidator(self.spec, operation),
                behaviour_headers=behaviour,
                failures=FailureRenderer(self.spec, operation),
            )
            self._runtimes[operation.key] = runtime
        return runtime

    def _auth_answer(self, operation: Operation, failure: AuthFailure) -> Answer:
        answer = self.documented_answer(operation, failure.status, "auth", failure.body)
        answer.headers.update(failure.headers)
        return answer

    def _validation_answer(self, operation: Operation, failure: FailureResponse) -> Answer:
        if failure.response_key is None:
            answer = Answer(failure.status, failure.body, failure.media_type, "validation", response_key=None)
            answer.headers[MOCK_ERROR_HEADER] = "validation"
            return answer
        if failure.body is None:
            return self.documented_answer(operation, failure.status, "validation")
        return Answer(
            failure.status, failure.body, failure.media_type, "validation", response_key=failure.response_key
        )

    def documented_answer(self, operation: Operation, status: int, source: str, body: Any = None) -> Answer:
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
            answer = Answer(
                status,
                body if body is not None else {"detail": HTTPStatus(status).phrase},
                "application/json",
                source,
                response_key=None,
            )
            answer.headers[MOCK_ERROR_HEADER] = f"status {status} is not documented for {operation.key}"
            return answer
        media = choose_media_type(operation.responses[key], None)
        if body is not None:
            return Answer(
                status, body, media.media_type if media else "application/json", source, response_key=key
            )
        answer = self.spec_answers.answer_for(operation, key, status, media, RequestContext({}, {}, {}))
        answer.source = source
        return answer


def mock_error(status: int, message: str, choices: list[str] | tuple[str, ...] = ()) -> Answer:
    """The mock's own answer (not the API's): problem+json, marked with the X-Mock-Error header."""
    body = problem_body(status, message)
    if choices:
        body["choices"] = list(choices)
    return Answer(status, body, "application/problem+json", "mock", {MOCK_ERROR_HEADER: message[:200]})


@lru_cache(maxsize=1024)
def _request_target(raw_path: bytes, query_string: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path and the query parameters of a request (remembered: clients repeat their requests)."""
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return raw_path.decode("latin-1").split("?", 1)[0], tuple(query)


def _plain(status: int, detail: str, source: str) -> Answer:
    return Answer(status, {"detail": detail}, "application/json", source)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):  # the usual: one message
        body = message.get("body", b"")
        return (b"", True) if len(body) > MAX_BODY_BYTES else (body, False)
    return await _read_more_body(receive, message)


async def _read_more_body(receive: Receive, message: Message) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            too_large = True
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks), too_large


async def _send_answer(send: Send, answer: Answer, *, head: bool = False) -> None:
    payload = encode_body(answer.body, answer.media_type)
    raw_headers = [(b"content-length", str(len(payload)).encode())]
    if answer.media_type is not None and answer.body is not None:
        raw_headers.append((b"content-type", _content_type(answer.media_type)))
    raw_headers.append((_SOURCE_HEADER_NAME, answer.source.encode("latin-1", "replace")))
    for name, value in answer.headers.items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1", "replace")))
    await send({"type": "http.response.start", "status": answer.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})


@lru_cache(maxsize=256)
def _content_type(media_type: str) -> bytes:
    return content_type_header(media_type).encode("latin-1", "replace")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    spec: str | Path | Spec = "openapi",
    fixtures: str | Path | None = None,
    *,
    seed: int = 0,
    mode: str = "auto",
    scenario: str | None = None,
    strict: bool = False,
    journal_size: int = DEFAULT_JOURNAL_SIZE,
) -> MockApp:
    """Build the mock for a spec (a file, a folder of slices, or a loaded Spec) and a fixtures folder."""
    loaded = spec if isinstance(spec, Spec) else load_spec(Path(spec), validate=strict, strict=strict)
    fixtures_dir = Path(fixtures) if fixtures is not None else None
    if fixtures_dir is not None and not fixtures_dir.is_dir():
        fixtures_dir = None
    config, _ = load_config(fixtures_dir)
    rules = load_rules(fixtures_dir) if fixtures_dir is not None else None
    generator = ResponseGenerator(loaded, seed=seed, rules=rules)
    spec_answers = SpecAnswers(loaded, generator, always_generate=mode == "generate")
    fixture_sources = load_fixture_sources(loaded, fixtures_dir, config, generator)
    scenarios = scenario_names(fixture_sources)
    if scenario is not None and scenario not in scenarios:
        where = str(fixtures_dir) if fixtures_dir is not None else "(no fixtures folder)"
        choices = ", ".join(scenarios) or "none"
        raise LoadError([Problem(where, "", f"unknown scenario {scenario!r}; scenarios: {choices}")])
    state = MockState(loaded, default_scenario=scenario, journal_size=journal_size)
    sources = [] if mode == "generate" else fixture_sources
    return MockApp(loaded, config, generator, sources, spec_answers, state, scenario_names=scenarios)


def scenario_names(sources: list[Source]) -> list[str]:
    """The scenarios the fixture sources define (plus "default", the base set), for choices and checks."""
    for source in sources:
        sets = getattr(source, "sets", None)
        if sets is not None:
            return [BASE_SET_NAME, *sets.scenario_names]
    return [BASE_SET_NAME]


__all__ = ["MockApp", "create_app", "dumps_json", "mock_error"]
