"""CORS: preflights with the methods of the matched path, credentials, exposed headers, restrictions."""

from __future__ import annotations

import pytest
from dx_helpers import write_api
from starlette.testclient import TestClient

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


def _client(api, **options) -> TestClient:
    return TestClient(build_stack(ServeOptions(api[0], api[1], log_format=None, **options)).asgi)


@pytest.fixture(scope="module")
def client(api):
    return _client(api)


def _preflight(client: TestClient, path: str, method: str = "GET", headers: str | None = None,
               origin: str = ORIGIN):
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        sent["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=sent)


def test_a_preflight_is_answered_with_the_methods_of_the_matched_path(client):
    response = _preflight(client, "/widgets/7", "DELETE", "authorization, x-business-id, content-type")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "DELETE, GET, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "authorization, x-business-id, content-type"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "Origin" in response.headers["vary"]


def test_each_path_gets_its_own_methods(client):
    response = _preflight(client, "/widgets", "POST")
    assert response.headers["access-control-allow-methods"] == "GET, OPTIONS, POST"


def test_a_path_outside_the_spec_lets_the_request_through_to_its_404(client):
    response = _preflight(client, "/nowhere", "PATCH")
    assert response.status_code == 204
    assert response.headers["access-control-allow-methods"] == "PATCH"
    actual = client.patch("/nowhere", headers={"Origin": ORIGIN})
    assert actual.status_code == 404
    assert actual.headers["access-control-allow-origin"] == ORIGIN


def test_an_answer_allows_the_origin_and_exposes_the_mocks_headers(client):
    response = client.get("/widgets", headers={"Origin": ORIGIN, "Prefer": "fault=500!"})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = response.headers["access-control-expose-headers"].split(", ")
    assert {"x-mock-source", "x-mock-error"} <= set(exposed)
    assert "content-type" not in exposed  # safelisted already


def test_documented_response_headers_are_exposed_too(api):
    fixtures = {"widgets.yaml": "responses:\n  - name: counted\n    operation: listWidgets\n"
                                "    response: {status: 200, headers: {X-Total: 1}, body: []}\n"}
    client = _client(write_api(api[0].parent / "counted", fixtures))
    response = client.get("/widgets", headers={"Origin": ORIGIN})
    assert "x-total" in response.headers["access-control-expose-headers"]


def test_an_answer_sent_again_carries_each_requests_own_cors_headers_once(client):
    origins = [ORIGIN, ORIGIN, "http://localhost:3000", ORIGIN]
    answers = [client.get("/widgets", headers={"Origin": origin}) for origin in origins]
    assert [answer.headers.get_list("access-control-allow-origin") for answer in answers] == \
        [[origin] for origin in origins]
    assert len({answer.content for answer in answers}) == 1
    plain = client.get("/widgets")
    assert "access-control-allow-origin" not in plain.headers
    assert plain.headers.get_list("x-mock-source") == answers[0].headers.get_list("x-mock-source")


def test_requests_without_an_origin_get_no_cors_headers(client):
    assert "access-control-allow-origin" not in client.get("/widgets").headers


def test_the_admin_api_answers_preflights_of_the_origins_cors_origin_lists(client, api):
    assert _preflight(client, "/__mock__/scenario", "PUT", "content-type").status_code == 403
    listed = _client(api, cors_origins=(ORIGIN,))
    response = _preflight(listed, "/__mock__/scenario", "PUT", "content-type")
    assert response.status_code == 204
    assert "PUT" in response.headers["access-control-allow-methods"]


def test_cors_origin_restricts_the_allowed_origins(api):
    client = _client(api, cors_origins=("http://app.test",))
    assert _preflight(client, "/widgets", origin="http://app.test").status_code == 204
    refused = _preflight(client, "/widgets", origin="http://evil.test")
    assert refused.status_code == 403
    assert "--cors-origin" in refused.headers["x-mock-error"]
    answer = client.get("/widgets", headers={"Origin": "http://evil.test"})
    assert answer.status_code == 200
    assert "access-control-allow-origin" not in answer.headers


def test_no_cors_turns_it_off(api):
    client = _client(api, cors=False)
    response = _preflight(client, "/widgets")
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code == 405  # the spec has no OPTIONS operation: the mock's own answer
