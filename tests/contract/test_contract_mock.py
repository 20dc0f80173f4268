"""`mockserver contract --self` (the suite against the mock) and `mockserver diff` (mock vs server)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from contract_servers.broken import WrongType
from contract_servers.dayzero import BUSINESS_A
from contract_servers.serving import ThreadedServer
from helpers import FIXTURES_DIR, OPENAPI_DIR

from mockserver import create_app
from mockserver.cli import main
from mockserver.testing.handles import MockServer

FAST = ["--max-examples", "5", "--seed", "1", "--phases", "examples,coverage,fuzzing"]
QUICK = ["--max-examples", "5", "--phases", "examples,coverage,fuzzing"]
OPERATIONS = {
    "GET /api/v1/credit-memos",
    "GET /api/v1/credit-memos/customers/{customer_id}/credits",
    "GET /api/v1/vendor-credits/vendors/{vendor_id}/credits",
}


def _passed(case: ET.Element) -> int:
    found = re.search(r"passed: (\d+)", case.findtext("system-out") or "")
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_the_mock_passes_its_own_contract(
    seed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CI workflow's first step, `contract --self`, is green on the bundled API whatever the seed (the
    coverage phase sends the boundary values, `limit=0` among them)."""
    junit = tmp_path / "self.xml"
    code = main(["contract", "--self", str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR), *QUICK,
                 "--seed", seed, "--junit", str(junit)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "0"
    cases = {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}
    for operation in OPERATIONS:
        # Auth probes only follow accepted requests: each operation's 200 path was reached,
        # summaries included (their ids come from the mock's data, not from any list).
        assert _passed(cases[(operation, "auth_enforcement")]) >= 1
        assert _passed(cases[(operation, "tenant_isolation")]) >= 1
    assert any(name == "domain_rules" for _, name in cases)


@pytest.fixture(scope="module")
def served_mock() -> Iterator[str]:
    with MockServer(create_app(OPENAPI_DIR, FIXTURES_DIR)) as server:
        yield server.url


def test_diff_finds_no_disagreement_between_the_mock_and_itself(
    served_mock: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKSERVER_TOKEN", "dz_token")
    monkeypatch.setenv("MOCKSERVER_TENANT", BUSINESS_A)
    code = main(["diff", "--base-url", served_mock, str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR), *FAST])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "Disagreements" not in captured.out


def test_diff_lists_where_a_server_disagrees_with_the_mock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("MOCKSERVER_TOKEN", "dz_token")
    monkeypatch.setenv("MOCKSERVER_TENANT", BUSINESS_A)
    junit = tmp_path / "diff.xml"
    with ThreadedServer(WrongType().app()) as url:
        code = main(["diff", "--base-url", url, str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR), *FAST,
                     "--junit", str(junit)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Disagreements (" in captured.out
    assert "/has_prev: string vs boolean" in captured.out
    assert "curl -X GET" in captured.out
    cases = ET.parse(junit).getroot().iter("testcase")
    failures = [case for case in cases if case.find("failure") is not None]
    assert {case.get("name") for case in failures} == {"mock_parity"}


SELF_SPEC = """\
openapi: 3.1.0
info: {title: Widgets, version: "1"}
servers: [{url: "https://api.example.com/v2"}]
paths:
  /widgets/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: A widget
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Widget"}
              example: {id: w1, name: wrong}
components:
  schemas:
    Widget:
      type: object
      required: [id, name]
      properties: {id: {type: string}, name: {type: string}}
"""

SELF_RULES = """\
from mockserver import RuleSet

rules = RuleSet()


@rules.schema("Widget")
def widgets_are_named_right(widget, ctx):
    \"\"\"a widget is named right\"\"\"
    widget["name"] = "right"
"""


def test_self_failures_print_curl_lines_a_person_can_run(tmp_path: Path, capsys) -> None:
    """`--self` runs in-process; its curl lines reach the mock `mockserver serve` starts, and say so."""
    (tmp_path / "spec.yaml").write_text(SELF_SPEC)
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "rules.py").write_text(SELF_RULES)
    code = main(["contract", "--self", str(tmp_path / "spec.yaml"), "--fixtures", str(tmp_path / "fixtures"),
                 "--max-examples", "3", "--seed", "1", "--phases", "examples", "--mode", "positive"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "The curl commands reach http://127.0.0.1:4010: start the mock there first" in out
    curl_lines = [line.strip() for line in out.splitlines() if line.strip().startswith("curl ")]
    assert curl_lines and all("http://127.0.0.1:4010/v2/widgets/" in line for line in curl_lines)
    assert "mockserver.test" not in out
