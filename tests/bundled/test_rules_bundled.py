"""The bundled DayZero rules (fixtures/rules.py): every generated response obeys them and its schema.

The checks below restate each rule independently of fixtures/rules.py, so that a rule that is wrong
(not just a rule that is not applied) fails here.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

import jsonschema_rs
import pytest
from helpers import ROOT

from mockserver.foundation.problems import LoadError
from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.generation.rules import RuleContext, RuleError, RuleSet, load_rules
from mockserver.spec import Spec, load_spec
from mockserver.spec.model import Operation
from mockserver.spec.pointers import as_fragment

ROOT = ROOT
RESPONSES_PER_OPERATION = 1000
SEEDS_PER_SCHEMA = 500

LIST = "GET /api/v1/credit-memos"
CUSTOMER_SUMMARY = "GET /api/v1/credit-memos/customers/{customer_id}/credits"
VENDOR_SUMMARY = "GET /api/v1/vendor-credits/vendors/{vendor_id}/credits"
MEMO_STATUSES = ("draft", "issued", "partially_applied", "fully_applied", "void")
VENDOR_STATUSES = ("draft", "issued", "partially_applied", "applied", "void")
AVAILABLE = ("issued", "partially_applied")
REASONS = {
    "returned_goods",
    "damaged_goods",
    "service_issue",
    "pricing_error",
    "billing_adjustment",
    "goodwill",
    "duplicate_charge",
    "refund",
    "other",
}
ISO_4217 = {"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "NZD", "SGD", "MXN", "INR"}


@pytest.fixture(scope="module")
def spec() -> Spec:
    return load_spec(ROOT / "openapi")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(ROOT / "fixtures")


@pytest.fixture(scope="module")
def generator(spec: Spec, rules: RuleSet) -> ResponseGenerator:
    return ResponseGenerator(spec, seed=0, rules=rules, cache_size=0)


def operation(spec: Spec, name: str) -> Operation:
    found = spec.find_operation(name)
    assert found is not None, name
    return found


def response_validator(spec: Spec, op: Operation, status: str) -> jsonschema_rs.Validator:
    pointer = op.responses[status].content["application/json"].schema_pointer
    assert pointer is not None
    return jsonschema_rs.validator_for(
        {**spec.document, "$ref": "#" + as_fragment(pointer)}, validate_formats=True
    )


# -- independent statements of the rules ----------------------------------------------------------


def dollars(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def check_dollars(record: dict[str, Any]) -> None:
    for key, value in record.items():
        base = (
            key.removesuffix("_in_dollars") if key.endswith("_in_dollars") else key.removesuffix("_dollars")
        )
        if key != base and base in record:
            assert value == dollars(record[base]), (key, value, record[base])
            assert not value.startswith("-")


def check_credit(credit: dict[str, Any], *, vendor: bool, business: str | None) -> None:
    statuses, fully = (VENDOR_STATUSES, "applied") if vendor else (MEMO_STATUSES, "fully_applied")
    applications = credit.get("bill_applications" if vendor else "applications")
    status, amount, applied, remaining = (
        credit[key] for key in ("status", "amount", "amount_applied", "amount_remaining")
    )
    assert status in statuses
    assert amount >= 1 and 0 <= applied <= amount and remaining == amount - applied
    if status in ("draft", "issued"):
        assert applied == 0
    if status == fully:
        assert remaining == 0
    if status == "partially_applied":
        assert 0 < applied < amount
    check_dollars(credit)
    assert (status == "void") == (credit.get("voided_at") is not None)
    assert credit["has_applications"] == bool(applications)
    assert sum(app["amount_applied"] for app in applications or ()) == applied
    for app in applications or ():
        assert app["vendor_credit_id" if vendor else "credit_memo_id"] == credit["id"]
        assert app["amount_applied"] >= 1
        check_dollars(app)
    assert credit["can_be_deleted"] == (status == "draft")
    assert credit["can_be_voided"] == (status in AVAILABLE)
    assert credit["can_be_applied"] == (status in AVAILABLE and remaining > 0)
    assert credit["updated_at"] >= credit["created_at"]
    assert credit["reason"] in REASONS and credit["reason_display"]
    assert credit["currency"] in ISO_4217
    uuid.UUID(credit["id"])
    if business is not None:
        assert credit["business_id"] == business


def check_summary(summary: dict[str, Any], *, vendor: bool, party: str, business: str | None) -> None:
    party_key, listed_key, count_key = (
        ("vendor_id", "vendor_credits", "vendor_credits_count")
        if vendor
        else ("customer_id", "credit_memos", "credit_memos_count")
    )
    credits = summary.get(listed_key) or []
    assert summary[party_key] == party
    assert summary[count_key] == len(credits)
    assert summary["total_credits_available"] == sum(credit["amount_remaining"] for credit in credits)
    check_dollars(summary)
    assert len({credit["currency"] for credit in credits}) <= 1
    for credit in credits:
        check_credit(credit, vendor=vendor, business=business)
        assert credit[party_key] == party
        assert credit["status"] in AVAILABLE and credit["amount_remaining"] > 0


def check_page(page: dict[str, Any], query: dict[str, Any], business: str | None) -> None:
    assert len(page["items"]) <= query.get("limit", 50)
    assert page["has_next"] == bool(page.get("next_cursor"))
    assert page["has_prev"] == bool(page.get("prev_cursor"))
    if page.get("total") is not None:
        assert page["total"] >= len(page["items"])
    for memo in page["items"]:
        check_credit(memo, vendor=False, business=business)
        if "status" in query:
            assert memo["status"] == query["status"]
        if "customer_id" in query:
            assert memo["customer_id"] == query["customer_id"]
        if query.get("has_remaining_balance"):
            assert memo["amount_remaining"] > 0


# -- random requests ------------------------------------------------------------------------------


def business_header(rng: Random) -> dict[str, str]:
    return {"x-business-id": str(uuid.UUID(int=rng.getrandbits(128)))} if rng.random() < 0.8 else {}


def list_query(rng: Random) -> dict[str, Any]:
    query: dict[str, Any] = {"limit": rng.choice((0, 1, 2, 3, 5, 8, 10))}
    if rng.random() < 0.4:
        query["status"] = rng.choice(MEMO_STATUSES)
    if rng.random() < 0.3:
        query["customer_id"] = f"cus_{rng.randint(1, 99)}"
    if rng.random() < 0.3:
        query["has_remaining_balance"] = rng.random() < 0.7
    if rng.random() < 0.1:
        query["search"] = rng.choice(("CM-0042", "00"))
    if rng.random() < 0.3:
        query["cursor"] = f"c{rng.randint(1, 10**6)}"
    return query


# -- the tests ------------------------------------------------------------------------------------


def test_list_pages_obey_every_rule(spec: Spec, generator: ResponseGenerator) -> None:
    op, rng = operation(spec, LIST), Random(1)
    validator = response_validator(spec, op, "200")
    for _ in range(RESPONSES_PER_OPERATION):
        query, headers = list_query(rng), business_header(rng)
        page = generator.generate(op, "200", "application/json", RequestContext({}, query, headers))
        assert validator.is_valid(page), page
        check_page(page, query, headers.get("x-business-id"))


def test_a_default_page_holds_fifty_memos(spec: Spec, generator: ResponseGenerator) -> None:
    page = generator.generate(operation(spec, LIST), "200", "application/json", RequestContext())
    assert len(page["items"]) == 50


@pytest.mark.parametrize(("name", "vendor"), [(CUSTOMER_SUMMARY, False), (VENDOR_SUMMARY, True)])
def test_summaries_obey_every_rule(spec: Spec, generator: ResponseGenerator, name: str, vendor: bool) -> None:
    op, rng = operation(spec, name), Random(2)
    validator = response_validator(spec, op, "200")
    party_key = "vendor_id" if vendor else "customer_id"
    listed = 0
    for index in range(RESPONSES_PER_OPERATION):
        party, headers = f"party_{index}", business_header(rng)
        summary = generator.generate(
            op, "200", "application/json", RequestContext({party_key: party}, {}, headers)
        )
        assert validator.is_valid(summary), summary
        check_summary(summary, vendor=vendor, party=party, business=headers.get("x-business-id"))
        listed += len(summary.get("vendor_credits" if vendor else "credit_memos") or [])
    assert listed > RESPONSES_PER_OPERATION  # summaries usually list some credits


def test_every_bundled_response_schema_validates(spec: Spec) -> None:
    generator = ResponseGenerator(spec, seed=5, cache_size=0)
    for op in spec.operations:
        for status, response in op.responses.items():
            if "application/json" not in response.content:
                continue
            validator = response_validator(spec, op, status)
            for seed in range(SEEDS_PER_SCHEMA):
                body = generator.generate(
                    op, status, "application/json", RequestContext({}, {"limit": 2}), seed=seed
                )
                assert validator.is_valid(body), (op.key, status, body)


# -- checking real bodies, and rule errors --------------------------------------------------------


def test_check_reports_what_a_real_body_breaks(
    spec: Spec, rules: RuleSet, generator: ResponseGenerator
) -> None:
    op = operation(spec, CUSTOMER_SUMMARY)
    headers = {"x-business-id": "0c7e6a3e-2b0c-4a53-9b8e-6a1f2f0d9f11"}
    request = RequestContext({"customer_id": "cus_1"}, {}, headers)
    body = next(
        body
        for seed in range(50)
        if (body := generator.generate(op, "200", "application/json", request, seed=seed))["credit_memos"]
    )
    ctx = RuleContext(spec, op, "200", "application/json", path=request.path, headers=headers)
    assert rules.check(op, "200", body, ctx) == []

    body["credit_memos"][0]["amount_remaining"] += 1
    body["total_credits_available"] += 7
    violations = rules.check(op, "200", body, ctx)
    assert [(violation.rule, violation.pointer) for violation in violations] == [
        ("remaining_is_amount_minus_applied", "/credit_memos/0/amount_remaining"),
        ("summary_totals_add_up", "/total_credits_available"),
    ]
    assert "amount_remaining = amount - amount_applied" in violations[0].message


def test_a_rule_that_breaks_the_schema_is_named(spec: Spec) -> None:
    rules = RuleSet()

    @rules.schema("CreditMemoResponse")
    def amount_as_text(memo: dict[str, Any], ctx: RuleContext) -> None:
        memo["amount"] = "lots"

    generator = ResponseGenerator(spec, rules=rules)
    with pytest.raises(RuleError, match=r"amount_as_text.*test_rules_bundled\.py:\d+.*amount"):
        generator.generate(operation(spec, LIST), "200", "application/json", RequestContext({}, {"limit": 3}))


def test_a_rule_that_raises_is_named(spec: Spec) -> None:
    rules = RuleSet()

    @rules.operation(LIST)
    def broken(page: dict[str, Any], ctx: RuleContext) -> None:
        raise KeyError("nope")

    with pytest.raises(RuleError, match=r"`broken` .* raised KeyError"):
        ResponseGenerator(spec, rules=rules).generate(
            operation(spec, LIST), "200", "application/json", RequestContext({}, {"limit": 1})
        )


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("from mockserver import RuleSet\nrules = RuleSet(\n", "invalid Python", 2),
        (
            "from mockserver import RuleSet\n\nrules = RuleSet()\nraise ValueError('bad')\n",
            "ValueError: bad",
            4,
        ),
        ("x = 1\n", "declares no RuleSet", None),
    ],
)
def test_bad_rules_files_name_file_and_line(
    tmp_path: Path, source: str, message: str, line: int | None
) -> None:
    (tmp_path / "rules.py").write_text(source)
    with pytest.raises(LoadError) as caught:
        load_rules(tmp_path)
    problem = caught.value.problems[0]
    assert problem.file.endswith("rules.py") and message in problem.message and problem.line == line


def test_no_rules_file_means_no_rules(tmp_path: Path) -> None:
    assert len(load_rules(tmp_path)) == 0


def test_bundled_rules_name_only_what_the_spec_has(spec: Spec, rules: RuleSet) -> None:
    assert rules.unknown_targets(spec) == []
    assert re.search(r"rules\.py$", rules.rules[0].location.rsplit(":", 1)[0])
