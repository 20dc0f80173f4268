"""Broken fixtures are refused before serving: every problem at once, each with its file and JSON pointer."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import FIXTURES_DIR, OPENAPI_DIR

from mockserver import create_app, load_spec
from mockserver.foundation.problems import LoadError

LIST_OP = "list_credit_memos_api_v1_credit_memos_get"
CUSTOMER_OP = "GET /api/v1/credit-memos/customers/{customer_id}/credits"
SPEC = load_spec(OPENAPI_DIR)

MEMO = """\
  - id: m1
    business_id: 3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83
    customer_id: c1
    status: issued
    currency: USD
    amount: 15000
    amount_in_dollars: "150.00"
    amount_applied: 0
    amount_applied_in_dollars: "0.00"
    amount_remaining: 15000
    amount_remaining_in_dollars: "150.00"
    issue_date: "2025-01-02"
    created_at: "2025-01-02T09:00:00Z"
    updated_at: "2025-01-02T09:00:00Z"
    reason: refund
    reason_display: Refund
    can_be_applied: true
    can_be_voided: true
    can_be_deleted: false
    has_applications: false
"""

LIST_BINDING = f"""\
bindings:
  - operation: {LIST_OP}
    collection: memos
    page: {{}}
    body: {{items: {{$page: items}}, has_next: {{$page: has_next}}, has_prev: {{$page: has_prev}}}}
"""

SUMMARY_BINDING = f"""\
bindings:
  - operation: {CUSTOMER_OP}
    collection: memos
    owner: {{collection: customers, param: customer_id, link: customer_id}}
    body: {{customer_id: {{$param: customer_id}}, total_credits_available: {{$sum: amount_remaining}},
            total_credits_available_dollars: "0", credit_memos_count: {{$count: true}},
            credit_memos: {{$records: true}}}}
"""


def response(body: str) -> dict[str, str]:
    """A fixture folder with one file of named responses."""
    return {"r.yaml": "responses:\n" + textwrap.indent(textwrap.dedent(body), "  ")}


def dataset(*records: str, binding: str = LIST_BINDING, binding_extra: str = "", head: str = "",
            customers: bool = False) -> dict[str, str]:
    """A fixture folder with one dataset file: memos, optionally customers, and one binding."""
    text = head + "collections:\n  memos:\n" + ("    tenant: business_id\n" if head else "")
    text += "    records:\n" + "".join(textwrap.indent(record, "  ") for record in records)
    if customers:
        text += "  customers:\n    records: [{id: c1, name: Acme}]\n"
    return {"d.yaml": text + binding + binding_extra}


# (name, files, expected file, expected pointer, words the message must contain)
CASES = [
    ("unknown-operation", response("""
        - name: a
          operation: GET /nowhere
          response: {status: 200, body: {}}
        """), "r.yaml", "/responses/0/operation", "unknown operation"),
    ("undocumented-status", response(f"""
        - name: teapot
          operation: {LIST_OP}
          response: {{status: 418, body: {{detail: short and stout}}}}
        """), "r.yaml", "/responses/0/response/status", "418"),
    ("body-breaks-schema", response(f"""
        - name: ok
          operation: {LIST_OP}
          response: {{status: 200, body: {{items: [], has_next: "no", has_prev: false}}}}
        """), "r.yaml", "/responses/0/response/body/has_next", "boolean"),
    ("nested-body-error", response(f"""
        - name: broken-item
          operation: {LIST_OP}
          response: {{status: 200, body: {{items: [{{id: 1}}], has_next: false, has_prev: false}}}}
        """), "r.yaml", "/responses/0/response/body/items/0", "required"),
    ("undocumented-header", response(f"""
        - name: with-header
          operation: {LIST_OP}
          response: {{status: 401, headers: {{X-Retry: "3"}}, body: {{detail: no}}}}
        """), "r.yaml", "/responses/0/response/headers/X-Retry", "not documented"),
    ("match-on-undeclared-parameter", response(f"""
        - name: colour
          operation: {LIST_OP}
          match: {{query: {{colour: red}}}}
          response: {{status: 401, body: {{detail: no}}}}
        """), "r.yaml", "/responses/0/match/query/colour", "no query parameter"),
    ("bad-regex", response(f"""
        - name: regex
          operation: {LIST_OP}
          match: {{query: {{status: {{regex: "(open"}}}}}}
          response: {{status: 401, body: {{detail: no}}}}
        """), "r.yaml", "/responses/0/match/query/status", "regular expression"),
    ("misspelt-field", response(f"""
        - name: typo
          operation: {LIST_OP}
          respnse: {{status: 401}}
        """), "r.yaml", "/responses/0/respnse", "unknown field"),
    ("duplicate-name", response(f"""
        - {{name: twice, operation: {LIST_OP}, response: {{status: 401, body: {{detail: a}}}}}}
        - {{name: twice, operation: {LIST_OP}, response: {{status: 403, body: {{detail: b}}}}}}
        """), "r.yaml", "/responses/1/name", "defined twice"),
    ("record-breaks-item-schema",
     dataset(MEMO, MEMO.replace("id: m1", "id: m2").replace("amount: 15000", "amount: lots")),
     "d.yaml", "/collections/memos/records/1/amount", "integer"),
    ("record-breaks-schema-through-a-summary",
     dataset(MEMO.replace("currency: USD", "currency: 840"), binding=SUMMARY_BINDING, customers=True),
     "d.yaml", "/collections/memos/records/0/currency", "string"),
    ("record-without-key", dataset(MEMO.replace("- id: m1\n    business_id", "- business_id")),
     "d.yaml", "/collections/memos/records/0", "no 'id'"),
    ("duplicate-key", dataset(MEMO, MEMO), "d.yaml", "/collections/memos/records/1/id", "used twice"),
    ("unknown-collection",
     dataset(MEMO, binding=LIST_BINDING.replace("collection: memos", "collection: memoz")),
     "d.yaml", "/bindings/0/collection", "unknown collection"),
    ("filter-on-undeclared-parameter",
     dataset(MEMO, binding_extra="    filters: {colour: {field: status}}\n"),
     "d.yaml", "/bindings/0/filters/colour", "not a parameter"),
    ("filter-on-unknown-field", dataset(MEMO, binding_extra="    filters: {status: {field: state}}\n"),
     "d.yaml", "/bindings/0/filters/status/field", "no record"),
    ("unreadable-predicate", dataset(MEMO, binding_extra="    where: [amount_remaining is positive]\n"),
     "d.yaml", "/bindings/0/where/0", "cannot read the predicate"),
    ("unknown-placeholder", dataset(MEMO, binding=LIST_BINDING.replace("{$page: items}", "{$pages: items}")),
     "d.yaml", "/bindings/0/body/items/$pages", "unknown placeholder"),
    ("template-breaks-schema",
     dataset(MEMO, binding=LIST_BINDING.replace("has_next: {$page: has_next}", "has_next: {$page: total}")),
     "d.yaml", "/bindings/0/body/has_next", "boolean"),
    ("owner-param-undeclared",
     dataset(MEMO, binding=SUMMARY_BINDING.replace("param: customer_id", "param: client_id"), customers=True),
     "d.yaml", "/bindings/0/owner/param", "not a parameter"),
    ("unknown-tenant-in-record",
     dataset(MEMO, head="tenants: {ids: [9b1e4d27-6c3a-4f85-a0d2-7e5b8c9f1a64]}\n"),
     "d.yaml", "/collections/memos/records/0/business_id", "not one of the tenants"),
    ("missing-hook", {"d.yaml": f"bindings:\n  - {{operation: {LIST_OP}, hook: 'hooks.py:nothing'}}\n"},
     "d.yaml", "/bindings/0/hook", "no hook file"),
    ("delay-without-scenario", {"s.yaml": "delay_ms: 100\n"}, "s.yaml", "", "needs `scenario`"),
    ("invalid-yaml", {"s.yaml": "responses: [\n"}, "s.yaml", "", "invalid YAML"),
    ("not-a-mapping", {"s.json": "[1, 2]"}, "s.json", "", "must be a mapping of sections"),
]


def _fixtures(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "fixtures"
    folder.mkdir()
    shutil.copy(FIXTURES_DIR / "mockserver.yaml", folder / "mockserver.yaml")
    for name, content in files.items():
        (folder / name).write_text(content)
    return folder


def _problems(folder: Path) -> list:
    with pytest.raises(LoadError) as raised:
        create_app(SPEC, folder)
    return raised.value.problems


@pytest.mark.parametrize(("files", "file", "pointer", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_broken_fixture_is_reported_with_its_file_and_pointer(tmp_path, files, file, pointer, words):
    problems = _problems(_fixtures(tmp_path, files))
    found = [p for p in problems if p.file.endswith(f"fixtures/{file}") and p.pointer == pointer]
    assert found, "\n".join(map(str, problems))
    assert any(words in p.message for p in found), "\n".join(map(str, found))


def test_every_problem_of_every_file_is_listed_at_once(tmp_path):
    files = {}
    for name, case_files, *_ in CASES:
        for file_name, content in case_files.items():
            files[f"{name}{Path(file_name).suffix}"] = content
    problems = _problems(_fixtures(tmp_path, files))
    assert len({Path(p.file).name for p in problems}) >= 15


def test_mockserver_check_lists_the_problems_and_exits_2(tmp_path):
    folder = _fixtures(tmp_path, {"a.yaml": CASES[0][1]["r.yaml"], "b.yaml": CASES[1][1]["r.yaml"]})
    command = [sys.executable, "-m", "mockserver", "check", str(OPENAPI_DIR), "--fixtures", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "a.yaml: /responses/0/operation:" in result.stderr
    assert "b.yaml: /responses/0/response/status:" in result.stderr
