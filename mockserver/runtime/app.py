"""The ASGI app: wires routing, auth, validation and the answer sources together, and builds it for a spec.

Data flows one way: request -> route -> auth -> validation -> sources (overrides, fixtures, datasets,
examples, generation) -> latency and faults -> encoded response. Each step lives in its own module;
this one only connects them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import Receive, Scope, Send

from mockserver.answers.context import AnswerContext, Source
from mockserver.answers.fixtures import load_fixture_answers
from mockserver.answers.spec_answers import SpecAnswers
from mockserver.answers.stateful import SESSION_HEADER, StatefulAnswers
from mockserver.foundation.config import MockConfig, load_config
from mockserver.foundation.problems import LoadError, Problem
from mockserver.generation import GenerationError, ResponseGenerator
from mockserver.generation.rules import load_rules
from mockserver.http.answer import MOCK_ERROR_HEADER, Answer, mock_error
from mockserver.http.auth import AuthFailure, Check, Credentials, KnownTenant, authenticate, operation_checks
from mockserver.http.encoding import encode_body
from mockserver.http.headers import RequestHeaders
from mockserver.http.negotiation import NegotiationError, parse_preferences
from mockserver.http.routing import Router
from mockserver.resources import DEFAULT_SESSION, Inference, infer_resources
from mockserver.resources.inference import DEFAULT_INITIAL_RECORDS
from mockserver.runtime.asgi import MAX_BODY_BYTES, lifespan, read_body, request_target, send_answer
from mockserver.runtime.backends import DEFAULT_DEPLOYMENT, DEFAULT_SESSION_TTL_S, Route, open_backend
from mockserver.runtime.delivery import FaultSettings, deliver
from mockserver.runtime.journal import (
    DEFAULT_BODY_LIMIT,
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_SIZE,
    Exchange,
    Observer,
    header_block,
)
from mockserver.runtime.memo import AnswerMemo
from mockserver.runtime.sessions import DEFAULT_MAX_RECORDS, DEFAULT_MAX_SESSIONS
from mockserver.runtime.state import MockState, OverrideSource
from mockserver.spec import load_spec
from mockserver.spec.model import Operation, Spec
from mockserver.validation import FailureRenderer, RequestData

if TYPE_CHECKING:
    from mockserver.validation.validator import RequestValidator

logger = logging.getLogger("mockserver")

SCENARIO_HEADER = "x-mock-scenario"


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
    sources: list[Source]  # consulted in order after the overrides; the spec answers come last
    spec_answers: SpecAnswers
    state: MockState
    scenario_names: list[str] = field(default_factory=list)
    tenants: tuple[str, ...] = ()  # the tenant ids the fixtures declare, in file order
    known_tenant: KnownTenant | None = None  # whether a tenant id is one the fixtures declare
    observers: list[Observer] = field(default_factory=list)
    faults: FaultSettings = field(default_factory=FaultSettings)  # latency and faults
    memo: AnswerMemo = field(default_factory=AnswerMemo)  # answers to requests seen before
    resources: Inference = field(default_factory=Inference)  # the stateful resources inferred from the spec
    stateful: StatefulAnswers | None = None  # the source answering them (None: stateless)
    _runtimes: dict[str, _OperationRuntime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.router = Router(self.spec.routes)
        self.sources = [OverrideSource(self.state, self.spec_answers.documented), *self.sources]
        # Operations whose answers may vary for the same request (Python hooks): never memoized.
        self._impure = frozenset(key for source in self.sources for key in source.impure_operations)
        self.observers.insert(0, self.state.record)
        self.state.listeners.append(self.memo.clear)
        stateful = self.stateful is not None
        self._record_operations = frozenset(self.resources.roles()) if stateful else frozenset()
        self._record_writes = self.stateful.impure_operations if self.stateful is not None else frozenset()
        self._routes: dict[tuple[str, str], Route] = {}
        # What the warm-up waits for (`serving.warmup`): no request answered meanwhile, none for a while.
        self.requests_in_flight = 0
        self.last_request = time.perf_counter()  # when the latest request came or was answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await lifespan(receive, send, self.state.backend.start, self.state.backend.stop)
            return
        if scope["type"] != "http":
            return
        started = self.last_request = time.perf_counter()
        self.requests_in_flight += 1
        try:
            await self._answer_http(scope, receive, send, started)
        finally:
            self.requests_in_flight -= 1
            self.last_request = time.perf_counter()

    async def _answer_http(self, scope: Scope, receive: Receive, send: Send, started: float) -> None:
        headers = RequestHeaders(scope)
        body, too_large = await read_body(scope, headers, receive)
        path, query = request_target(scope.get("raw_path") or scope["path"].encode(),
                                     scope.get("query_string", b""))
        if self.state.backend.shared:
            operation, answer = await self._shared(scope, path, query, headers, body, too_large)
        else:
            operation, answer = self._memoized(scope, path, query, headers, body, too_large)
        documented = self.spec_answers.documented
        answer, fault = self.faults.plan(documented, operation, answer, headers.get("prefer"))
        if answer.delay_ms:
            await asyncio.sleep(answer.delay_ms / 1000)
        if answer.body is not None and type(answer.body) is not bytes:  # encoded once for journal and send
            answer = answer.copy(body=encode_body(answer.body, answer.media_type))
        # Positional: this runs for every request, and keyword arguments cost more.
        exchange = Exchange(
            scope["method"], path, query, header_block(scope["headers"]), body,
            operation.key if operation else None, operation.operation_id if operation else None,
            answer, (time.perf_counter() - started) * 1000, time.time(),
        )
        # Observed before sending, so a client holding its answer always finds the request in the journal.
        for observer in self.observers:
            observer(exchange)
        await deliver(send_answer, send, receive, answer, fault, head=scope["method"] == "HEAD")

    async def _shared(
        self,
        scope: Scope,
        path: str,
        query: Sequence[tuple[str, str]],
        headers: Headers,
        body: bytes,
        too_large: bool,
    ) -> tuple[Operation | None, Answer]:
        """The answer with a state shared outside this process: the backend does its I/O around it."""
        method = scope["method"]
        return await self.state.backend.around(
            headers.get(SESSION_HEADER) or DEFAULT_SESSION, lambda: self._route(method, path),
            lambda: self._memoized(scope, path, query, headers, body, too_large))

    def _route(self, method: str, path: str) -> Route:
        """The operations a request reaches, and whether any keeps records (remembered by method and path)."""
        found = self._routes.get((method, path))
        if found is None:
            match = self.router.match(path, method)
            reached = match.candidates if match is not None and match.operation is not None else ()
            keys = tuple(operation.key for operation, _ in reached)
            found = Route(keys, any(key in self._record_operations for key in keys),
                          any(key in self._record_writes for key in keys))
            if len(self._routes) >= 4096:
                self._routes.clear()
            self._routes[(method, path)] = found
        return found

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
        records = state.records
        control = state.control
        session = DEFAULT_SESSION
        if records is not None or control.busy:
            session = headers.get(SESSION_HEADER) or DEFAULT_SESSION
        version = 0 if records is None else records.version(session)
        overridden = control.busy and control.has_overrides(session)
        scenario = control.scenario(session, state.default_scenario)
        key = None if overridden else AnswerMemo.key(scope, body, too_large, scenario, version)
        if key is not None and (found := self.memo.get(key)) is not None:
            return found
        operation, answer = self.handle(scope["method"], path, query, headers, body, too_large)
        pure = operation is None or operation.key not in self._impure
        if key is not None and pure and not (control.busy and control.has_overrides(session)):
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
        if isinstance(outcome, list):  # the errors found (or the documented error example the client names)
            preferences = parse_preferences(headers.get("prefer"), query)
            named = self.spec_answers.failure_example(operation, preferences)
            return named or runtime.failures.render(outcome)
        context = AnswerContext(  # positional: keyword arguments cost more, per request
            operation, outcome, parse_preferences(headers.get("prefer"), query), headers.get("accept"),
            headers.get(SCENARIO_HEADER) or self._scenario(headers), headers, runtime.behaviour_headers,
        )
        for source in self.sources:
            answer = source.answer(context)
            if answer is not None:
                return answer
        return self.spec_answers.answer(context)

    def _scenario(self, headers: Headers) -> str | None:
        """The scenario the request's session is served (its own switch, else the deployment's)."""
        state = self.state
        session = headers.get(SESSION_HEADER) if state.control.busy else None
        return state.control.scenario(session, state.default_scenario)

    def _runtime(self, operation: Operation) -> _OperationRuntime:
        runtime = self._runtimes.get(operation.key)
        if runtime is None:
            from mockserver.validation.validator import RequestValidator  # pydantic's types: slow to import

            behaviour = tuple(p.name.lower() for p in operation.parameters if p.location == "header")
            runtime = _OperationRuntime(
                checks=operation_checks(self.spec, operation, self.config.auth, self.known_tenant),
                validator=RequestValidator(self.spec, operation),
                behaviour_headers=behaviour,
                failures=FailureRenderer(self.spec, operation, self.spec_answers.documented),
            )
            self._runtimes[operation.key] = runtime
        return runtime

    def _auth_answer(self, operation: Operation, failure: AuthFailure) -> Answer:
        answer = self.spec_answers.documented(operation, failure.status, "auth", failure.body)
        answer.headers.update(failure.headers)
        return answer

    def warm_up(self) -> Iterator[None]:
        """Do, one step at a time (each `next`), what the first answers of all operations share: importing
        the request validation, compiling the validator the operations' schemas share, and the generator's
        shared work. Serving calls it in a thread once the server listens; answers are the same without."""
        from mockserver.validation.validator import RequestValidator  # noqa: F401  (pydantic: slow to import)

        yield
        pointers = list(dict.fromkeys(
            media.schema_pointer for operation in self.spec.operations
            for key, response in operation.responses.items() if key.startswith("2")
            for media in response.content.values() if media.schema_pointer is not None))
        if pointers:
            self.spec.validator(pointers[0])  # compiles the validator all the operations share
        yield
        yield from self.generator.warm_up(pointers)


def _plain(status: int, detail: str, source: str) -> Answer:
    return Answer(status, {"detail": detail}, "application/json", source)


def create_app(
    spec: str | Path | Spec = "openapi",
    fixtures: str | Path | None = None,
    *,
    seed: int = 0,
    mode: str = "auto",
    scenario: str | None = None,
    strict: bool = False,
    journal_size: int = DEFAULT_JOURNAL_SIZE,
    journal_body_limit: int = DEFAULT_BODY_LIMIT,
    journal_bytes: int = DEFAULT_JOURNAL_BYTES,
    stateful: bool = True,
    strict_ids: bool = False,
    max_sessions: int = DEFAULT_MAX_SESSIONS,
    max_records: int = DEFAULT_MAX_RECORDS,
    initial_records: int = DEFAULT_INITIAL_RECORDS,
    state_url: str | None = None,
    deployment: str = DEFAULT_DEPLOYMENT,
    session_ttl: int = DEFAULT_SESSION_TTL_S,
) -> MockApp:
    """Build the mock for a spec (a file, a folder of slices, or a loaded Spec) and a fixtures folder.

    Stateful resources (see `mockserver.resources`) keep each session's writes, at most `max_records`
    changes per resource in each of at most `max_sessions` sessions; `stateful=False` answers them as any
    other operation, and `strict_ids` answers 404 for ids never created nor listed.

    The state (overrides, scenarios, records, journal) lives in this process, or with `state_url`
    (`redis://HOST:PORT/DB`) in Redis, under the `deployment` namespace, shared by every process serving
    it; sessions other than the default one are forgotten `session_ttl` seconds after their last change
    there (see docs/scaling.md)."""
    loaded = spec if isinstance(spec, Spec) else load_spec(Path(spec), validate=strict, strict=strict)
    fixtures_dir = Path(fixtures) if fixtures is not None else None
    if fixtures_dir is not None and not fixtures_dir.is_dir():
        fixtures_dir = None
    config, config_file = load_config(fixtures_dir)
    resources = infer_resources(loaded, config.resources, config_file, initial_records)
    if resources.problems:
        raise LoadError(resources.problems)
    loaded.share_validators(resource.record.pointer for resource in resources.resources)
    rules = load_rules(fixtures_dir) if fixtures_dir is not None else None
    generator = ResponseGenerator(loaded, seed=seed, rules=rules)
    spec_answers = SpecAnswers(loaded, generator, always_generate=mode == "generate")
    fixture_answers = load_fixture_answers(loaded, fixtures_dir, config, spec_answers)
    scenarios = fixture_answers.scenario_names
    if scenario is not None and scenario not in scenarios:
        where = str(fixtures_dir) if fixtures_dir is not None else "(no fixtures folder)"
        choices = ", ".join(scenarios) or "none"
        raise LoadError([Problem(where, "", f"unknown scenario {scenario!r}; scenarios: {choices}")])
    backend = open_backend(state_url, deployment=deployment, session_ttl_s=session_ttl,
                           journal_size=journal_size, journal_body_limit=journal_body_limit)
    records = None
    if stateful and resources.resources:
        records = backend.make_records(max_sessions, max_records, [item.name for item in resources.resources])
    state = MockState(loaded, default_scenario=scenario, journal_size=journal_size,
                      journal_body_limit=journal_body_limit, journal_bytes=journal_bytes, records=records,
                      backend=backend)
    sources: list[Source] = [] if mode == "generate" else list(fixture_answers.sources)
    stateful_answers = None
    if records is not None:
        sets = fixture_answers.sets if mode != "generate" else None
        stateful_answers = StatefulAnswers(loaded, resources, records, spec_answers, generator, sets, config,
                                           strict_ids=strict_ids)
        sources.insert(min(1, len(sources)), stateful_answers)  # after named responses, before datasets
    return MockApp(loaded, config, generator, sources, spec_answers, state, scenario_names=scenarios,
                   tenants=fixture_answers.tenants, known_tenant=fixture_answers.is_known_tenant,
                   resources=resources, stateful=stateful_answers)


__all__ = ["MAX_BODY_BYTES", "MOCK_ERROR_HEADER", "MockApp", "create_app"]
