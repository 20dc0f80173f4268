"""Sessions namespace overrides, scenario switches, the journal and records, through the admin API, with the
in-process state (the default). The same behaviour on Redis is tested in test_state_redis.py."""

from __future__ import annotations

import pytest
from dx_helpers import write_api
from starlette.testclient import TestClient

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

LOCAL = "http://127.0.0.1:4010"
JSON = {"Content-Type": "application/json"}
EMPTY_LIST: list[object] = []
KEY = {"api_key": "k"}
ONE = [{"id": 9, "name": "nine"}]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


@pytest.fixture
def client(api):
    stack = build_stack(ServeOptions(api[0], api[1], log_format=None))
    return TestClient(stack.asgi, base_url=LOCAL)


def _in(session: str | None) -> dict[str, str]:
    return {"X-Mock-Session": session} if session else {}


def _widgets(client, session: str | None = None):
    return client.get("/widgets", headers=_in(session)).json()


def test_an_override_of_a_session_answers_that_session_only(client):
    added = client.post("/__mock__/overrides", headers=JSON,
                        json={"operation": "listWidgets", "body": EMPTY_LIST, "session": "a"})
    assert added.status_code == 201
    assert added.json() == [{"operation": "GET /widgets", "status": 200, "body": [], "headers": {},
                             "times": None, "used": 0, "session": "a"}]
    assert _widgets(client, "a") == []
    assert _widgets(client, "b") != []
    assert _widgets(client) != []


def test_an_override_without_a_session_answers_every_session_after_its_own(client):
    client.post("/__mock__/overrides", headers=JSON, json={"operation": "listWidgets", "body": ONE})
    client.post("/__mock__/overrides", headers=JSON,
                json={"operation": "listWidgets", "body": EMPTY_LIST, "session": "a"})
    assert _widgets(client) == ONE
    assert _widgets(client, "b") == ONE
    assert _widgets(client, "a") == []
    listed = client.get("/__mock__/overrides", params={"session": "a"}).json()
    assert [override["session"] for override in listed] == ["a"]
    assert len(client.get("/__mock__/overrides").json()) == 2


def test_a_counted_override_of_a_session_is_used_by_that_session(client):
    client.post("/__mock__/overrides", headers=JSON,
                json={"operation": "listWidgets", "body": EMPTY_LIST, "times": 1, "session": "a"})
    assert _widgets(client, "b") != []
    assert _widgets(client, "a") == []
    assert _widgets(client, "a") != []


def test_a_scenario_switched_for_a_session_serves_that_session(client):
    switched = client.put("/__mock__/scenario", headers=JSON, json={"scenario": "empty", "session": "a"})
    assert switched.json()["scenario"] == "empty" and switched.json()["session"] == "a"
    assert _widgets(client, "a") == []
    assert _widgets(client, "b") != []
    assert client.get("/__mock__/scenario").json()["scenario"] == "default"
    assert client.get("/__mock__/scenario", params={"session": "a"}).json()["scenario"] == "empty"


def test_the_deployment_scenario_serves_sessions_that_did_not_switch(client):
    client.put("/__mock__/scenario", headers=JSON, json={"scenario": "empty"})
    client.put("/__mock__/scenario", headers=JSON, json={"scenario": "default", "session": "a"})
    assert _widgets(client, "b") == []
    assert _widgets(client, "a") != []
    client.put("/__mock__/scenario", headers=JSON, json={"scenario": None, "session": "a"})
    assert _widgets(client, "a") == []


def test_the_journal_is_read_and_cleared_by_session(client):
    client.get("/widgets/1", headers=_in("a"))
    client.get("/widgets/2", headers=_in("b"))
    client.get("/widgets/3")
    journal = client.get("/__mock__/requests").json()
    assert [(entry["path"], entry["session"]) for entry in journal["requests"]] == [
        ("/widgets/3", "default"), ("/widgets/2", "b"), ("/widgets/1", "a")]
    only_a = client.get("/__mock__/requests", params={"session": "a"}).json()
    assert only_a["total"] == 1 and only_a["requests"][0]["path"] == "/widgets/1"
    assert client.delete("/__mock__/requests", params={"session": "a"}, headers=JSON).status_code == 204
    assert [entry["session"] for entry in client.get("/__mock__/requests").json()["requests"]] == [
        "default", "b"]


def test_reset_of_a_session_forgets_everything_of_that_session_only(client):
    for session in ("a", "b"):
        client.post("/__mock__/overrides", headers=JSON,
                    json={"operation": "getSecure", "body": {"by": session}, "session": session})
        client.put("/__mock__/scenario", headers=JSON, json={"scenario": "empty", "session": session})
        client.post("/widgets", headers={**_in(session), **JSON}, json={"id": 77, "name": session})
    assert client.post("/__mock__/reset", headers=JSON, json={"session": "a"}).json() == {
        "reset": True, "session": "a"}
    assert client.get("/__mock__/requests", params={"session": "a"}).json()["total"] == 0
    assert client.get("/__mock__/requests", params={"session": "b"}).json()["total"] == 1
    assert client.get("/secure", params=KEY, headers=_in("a")).json() != {"by": "a"}
    assert _widgets(client, "a") != []
    assert client.get("/widgets/77", headers=_in("a")).json()["name"] != "a"
    assert client.get("/secure", params=KEY, headers=_in("b")).json() == {"by": "b"}
    assert client.get("/widgets/77", headers=_in("b")).json() == {"id": 77, "name": "b"}


def test_a_session_name_is_checked(client):
    refused = client.get("/__mock__/requests", params={"session": "x" * 201})
    assert refused.status_code == 400 and "session" in refused.json()["detail"]
    too_long = client.post("/__mock__/overrides", headers=JSON,
                           json={"operation": "listWidgets", "session": "x" * 201})
    assert too_long.status_code == 400


def test_the_client_endpoint_tells_what_a_client_sends_by_default(client):
    found = client.get("/__mock__/client").json()
    assert found["base_path"] == ""
    assert set(found["params"]) == {"api_key"} and found["headers"] == {}
    assert "empty" in found["scenarios"]


def test_health_names_the_state_and_the_page_filters_by_session(client):
    assert client.get("/__mock__/health").json()["state"] == {"backend": "memory", "available": True}
    page = client.get("/__mock__/").text
    assert 'id="session"' in page and "session=" in page
