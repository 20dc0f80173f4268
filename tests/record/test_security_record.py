"""Issue 15 §5-6 for `mockserver record`: whole values masked, unloadable recordings kept apart, and the
recorder talks only to its upstream, whatever request target it is sent, with either HTTP parser."""

from __future__ import annotations

import contextlib
import io
import socket
import textwrap
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
import yaml
from starlette.testclient import TestClient

from mockserver import create_app, load_spec
from mockserver.record.proxy import BROKEN_SUFFIX, Recorder
from mockserver.record.target import http_protocol

SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Widgets, version: "1"}
    paths:
      /widgets/{id}:
        get:
          operationId: getWidget
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: one widget
              content:
                application/json:
                  schema:
                    type: object
                    required: [id, name]
                    properties:
                      id: {type: integer}
                      name: {type: string}
                      session_key: {type: string, pattern: "^[0-9a-f]{8}$"}
    """)


class Upstream:
    """The real server: answers every request, and remembers where each was sent."""

    def __init__(self, body: object | None = None, error: Exception | None = None) -> None:
        self.body = body
        self.error = error
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if self.error is not None:
            raise self.error
        widget = int(request.url.path.rsplit("/", 1)[-1]) if request.url.path[-1:].isdigit() else 0
        body = self.body if self.body is not None else {"id": widget, "name": "real"}
        return httpx.Response(200, json=body)


@pytest.fixture
def spec_dir(tmp_path):
    (tmp_path / "openapi").mkdir()
    (tmp_path / "openapi" / "widgets.yaml").write_text(SPEC)
    return tmp_path / "openapi"


def _recorder(spec_dir, upstream: Upstream, base_url: str = "http://real.test") -> Recorder:
    return Recorder(load_spec(spec_dir), base_url, spec_dir.parent / "recorded",
                    transport=httpx.MockTransport(upstream), report=io.StringIO())


# §5: whole values, never substrings; what would not load goes to .yaml.broken


def test_a_short_token_masks_whole_values_only_and_the_recording_loads(spec_dir):
    upstream = Upstream({"id": 2, "name": "v2 widget 2", "copy": "2"})
    recorder = _recorder(spec_dir, upstream)
    TestClient(recorder).get("/widgets/2", headers={"Authorization": "Bearer 2"})
    saved = recorder.out_dir / "getWidget.yaml"
    [entry] = yaml.safe_load(saved.read_text())["responses"]
    assert entry["response"]["body"] == {"id": 2, "name": "v2 widget 2", "copy": "***"}
    assert entry["match"] == {"path": {"id": "2"}}
    served = TestClient(create_app(spec_dir, recorder.out_dir)).get("/widgets/2")
    assert served.json()["name"] == "v2 widget 2"


def test_a_value_holding_a_long_secret_is_masked_whole(spec_dir):
    secret = "Zq8-long-client-secret"
    upstream = Upstream({"id": 1, "name": "real", "next": f"https://real.test/widgets?api_key={secret}&p=2"})
    recorder = _recorder(spec_dir, upstream)
    TestClient(recorder).get("/widgets/1", params={"api_key": secret})
    text = (recorder.out_dir / "getWidget.yaml").read_text()
    assert secret not in text
    assert yaml.safe_load(text)["responses"][0]["response"]["body"]["next"] == "***"


def test_a_recording_that_no_longer_validates_once_masked_goes_to_yaml_broken(spec_dir):
    recorder = _recorder(spec_dir, Upstream({"id": 1, "name": "real", "session_key": "deadbeef"}))
    assert TestClient(recorder).get("/widgets/1").json()["session_key"] == "deadbeef"  # the client: real
    assert not (recorder.out_dir / "getWidget.yaml").exists()
    broken = (recorder.out_dir / f"getWidget{BROKEN_SUFFIX}").read_text()
    assert "deadbeef" not in broken
    assert "NOT LOADABLE" in broken and "session_key" in broken
    assert "NOT LOADABLE  GET /widgets/1" in recorder.report.getvalue()  # type: ignore[union-attr]
    create_app(spec_dir, recorder.out_dir)  # the next start still loads


# §6: only ever the upstream


@contextlib.contextmanager
def _serving(app: object, http: object) -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, http=http, log_level="critical", lifespan="off", access_log=False)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _raw(port: int, method: bytes, target: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        head = b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        connection.sendall(method + b" " + target + head)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


PARSERS = ["h11", "httptools"]
TRICKS = [
    (b"GET", b"http://evil.test/widgets/1"),  # absolute-form
    (b"GET", b"http://real.test@evil.test/widgets/1"),
    (b"CONNECT", b"evil.test:443"),  # authority-form
    (b"GET", b"@evil.test/widgets/1"),
    (b"GET", b"/\\evil.test/widgets/1"),
    (b"GET", b"/%5Cevil.test/widgets/1"),
    (b"GET", b"//evil.test/widgets/1"),
    (b"OPTIONS", b"*"),
]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("method", "target"), TRICKS)
def test_a_target_that_is_not_a_path_is_refused_with_400(spec_dir, parser, method, target):
    upstream = Upstream()
    with _serving(_recorder(spec_dir, upstream), http_protocol(parser)) as port:
        status, _ = _raw(port, method, target)
    assert status == 400
    assert upstream.urls == []


@pytest.mark.parametrize("parser", PARSERS)
def test_a_path_goes_to_the_base_url_with_its_query(spec_dir, parser):
    upstream = Upstream()
    recorder = _recorder(spec_dir, upstream, "http://real.test:8080/api/")
    with _serving(recorder, http_protocol(parser)) as port:
        status, _ = _raw(port, b"GET", b"/widgets/1@evil.test?x=1&y=a%20b")
    assert status == 200
    assert upstream.urls == ["http://real.test:8080/api/widgets/1@evil.test?x=1&y=a%20b"]


@pytest.mark.parametrize("error", [
    httpx.ConnectError("connection refused"),
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("peer closed connection \u2603\r\nX-Injected: 1"),
    httpx.UnsupportedProtocol("no such protocol"),
])
@pytest.mark.parametrize("parser", PARSERS)
def test_an_upstream_error_answers_502_with_a_problem(spec_dir, error, parser):
    with _serving(_recorder(spec_dir, Upstream(error=error)), http_protocol(parser)) as port:
        response = httpx.get(f"http://127.0.0.1:{port}/widgets/1")
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 502 and "cannot reach http://real.test" in response.json()["detail"]
    assert response.headers["x-mock-error"].isascii() and "x-injected" not in response.headers


@pytest.mark.parametrize("parser", PARSERS)
def test_upstream_headers_are_passed_on_as_bytes(spec_dir, parser):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1, "name": "real"},
                              headers=[(b"X-Name", "sn\u00f6w \u2603".encode())])

    recorder = Recorder(load_spec(spec_dir), "http://real.test", spec_dir.parent / "recorded",
                        transport=httpx.MockTransport(answer), report=io.StringIO())
    with _serving(recorder, http_protocol(parser)) as port:
        response = httpx.get(f"http://127.0.0.1:{port}/widgets/1")
    assert response.status_code == 200
    assert (b"x-name", "sn\u00f6w \u2603".encode()) in [(k.lower(), v) for k, v in response.headers.raw]
