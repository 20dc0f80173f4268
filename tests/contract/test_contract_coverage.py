"""`mockserver contract` coverage: what a run exercised of each operation, printed after the run, written as
JSON and HTML (`--coverage-report`), summarised in the JUnit report, and enforced with `--min-coverage`."""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import TESTS

from mockserver.cli import main

API = TESTS / "consumer_api"
# Two checks only: the mock of a spec that documents no 4xx of its own fails status_code_conformance.
FAST = ["--max-examples", "5", "--seed", "1", "--phases", "examples,coverage,fuzzing",
        "--checks", "not_a_server_error,response_schema_conformance"]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    folder: Path


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run against the mock of the shop API, with a report, a JUnit file and two thresholds."""
    folder = tmp_path_factory.mktemp("coverage")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["contract", "--self", str(API / "openapi.yaml"), "--fixtures", str(API / "fixtures"),
                     *FAST, "--coverage-report", str(folder / "coverage"),
                     "--junit", str(folder / "junit.xml"), "--min-coverage", "operations=100,statuses=100"])
    return Run(code, out.getvalue(), err.getvalue(), folder)


def test_the_table_after_the_run_shows_each_operation(run: Run) -> None:
    assert "Coverage: 3/3 operations called" in run.stdout
    assert "GET /widgets/{widget_id}" in run.stdout
    assert "POST /widgets: statuses never returned: 202" in run.stdout  # the mock answers 200 unless asked


def test_a_metric_below_its_minimum_fails_the_run(run: Run) -> None:
    assert run.code == 1
    assert "Coverage thresholds: operations 100.0% (minimum 100%) ok; statuses" in run.stdout
    assert "FAILED: coverage below the minimum: statuses" in run.stdout
    assert "PASSED" in run.stdout  # every check passed: only the coverage fails


def test_the_report_is_json_and_html(run: Run) -> None:
    data = json.loads((run.folder / "coverage.json").read_text())
    assert data["totals"]["operations"] == {"covered": 3, "total": 3, "percent": 100.0}
    assert data["thresholds"] == {"operations": {"minimum": 100.0, "passed": True},
                                  "statuses": {"minimum": 100.0, "passed": False}}
    listing = next(item for item in data["operations"] if item["operation"] == "GET /widgets")
    limit = next(item for item in listing["parameters"] if item["name"] == "limit")
    assert set(limit["kinds"]) == {"absent", "valid", "boundary", "invalid"}  # optional, bounded, typed
    assert all(count > 0 for count in limit["kinds"].values())
    create = next(item for item in data["operations"] if item["operation"] == "POST /widgets")
    assert {"status": "202", "returned": False} in create["statuses"]
    page = (run.folder / "coverage.html").read_text()
    assert page.startswith("<!doctype html>")
    assert "<code>GET /widgets</code>" in page
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # self-contained


def test_the_junit_report_has_a_coverage_suite(run: Run) -> None:
    root = ET.parse(run.folder / "junit.xml").getroot()
    suite = next(suite for suite in root.iter("testsuite") if suite.get("name") == "coverage")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"operations", "statuses", "media_types", "parameters", "values", "properties"}
    assert cases["operations"].find("failure") is None
    failure = cases["statuses"].find("failure")
    assert failure is not None and "below 100%" in (failure.get("message") or "")
    assert int(root.get("failures", "0")) >= 1


def test_thresholds_that_are_met_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["contract", "--self", str(API / "openapi.yaml"), "--fixtures", str(API / "fixtures"), *FAST,
                 "--min-coverage", "operations=100,parameters=100"])
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize(("value", "message"), [
    ("operations", "expected METRIC=PERCENT"),
    ("speed=10", "expected METRIC=PERCENT with METRIC one of operations"),
    ("statuses=120", "the percentage must be from 0 to 100"),
])
def test_a_bad_minimum_is_a_usage_error(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    code = main(["contract", "--self", str(API / "openapi.yaml"), "--fixtures", str(API / "fixtures"),
                 "--min-coverage", value])
    assert code == 2
    assert message in capsys.readouterr().err
