"""The bundled DayZero dataset itself: sizes, coverage, and the domain arithmetic on every record.

The records are read straight from the YAML files (not through the mock), so these tests hold the
committed data to the rules whatever the serving code does.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers import BUSINESS_A, BUSINESS_B, FIXTURES_DIR

DATASETS = FIXTURES_DIR / "datasets"
MEMO_STATUSES = {"draft", "issued", "partially_applied", "fully_applied", "void"}
CREDIT_STATUSES = {"draft", "issued", "partially_applied", "applied", "void"}


def _collection(file: str, name: str) -> list[dict]:
    return yaml.safe_load(Path(DATASETS / file).read_text())["collections"][name]["records"]


MEMOS = _collection("credit-memos.yaml", "credit_memos")
CREDITS = _collection("vendor-credits.yaml", "vendor_credits")
CUSTOMERS = _collection("directory.yaml", "customers")
VENDORS = _collection("directory.yaml", "vendors")
BUSINESSES = _collection("directory.yaml", "businesses")


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def test_the_dataset_has_the_promised_size_and_coverage():
    assert {b["id"] for b in BUSINESSES} == {BUSINESS_A, BUSINESS_B}
    assert len(CUSTOMERS) >= 6 and len(VENDORS) >= 4
    assert len(MEMOS) >= 60 and len(CREDITS) >= 25
    assert {m["status"] for m in MEMOS} == MEMO_STATUSES
    assert {c["status"] for c in CREDITS} == CREDIT_STATUSES
    assert len({m["reason"] for m in MEMOS}) >= 4
    assert len({m["currency"] for m in MEMOS}) >= 2
    assert any(m["line_items"] for m in MEMOS) and any(m["applications"] for m in MEMOS)
    assert any(c["bill_applications"] for c in CREDITS)
    for business in (BUSINESS_A, BUSINESS_B):
        assert Counter(m["status"] for m in MEMOS if m["business_id"] == business).keys() == MEMO_STATUSES


def _records():
    for memo in MEMOS:
        yield pytest.param(memo, "applications", "fully_applied", id=_record_id(memo))
    for credit in CREDITS:
        yield pytest.param(credit, "bill_applications", "applied", id=_record_id(credit))


def _record_id(record: dict) -> str:
    return f"{record['number']}-{record['business_id'][:4]}"


@pytest.mark.parametrize(("record", "applications_field", "fully_applied"), list(_records()))
def test_every_record_keeps_the_domain_arithmetic(record, applications_field, fully_applied):
    status = record["status"]
    applications = record[applications_field] or []
    assert record["amount_remaining"] == record["amount"] - record["amount_applied"]
    for field in ("amount", "amount_applied", "amount_remaining"):
        assert record[f"{field}_in_dollars"] == _dollars(record[field])
    assert sum(a["amount_applied"] for a in applications) == record["amount_applied"]
    for application in applications:
        assert application["amount_applied_dollars"] == _dollars(application["amount_applied"])
    assert record["has_applications"] == bool(applications)
    if status in ("draft", "issued"):
        assert record["amount_applied"] == 0
    if status == fully_applied:
        assert record["amount_remaining"] == 0
    if status == "partially_applied":
        assert 0 < record["amount_applied"] < record["amount"]
    assert (record["voided_at"] is not None) == (status == "void")
    assert (record["voided_reason"] is not None) == (status == "void")
    assert record["can_be_deleted"] == (status == "draft")
    assert record["can_be_applied"] == (status in ("issued", "partially_applied"))
    assert record["can_be_voided"] == (status in ("issued", "partially_applied"))
    if record["line_items"]:
        assert sum(line["amount"] for line in record["line_items"]["lines"]) == record["amount"]


def test_records_point_at_customers_and_vendors_of_their_own_business():
    customers = {c["id"]: c for c in CUSTOMERS}
    vendors = {v["id"]: v for v in VENDORS}
    for memo in MEMOS:
        customer = customers[memo["customer_id"]]
        assert customer["business_id"] == memo["business_id"]
        assert (memo["customer_name"], memo["currency"]) == (customer["name"], customer["currency"])
    for credit in CREDITS:
        vendor = vendors[credit["vendor_id"]]
        assert vendor["business_id"] == credit["business_id"]
        assert (credit["vendor_name"], credit["currency"]) == (vendor["name"], vendor["currency"])


def test_numbers_are_unique_within_a_business():
    for records in (MEMOS, CREDITS):
        numbers = [(r["business_id"], r["number"]) for r in records]
        assert len(numbers) == len(set(numbers))
