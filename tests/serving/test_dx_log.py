"""Seeing what happens: the per-request log line (text and JSON) and the start-up banner."""

from __future__ import annotations

import io
import itertools
import json
import shlex
import time

import httpx
import pytest
from dx_helpers import ServeProcess, write_api
from helpers import FIXTURES_DIR, OPENAPI_DIR
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.cli import build_parser
from mockserver.serving.options import ServeOptions
from mockserver.serving.request_log import curl_example, startup_banner
from mockserver.serving.stack import build_mock


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


def _logged(api, log_format, *requests) -> list[str]:
    stream = io.StringIO()
    client = TestClient(build_mock(ServeOptions(api[0], api[1], log_format=log_format, log_stream=stream)))
    for method, path, headers in requests:
        client.request(method, path, headers=headers)
    return stream.getvalue().splitlines()


def test_a_text_line_says_what_when_where_from_and_how_long(api):
    [line] = _logged(api, "text", ("GET", "/widgets/2?limit=1", {}))
    words = line.split()
    assert words[1:] == ["GET", "/widgets/2?limit=1", "getWidget", "200", "fixture:gadget", words[-1]]
    assert words[-1].endswith("ms")
    assert len(words[0]) == len("12:34:56.789")


def test_json_lines_carry_the_same_facts(api):
    lines = _logged(api, "json", ("GET", "/widgets/1", {}), ("POST", "/widgets", {}), ("GET", "/nowhere", {}))
    records = [json.loads(line) for line in lines]
    assert [(r["method"], r["path"], r["operation"], r["status"], r["source"]) for r in records] == [
        ("GET", "/widgets/1", "getWidget", 200, "example:default"),
        ("POST", "/widgets", "createWidget", 400, "validation"),
        ("GET", "/nowhere", None, 404, "routing"),
    ]
    assert all(isinstance(r["duration_ms"], float) and r["time"].endswith("+00:00") for r in records)


def test_credentials_in_the_query_are_masked(api):
    [line] = _logged(api, "text", ("GET", "/secure?api_key=k3y&access_token=t0k&page=2", {}))
    assert "k3y" not in line and "t0k" not in line
    assert "/secure?api_key=***&access_token=***&page=2" in line


def test_the_banner_names_the_url_operations_scenarios_admin_and_a_curl_line(api):
    app = create_app(*api)
    banner = startup_banner(app, "http://127.0.0.1:4010", "/__mock__")
    first, *rest = banner.splitlines()
    assert first == "mockserver: serving 5 operation(s) on http://127.0.0.1:4010"
    assert any("GET     /widgets/{id}  (getWidget)" in line for line in rest)
    assert any("scenarios (X-Mock-Scenario): empty" in line for line in rest)
    assert any(line.strip() == "admin: http://127.0.0.1:4010/__mock__/" for line in rest)
    assert rest[-1].strip() == "try:   curl -s 'http://127.0.0.1:4010/widgets?api_key=mockserver-token'"
    # The curl line carries the credential the spec's apiKey scheme asks for, so it gets a success.
    assert TestClient(app).get("/widgets?api_key=mockserver-token").status_code == 200


def test_the_curl_line_of_the_bundled_api_gets_a_success():
    app = create_app(OPENAPI_DIR, FIXTURES_DIR)
    command = shlex.split(curl_example(app, "http://mock.test"))
    url = command[2]
    headers = dict(value.split(": ", 1) for flag, value in itertools.pairwise(command) if flag == "-H")
    assert {name.lower() for name in headers} >= {"authorization", "x-business-id"}
    response = TestClient(app, base_url="http://mock.test").get(url, headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("argument", "says"), [
    (["--delay", "800-200"], "MIN <= MAX"), (["--admin-prefix", "/"], "admin prefix"),
    (["--journal-size", "0"], "positive"), (["--log-format", "xml"], "invalid choice"),
])
def test_bad_serve_options_are_refused_by_the_parser(argument, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", *argument])
    assert exit_info.value.code == 2
    assert says in capsys.readouterr().err


def test_serve_logs_json_lines_on_stdout_and_the_banner_on_stderr(api):
    with ServeProcess(str(api[0]), "--fixtures", str(api[1]), "--log-format", "json") as server:
        assert httpx.get(server.origin + "/widgets/2").status_code == 200
        line = server.wait_for(server.stdout, "/widgets/2")
        assert f"serving 5 operation(s) on {server.origin}" in server.wait_for(server.stderr, "serving")
    record = json.loads(line)
    assert (record["path"], record["status"], record["source"]) == ("/widgets/2", 200, "fixture:gadget")
    assert all(json.loads(line) for line in server.stdout)  # nothing but JSON lines on stdout


def test_a_text_line_cuts_long_values_and_the_json_line_keeps_them(api):
    long_value = "x" * 30_000
    text = _logged(api, "text", ("GET", f"/widgets?note={long_value}&limit=2", {}))[0]
    assert len(text) < 400 and "note=" + "x" * 95 + "...(30005 chars)" in text and "limit=2" in text
    record = json.loads(_logged(api, "json", ("GET", f"/widgets?note={long_value}", {}))[0])
    assert long_value in record["path"]


def test_no_request_line_is_lost_when_the_server_stops_at_once(api):
    # ServeProcess runs with PYTHONUNBUFFERED=1: the log gathers the lines of an unbuffered stdout itself.
    with ServeProcess(str(api[0]), "--fixtures", str(api[1])) as server, httpx.Client() as client:
        for number in range(40):
            assert client.get(f"{server.origin}/widgets/2?n={number}").status_code == 200
    server.process.wait()
    time.sleep(0.2)  # the reader threads drain the pipe
    logged = [line for line in server.stdout if "/widgets/2?n=" in line]
    assert [line.split("?n=")[1].split()[0] for line in logged] == [str(number) for number in range(40)]
