"""The admin API and page under a reserved prefix (default `/__mock__`): the same operations the pytest
plugin uses (scenario, overrides, journal, reset), over HTTP for browsers and scripts.

    GET    /__mock__/              the admin page: operations, scenarios, the live journal
    GET    /__mock__/health        {"status": "ok", ..., "state": {...}}
    GET    /__mock__/operations    the loaded operations
    GET    /__mock__/client        what a client sends by default (credentials) and the base path
    GET    /__mock__/requests      the journal, newest first (?limit=N, ?operation=NAME, ?session=NAME);
                                   DELETE clears it (?session=NAME: one session's)
    POST   /__mock__/reset         forget overrides, the journal, the scenario switches and every session's
                                   records; {"session": NAME} forgets that session's
    GET    /__mock__/state         a session's records per resource (?session=NAME, default: the default one)
    GET    /__mock__/scenario      the scenario served (?session=NAME: to that session) and the choices;
                                   PUT {"scenario": NAME|null, "session": NAME} switches
    GET    /__mock__/overrides     the response overrides (?session=NAME: one session's); POST {"operation",
                                   "status", "body", "headers", "times", "session"} adds one; DELETE removes
                                   them (?session=NAME: one session's)

What is set without a session is the default session's, and applies to every session that does not
set its own (see docs/scaling.md). With a shared state (Redis), a change is answered once every live
worker took it (`X-Mock-Propagated: 2/2`), and with 503 while the state cannot be reached.

The admin never shadows the API: a path the spec serves goes to the mock even under the prefix. Who
may use it (Host, Origin, Content-Type, token) is `admin_access`'s job. Whatever a client sends, the
answer is a 2xx or a 4xx problem+json: bodies have a size and a depth limit, unknown fields are
refused by name, and user text never reaches a header unsanitised.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mockserver.foundation.masking import mask_body, mask_data, mask_headers, mask_query
from mockserver.resources.store import DEFAULT_SESSION
from mockserver.runtime.backends import Propagation, StateUnavailable, propagation_headers
from mockserver.serving.admin_access import AdminAccess, Refusal
from mockserver.serving.admin_page import render_admin_page
from mockserver.serving.request_log import secret_names

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from mockserver.runtime.app import MockApp
    from mockserver.runtime.journal import Exchange

DEFAULT_ADMIN_PREFIX = "/__mock__"
DEFAULT_JOURNAL_LIMIT = 100
MAX_BODY_SHOWN = 4096
MAX_ADMIN_BODY = 8 * 1024 * 1024  # bytes of an admin request body (an override's body can be a big list)
MAX_JSON_DEPTH = 64  # levels of nesting in an admin request body
MAX_HEADER_TEXT = 200
MAX_SESSION_NAME = 200
PROBLEM_JSON = "application/problem+json"

Status = Callable[[], dict[str, Any]]
Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]


def normalize_prefix(prefix: str) -> str:
    """`__mock__/` -> `/__mock__`; raises ValueError for a prefix that cannot work."""
    cleaned = "/" + prefix.strip().strip("/")
    if cleaned == "/" or any(char in cleaned for char in "?#{} ") or not cleaned.isascii():
        raise ValueError(f"admin prefix {prefix!r} must be a path such as /__mock__")
    return cleaned


class AdminInputError(Exception):
    """A request the admin API refuses: its status, what is wrong, and the valid choices if any."""

    def __init__(self, status: int, detail: str, choices: list[str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.choices = choices


class OverrideRequest(BaseModel):
    """The body of `POST /__mock__/overrides` (the arguments of `mock_api.override`)."""

    model_config = ConfigDict(extra="forbid")

    operation: str = Field(min_length=1)
    status: int = Field(200, ge=100, le=599)
    body: Any = Field(None, validation_alias=AliasChoices("body", "json"))
    headers: dict[str, str] = Field(default_factory=dict)
    times: int | None = Field(None, ge=1)
    session: str | None = Field(None, min_length=1, max_length=MAX_SESSION_NAME)


class ScenarioRequest(BaseModel):
    """The body of `PUT /__mock__/scenario`: a scenario name, or null for the default."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None
    session: str | None = Field(None, min_length=1, max_length=MAX_SESSION_NAME)


class ResetRequest(BaseModel):
    """The body of `POST /__mock__/reset`: nothing (`{}`, or no body) for everything, or one session."""

    model_config = ConfigDict(extra="forbid")

    session: str | None = Field(None, min_length=1, max_length=MAX_SESSION_NAME)


class AdminApi:
    """An ASGI wrapper serving the admin endpoints under `prefix` and passing everything else on."""

    def __init__(self, app: ASGIApp, current: Callable[[], MockApp], prefix: str = DEFAULT_ADMIN_PREFIX,
                 status: Status | None = None, access: AdminAccess | None = None) -> None:
        self.app = app
        self.current = current
        self.prefix = normalize_prefix(prefix)
        self._folder = self.prefix + "/"
        self.status = status or dict
        self.access = access or AdminAccess()
        self.endpoints = self._endpoints()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix) and self.owns(scope):
            response = await self._respond(scope, receive)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def owns(self, scope: Scope) -> bool:
        """True for a path under the prefix that the spec does not serve."""
        path: str = scope["path"]
        if not path.startswith(self.prefix) or (path != self.prefix and not path.startswith(self._folder)):
            return False
        raw = (scope.get("raw_path") or path.encode()).decode("latin-1").split("?", 1)[0]
        return self.current().router.match(raw, scope["method"]) is None

    def shadowed(self, app: MockApp) -> list[str]:
        """The admin endpoints a spec path takes over (the spec wins; a start-up warning names them)."""
        return [path for path in self.endpoints if app.router.match(path, "GET") is not None]

    def allowed_methods(self, scope: Scope) -> set[str] | None:
        """The methods of the admin endpoint at the request's path (for CORS preflights)."""
        methods = self.endpoints.get(scope["path"])
        return None if methods is None else set(methods) | {"HEAD"}

    def _endpoints(self) -> dict[str, dict[str, Handler]]:
        p = self.prefix
        return {
            p: {"GET": self._redirect_to_page},
            p + "/": {"GET": self._page},
            p + "/health": {"GET": self._health},
            p + "/operations": {"GET": self._operations},
            p + "/client": {"GET": self._client},
            p + "/requests": {"GET": self._requests, "DELETE": self._clear_requests},
            p + "/reset": {"POST": self._reset},
            p + "/state": {"GET": self._state},
            p + "/scenario": {"GET": self._scenario, "PUT": self._switch_scenario,
                              "POST": self._switch_scenario},
            p + "/overrides": {"GET": self._overrides, "POST": self._add_override,
                               "DELETE": self._clear_overrides},
        }

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        path: str = scope["path"]
        refusal = self.access.refusal(scope, page=path in (self.prefix, self._folder))
        if refusal is not None:
            return _refused(refusal)
        methods = self.endpoints.get(path)
        if methods is None:
            endpoints = [f"{', '.join(sorted(handlers))} {where}"
                         for where, handlers in self.endpoints.items()
                         if where != self.prefix]  # the prefix alone redirects to the page
            return _problem(404, f"no admin endpoint at {path}", endpoints)
        handler = methods.get("GET" if scope["method"] == "HEAD" else scope["method"])
        if handler is None:
            allowed = ", ".join(sorted(methods))
            return _problem(405, f"{path} answers {allowed}", sorted(methods), {"Allow": allowed})
        try:
            return await handler(Request(scope, receive))
        except AdminInputError as error:
            return _problem(error.status, error.detail, error.choices)
        except StateUnavailable as error:
            return _problem(503, str(error), headers={"Retry-After": "1"})

    async def _redirect_to_page(self, request: Request) -> Response:
        return RedirectResponse(self.prefix + "/")

    async def _page(self, request: Request) -> Response:
        app = self.current()
        title = str(app.spec.document.get("info", {}).get("title") or "mockserver")
        return HTMLResponse(render_admin_page(title, self.prefix))

    async def _health(self, request: Request) -> Response:
        app = self.current()
        return _json({"status": "ok", "operations": len(app.spec.operations),
                      "scenario": _scenario_name(app), **self.status(), "state": app.state.backend.status()})

    async def _operations(self, request: Request) -> Response:
        app = self.current()
        return _json([
            {"method": op.method, "path": app.spec.base_path + op.path, "operation_id": op.operation_id,
             "summary": op.summary, "responses": list(op.responses), "deprecated": op.deprecated}
            for op in app.spec.operations
        ])

    async def _client(self, request: Request) -> Response:
        """What a client of the mock sends by default (the pytest plugin's, against a remote mock)."""
        from mockserver.http.credentials import DEFAULT_TOKEN, client_credentials

        app = self.current()
        tenant = app.tenants[0] if app.tenants else None
        defaults: dict[str, dict[str, str]] = {"header": {}, "query": {}, "cookie": {}}
        for credential in client_credentials(app.config, app.spec, DEFAULT_TOKEN, tenant):
            found = defaults.get(credential.location)
            if found is not None and credential.name.lower() not in {name.lower() for name in found}:
                found[credential.name] = credential.value
        return _json({"base_path": app.spec.base_path, "headers": defaults["header"],
                      "params": defaults["query"], "cookies": defaults["cookie"],
                      "scenarios": app.scenario_names})

    async def _requests(self, request: Request) -> Response:
        from mockserver.runtime.state import OverrideError

        app = self.current()
        params = request.query_params
        operation = params.get("operation")
        try:
            limit = int(params.get("limit", DEFAULT_JOURNAL_LIMIT))
        except ValueError:
            raise AdminInputError(400, "limit must be a whole number") from None
        page = await app.state.backend.calls(_session_param(request), None if operation else max(limit, 0))
        try:
            entries = app.state.of_operation(page.entries, operation)
        except OverrideError as error:
            raise AdminInputError(400, str(error)) from None
        newest_first = entries[::-1][: max(limit, 0)]
        secrets = secret_names(app.spec)
        whole = params.get("full") in ("1", "true")
        return _json({"total": len(entries) if operation else page.total, "capacity": page.capacity,
                      "bytes": page.bytes, "max_bytes": page.max_bytes, "body_limit": page.body_limit,
                      "requests": [_journal_entry(entry, secrets, whole) for entry in newest_first]})

    async def _clear_requests(self, request: Request) -> Response:
        propagation = await self.current().state.backend.clear_journal(_session_param(request))
        return Response(status_code=204, headers=propagation_headers(propagation))

    async def _reset(self, request: Request) -> Response:
        wanted = await _read_model(request, ResetRequest, default={})
        app = self.current()
        propagation = await app.state.backend.reset(wanted.session)
        if wanted.session is not None:
            return _json({"reset": True, "session": wanted.session}, propagation=propagation)
        return _json({"reset": True, "scenario": _scenario_name(app)}, propagation=propagation)

    async def _state(self, request: Request) -> Response:
        app = self.current()
        session = _session_param(request) or DEFAULT_SESSION
        if app.stateful is None:
            return _json({"stateful": False, "session": session, "resources": {}})
        backend = app.state.backend
        await backend.refresh_records(session)
        state = app.stateful.session_state(session)
        sessions = await backend.record_sessions()
        # The records masked as the journal is; the session names are not secrets, though "session" sounds so.
        resources = mask_data(state["resources"], secret_names(app.spec))
        return _json({"stateful": True, "session": session, "version": state["version"], "sessions": sessions,
                      "resources": resources})

    async def _scenario(self, request: Request, propagation: Propagation | None = None,
                        session: str | None = None) -> Response:
        app = self.current()
        session = session or _session_param(request)
        answer: dict[str, Any] = {"scenario": app.state.scenario_for(session) or "default",
                                  "default": app.state.default_scenario or "default",
                                  "choices": app.scenario_names}
        if session is not None:
            answer["session"] = session
            answer["switched"] = app.state.control.switched().get(session)
        return _json(answer, propagation=propagation)

    async def _switch_scenario(self, request: Request) -> Response:
        app = self.current()
        wanted = await _read_model(request, ScenarioRequest,
                                   hint='send {"scenario": NAME} (or null for the default)')
        name = wanted.scenario
        if name is not None and name not in app.scenario_names:
            raise AdminInputError(400, f"unknown scenario {name!r}", app.scenario_names)
        session = wanted.session or DEFAULT_SESSION
        if session == DEFAULT_SESSION and name == app.state.default_scenario:
            name = None  # the default: no switch
        propagation = await app.state.backend.switch_scenario(session, name)
        return await self._scenario(request, propagation, wanted.session)

    async def _overrides(self, request: Request, status_code: int = 200,
                         propagation: Propagation | None = None, session: str | None = None) -> Response:
        app = self.current()
        found = await app.state.backend.overrides(session or _session_param(request))
        overrides = [{"operation": o.operation_key, "status": o.status, "body": o.json, "headers": o.headers,
                      "times": o.times, "used": o.used, "session": o.session} for o in found]
        return _json(overrides, status_code, propagation=propagation)

    async def _add_override(self, request: Request) -> Response:
        from mockserver.runtime.state import OverrideError, OverrideHeaderError

        app = self.current()
        wanted = await _read_model(request, OverrideRequest)
        try:
            override = app.state.make_override(wanted.operation, status=wanted.status, json=wanted.body,
                                               headers=wanted.headers, times=wanted.times,
                                               session=wanted.session or DEFAULT_SESSION)
        except OverrideHeaderError as error:
            raise AdminInputError(422, str(error)) from None
        except OverrideError as error:
            raise AdminInputError(400, str(error)) from None
        propagation = await app.state.backend.add_override(override)
        return await self._overrides(request, 201, propagation, wanted.session)

    async def _clear_overrides(self, request: Request) -> Response:
        propagation = await self.current().state.backend.clear_overrides(_session_param(request))
        return Response(status_code=204, headers=propagation_headers(propagation))


def _scenario_name(app: MockApp) -> str:
    return app.state.scenario or "default"


def _session_param(request: Request) -> str | None:
    """The `?session=NAME` of a request (None when not given)."""
    session = request.query_params.get("session")
    if not session:
        return None
    if len(session) > MAX_SESSION_NAME or not session.isprintable():
        raise AdminInputError(400, f"session must be printable text of at most {MAX_SESSION_NAME} characters")
    return session


def _journal_entry(entry: Exchange, secrets: frozenset[str], whole: bool = False) -> dict[str, Any]:
    """An entry as the admin API shows it: secrets masked, the body cut (unless `whole`)."""
    headers = entry.headers
    body = mask_body(entry.body, headers.get("content-type"), secrets)
    shown = body if whole or len(body) <= MAX_BODY_SHOWN else body[:MAX_BODY_SHOWN] + "..."
    return {
        "time": datetime.fromtimestamp(entry.time, UTC).isoformat(timespec="milliseconds"),
        "method": entry.method,
        "path": entry.path,
        "query": mask_query(entry.query, secrets),
        "operation": entry.operation,
        "operation_id": entry.operation_id,
        "session": entry.session,
        "status": entry.status,
        "source": entry.source,
        "duration_ms": round(entry.duration_ms, 1),
        "headers": mask_headers(headers, secrets),
        "body": shown,
        "body_size": entry.body_size if entry.body_size is not None else len(entry.body),
        "body_truncated": entry.body_truncated or shown is not body,
    }


async def _read_model(request: Request, model: type[Model], *, default: Any = None,
                      hint: str | None = None) -> Model:
    """The request's JSON body as `model`; AdminInputError (4xx) for anything else."""
    payload = await _json_body(request)
    try:
        return model.model_validate(default if payload is None else payload)
    except ValidationError as error:
        messages = [f"{'/'.join(map(str, item['loc'])) or 'body'}: {item['msg']}" for item in error.errors()]
        raise AdminInputError(400, "; ".join(([hint] if hint else []) + messages)) from None


async def _json_body(request: Request) -> Any:
    """The request's JSON body (None when empty), within MAX_ADMIN_BODY bytes and MAX_JSON_DEPTH levels."""
    too_large = AdminInputError(413, f"an admin request body may hold at most {MAX_ADMIN_BODY} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_ADMIN_BODY:
        raise too_large
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_ADMIN_BODY:
            raise too_large
    if not raw.strip():
        return None
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error).lower() or "recursion" in str(error).lower():
            raise _too_deep() from None
        raise AdminInputError(400, f"the body is not JSON: {error}") from None
    if _depth(payload) > MAX_JSON_DEPTH:
        raise _too_deep()
    return payload


def _too_deep() -> AdminInputError:
    return AdminInputError(400, f"the body nests deeper than {MAX_JSON_DEPTH} levels")


def _depth(value: Any) -> int:
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            pending.extend((child, level + 1) for child in item)
    return deepest


def _json(data: Any, status_code: int = 200, media_type: str = "application/json",
          headers: dict[str, str] | None = None, propagation: Propagation | None = None) -> Response:
    # ASCII-escaped: any text a client sent (lone surrogates included) is echoed safely.
    headers = {**(headers or {}), **propagation_headers(propagation)}
    return Response(json.dumps(data, ensure_ascii=True), status_code, headers, media_type)


def _header_text(text: str) -> str:
    """`text` as a header value: one line of printable ASCII, at most MAX_HEADER_TEXT characters."""
    return "".join(char if " " <= char <= "~" else "?" for char in text)[:MAX_HEADER_TEXT]


def _problem(status: int, detail: str, choices: list[str] | None = None,
             headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail}
    if choices:
        body["choices"] = list(choices)
    return _json(body, status, PROBLEM_JSON, {**(headers or {}), "X-Mock-Error": _header_text(detail)})


def _refused(refusal: Refusal) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="mockserver admin"'} if refusal.challenge else None
    return _problem(refusal.status, refusal.detail, headers=headers)
