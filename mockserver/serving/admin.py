"""The admin API and page under a reserved prefix (default `/__mock__`): the same operations the pytest
plugin uses (scenario, overrides, journal, reset), over HTTP for browsers and scripts.

    GET    /__mock__/              the admin page: operations, scenarios, the live journal
    GET    /__mock__/health        {"status": "ok", ...}
    GET    /__mock__/operations    the loaded operations
    GET    /__mock__/requests      the journal, newest first (?limit=N, ?operation=NAME); DELETE clears it
    POST   /__mock__/reset         forget overrides, the journal and the scenario switch
    GET    /__mock__/scenario      the scenario served and the choices; PUT {"scenario": NAME|null} switches
    GET    /__mock__/overrides     the response overrides; POST {"operation", "status", "body", "headers",
                                   "times"} adds one; DELETE removes them all

The admin never shadows the API: a path the spec serves goes to the mock even under the prefix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from mockserver.http.credentials import credential_names
from mockserver.serving.admin_page import render_admin_page
from mockserver.serving.request_log import mask_headers, mask_query

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from mockserver.runtime.app import MockApp
    from mockserver.runtime.journal import Exchange

DEFAULT_ADMIN_PREFIX = "/__mock__"
DEFAULT_JOURNAL_LIMIT = 100
MAX_BODY_SHOWN = 4096
PROBLEM_JSON = "application/problem+json"

Status = Callable[[], dict[str, Any]]


def normalize_prefix(prefix: str) -> str:
    """`__mock__/` -> `/__mock__`; raises ValueError for a prefix that cannot work."""
    cleaned = "/" + prefix.strip().strip("/")
    if cleaned == "/" or any(char in cleaned for char in "?#{} "):
        raise ValueError(f"admin prefix {prefix!r} must be a path such as /__mock__")
    return cleaned


class OverrideRequest(BaseModel):
    """The body of `POST /__mock__/overrides` (the arguments of `mock_api.override`)."""

    model_config = ConfigDict(extra="forbid")

    operation: str = Field(min_length=1)
    status: int = Field(200, ge=100, le=599)
    body: Any = Field(None, validation_alias=AliasChoices("body", "json"))
    headers: dict[str, str] = Field(default_factory=dict)
    times: int | None = Field(None, ge=1)


class AdminApi:
    """An ASGI wrapper serving the admin endpoints under `prefix` and passing everything else on."""

    def __init__(self, app: ASGIApp, current: Callable[[], MockApp], prefix: str = DEFAULT_ADMIN_PREFIX,
                 status: Status | None = None) -> None:
        self.app = app
        self.current = current
        self.prefix = normalize_prefix(prefix)
        self._folder = self.prefix + "/"
        self.status = status or dict
        self.routes = self._routes()
        self.router = Router(self.routes, redirect_slashes=False, default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix) and self.owns(scope):
            await self.router(scope, receive, send)
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
        return [route.path for route in self.routes if app.router.match(route.path, "GET") is not None]

    def allowed_methods(self, scope: Scope) -> set[str] | None:
        """The methods of the admin endpoint at the request's path (for CORS preflights)."""
        for route in self.routes:
            if route.path_regex.fullmatch(scope["path"]):
                return set(route.methods or ())
        return None

    def _routes(self) -> list[Route]:
        p = self.prefix
        return [
            Route(p, self._redirect_to_page, methods=["GET"]),
            Route(p + "/", self._page, methods=["GET"]),
            Route(p + "/health", self._health, methods=["GET"]),
            Route(p + "/operations", self._operations, methods=["GET"]),
            Route(p + "/requests", self._requests, methods=["GET", "DELETE"]),
            Route(p + "/reset", self._reset, methods=["POST"]),
            Route(p + "/scenario", self._scenario, methods=["GET", "PUT", "POST"]),
            Route(p + "/overrides", self._overrides, methods=["GET", "POST", "DELETE"]),
        ]

    async def _redirect_to_page(self, request: Request) -> Response:
        return RedirectResponse(self.prefix + "/")

    async def _page(self, request: Request) -> Response:
        app = self.current()
        title = str(app.spec.document.get("info", {}).get("title") or "mockserver")
        return HTMLResponse(render_admin_page(title, self.prefix))

    async def _health(self, request: Request) -> Response:
        app = self.current()
        return JSONResponse({"status": "ok", "operations": len(app.spec.operations),
                             "scenario": _scenario_name(app), **self.status()})

    async def _operations(self, request: Request) -> Response:
        app = self.current()
        return JSONResponse([
            {"method": op.method, "path": app.spec.base_path + op.path, "operation_id": op.operation_id,
             "summary": op.summary, "responses": list(op.responses), "deprecated": op.deprecated}
            for op in app.spec.operations
        ])

    async def _requests(self, request: Request) -> Response:
        app = self.current()
        if request.method == "DELETE":
            app.state.journal.clear()
            return Response(status_code=204)
        from mockserver.runtime.state import OverrideError

        try:
            entries = app.state.calls(request.query_params.get("operation"))
        except OverrideError as error:
            return _problem(400, str(error))
        try:
            limit = int(request.query_params.get("limit", DEFAULT_JOURNAL_LIMIT))
        except ValueError:
            return _problem(400, "limit must be a whole number")
        newest_first = entries[::-1][: max(limit, 0)]
        secrets = (credential_names(app.spec, "header"), credential_names(app.spec, "query"))
        return JSONResponse({"total": len(entries), "capacity": app.state.journal.capacity,
                             "requests": [_journal_entry(entry, *secrets) for entry in newest_first]})

    async def _reset(self, request: Request) -> Response:
        app = self.current()
        app.state.reset()
        return JSONResponse({"reset": True, "scenario": _scenario_name(app)})

    async def _scenario(self, request: Request) -> Response:
        app = self.current()
        if request.method != "GET":
            payload = await _json_body(request)
            if not isinstance(payload, dict) or "scenario" not in payload:
                return _problem(400, 'send {"scenario": NAME} (or null for the default)', app.scenario_names)
            name = payload["scenario"]
            if name is not None and name not in app.scenario_names:
                return _problem(400, f"unknown scenario {name!r}", app.scenario_names)
            app.state.scenario = name if name is not None else app.state.default_scenario
        return JSONResponse({"scenario": _scenario_name(app),
                             "default": app.state.default_scenario or "default",
                             "choices": app.scenario_names})

    async def _overrides(self, request: Request) -> Response:
        app = self.current()
        if request.method == "DELETE":
            app.state.overrides.clear()
            return Response(status_code=204)
        if request.method == "POST":
            from mockserver.runtime.state import OverrideError

            try:
                wanted = OverrideRequest.model_validate(await _json_body(request))
                app.state.add_override(wanted.operation, status=wanted.status, json=wanted.body,
                                       headers=wanted.headers, times=wanted.times)
            except ValidationError as error:
                return _problem(400, "; ".join(_validation_messages(error)))
            except OverrideError as error:
                return _problem(400, str(error))
            status_code = 201
        else:
            status_code = 200
        overrides = [{"operation": o.operation_key, "status": o.status, "body": o.json, "headers": o.headers,
                      "times": o.times, "used": o.used} for o in app.state.overrides]
        return JSONResponse(overrides, status_code=status_code)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoints = [f"{', '.join(sorted(set(route.methods or ()) - {'HEAD'}))} {route.path}"
                     for route in self.routes[1:]]  # the first is the redirect to the page
        response = _problem(404, f"no admin endpoint at {scope['path']}", endpoints)
        await response(scope, receive, send)


def _scenario_name(app: MockApp) -> str:
    return app.state.scenario or "default"


def _journal_entry(entry: Exchange, secret_headers: frozenset[str],
                   secret_query: frozenset[str]) -> dict[str, Any]:
    body = entry.body.decode("utf-8", "replace")
    return {
        "time": datetime.fromtimestamp(entry.time, UTC).isoformat(timespec="milliseconds"),
        "method": entry.method,
        "path": entry.path,
        "query": mask_query(entry.query, secret_query),
        "operation": entry.operation,
        "operation_id": entry.operation_id,
        "status": entry.status,
        "source": entry.source,
        "duration_ms": round(entry.duration_ms, 1),
        "headers": mask_headers(entry.headers, secret_headers),
        "body": body if len(body) <= MAX_BODY_SHOWN else body[:MAX_BODY_SHOWN] + "...",
    }


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _validation_messages(error: ValidationError) -> list[str]:
    return [f"{'/'.join(map(str, item['loc'])) or 'body'}: {item['msg']}" for item in error.errors()]


def _problem(status: int, detail: str, choices: list[str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status,
                            "detail": detail}
    if choices:
        body["choices"] = list(choices)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON,
                        headers={"X-Mock-Error": detail[:200]})
