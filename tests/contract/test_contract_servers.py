"""`mockserver contract` against small servers that each break the bundled API's contract one way.

Every breakage must be caught and attributed to the right check (read back from the JUnit report);
a conforming server, and one that only adds undocumented properties, must pass with no failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from contract_servers.broken import BROKEN, HARMLESS, SLOW_BUDGET_SECONDS
from contract_servers.dayzero import BUSINESS_A, BUSINESS_B, http_error
from contract_servers.serving import ThreadedServer
from helpers import FIXTURES_DIR, OPENAPI_DIR, ContractOutcome
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from mockserver.cli import main

TOKEN = "dz_contract_secret_token"
OUR_CHECKS = {"auth_enforcement", "domain_rules", "tenant_isolation"}


@pytest.fixture(scope="module")
def servers() -> Iterator[str]:
    """Every test server at once, each under its own path prefix: `<url>/<name>/api/v1/...`."""
    apps = {name: breakage.server().app() for name, breakage in BROKEN.items()}
    apps |= {name: server().app() for name, server in HARMLESS.items()}
    routes = [Mount(f"/{name}", app=app) for name, app in apps.items()]
    with ThreadedServer(Starlette(routes=routes, exception_handlers={HTTPException: http_error})) as url:
        yield url


@pytest.fixture
def contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("MOCKSERVER_TOKEN", TOKEN)
    monkeypatch.setenv("MOCKSERVER_TENANT", BUSINESS_A)
    monkeypatch.setenv("MOCKSERVER_OTHER_TENANT", BUSINESS_B)

    def run(base_url: str, *extra: str) -> ContractOutcome:
        junit = tmp_path / "contract.xml"
        code = main(["contract", "--base-url", base_url, str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR),
                     "--max-examples", "5", "--seed", "1", "--phases", "examples,coverage,fuzzing",
                     "--junit", str(junit), *extra])
        return ContractOutcome.of(code, capsys.readouterr(), junit)

    return run


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_breakage_is_caught_by_its_check(servers: str, contract, name: str) -> None:
    breakage = BROKEN[name]
    extra = ["--max-response-time", str(SLOW_BUDGET_SECONDS)] if breakage.check == "max_response_time" else []
    outcome = contract(f"{servers}/{name}", *extra)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == breakage.checks, outcome.stdout
    assert f"[{breakage.check}]" in outcome.stdout
    assert "curl -X GET" in outcome.stdout


@pytest.mark.parametrize("name", list(HARMLESS))
def test_servers_that_honour_the_contract_pass(servers: str, contract, name: str) -> None:
    outcome = contract(f"{servers}/{name}")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == set()
    assert outcome.checks_run >= OUR_CHECKS
    assert "PASSED" in outcome.stdout


def test_junit_report_counts_tests_and_failures(servers: str, contract) -> None:
    outcome = contract(f"{servers}/auth-ignored")
    root = outcome.junit
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert {suite.get("name") for suite in suites} >= {"GET /api/v1/credit-memos"}
    assert int(root.get("tests", "0")) == len(list(root.iter("testcase")))
    assert int(root.get("failures", "0")) == sum(int(suite.get("failures", "0")) for suite in suites)
    failure = next(case.find("failure") for case in root.iter("testcase") if case.find("failure") is not None)
    assert failure is not None
    assert failure.get("type") == "auth_enforcement"
    message = failure.get("message") or ""
    assert "expected 401" in message or "expected 403" in message
    assert "curl -X GET" in (failure.text or "")


def test_secrets_are_masked_in_every_output(servers: str, contract, tmp_path: Path) -> None:
    outcome = contract(f"{servers}/auth-ignored")
    written = (tmp_path / "contract.xml").read_text()
    for output in (outcome.stdout, outcome.stderr, written):
        assert TOKEN not in output
        assert BUSINESS_A not in output
        assert BUSINESS_B not in output
    assert "${MOCKSERVER_TOKEN}" in outcome.stdout
