"""The admin API and page: health, operations, journal, reset, scenario switch, overrides.

Clients here reach the mock as a local tool does (http://127.0.0.1, JSON bodies); who else may use the
admin API is tested in test_security_admin.py.
"""

from __future__ import annotations

import textwrap

import pytest
from dx_helpers import write_api
from starlette.testclient import TestClient

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

LOCAL = "http://127.0.0.1:4010"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


def _stack(api, **options):
    return build_stack(ServeOptions(api[0], api[1], log_format=None, **options))


def _client(stack) -> TestClient:
    return TestClient(stack.asgi, base_url=LOCAL)


@pytest.fixture
def client(api):
    return _client(_stack(api))


def test_health_says_ok(client):
    health = client.get("/__mock__/health").json()
    assert health["status"] == "ok"
    assert health["operations"] == 5
    assert health["scenario"] == "default"


def test_operations_lists_the_loaded_operations(client):
    operations = client.get("/__mock__/operations").json()
    assert {(op["method"], op["path"], op["operation_id"]) for op in operations} >= {
        ("GET", "/widgets", "listWidgets"), ("DELETE", "/widgets/{id}", "deleteWidget")}
    assert next(op for op in operations if op["operation_id"] == "getWidget")["responses"] == ["200", "404"]


def test_the_journal_lists_requests_newest_first_with_tokens_masked(client):
    client.get("/widgets/1", headers={"Authorization": "Bearer s3cret-token"})
    client.get("/secure", params={"api_key": "k3y"})
    journal = client.get("/__mock__/requests").json()
    assert journal["total"] == 2
    newest, oldest = journal["requests"]
    assert (newest["path"], newest["query"]) == ("/secure", "api_key=***")
    assert newest["operation_id"] == "getSecure"
    assert (oldest["path"], oldest["status"], oldest["source"]) == ("/widgets/1", 200, "example:default")
    assert oldest["headers"]["authorization"] == "Bearer ***"
    assert "s3cret" not in client.get("/__mock__/requests").text
    assert not any(entry["path"].startswith("/__mock__") for entry in journal["requests"])


def test_the_journal_is_bounded_and_can_be_limited_and_filtered(api):
    client = _client(_stack(api, journal_size=3))
    for widget in range(1, 6):
        client.get(f"/widgets/{widget}")
    client.get("/widgets")
    journal = client.get("/__mock__/requests").json()
    assert journal["capacity"] == 3
    assert [entry["path"] for entry in journal["requests"]] == ["/widgets", "/widgets/5", "/widgets/4"]
    assert len(client.get("/__mock__/requests", params={"limit": 1}).json()["requests"]) == 1
    only = client.get("/__mock__/requests", params={"operation": "getWidget"}).json()["requests"]
    assert [entry["path"] for entry in only] == ["/widgets/5", "/widgets/4"]
    assert client.get("/__mock__/requests", params={"operation": "nope"}).status_code == 400
    assert client.delete("/__mock__/requests", headers=JSON).status_code == 204
    assert client.get("/__mock__/requests").json()["total"] == 0


def test_the_scenario_switch_serves_the_chosen_scenario(client):
    assert client.get("/__mock__/scenario").json() == {"scenario": "default", "default": "default",
                                                       "choices": ["default", "empty"]}
    assert client.put("/__mock__/scenario", json={"scenario": "empty"}).json()["scenario"] == "empty"
    assert client.get("/widgets").json() == []
    client.put("/__mock__/scenario", json={"scenario": None})
    assert client.get("/widgets").json() == [{"id": 1, "name": "sprocket"}]


def test_an_unknown_scenario_is_refused_naming_the_valid_ones(client):
    response = client.put("/__mock__/scenario", json={"scenario": "chaos"})
    assert response.status_code == 400
    assert response.json()["choices"] == ["default", "empty"]
    assert "chaos" in response.headers["x-mock-error"]


def test_overrides_answer_the_next_calls(client):
    created = client.post("/__mock__/overrides", json={"operation": "getWidget", "status": 404, "times": 1})
    assert created.status_code == 201
    assert created.json()[0]["operation"] == "GET /widgets/{id}"
    assert client.get("/widgets/1").json() == {"detail": "not found"}
    assert client.get("/widgets/1").status_code == 200
    client.post("/__mock__/overrides", json={"operation": "listWidgets", "body": [{"id": 9, "name": "nine"}]})
    assert client.get("/widgets").json() == [{"id": 9, "name": "nine"}]
    assert client.delete("/__mock__/overrides", headers=JSON).status_code == 204
    assert client.get("/widgets").json() == [{"id": 1, "name": "sprocket"}]


@pytest.mark.parametrize(("payload", "says"), [
    ({"operation": "getWidget", "status": 500}, "documents no response 500"),
    ({"operation": "listWidgets", "body": [{"id": "x"}]}, "violates the spec"),
    ({"operation": "nope"}, "unknown operation"),
    ({"status": 200}, "operation"),
    ({"operation": "getWidget", "colour": "red"}, "colour"),
])
def test_bad_overrides_are_refused_with_the_reason(client, payload, says):
    response = client.post("/__mock__/overrides", json=payload)
    assert response.status_code == 400
    assert says in response.json()["detail"]


def test_reset_forgets_overrides_journal_and_scenario(client):
    client.put("/__mock__/scenario", json={"scenario": "empty"})
    client.post("/__mock__/overrides", json={"operation": "getWidget", "status": 404})
    client.get("/widgets/1")
    assert client.post("/__mock__/reset", headers=JSON).json() == {"reset": True, "scenario": "default"}
    assert client.get("/__mock__/requests").json()["total"] == 0
    assert client.get("/widgets/1").status_code == 200


def test_the_admin_page_is_served(client):
    page = client.get("/__mock__/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Widgets - mockserver</title>" in page.text
    assert 'data-prefix="/__mock__"' in page.text
    assert client.get("/__mock__", follow_redirects=False).headers["location"] == "/__mock__/"


def test_an_unknown_admin_path_lists_the_endpoints(client):
    response = client.get("/__mock__/nope")
    assert response.status_code == 404
    assert "GET /__mock__/health" in response.json()["choices"]


def test_the_prefix_is_configurable_and_the_admin_can_be_turned_off(api):
    moved = _client(_stack(api, admin_prefix="/_admin"))
    assert moved.get("/_admin/health").status_code == 200
    assert moved.get("/__mock__/health").status_code == 404
    off = _client(_stack(api, admin=False))
    assert off.get("/__mock__/health").json() == {"detail": "Not Found"}  # the mock's routing 404


def test_the_admin_never_shadows_a_spec_path(tmp_path):
    spec = textwrap.dedent("""\
        openapi: 3.1.0
        info: {title: Clash, version: "1"}
        paths:
          /__mock__/health:
            get:
              responses:
                "200":
                  description: the API's own health
                  content:
                    application/json: {example: {mine: true}, schema: {type: object}}
        """)
    (tmp_path / "api.yaml").write_text(spec)
    stack = build_stack(ServeOptions(tmp_path / "api.yaml", None, log_format=None))
    client = _client(stack)
    assert client.get("/__mock__/health").json() == {"mine": True}
    assert client.get("/__mock__/operations").status_code == 200
    assert stack.admin is not None and stack.admin.shadowed(stack.live.current) == ["/__mock__/health"]
