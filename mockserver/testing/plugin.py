"""The pytest plugin (registered through the `pytest11` entry point): a mock API as a fixture.

Fixtures: `mock_server` (session: a uvicorn server on a free loopback port), `mock_api` (per test: clients,
overrides, scenario, journal; reset after every test) and `mock_api_inprocess` (the same, without a socket).
Configuration: ini options `mockserver_*`, command-line flags `--mockserver-*`, and the marker
`@pytest.mark.mockserver(scenario=..., seed=..., headers=..., inprocess=...)` for one test.
With `--mockserver-url URL` (or `MOCKSERVER_URL`) no mock is started: `mock_server` is the mock at that
URL, shared with other runs, and each `mock_api` works there in a session of its own.

This module is imported by every pytest run where mockserver is installed, so it imports nothing heavy
until a fixture is used.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver.consumers.recorder import ConsumerRecorder
    from mockserver.runtime.app import MockApp
    from mockserver.testing.handles import InProcessMock, MockAPI, MockServer, RemoteMock

DEFAULT_SPEC = "openapi"
DEFAULT_FIXTURES = "fixtures"
MARKER = "mockserver"
MARKER_ARGUMENTS = ("scenario", "seed", "headers", "inprocess")
URL_VARIABLE = "MOCKSERVER_URL"
ADMIN_TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"  # as `mockserver serve` reads it


@dataclass(frozen=True)
class MockSettings:
    """The mock every test of the session gets, from the ini file, the command line and the defaults."""

    spec: Path
    fixtures: Path | None
    seed: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    inprocess: bool = False
    fixtures_required: bool = False  # configured explicitly, so a missing folder is an error
    consumer_out: Path | None = None  # record consumer contracts of the session's requests into this folder
    consumer: str | None = None  # the consumer of requests without an X-Mock-Consumer header
    worker: str | None = None  # the pytest-xdist worker this process is, if any
    url: str | None = None  # a mock served elsewhere: no mock is started, each test gets a session there
    admin_token: str | None = None  # the admin token of the mock at `url`


SETTINGS_KEY = pytest.StashKey[MockSettings]()


class MockServerWarning(UserWarning):
    """A problem in the spec that does not stop the mock (the CLI prints the same ones)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "mockserver: an OpenAPI mock as a fixture")
    group.addoption("--mockserver-spec", metavar="PATH", default=None,
                    help="spec file or folder of OpenAPI slices (default: ./openapi)")
    group.addoption("--mockserver-fixtures", metavar="DIR", default=None,
                    help="fixtures folder (default: ./fixtures when it exists)")
    group.addoption("--mockserver-seed", metavar="N", type=int, default=None,
                    help="seed of generated data (default: 0)")
    group.addoption("--mockserver-header", metavar="'NAME: VALUE'", action="append", default=[],
                    help="a header every mock_api client sends (repeatable)")
    group.addoption("--mockserver-inprocess", action="store_true", default=None,
                    help="mock_api talks to the app in-process (no socket)")
    group.addoption("--mockserver-consumer-out", metavar="DIR", default=None,
                    help="write a consumer contract per consumer of the mock into DIR at the end")
    group.addoption("--mockserver-consumer", metavar="NAME", default=None,
                    help="the consumer of requests without an X-Mock-Consumer header (default: default)")
    group.addoption("--mockserver-url", metavar="URL", default=None,
                    help=f"use the mock served at URL (`mockserver serve`, shared) instead of starting one; "
                         f"each mock_api works in a session of its own there (default: ${URL_VARIABLE})")
    group.addoption("--mockserver-admin-token", metavar="TOKEN", default=None,
                    help=f"the admin token of the mock at --mockserver-url "
                         f"(default: ${ADMIN_TOKEN_VARIABLE})")
    parser.addini("mockserver_spec", "spec file or folder of OpenAPI slices, relative to the ini file")
    parser.addini("mockserver_fixtures", "fixtures folder, relative to the ini file")
    parser.addini("mockserver_seed", "seed of generated data (default: 0)", type="int", default=0)
    parser.addini("mockserver_headers", "headers every mock_api client sends, one 'Name: value' a line",
                  type="linelist", default=[])
    parser.addini("mockserver_inprocess", "mock_api talks to the app in-process (no socket)",
                  type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(scenario=None, seed=None, headers=None, inprocess=None): "
        "the mock this test's mock_api talks to (scenario served, seed of generated data, default "
        "client headers, in-process)",
    )
    config.stash[SETTINGS_KEY] = resolve_settings(config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """With --mockserver-consumer-out under pytest-xdist, the controller merges what each worker wrote."""
    settings = session.config.stash.get(SETTINGS_KEY, None)
    if settings is None or settings.consumer_out is None or xdist_worker(session.config) is not None:
        return
    from mockserver.consumers.recorder import merge_parts

    merge_parts(settings.consumer_out)


def xdist_worker(config: pytest.Config) -> str | None:
    """The pytest-xdist worker id ("gw0") when this process is a worker, else None (read from the config,
    not the environment: a pytest run inside a worker's test inherits its variables)."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict) and "workerid" in workerinput:
        return str(workerinput["workerid"])
    return None


def resolve_settings(config: pytest.Config) -> MockSettings:
    """Command-line flags win over ini options; ini paths are relative to the ini file, flags to the cwd."""
    cwd = config.invocation_params.dir
    ini_dir = config.inipath.parent if config.inipath is not None else config.rootpath
    spec = _path_option(config, "spec", cwd, ini_dir)
    fixtures = _path_option(config, "fixtures", cwd, ini_dir)
    inprocess = config.getoption("mockserver_inprocess")
    consumer_out = config.getoption("mockserver_consumer_out")
    return MockSettings(
        spec=spec or cwd / DEFAULT_SPEC,
        fixtures=fixtures or cwd / DEFAULT_FIXTURES,
        seed=_seed_option(config),
        headers=parse_headers([*config.getini("mockserver_headers"), *config.getoption("mockserver_header")]),
        inprocess=bool(config.getini("mockserver_inprocess") if inprocess is None else inprocess),
        fixtures_required=fixtures is not None,
        consumer_out=cwd / consumer_out if consumer_out else None,
        consumer=config.getoption("mockserver_consumer"),
        worker=xdist_worker(config),
        url=config.getoption("mockserver_url") or os.environ.get(URL_VARIABLE) or None,
        admin_token=(config.getoption("mockserver_admin_token") or os.environ.get(ADMIN_TOKEN_VARIABLE)
                     or None),
    )


def _path_option(config: pytest.Config, name: str, cwd: Path, ini_dir: Path) -> Path | None:
    flag = config.getoption(f"mockserver_{name}")
    if flag:
        return cwd / flag
    value = str(config.getini(f"mockserver_{name}") or "").strip()
    return ini_dir / value if value else None


def _seed_option(config: pytest.Config) -> int:
    flag = config.getoption("mockserver_seed")
    if flag is not None:
        return int(flag)
    try:
        return int(config.getini("mockserver_seed"))
    except (TypeError, ValueError, pytest.UsageError) as error:  # pytest's own message names no option
        raise pytest.UsageError(f"mockserver: mockserver_seed must be an integer ({error})") from None


def parse_headers(lines: list[str]) -> dict[str, str]:
    """`Name: value` lines into a dict; a later line replaces an earlier one of the same name."""
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise pytest.UsageError(f"mockserver: a header must read 'Name: value', got {line!r}")
        for known in [key for key in headers if key.lower() == name.strip().lower()]:
            del headers[known]
        headers[name.strip()] = value.strip()
    return headers


@dataclass(frozen=True)
class MarkerOptions:
    """What one test's `mockserver` markers ask for (the closest marker wins, argument by argument)."""

    scenario: str | None = None
    seed: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    inprocess: bool | None = None


def marker_options(node: pytest.Item) -> MarkerOptions:
    """Read and check the test's markers; a mistake fails the test's set-up with a clear message."""
    chosen: dict[str, Any] = {}
    for marker in node.iter_markers(MARKER):
        if marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only: "
                        f"{', '.join(MARKER_ARGUMENTS)}", pytrace=False)
        unknown = sorted(set(marker.kwargs) - set(MARKER_ARGUMENTS))
        if unknown:
            pytest.fail(f"@pytest.mark.{MARKER}: unknown argument(s) {', '.join(unknown)}; "
                        f"known: {', '.join(MARKER_ARGUMENTS)}", pytrace=False)
        for key, value in marker.kwargs.items():
            chosen.setdefault(key, value)
    seed = chosen.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        pytest.fail(f"@pytest.mark.{MARKER}(seed=...) must be an integer, got {seed!r}", pytrace=False)
    headers = dict(chosen.get("headers") or {})
    return MarkerOptions(chosen.get("scenario"), seed, headers, chosen.get("inprocess"))


class MockPool:
    """The session's mocks: one app per seed, served over a socket and in-process on demand."""

    def __init__(self, settings: MockSettings) -> None:
        self.settings = settings
        self._apps: dict[int, MockApp] = {}
        self._servers: dict[int, MockServer] = {}
        self._inprocess: dict[int, InProcessMock] = {}
        self._failure: str | None = None
        self._recorder: ConsumerRecorder | None = None
        self._remote: RemoteMock | None = None
        self._remote_failure: str | None = None

    def remote(self) -> RemoteMock:
        """The mock at the configured URL (reached once per session)."""
        __tracebackhide__ = True
        from mockserver.testing.handles import MockServerError, RemoteMock

        assert self.settings.url is not None
        if self._remote is None and self._remote_failure is None:
            try:
                self._remote = RemoteMock(self.settings.url, self.settings.admin_token)
            except MockServerError as error:
                self._remote_failure = f"mockserver: --mockserver-url: {error}"
        if self._remote is None:
            pytest.fail(self._remote_failure or "mockserver: no remote mock", pytrace=False)
        return self._remote

    def app(self, seed: int | None = None) -> MockApp:
        __tracebackhide__ = True
        seed = self.settings.seed if seed is None else seed
        if seed not in self._apps:
            if self._failure is None:
                self._failure = self._build_app(seed)
            if self._failure is not None:
                pytest.fail(self._failure, pytrace=False)
        return self._apps[seed]

    def _build_app(self, seed: int) -> str | None:
        """Build the app for `seed`; returns a message for the user when the spec, fixtures or config are bad.

        The spec's warnings (problems that do not stop the mock) become pytest warnings.
        """
        from mockserver.foundation.problems import LoadError
        from mockserver.runtime.app import MAX_BODY_BYTES, create_app

        settings = self.settings
        where = f"spec {settings.spec}, fixtures {settings.fixtures}"
        if settings.fixtures_required and settings.fixtures is not None and not settings.fixtures.is_dir():
            return f"mockserver: the fixtures folder {settings.fixtures} does not exist"
        if not settings.spec.exists():
            return (f"mockserver: no spec at {settings.spec}; set `mockserver_spec` in the pytest "
                    "config or pass --mockserver-spec")
        try:
            # Whole request bodies for `mock_api.calls()` (the journal is emptied after every test; its
            # byte budget still bounds it), as before the journal kept only a prefix under `serve`.
            app = create_app(settings.spec, settings.fixtures, seed=seed, journal_body_limit=MAX_BODY_BYTES)
        except LoadError as error:
            problems = "\n".join(f"  {problem}" for problem in error.problems)
            return f"mockserver: cannot load the mock ({where}):\n{problems}"
        if not self._apps:
            for problem in app.spec.warnings:
                warnings.warn(MockServerWarning(str(problem)), stacklevel=1)
        if settings.consumer_out is not None:
            from mockserver.consumers.observe import attach
            from mockserver.consumers.recorder import ConsumerRecorder

            if self._recorder is None:  # under pytest-xdist each worker writes a part, merged at the end
                self._recorder = ConsumerRecorder(settings.consumer_out, settings.consumer,
                                                  part=settings.worker)
            attach(app, self._recorder)
        self._apps[seed] = app
        return None

    def server(self, seed: int | None = None) -> MockServer:
        __tracebackhide__ = True
        from mockserver.testing.handles import MockServer, MockServerError

        key = self.settings.seed if seed is None else seed
        if key not in self._servers:
            try:
                self._servers[key] = MockServer(self.app(key)).start()
            except MockServerError as error:
                pytest.fail(f"mockserver: {error}", pytrace=False)
        return self._servers[key]

    def inprocess(self, seed: int | None = None) -> InProcessMock:
        from mockserver.testing.handles import InProcessMock

        key = self.settings.seed if seed is None else seed
        if key not in self._inprocess:
            self._inprocess[key] = InProcessMock(self.app(key))
        return self._inprocess[key]

    def close(self) -> None:
        if self._remote is not None:
            self._remote.close()
        for server in self._servers.values():
            server.stop()
        for mock in self._inprocess.values():
            mock.close()
        self._servers.clear()
        self._inprocess.clear()
        if self._recorder is not None:
            self._recorder.close()


@pytest.fixture(scope="session")
def _mockserver_pool(pytestconfig: pytest.Config) -> Iterator[MockPool]:
    pool = MockPool(pytestconfig.stash[SETTINGS_KEY])
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def mock_server(_mockserver_pool: MockPool) -> MockServer | RemoteMock:
    """The session's mock server: uvicorn on a free loopback port in a background thread, or the mock at
    --mockserver-url; `.url`."""
    if _mockserver_pool.settings.url is not None:
        return _mockserver_pool.remote()
    return _mockserver_pool.server()


@pytest.fixture
def mock_api(request: pytest.FixtureRequest, _mockserver_pool: MockPool) -> Iterator[MockAPI]:
    """A handle on the mock for one test; over a socket unless configured in-process."""
    yield from _handle(request, _mockserver_pool, inprocess=None)


@pytest.fixture
def mock_api_inprocess(request: pytest.FixtureRequest, _mockserver_pool: MockPool) -> Iterator[MockAPI]:
    """A handle on the mock for one test, in-process: an ASGI transport, no socket."""
    yield from _handle(request, _mockserver_pool, inprocess=True)


def _handle(request: pytest.FixtureRequest, pool: MockPool, *, inprocess: bool | None) -> Iterator[MockAPI]:
    import httpx

    from mockserver.testing.handles import MockAPI, MockBackend

    options = marker_options(request.node)
    backend: MockBackend
    if pool.settings.url is not None:
        if inprocess or options.inprocess or options.seed is not None:
            pytest.fail(f"mockserver: the mock at {pool.settings.url} (--mockserver-url) serves one seed "
                        "over HTTP: a test cannot ask for another seed or for an in-process mock",
                        pytrace=False)
        backend = pool.remote()
    else:
        if inprocess is None:
            inprocess = pool.settings.inprocess if options.inprocess is None else bool(options.inprocess)
        backend = pool.inprocess(options.seed) if inprocess else pool.server(options.seed)
    headers = httpx.Headers(pool.settings.headers)
    headers.update(options.headers)
    api = MockAPI(backend, headers=headers)
    api.reset()  # requests made outside any mock_api (e.g. through mock_server) do not leak in
    if options.scenario is not None:
        api.scenario(options.scenario)
    try:
        yield api
    finally:
        api.close()
        api.reset()
