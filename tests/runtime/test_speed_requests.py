"""What the request path remembers to go fast (verdicts on values, documented answers, dataset pages, the
journal's raw headers) never changes an answer: each request is answered as if it were the first."""

from __future__ import annotations

import pytest
from helpers import BUSINESS_B, FIXTURES_DIR, OPENAPI_DIR, TOKEN, auth_headers
from starlette.testclient import TestClient

from mockserver import create_app

LIST = "/api/v1/credit-memos"


@pytest.fixture
def app():
    return create_app(OPENAPI_DIR, FIXTURES_DIR)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


def _with_request_id(headers: dict[str, str], number: int) -> dict[str, str]:
    return {**headers, "X-Request-Id": f"request-{number}"}


def test_a_value_found_invalid_stays_invalid_and_a_valid_one_valid(client):
    answers = [client.get(LIST, params={"limit": limit}, headers=_with_request_id(auth_headers(), number))
               for number, limit in enumerate(["abc", "abc", "5", "xyz", "5"])]
    assert [answer.status_code for answer in answers] == [422, 422, 200, 422, 200]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["detail"][0]["input"] == "abc"
    assert answers[3].json()["detail"][0]["input"] == "xyz"
    assert len(answers[2].json()["items"]) == len(answers[4].json()["items"]) == 5


def test_a_token_accepted_once_does_not_let_a_malformed_one_through(client):
    good = auth_headers()
    malformed = {**good, "Authorization": "Bearer"}
    statuses = [client.get(LIST, headers=_with_request_id(headers, number)).status_code
                for number, headers in enumerate([good, malformed, good, malformed])]
    assert statuses == [200, 401, 200, 401]


def test_a_tenant_known_once_stays_apart_from_the_others(client):
    first = client.get(LIST, headers=_with_request_id(auth_headers(), 1)).json()
    other = client.get(LIST, headers=_with_request_id(auth_headers(BUSINESS_B), 2)).json()
    again = client.get(LIST, headers=_with_request_id(auth_headers(), 3)).json()
    assert first == again
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in other["items"])


def test_headers_added_to_one_documented_answer_stay_out_of_the_next(client, app):
    app.state.add_override("GET /api/v1/credit-memos", status=403, times=1)
    app.state.add_override("GET /api/v1/credit-memos", status=403, headers={"X-Once": "yes"}, times=1)
    first, second = (client.get(LIST, headers=_with_request_id(auth_headers(), number)) for number in (1, 2))
    assert (first.status_code, first.headers.get("x-once")) == (403, "yes")  # the newest override first
    assert second.status_code == 403
    assert "x-once" not in second.headers
    assert second.json() == first.json()


def test_the_journal_keeps_every_header_of_every_request(client, app):
    for number in range(3):
        client.get(LIST, headers=_with_request_id(auth_headers(), number))
    entries = app.state.calls()
    assert [entry.headers["x-request-id"] for entry in entries] == ["request-0", "request-1", "request-2"]
    assert entries[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert entries[0].as_dict()["headers"]["x-request-id"] == "request-0"
