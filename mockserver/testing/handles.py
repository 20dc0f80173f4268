"""Driving a mock from tests: a threaded uvicorn server, an in-process transport, a remote mock, and the
per-test handle.

The pytest plugin builds on these; they work without pytest too (`with MockServer(app) as server: ...`).
A `MockAPI` talks to one `MockApp` either over a real socket (`MockServer`) or in-process
(`InProcessMock`, an httpx ASGI transport); both paths run the same app, so they answer the same bodies.
Or it talks to a mock served elsewhere (`RemoteMock`, a `mockserver serve` others share), through its
admin API, in a session of its own: its overrides, scenario and journal are that session's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, Protocol
from urllib.parse import parse_qsl

import httpx
import uvicorn

from mockserver.answers.stateful import SESSION_HEADER
from mockserver.http.answer import Answer
from mockserver.http.credentials import DEFAULT_TOKEN, client_credentials
from mockserver.runtime.journal import Exchange, header_block
from mockserver.runtime.state import Override, OverrideError

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from mockserver.runtime.app import MockApp

LOOPBACK = "127.0.0.1"
IN_PROCESS_ORIGIN = "http://mockserver.test"
START_TIMEOUT_SECONDS = 10.0
ADMIN_PREFIX = "/__mock__"
REMOTE_TIMEOUT_SECONDS = 30.0


class MockServerError(RuntimeError):
    """The threaded server could not start, or a remote mock cannot be reached."""


class ControlError(Exception):
    """What the mock refused (an unknown operation or scenario, a body the spec forbids): its message."""


class MockControl(Protocol):
    """What a test changes and reads of a mock: scenario, overrides, the journal, reset."""

    def scenario(self, name: str | None) -> None: ...

    def override(self, operation: str, status: int, json: Any, headers: dict[str, str],
                 times: int | None) -> Override: ...

    def calls(self, operation: str | None) -> list[Exchange]: ...

    def reset(self, every_session: bool) -> None: ...


class MockBackend(Protocol):
    """One way into a mock: its base URL, the transports an httpx client needs to reach it, the
    credentials its clients send by default, and the control of a session."""

    @property
    def app(self) -> MockApp: ...

    @property
    def url(self) -> str: ...

    def transport(self) -> httpx.BaseTransport | None: ...

    def async_transport(self) -> httpx.AsyncBaseTransport | None: ...

    def client_defaults(self) -> ClientDefaults: ...

    def control(self, session: str) -> MockControl: ...


class _NotifyingServer(uvicorn.Server):
    """A uvicorn server that sets an event once it listens."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class MockServer:
    """A mock app served by uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: MockApp, host: str = LOOPBACK) -> None:
        self.app = app
        self.host = host
        self.port: int | None = None
        self._server: _NotifyingServer | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        return f"<MockServer {self.url if self.port is not None else 'not started'}>"

    @property
    def origin(self) -> str:
        if self.port is None:
            raise MockServerError("the mock server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The server's base URL, including the spec's base path (`servers[0].url`)."""
        return self.origin + self.app.spec.base_path

    def transport(self) -> httpx.BaseTransport | None:
        return None  # httpx's default HTTP transport

    def async_transport(self) -> httpx.AsyncBaseTransport | None:
        return None

    def client_defaults(self) -> ClientDefaults:
        return default_credentials(self.app)

    def control(self, session: str) -> MockControl:
        return LocalControl(self.app, session)

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> MockServer:
        """Listen on a free port (bound here, so no other process can take it first) and serve."""
        if self._thread is not None:
            return self
        self._ready.clear()
        self._error = None
        self._socket = _bind_free_port(self.host)
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=1)
        self._server = _NotifyingServer(config, self._ready)
        self._thread = threading.Thread(target=self._serve, name=f"mockserver:{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise MockServerError(f"the mock server did not start on {self.host}:{self.port}: "
                                  f"{self._error or 'timed out'}")
        return self

    def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # uvicorn exits with SystemExit when start-up fails
            self._error = error
        finally:
            self._ready.set()

    def stop(self) -> None:
        if self._thread is None or self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT_SECONDS)
        if self._socket is not None:
            self._socket.close()
        self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _bind_free_port(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


class InProcessMock:
    """A mock app reached without a socket: httpx's ASGI transport, plus a sync twin for `httpx.Client`."""

    def __init__(self, app: MockApp, origin: str = IN_PROCESS_ORIGIN) -> None:
        self.app = app
        self.origin = origin
        self._portal: BlockingPortal | None = None
        self._portal_context: contextlib.AbstractContextManager[BlockingPortal] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.origin + self.app.spec.base_path

    def transport(self) -> httpx.BaseTransport:
        return SyncASGITransport(self.app, self._event_loop())

    def async_transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    def client_defaults(self) -> ClientDefaults:
        return default_credentials(self.app)

    def control(self, session: str) -> MockControl:
        return LocalControl(self.app, session)

    def _event_loop(self) -> BlockingPortal:
        """One event loop thread per in-process mock, started on first use, shared by every sync client."""
        from anyio.from_thread import start_blocking_portal

        with self._lock:
            if self._portal is None:
                self._portal_context = start_blocking_portal()
                self._portal = self._portal_context.__enter__()
            return self._portal

    def close(self) -> None:
        with self._lock:
            if self._portal_context is not None:
                self._portal_context.__exit__(None, None, None)
            self._portal = self._portal_context = None


class RemoteMock:
    """A mock served elsewhere (`mockserver serve`, shared by other test runs), reached over HTTP and driven
    through its admin API; every handle on it works in a session of its own."""

    def __init__(self, origin: str, admin_token: str | None = None, admin_prefix: str = ADMIN_PREFIX) -> None:
        self.origin = origin.rstrip("/")
        headers = {"X-Mock-Admin-Token": admin_token} if admin_token else {}
        self._admin = httpx.Client(base_url=self.origin + admin_prefix, headers=headers,
                                   timeout=REMOTE_TIMEOUT_SECONDS)
        self._lock = threading.Lock()
        found = self.admin("GET", "/client").json()
        self.base_path: str = found["base_path"]
        self.scenario_names: list[str] = list(found["scenarios"])
        self._defaults = ClientDefaults(dict(found["headers"]), dict(found["params"]), dict(found["cookies"]))

    def __repr__(self) -> str:
        return f"<RemoteMock {self.url}>"

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    @property
    def app(self) -> MockApp:
        raise MockServerError(f"the mock at {self.origin} is served by another process (--mockserver-url): "
                              "there is no app here; use mock_api's methods, or its admin API")

    def transport(self) -> httpx.BaseTransport | None:
        return None

    def async_transport(self) -> httpx.AsyncBaseTransport | None:
        return None

    def client_defaults(self) -> ClientDefaults:
        return ClientDefaults(dict(self._defaults.headers), dict(self._defaults.params),
                              dict(self._defaults.cookies))

    def control(self, session: str) -> MockControl:
        return RemoteControl(self, session)

    def admin(self, method: str, path: str, **options: Any) -> httpx.Response:
        """A request to the admin API; MockServerError when it cannot be reached or refuses access."""
        try:
            with self._lock:  # one connection, used by one test at a time
                response = self._admin.request(method, path, **options)
        except httpx.HTTPError as error:
            raise MockServerError(f"the mock at {self.origin} cannot be reached: {error}") from None
        if response.status_code in (401, 403, 404, 503) or response.status_code >= 500:
            raise MockServerError(f"the admin API of the mock at {self.origin} answered "
                                  f"{response.status_code} to {method} {path}: {_detail(response)}")
        return response

    def close(self) -> None:
        self._admin.close()


class LocalControl:
    """The control of a mock in this process: overrides and the scenario for every session (the test owns
    the mock), the whole journal, and its handle's session's records."""

    def __init__(self, app: MockApp, session: str) -> None:
        self.app = app
        self.session = session

    def scenario(self, name: str | None) -> None:
        if name is not None and name not in self.app.scenario_names:
            raise ControlError(f"no such scenario; choices: {', '.join(self.app.scenario_names)}")
        state = self.app.state
        state.scenario = name if name is not None else state.default_scenario

    def override(self, operation: str, status: int, json: Any, headers: dict[str, str],
                 times: int | None) -> Override:
        try:
            return self.app.state.add_override(operation, status=status, json=json, headers=headers,
                                               times=times)
        except OverrideError as error:
            raise ControlError(str(error)) from None

    def calls(self, operation: str | None) -> list[Exchange]:
        try:
            return self.app.state.calls(operation)
        except OverrideError as error:
            raise ControlError(str(error)) from None

    def reset(self, every_session: bool) -> None:
        self.app.state.reset(records=every_session)
        self.app.state.reset_session(self.session)


class RemoteControl:
    """The control of a remote mock, in one session: its overrides, scenario, journal and records only."""

    def __init__(self, remote: RemoteMock, session: str) -> None:
        self.remote = remote
        self.session = session

    def scenario(self, name: str | None) -> None:
        self._change("PUT", "/scenario", {"scenario": name, "session": self.session})

    def override(self, operation: str, status: int, json: Any, headers: dict[str, str],
                 times: int | None) -> Override:
        self._change("POST", "/overrides", {"operation": operation, "status": status, "body": json,
                                            "headers": headers, "times": times, "session": self.session})
        return Override(operation, status, json, headers, None, times, session=self.session)

    def calls(self, operation: str | None) -> list[Exchange]:
        params = {"session": self.session, "limit": "1000000", "full": "1"}
        if operation is not None:
            params["operation"] = operation
        response = self.remote.admin("GET", "/requests", params=params)
        if response.status_code >= 400:
            raise ControlError(_detail(response))
        return [_exchange(entry) for entry in reversed(response.json()["requests"])]

    def reset(self, every_session: bool) -> None:
        """Forget the session's overrides, scenario, journal and records (never other sessions': the
        remote mock is shared)."""
        self._change("POST", "/reset", {"session": self.session})

    def _change(self, method: str, path: str, body: dict[str, Any]) -> None:
        response = self.remote.admin(method, path, json=body)
        if response.status_code >= 400:
            problem = response.json() if response.headers.get("content-type", "").endswith("json") else {}
            choices = problem.get("choices")
            detail = _detail(response)
            raise ControlError(f"{detail}; choices: {', '.join(choices)}" if choices else detail)


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.reason_phrase)
    except ValueError:
        return response.text[:200] or response.reason_phrase


def _exchange(entry: dict[str, Any]) -> Exchange:
    """A journal entry of the admin API (secrets masked) as an Exchange."""
    body = entry["body"].encode("utf-8", "replace")
    block = header_block((name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
                         for name, value in entry["headers"].items())
    time = datetime.fromisoformat(entry["time"]).timestamp()
    size = entry["body_size"] if entry["body_truncated"] else None
    return Exchange(entry["method"], entry["path"], tuple(parse_qsl(entry["query"], keep_blank_values=True)),
                    block, body, entry["operation"], entry["operation_id"],
                    Answer(entry["status"], None, None, entry["source"]), entry["duration_ms"], time, size)


class SyncASGITransport(httpx.BaseTransport):
    """A sync httpx transport that runs an ASGI app on an event loop thread (httpx's own is async-only)."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a sync body stream becomes bytes, which the async transport can read too
        return self._portal.call(self._handle, request)

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content,
                              extensions=response.extensions)


@dataclass
class ClientDefaults:
    """What a client sends by default so that the mock's auth checks pass."""

    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def put(self, location: str, name: str, value: str) -> None:
        """Set a credential unless one is already set for that name (earlier sources win)."""
        target = {"header": self.headers, "query": self.params, "cookie": self.cookies}.get(location)
        if target is None:
            return
        if location == "header":
            if name.lower() in {key.lower() for key in target}:
                return
        elif name in target:
            return
        target[name] = value


def default_credentials(app: MockApp, token: str = DEFAULT_TOKEN) -> ClientDefaults:
    """Credentials that satisfy the app's configured header rules and the spec's security schemes, with
    the first tenant its fixtures declare (so that its data answers)."""
    defaults = ClientDefaults()
    tenant = app.tenants[0] if app.tenants else None
    for credential in client_credentials(app.config, app.spec, token, tenant):
        defaults.put(credential.location, credential.name, credential.value)
    return defaults


class MockAPI:
    """The per-test handle on a mock: clients, overrides, the scenario, the request journal, and a session of
    its own for the records of stateful resources (its clients send `X-Mock-Session`)."""

    def __init__(self, backend: MockBackend, headers: Mapping[str, str] | None = None,
                 session: str | None = None) -> None:
        self._backend = backend
        self._defaults = backend.client_defaults()
        merged = httpx.Headers(self._defaults.headers)
        merged.update(headers or {})
        # A session of its own, so that tests sharing a server never see each other's writes.
        self.session: str = merged.get(SESSION_HEADER) or session or f"mock-api-{uuid.uuid4().hex[:16]}"
        merged[SESSION_HEADER] = self.session
        self.headers: dict[str, str] = dict(merged.items())
        self._clients: list[httpx.Client] = []
        self._control = backend.control(self.session)

    def __repr__(self) -> str:
        return f"<MockAPI {self.url}>"

    @property
    def url(self) -> str:
        """The mock's base URL (with the spec's base path); a fake origin in in-process mode."""
        return self._backend.url

    @property
    def app(self) -> MockApp:
        return self._backend.app

    def client(self, headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client with the base URL and the default auth headers (`headers` adds or replaces)."""
        client = httpx.Client(transport=self._backend.transport(), **self._client_options(headers, kwargs))
        self._clients.append(client)
        return client

    def async_client(self, headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """The async twin of `client()`."""
        return httpx.AsyncClient(transport=self._backend.async_transport(),
                                 **self._client_options(headers, kwargs))

    def _client_options(self, headers: Mapping[str, str] | None, extra: dict[str, Any]) -> dict[str, Any]:
        merged = httpx.Headers(self.headers)
        merged.update(headers or {})
        options: dict[str, Any] = {
            "base_url": self.url,
            "headers": merged,
            "params": dict(self._defaults.params),
            "cookies": dict(self._defaults.cookies),
        }
        options.update(extra)
        return options

    def scenario(self, name: str | None) -> None:
        """Serve scenario `name` until the end of the test (None: the default scenario)."""
        __tracebackhide__ = True
        try:
            self._control.scenario(name)
            return
        except ControlError as error:
            problem = str(error)
        _fail(f"mock_api.scenario({name!r}): {problem}")

    def override(
        self,
        operation: str,
        status: int = 200,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> Override:
        """Answer `operation` (operationId or `METHOD /path`) with this response, for the next `times`
        calls or until the end of the test. Without `json`: the body documented (or generated) for `status`.
        """
        __tracebackhide__ = True
        try:
            return self._control.override(operation, status, json, dict(headers or {}), times)
        except ControlError as error:
            problem = str(error)  # failed outside the handler, so the report has no chained traceback
        _fail(f"mock_api.override({operation!r}, status={status}): {problem}")

    def calls(self, operation: str | None = None) -> list[Exchange]:
        """The requests the mock answered during this test, oldest first; only one operation's when named."""
        __tracebackhide__ = True
        try:
            return self._control.calls(operation)
        except ControlError as error:
            problem = str(error)
        _fail(f"mock_api.calls({operation!r}): {problem}")

    def assert_called(self, operation: str, times: int | None = None) -> list[Exchange]:
        """Fail unless `operation` was called (exactly `times` times when given); returns those calls."""
        __tracebackhide__ = True
        calls = self.calls(operation)
        if times is None and not calls:
            raise AssertionError(f"{operation} was never called; {_describe(self.calls())}")
        if times is not None and len(calls) != times:
            raise AssertionError(f"{operation} was called {len(calls)} time(s), expected {times}; "
                                 f"{_describe(self.calls())}")
        return calls

    def reset(self, every_session: bool = False) -> None:
        """Forget overrides, the scenario, the journal and this handle's session's records (every session's
        records with `every_session=True`). On a remote mock: this handle's session's, only."""
        self._control.reset(every_session)

    def close(self) -> None:
        """Close the sync clients this handle made (close async ones with `async with`)."""
        for client in self._clients:
            client.close()
        self._clients.clear()


def _describe(entries: Iterable[Exchange], limit: int = 10) -> str:
    lines = [f"{entry.method} {entry.path} -> {entry.status}" for entry in entries]
    if not lines:
        return "the mock received no request"
    shown = "\n  ".join(lines[-limit:])
    more = f" (last {limit} of {len(lines)})" if len(lines) > limit else ""
    return f"the mock received{more}:\n  {shown}"


def _fail(message: str) -> NoReturn:
    __tracebackhide__ = True
    try:
        import pytest
    except ImportError:
        raise AssertionError(message) from None
    pytest.fail(message)
