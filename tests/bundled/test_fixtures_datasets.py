"""The bundled dataset over HTTP: paging, filters, summaries, tenant scoping, against a direct computation.

The oracle reads the committed YAML and computes what each request should list; the mock must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import BUSINESS_A, BUSINESS_B, FIXTURES_DIR, auth_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

LIST = "/api/v1/credit-memos"
CUSTOMER = "/api/v1/credit-memos/customers/{id}/credits"
VENDOR = "/api/v1/vendor-credits/vendors/{id}/credits"
UNKNOWN_BUSINESS = "0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"


def _records(file: str, name: str) -> list[dict]:
    return yaml.safe_load(Path(FIXTURES_DIR / "datasets" / file).read_text())["collections"][name]["records"]


MEMOS = _records("credit-memos.yaml", "credit_memos")
CREDITS = _records("vendor-credits.yaml", "vendor_credits")
CUSTOMERS = _records("directory.yaml", "customers")
VENDORS = _records("directory.yaml", "vendors")
STATUSES = ["draft", "issued", "partially_applied", "fully_applied", "void"]


def expected_list(business: str, customer_id=None, status=None, has_remaining_balance=None, search=None):
    """What the list should hold, computed directly from the dataset: newest first."""
    chosen = [m for m in MEMOS if m["business_id"] == business]
    if customer_id is not None:
        chosen = [m for m in chosen if m["customer_id"] == customer_id]
    if status is not None:
        chosen = [m for m in chosen if m["status"] == status]
    if has_remaining_balance:
        chosen = [m for m in chosen if m["amount_remaining"] > 0]
    if search:
        chosen = [m for m in chosen if search.lower() in m["number"].lower()]
    chosen.sort(key=lambda m: (m["issue_date"], m["number"]), reverse=True)
    return [m["id"] for m in chosen]


def walk(client, business: str, limit: int | None, **filters) -> list[dict]:
    """Every page of the list, following next_cursor; checks each page's paging fields."""
    params = {key: value for key, value in filters.items() if value is not None}
    if limit is not None:
        params["limit"] = limit
    pages = []
    cursor = None
    while True:
        response = client.get(LIST, params={**params, **({"cursor": cursor} if cursor else {})},
                              headers=auth_headers(business))
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        assert page["limit"] == (limit or 50)
        assert len(page["items"]) <= page["limit"]
        assert page["has_prev"] == (len(pages) > 1)
        assert page["has_next"] == (page["next_cursor"] is not None)
        if not page["has_next"]:
            return pages
        cursor = page["next_cursor"]


def items_of(pages: list[dict]) -> list[dict]:
    return [item for page in pages for item in page["items"]]


def ids(pages: list[dict]) -> list[str]:
    return [item["id"] for item in items_of(pages)]


@pytest.mark.parametrize("limit", [None, 1, 7, 10, 41, 42, 43, 200])
@pytest.mark.parametrize("business", [BUSINESS_A, BUSINESS_B])
def test_walking_every_page_returns_every_record_once(client, business, limit):
    pages = walk(client, business, limit)
    expected = expected_list(business)
    assert ids(pages) == expected
    assert all(page["total"] == len(expected) for page in pages)


def test_walking_back_with_prev_cursors_returns_the_same_pages(client):
    forward = walk(client, BUSINESS_A, 9)
    page = forward[-1]
    backward = [page]
    while page["has_prev"]:
        params = {"limit": 9, "cursor": page["prev_cursor"]}
        page = client.get(LIST, params=params, headers=auth_headers()).json()
        backward.append(page)
    assert [p["items"] for p in reversed(backward)] == [p["items"] for p in forward]


def _customers(business: str) -> list[str]:
    return [c["id"] for c in CUSTOMERS if c["business_id"] == business]


FILTER_CASES = [
    {"status": status} for status in STATUSES
] + [
    {"has_remaining_balance": "true"},
    {"has_remaining_balance": "false"},
    {"search": "CM-001"},
    {"search": "cm-0004"},
    {"search": "nothing-like-this"},
    {"customer_id": _customers(BUSINESS_A)[0]},
    {"customer_id": _customers(BUSINESS_A)[0], "status": "issued"},
    {"customer_id": _customers(BUSINESS_A)[1], "has_remaining_balance": "true",
     "status": "partially_applied"},
    {"status": "void", "has_remaining_balance": "true", "search": "CM-00"},
    {"customer_id": _customers(BUSINESS_B)[0]},  # business B's customer, asked by business A
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()))
def test_each_filter_and_combination_lists_what_a_direct_computation_lists(client, filters):
    pages = walk(client, BUSINESS_A, 5, **filters)
    oracle_filters = dict(filters)
    if "has_remaining_balance" in oracle_filters:
        oracle_filters["has_remaining_balance"] = filters["has_remaining_balance"] == "true"
    assert ids(pages) == expected_list(BUSINESS_A, **oracle_filters)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    business=st.sampled_from([BUSINESS_A, BUSINESS_B]),
    customer=st.none() | st.sampled_from([c["id"] for c in CUSTOMERS]),
    status=st.none() | st.sampled_from(STATUSES),
    has_remaining_balance=st.none() | st.booleans(),
    search=st.none() | st.sampled_from(["CM-", "0", "00", "CM-001", "1", "cm-0002", "x"]),
    limit=st.integers(min_value=1, max_value=60),
)
def test_property_any_filters_and_limit_page_through_exactly_the_matching_records(
    bundled_app, business, customer, status, has_remaining_balance, search, limit
):
    remaining = None if has_remaining_balance is None else str(has_remaining_balance).lower()
    filters = {"customer_id": customer, "status": status, "search": search,
               "has_remaining_balance": remaining}
    pages = walk(TestClient(bundled_app), business, limit, **filters)
    expected = expected_list(business, customer, status, has_remaining_balance, search)
    assert ids(pages) == expected
    assert all(page["total"] == len(expected) for page in pages)


@pytest.mark.parametrize("limit", ["0", "-5", "100000"])
def test_out_of_range_limits_are_clamped(client, limit):
    page = client.get(LIST, params={"limit": limit}, headers=auth_headers()).json()
    assert 1 <= page["limit"] <= 200
    assert len(page["items"]) == min(page["limit"], page["total"])


UNDECODABLE_CURSORS = ["garbage", "WzEsNCwibiJd=", "eyJ4IjoxfQ", "%%%", "W10", "WzksOSwibiJd", "é",
                       "WzEsLTUsIm4iXQ", "WzEsMWUzMDAsIm4iXQ"]


@pytest.mark.parametrize("cursor", UNDECODABLE_CURSORS)
def test_a_cursor_the_mock_cannot_decode_never_fails(client, cursor):
    response = client.get(LIST, params={"cursor": cursor, "limit": 3}, headers=auth_headers())
    assert response.status_code == 200
    assert len(response.json()["items"]) <= 3


def _summary_expected(records, owner_field, owner_id):
    """The records a summary lists: the owner's, that can still be applied and have a balance."""
    return [r for r in records
            if r[owner_field] == owner_id and r["can_be_applied"] and r["amount_remaining"] > 0]


@pytest.mark.parametrize("customer", CUSTOMERS, ids=lambda c: c["name"])
def test_customer_summary_agrees_with_the_list(client, customer):
    business = customer["business_id"]
    response = client.get(CUSTOMER.format(id=customer["id"]), headers=auth_headers(business))
    assert response.status_code == 200
    summary = response.json()
    expected = _summary_expected(MEMOS, "customer_id", customer["id"])
    assert {m["id"] for m in summary["credit_memos"]} == {m["id"] for m in expected}
    assert summary["credit_memos_count"] == len(expected)
    assert summary["total_credits_available"] == sum(m["amount_remaining"] for m in summary["credit_memos"])
    cents = summary["total_credits_available"]
    assert summary["total_credits_available_dollars"] == f"{cents // 100}.{cents % 100:02d}"
    assert (summary["customer_id"], summary["customer_name"]) == (customer["id"], customer["name"])
    listed = {m["id"]: m for m in items_of(walk(client, business, 50, customer_id=customer["id"]))}
    for memo in summary["credit_memos"]:
        assert listed[memo["id"]] == memo  # the same record has the same numbers in both


@pytest.mark.parametrize("vendor", VENDORS, ids=lambda v: v["name"])
def test_vendor_summary_totals_its_applicable_credits(client, vendor):
    response = client.get(VENDOR.format(id=vendor["id"]), headers=auth_headers(vendor["business_id"]))
    assert response.status_code == 200
    summary = response.json()
    expected = _summary_expected(CREDITS, "vendor_id", vendor["id"])
    assert [c["id"] for c in summary["vendor_credits"]] == [
        c["id"] for c in sorted(expected, key=lambda c: (c["issue_date"], c["number"]))]
    assert summary["vendor_credits_count"] == len(expected)
    assert summary["total_credits_available"] == sum(c["amount_remaining"] for c in expected)


def test_business_a_never_sees_business_b(client):
    for business, other in ((BUSINESS_A, BUSINESS_B), (BUSINESS_B, BUSINESS_A)):
        items = items_of(walk(client, business, 50))
        assert items and all(item["business_id"] == business for item in items)
        for customer in (c for c in CUSTOMERS if c["business_id"] == other):
            response = client.get(CUSTOMER.format(id=customer["id"]), headers=auth_headers(business))
            assert response.status_code == 404
            assert response.json() == {"detail": "Resource not found"}
        for vendor in (v for v in VENDORS if v["business_id"] == other):
            response = client.get(VENDOR.format(id=vendor["id"]), headers=auth_headers(business))
            assert response.status_code == 404


@pytest.mark.parametrize("path", [LIST, CUSTOMER.format(id=CUSTOMERS[0]["id"]),
                                  VENDOR.format(id=VENDORS[0]["id"])])
def test_a_well_formed_unknown_business_gets_403(client, path):
    response = client.get(path, headers=auth_headers(UNKNOWN_BUSINESS))
    assert response.status_code == 403
    assert response.json() == {"detail": "Not enough permissions"}


def test_business_ids_are_compared_as_uuids(client):
    response = client.get(LIST, params={"limit": 1}, headers=auth_headers(BUSINESS_A.upper()))
    assert response.status_code == 200
    assert response.json()["items"][0]["business_id"] == BUSINESS_A


def test_dataset_answers_say_so(client):
    response = client.get(LIST, headers=auth_headers())
    assert response.headers["x-mock-source"] == "dataset"
    missing = client.get(CUSTOMER.format(id="no-such-customer"), headers=auth_headers())
    assert missing.status_code == 404
    assert missing.headers["x-mock-source"] == "dataset"
