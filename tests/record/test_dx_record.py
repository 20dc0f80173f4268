"""`mockserver record`: proxy to a real server, save its answers as fixtures, report contract breaks."""

from __future__ import annotations

import io

import httpx
import pytest
import yaml
from dx_helpers import write_api
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from mockserver import create_app, load_spec
from mockserver.cli import build_parser
from mockserver.record.proxy import BROKEN_SUFFIX, Recorder

SECRET = "s3cret-token-value"


async def _widgets(request):
    return JSONResponse([{"id": 1, "name": "real"}], headers={"X-Total": "1", "Set-Cookie": f"sid={SECRET}"})


async def _widget(request):
    widget_id = int(request.path_params["id"])
    if widget_id == 13:  # the real server breaks the spec here: a string id, an undocumented field is fine
        return JSONResponse({"id": "thirteen", "name": "unlucky"})
    if widget_id == 99:
        return JSONResponse({"detail": "boom"}, status_code=500)
    return JSONResponse({"id": widget_id, "name": "real", "session_token": SECRET,
                         "echo": request.headers.get("authorization")})


REAL_SERVER = Starlette(routes=[Route("/widgets", _widgets), Route("/widgets/{id}", _widget),
                                Route("/elsewhere", _widgets)])


@pytest.fixture
def api(tmp_path):
    return write_api(tmp_path, fixtures={})


@pytest.fixture
def report():
    return io.StringIO()


@pytest.fixture
def recorder(api, tmp_path, report):
    return Recorder(load_spec(api[0]), "http://real.test", api[1] / "recorded",
                    transport=httpx.ASGITransport(REAL_SERVER), report=report)


@pytest.fixture
def client(recorder):
    return TestClient(recorder)


def _saved(recorder, name: str) -> list[dict]:
    return yaml.safe_load((recorder.out_dir / name).read_text())["responses"]


def test_the_real_response_is_answered_and_saved_as_a_named_fixture(client, recorder, report):
    response = client.get("/widgets", params={"limit": 5}, headers={"x-shop": "north"})
    assert response.status_code == 200
    assert response.json() == [{"id": 1, "name": "real"}]
    assert response.headers["x-total"] == "1"
    [entry] = _saved(recorder, "listWidgets.yaml")
    assert entry == {
        "name": "recorded-200-1", "operation": "listWidgets",
        "match": {"query": {"limit": "5"}, "headers": {"x-shop": "north"}},
        "response": {"status": 200, "headers": {"X-Total": 1}, "body": [{"id": 1, "name": "real"}]},
    }
    assert "recorded  GET /widgets?limit=5 -> 200 as recorded-200-1" in report.getvalue()


def test_credentials_and_tokens_are_scrubbed(client, recorder):
    client.get("/widgets/4", headers={"Authorization": f"Bearer {SECRET}"})
    client.get("/widgets")
    text = "".join(path.read_text() for path in recorder.out_dir.iterdir())
    assert SECRET not in text
    [entry] = _saved(recorder, "getWidget.yaml")
    assert entry["response"]["body"] == {"id": 4, "name": "real", "session_token": "***", "echo": "***"}
    assert "Set-Cookie" not in text and "authorization" not in text.lower().replace("echo", "")


def test_the_same_request_replaces_its_fixture_and_others_are_added(client, recorder):
    client.get("/widgets/4")
    client.get("/widgets/4")
    client.get("/widgets/5")
    assert [(e["name"], e["match"]) for e in _saved(recorder, "getWidget.yaml")] == [
        ("recorded-200-1", {"path": {"id": "4"}}), ("recorded-200-2", {"path": {"id": "5"}})]


def test_recorded_fixtures_load_and_replay_in_the_mock(client, recorder, api):
    client.get("/widgets/4")
    client.get("/widgets", params={"limit": 2})
    mock = TestClient(create_app(*api))
    assert mock.get("/widgets/4").json()["name"] == "real"
    assert mock.get("/widgets/4").headers["x-mock-source"] == "fixture:recorded-200-1"
    assert mock.get("/widgets", params={"limit": 2}).json() == [{"id": 1, "name": "real"}]


def test_a_contract_break_is_reported_and_saved_marked_apart(client, recorder, report, api):
    assert client.get("/widgets/13").json()["id"] == "thirteen"  # the client still gets the real answer
    assert client.get("/widgets/99").status_code == 500
    printed = report.getvalue()
    assert "CONTRACT BREAK  GET /widgets/13 -> 200" in printed
    assert "body/id: " in printed
    assert "status 500 is not documented (documented: 200, 404)" in printed
    broken = (recorder.out_dir / f"getWidget{BROKEN_SUFFIX}").read_text()
    assert broken.count("# CONTRACT BREAK:") == 2
    assert [e["name"] for e in yaml.safe_load(broken)["responses"]] == ["broken-200-1", "broken-500-2"]
    assert not (recorder.out_dir / "getWidget.yaml").exists()
    create_app(*api)  # the broken fixtures do not stop the mock from loading


def test_a_path_outside_the_spec_is_proxied_but_not_recorded(client, recorder, report):
    assert client.get("/elsewhere").status_code == 200
    assert "not recorded  GET /elsewhere -> 200: no operation of the spec matches" in report.getvalue()
    assert not recorder.out_dir.exists()


def test_an_unreachable_server_gets_a_502_from_the_mock(api, tmp_path, report):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    recorder = Recorder(load_spec(api[0]), "http://real.test", tmp_path / "out",
                        transport=httpx.MockTransport(refuse), report=report)
    response = TestClient(recorder).get("/widgets")
    assert response.status_code == 502
    assert "cannot reach http://real.test" in response.headers["x-mock-error"]


def test_the_record_command_needs_a_base_url(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["record"])
    assert "--base-url" in capsys.readouterr().err
    args = build_parser().parse_args(["record", "--base-url", "https://api.example.com", "--out", "rec"])
    assert (args.base_url, args.out, args.port) == ("https://api.example.com", "rec", 4010)
