"""`mockserver contract` runs schemathesis' stateful phase: requests chained through declared and inferred
links, judged by `use_after_free` and `ensure_resource_availability` next to every other check.

Against the stateful mock of each CRUD spec of the corpus (`--self`), and against small servers of our own
implementing tests/corpus/crud_petstore.yaml: a conforming one, one that still serves a deleted pet, one
that cannot read back the pet it just created. Few scenarios and a fixed seed keep each run quick.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from contract_servers.pets import SERVERS, SPEC
from contract_servers.serving import ThreadedServer
from helpers import FIXTURES_DIR, OPENAPI_DIR, TESTS, ContractOutcome

from mockserver import create_app
from mockserver.cli import main

CORPUS = TESTS / "corpus"
CRUD_SPECS = sorted(path.stem for path in CORPUS.glob("crud_*.yaml"))
STATEFUL = ["--phases", "stateful", "--max-examples", "10", "--seed", "1"]
STATEFUL_CHECKS = {"use_after_free", "ensure_resource_availability"}


@pytest.fixture
def contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.chdir(tmp_path)  # no ./fixtures folder: the corpus specs come without fixtures

    def run(*args: str) -> ContractOutcome:
        junit = tmp_path / "contract.xml"
        code = main(["contract", *args, "--junit", str(junit)])
        return ContractOutcome.of(code, capsys.readouterr(), junit)

    return run


@pytest.fixture
def pet_server() -> Iterator[object]:
    """`pet_server(name)`: the URL of a fresh server of that kind (its own records), for this test."""
    servers: list[ThreadedServer] = []

    def start(name: str) -> str:
        server = ThreadedServer(SERVERS[name]().app())
        servers.append(server)
        return server.__enter__()

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@pytest.mark.parametrize("name", CRUD_SPECS)
def test_the_stateful_mock_passes_the_stateful_phase(contract, name: str) -> None:
    outcome = contract("--self", str(CORPUS / f"{name}.yaml"), *STATEFUL)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == set()
    summary = r"Stateful phase: \d+ scenario\(s\), \d+ request\(s\); [1-9]\d* of \d+ link\(s\) followed"
    assert re.search(summary, outcome.stdout), outcome.stdout
    for check in STATEFUL_CHECKS:
        assert outcome.passed(check) > 20


@pytest.mark.parametrize("name", ["crud_petstore", "crud_patch"])  # declared links; inferred ones only
def test_the_mock_without_state_is_caught_by_use_after_free(contract, name: str) -> None:
    """What makes `--self` clean is the mock's state: the same mock with `stateful=False` (as `serve
    --stateless` runs it) still answers 200 for what it just deleted."""
    spec = CORPUS / f"{name}.yaml"
    with ThreadedServer(create_app(spec, stateful=False)) as url:
        outcome = contract("--base-url", url, str(spec), *STATEFUL)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert "use_after_free" in outcome.failing_checks


def test_a_conforming_server_passes_every_phase(contract, pet_server) -> None:
    """No `--phases`: a spec with write operations gets the stateful phase after the others."""
    url = pet_server("conforming")
    outcome = contract("--base-url", url, str(SPEC), "--max-examples", "5", "--seed", "1")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == set()
    assert re.search(r"stateful phase: \d+ link\(s\) between operations \(\d+ inferred\)", outcome.stderr)
    assert "Stateful phase:" in outcome.stdout
    assert "PASSED" in outcome.stdout
    for check in STATEFUL_CHECKS:
        assert outcome.passed(check) > 0


def test_a_conforming_server_passes_the_stateful_phase(contract, pet_server) -> None:
    outcome = contract("--base-url", pet_server("conforming"), str(SPEC), *STATEFUL)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == set()


def test_a_deleted_resource_still_served_is_caught_by_use_after_free(contract, pet_server) -> None:
    url = pet_server("deleted-still-served")
    outcome = contract("--base-url", url, str(SPEC), *STATEFUL)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == {"use_after_free"}
    assert "[use_after_free] GET /pets/{petId}" in outcome.stdout
    # The failure is reproduced by the whole sequence: the DELETE, later the GET that still found the pet.
    chain = (rf"Reproduce with these \d+ requests.*\n(\s+curl .*\n)*?"
             rf"\s+curl -X DELETE {url}/pets/(pet_\d+)\n(\s+curl .*\n)*?\s+curl -X GET {url}/pets/\2\n")
    assert re.search(chain, outcome.stdout), outcome.stdout
    failure = outcome.failure("use_after_free")
    assert "previously deleted" in (failure.get("message") or "")
    assert "curl -X DELETE" in (failure.text or "")


def test_a_created_resource_that_cannot_be_read_is_caught_by_ensure_resource_availability(
    contract, pet_server
) -> None:
    url = pet_server("created-not-stored")
    outcome = contract("--base-url", url, str(SPEC), *STATEFUL)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == {"ensure_resource_availability"}
    assert "[ensure_resource_availability]" in outcome.stdout
    # Reproduced by the POST that created the pet, then the request that did not find it.
    assert re.search(rf"curl -X POST {url}/pets .*\n\s+curl -X \w+ {url}/pets/pet_\d+\n", outcome.stdout), \
        outcome.stdout
    failure = outcome.failure("ensure_resource_availability")
    assert "just created" in (failure.get("message") or "")
    assert "curl -X POST" in (failure.text or "")


def test_the_read_only_bundled_api_still_reaches_its_records(contract) -> None:
    """A read-only spec has nothing a POST creates: its stateful requests still get the mock's real ids, so
    every operation's 200 path is reached (the auth probes follow accepted requests only)."""
    outcome = contract("--self", str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR), *STATEFUL)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.failing_checks == set()
    assert outcome.passed("auth_enforcement") >= 3
    assert outcome.passed("tenant_isolation") >= 3


def test_the_stateful_phase_alone_cannot_run_negative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["contract", "--self", str(SPEC), "--phases", "stateful", "--mode", "negative"])
    assert code == 2
    assert "the stateful phase sends valid requests only" in capsys.readouterr().err
