"""Issue 15 §3: overrides and fixtures cannot break HTTP framing: their headers are checked when set."""

from __future__ import annotations

import textwrap

import httpx
import pytest
from dx_helpers import served, write_api

from mockserver import create_app
from mockserver.foundation.problems import LoadError
from mockserver.runtime.state import OverrideError
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

JSON = {"Content-Type": "application/json"}

REFUSED = [
    ({"Content-Length": "5"}, "Content-Length"),
    ({"content-length": "0"}, "content-length"),
    ({"Transfer-Encoding": "chunked"}, "Transfer-Encoding"),
    ({"Connection": "close"}, "Connection"),
    ({"Keep-Alive": "timeout=5"}, "Keep-Alive"),
    ({"Upgrade": "websocket"}, "Upgrade"),
    ({"Trailer": "X-Checksum"}, "Trailer"),
    ({"Content-Type": "text/html"}, "media type"),
    ({"X-Note": "one\r\nSet-Cookie: stolen=1"}, "X-Note"),
    ({"X-Note": "nul\x00byte"}, "X-Note"),
    ({"X-Note": "snow \u2603"}, "X-Note"),
    ({"X Note": "space in the name"}, "X Note"),
    ({"X-Note:": "colon in the name"}, "X-Note:"),
    ({"": "no name"}, "''"),
]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


@pytest.fixture(scope="module")
def live(api):
    stack = build_stack(ServeOptions(api[0], api[1], log_format=None))
    with served(stack.asgi) as origin:
        yield origin, stack


@pytest.mark.parametrize(("headers", "named"), REFUSED)
def test_an_override_with_a_header_that_breaks_framing_is_refused_with_422(live, headers, named):
    origin, stack = live
    response = httpx.post(origin + "/__mock__/overrides", headers=JSON,
                          json={"operation": "listWidgets", "headers": headers})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert named in response.json()["detail"]
    assert response.headers["x-mock-error"].isascii()
    assert stack.live.current.state.overrides == []
    answer = httpx.get(origin + "/widgets")  # the mock still answers, framed as it should be
    assert answer.status_code == 200 and answer.json() == [{"id": 1, "name": "sprocket"}]


@pytest.mark.parametrize(("headers", "named"), REFUSED[:3])
def test_mock_api_override_refuses_them_too(api, headers, named):
    app = create_app(*api)
    with pytest.raises(OverrideError, match=named):
        app.state.add_override("listWidgets", headers=headers)
    assert app.state.overrides == []


def test_valid_override_headers_still_reach_the_client(live):
    origin, _ = live
    created = httpx.post(origin + "/__mock__/overrides", headers=JSON,
                         json={"operation": "listWidgets", "headers": {"X-Total": "7", "X-Extra": "a\tb"},
                               "times": 1})
    assert created.status_code == 201
    answer = httpx.get(origin + "/widgets")
    assert (answer.headers["x-total"], answer.headers["x-extra"]) == ("7", "a\tb")


FRAMING_SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Files, version: "1"}
    paths:
      /files/{id}:
        get:
          operationId: getFile
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: a file
              headers:
                Content-Length: {schema: {type: integer}}
                Transfer-Encoding: {schema: {type: string}}
                X-Note: {schema: {type: string}}
              content:
                application/json:
                  schema: {type: object}
    """)


@pytest.mark.parametrize(("header", "value", "says"), [
    ("Content-Length", "12", "frames the message"),
    ("Transfer-Encoding", "chunked", "frames the message"),
    ("X-Note", "one\\r\\nSet-Cookie: stolen=1", "line break"),
])
def test_a_fixture_header_that_breaks_framing_is_a_load_problem_naming_file_and_pointer(
        tmp_path, header, value, says):
    (tmp_path / "api.yaml").write_text(FRAMING_SPEC)
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "files.yaml").write_text(textwrap.dedent(f"""\
        responses:
          - name: big
            operation: getFile
            response: {{status: 200, headers: {{{header}: "{value}"}}, body: {{}}}}
        """))
    with pytest.raises(LoadError) as raised:
        create_app(tmp_path / "api.yaml", fixtures)
    [problem] = raised.value.problems
    assert problem.file.endswith("files.yaml")
    assert problem.pointer == f"/responses/0/response/headers/{header}"
    assert says in problem.message
