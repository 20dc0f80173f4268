"""Choosing the answer from the client: named responses, `Prefer`, scenarios, and the X-Mock-Source header."""

from __future__ import annotations

import pytest
from helpers import BUSINESS_A, FIXTURES_DIR, OPENAPI_DIR, auth_headers
from starlette.testclient import TestClient

from mockserver import create_app

LIST = "/api/v1/credit-memos"
CUSTOMER = "/api/v1/credit-memos/customers/{id}/credits"
VENDOR = "/api/v1/vendor-credits/vendors/{id}/credits"
ACME = "7dde32e5-919f-598b-940d-aaac29945b05"  # a customer of business A with credits
PAPERLINE = "9aa35cab-3092-565e-8327-6c73b85755a0"


def _get(client, path, scenario=None, prefer=None, **params):
    headers = auth_headers()
    if scenario is not None:
        headers["X-Mock-Scenario"] = scenario
    if prefer is not None:
        headers["Prefer"] = prefer
    return client.get(path, params=params, headers=headers)


def test_prefer_example_names_a_fixture(client):
    response = _get(client, LIST, prefer="example=no-credit-memos")
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.headers["x-mock-source"] == "fixture:no-credit-memos"


def test_prism_example_query_parameter_names_a_fixture(client):
    response = client.get(LIST, params={"__example": "signed-out"}, headers=auth_headers())
    assert response.status_code == 401
    assert response.headers["x-mock-source"] == "fixture:signed-out"


def test_prefer_example_that_does_not_exist_gets_the_mocks_own_4xx_with_choices(client):
    response = _get(client, LIST, prefer="example=nope")
    assert 400 <= response.status_code < 500
    assert response.headers["x-mock-error"]
    assert {"no-credit-memos", "signed-out", "invalid-cursor"} <= set(response.json()["choices"])


def test_prefer_example_and_a_different_code_disagree(client):
    response = _get(client, LIST, prefer="example=no-credit-memos, code=401")
    assert response.status_code == 400
    assert response.headers["x-mock-error"]
    assert response.json()["choices"] == ["signed-out"]


def test_prefer_code_without_a_matching_fixture_uses_the_spec(client):
    response = _get(client, CUSTOMER.format(id=ACME), prefer="code=404")
    assert response.status_code == 404
    assert response.json() == {"detail": "Resource not found"}
    assert response.headers["x-mock-source"].startswith("example")


def test_prefer_code_of_the_success_status_keeps_the_dataset(client):
    response = _get(client, LIST, prefer="code=200")
    assert response.headers["x-mock-source"] == "dataset"


def test_prefer_dynamic_steps_past_fixtures_and_datasets(client):
    response = _get(client, LIST, prefer="dynamic=true")
    assert response.status_code == 200
    assert response.headers["x-mock-source"] == "generated"


def test_empty_scenario_has_no_credits_but_the_same_businesses_and_customers(client):
    page = _get(client, LIST, scenario="empty").json()
    assert page["items"] == [] and page["total"] == 0 and not page["has_next"]
    summary = _get(client, CUSTOMER.format(id=ACME), scenario="empty").json()
    assert summary["credit_memos_count"] == 0 and summary["total_credits_available"] == 0
    assert summary["customer_name"] == "Acme Robotics"
    assert _get(client, CUSTOMER.format(id="unknown"), scenario="empty").status_code == 404
    other = client.get(LIST, headers={**auth_headers("0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"),
                                      "X-Mock-Scenario": "empty"})
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("scenario", "path", "status"),
    [
        ("errors", LIST, 403),
        ("errors", CUSTOMER.format(id=ACME), 404),
        ("errors", VENDOR.format(id=PAPERLINE), 404),
        ("signed-out", LIST, 401),
        ("signed-out", CUSTOMER.format(id=ACME), 401),
    ],
)
def test_error_scenarios_answer_documented_errors(client, scenario, path, status):
    response = _get(client, path, scenario=scenario)
    assert response.status_code == status
    assert response.headers["x-mock-source"].startswith("fixture:")
    assert "x-mock-error" not in response.headers


def test_paging_errors_scenario_fails_only_later_pages(client):
    first = _get(client, LIST, scenario="paging-errors", limit=5)
    assert first.status_code == 200
    later = _get(client, LIST, scenario="paging-errors", limit=5, cursor=first.json()["next_cursor"])
    assert later.status_code == 422
    assert later.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_slow_scenario_delays_dataset_answers(bundled_app):
    from starlette.datastructures import Headers

    headers = Headers({**auth_headers(), "x-mock-scenario": "slow"})
    _, answer = bundled_app.handle("GET", LIST, [], headers, b"")
    assert answer.status == 200 and answer.delay_ms == 3000
    _, normal = bundled_app.handle("GET", LIST, [], Headers(auth_headers()), b"")
    assert normal.delay_ms == 0


def test_an_unknown_scenario_gets_400_naming_the_scenarios(client):
    response = _get(client, LIST, scenario="nope")
    assert response.status_code == 400
    assert response.headers["x-mock-error"]
    assert set(response.json()["choices"]) >= {"default", "empty", "errors", "slow", "signed-out"}


def test_the_default_scenario_is_the_base_set(client):
    assert _get(client, LIST, scenario="default").headers["x-mock-source"] == "dataset"


def test_a_scenario_can_be_the_default_and_a_request_can_leave_it():
    app = create_app(OPENAPI_DIR, FIXTURES_DIR, scenario="empty")
    client = TestClient(app)
    assert client.get(LIST, headers=auth_headers()).json()["total"] == 0
    back = client.get(LIST, headers={**auth_headers(), "X-Mock-Scenario": "default"}).json()
    assert back["total"] > 0


def test_without_preferences_the_dataset_answers_and_business_a_is_served(client):
    response = _get(client, LIST, limit=1)
    assert response.json()["items"][0]["business_id"] == BUSINESS_A
