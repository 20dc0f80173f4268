"""`mockserver diff` against a server with its own tenant and ids: the mock is asked as itself, differences
are classified, data-dependent ones are reported apart; hypothesis giving up is a note, not an error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract_servers.broken import ErrorBodyWrongShape
from contract_servers.dayzero import BUSINESS_A, DayZeroServer, http_error
from contract_servers.serving import ThreadedServer
from helpers import FIXTURES_DIR, OPENAPI_DIR
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from mockserver.cli import main

REAL_BUSINESS = "11111111-2222-4333-8444-555555555555"  # a tenant the mock's fixtures know nothing of
FAST = ["--max-examples", "5", "--seed", "1", "--phases", "examples,coverage,fuzzing"]


class RealTenant(DayZeroServer):
    """The conforming server, with its own tenant id (and, as every real server, its own record ids)."""

    def business_of(self, request: Request) -> str:
        business = super().business_of(request)
        return BUSINESS_A if business == REAL_BUSINESS else business


class ExtraSummaryField(RealTenant):
    """A customer's summary carries a field the spec does not document."""

    def ok(self, body: Any) -> Response:
        if isinstance(body, dict) and "customer_id" in body:
            body = {**body, "loyalty_tier": "gold"}
        return super().ok(body)


class NoCustomers(RealTenant):
    """Knows no customer: every summary is the documented 404 (where the mock has data)."""

    async def customer_credits(self, request: Request, business: str) -> Response:
        return self.error(404, {"detail": "Customer not found"})


class WrongErrorBodies(ErrorBodyWrongShape, RealTenant):
    pass


SERVERS = {"real-tenant": RealTenant, "extra-field": ExtraSummaryField, "no-customers": NoCustomers,
           "wrong-error-bodies": WrongErrorBodies}


@pytest.fixture(scope="module")
def servers() -> Iterator[str]:
    routes = [Mount(f"/{name}", app=server().app()) for name, server in SERVERS.items()]
    with ThreadedServer(Starlette(routes=routes, exception_handlers={HTTPException: http_error})) as url:
        yield url


@pytest.fixture
def diff(servers: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("MOCKSERVER_TOKEN", "real-server-token")
    monkeypatch.setenv("MOCKSERVER_TENANT", REAL_BUSINESS)

    def run(name: str, *extra: str) -> tuple[int, str]:
        code = main(["diff", "--base-url", f"{servers}/{name}", str(OPENAPI_DIR),
                     "--fixtures", str(FIXTURES_DIR), *FAST, *extra])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def test_the_mock_is_asked_with_its_own_tenant_and_ids(diff) -> None:
    code, output = diff("real-tenant")
    assert code == 0, output
    assert "mock 403" not in output
    assert "Disagreements" not in output
    assert REAL_BUSINESS not in output


def test_summaries_are_compared_record_for_record(diff) -> None:
    """Only answers of the 200 path on both sides show the extra field: the ids were matched."""
    code, output = diff("extra-field")
    assert code == 1
    assert "[mock_parity] GET /api/v1/credit-memos/customers/{customer_id}/credits" in output
    assert "response shape: /loyalty_tier: present vs missing (server vs mock)" in output


def test_data_dependent_differences_are_reported_apart(diff) -> None:
    code, output = diff("no-customers")
    assert code == 0, output
    assert "Data-dependent differences (not failing; --fail-on-data-dependent to fail)" in output
    assert "status server 404, mock 200: both documented, for different data" in output
    code, output = diff("no-customers", "--fail-on-data-dependent")
    assert code == 1
    assert "Mock and server disagree: data-dependent: status server 404, mock 200" in output


def test_error_bodies_of_another_shape_are_classified(diff) -> None:
    code, output = diff("wrong-error-bodies")
    assert code == 1
    assert "error body shape: /detail: missing vs present (server vs mock)" in output


def test_a_schema_hypothesis_cannot_satisfy_is_a_note_not_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
openapi: 3.1.0
info: {title: Odd, version: "1"}
paths:
  /things:
    get:
      parameters:
        - {name: n, in: query, required: true, schema: {type: integer, not: {multipleOf: 1}}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
        "422": {description: bad, content: {application/json: {schema: {type: object}}}}
""")
    (tmp_path / "fixtures").mkdir()
    code = main(["contract", "--self", str(spec), "--fixtures", str(tmp_path / "fixtures"), "--max-examples",
                 "5", "--seed", "1", "--phases", "fuzzing", "--checks", "not_a_server_error"])
    output = capsys.readouterr()
    assert code == 0, output.out + output.err
    assert "Errors" not in output.out
    assert ("GET /things: fuzzing phase: inputs hypothesis could not generate were skipped "
            "(no generated value satisfied the schema)") in output.out
