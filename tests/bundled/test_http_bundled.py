"""The bundled DayZero API over HTTP: 200 bodies, auth answers, FastAPI validation errors, 404/405."""

from __future__ import annotations

import pytest
from helpers import BUSINESS_A, auth_headers

LIST = "/api/v1/credit-memos"
CUSTOMER = "/api/v1/credit-memos/customers/{customer_id}/credits"
VENDOR = "/api/v1/vendor-credits/vendors/{vendor_id}/credits"

STATUS_CHOICES = "'draft', 'issued', 'partially_applied', 'fully_applied' or 'void'"


def _schema_valid(app, method: str, template: str, status: str, body) -> bool:
    operation = next(op for op in app.spec.operations if op.path == template and op.method == method)
    media = operation.responses[status].content["application/json"]
    return app.spec.validator(media.schema_pointer).is_valid(body)


def test_list_answers_200_with_a_schema_valid_body(client, bundled_app):
    response = client.get(LIST, headers=auth_headers())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert _schema_valid(bundled_app, "GET", LIST, "200", response.json())
    assert response.headers["x-mock-source"]


@pytest.mark.parametrize("template", [CUSTOMER, VENDOR])
def test_summaries_answer_a_documented_status_with_a_schema_valid_body(client, bundled_app, template):
    response = client.get(template.format(customer_id="c-1", vendor_id="v-1"), headers=auth_headers())
    assert response.status_code in (200, 404)
    assert _schema_valid(bundled_app, "GET", template, str(response.status_code), response.json())


@pytest.mark.parametrize("path", [LIST, CUSTOMER.format(customer_id="c1"), VENDOR.format(vendor_id="v1")])
@pytest.mark.parametrize(
    "headers",
    [
        {"x-business-id": BUSINESS_A},
        {"Authorization": "Token abc", "x-business-id": BUSINESS_A},
        {"Authorization": "Bearer", "x-business-id": BUSINESS_A},
        {"Authorization": "Bearer   ", "x-business-id": BUSINESS_A},
    ],
    ids=["no-token", "wrong-scheme", "scheme-only", "blank-token"],
)
def test_missing_or_malformed_token_gets_401(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", [LIST, CUSTOMER.format(customer_id="c1"), VENDOR.format(vendor_id="v1")])
@pytest.mark.parametrize("business", [None, "", "not-a-uuid", "1234"])
def test_missing_or_malformed_business_id_gets_403(client, path, business):
    headers = {"Authorization": "Bearer dz_token"}
    if business is not None:
        headers["x-business-id"] = business
    response = client.get(path, headers=headers)
    assert response.status_code == 403
    assert response.json() == {"detail": "Not enough permissions"}


def test_auth_is_checked_before_parameters(client):
    response = client.get(LIST, params={"limit": "abc"})
    assert response.status_code == 401


def test_invalid_parameters_get_fastapi_422_with_every_error(client):
    params = {"status": "bogus", "has_remaining_balance": "maybe", "limit": "abc"}
    response = client.get(LIST, params=params, headers=auth_headers())
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "enum",
                "loc": ["query", "status"],
                "msg": f"Input should be {STATUS_CHOICES}",
                "input": "bogus",
                "ctx": {"expected": STATUS_CHOICES},
            },
            {
                "type": "bool_parsing",
                "loc": ["query", "has_remaining_balance"],
                "msg": "Input should be a valid boolean, unable to interpret input",
                "input": "maybe",
            },
            {
                "type": "int_parsing",
                "loc": ["query", "limit"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc",
            },
        ]
    }


@pytest.mark.parametrize("value", ["true", "1", "yes", "on", "FALSE", "0", "no", "off"])
def test_booleans_are_coerced_like_fastapi(client, value):
    response = client.get(LIST, params={"has_remaining_balance": value}, headers=auth_headers())
    assert response.status_code == 200


def test_unknown_path_gets_fastapi_404(client):
    response = client.get("/api/v1/nothing-here", headers=auth_headers())
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_wrong_method_gets_fastapi_405_with_allow(client):
    response = client.post(LIST, headers=auth_headers())
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response.headers["allow"] == "GET"
