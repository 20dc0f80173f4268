"""Consumer contracts end to end: recorded by `mockserver serve --consumer-out` from two consumers' traffic,
read back with `mockserver consumer show`, then replayed by `mockserver verify` against small servers of the
shop API (`consumer_api/`): a conforming one, and variants that change what a consumer relied on or not."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from consumer_api.servers import AcceptedLater, DropsColor, DropsDescription, ShopServer
from contract_servers.serving import ThreadedServer
from dx_helpers import ServeProcess
from helpers import TESTS
from starlette.applications import Starlette
from starlette.routing import Mount

from mockserver.cli import main

API = TESTS / "consumer_api"
SPEC = API / "openapi.yaml"
FIXTURES = API / "fixtures"
API_KEY = "shop-secret-key-123"
SERVERS = {"conforming": ShopServer, "drops-color": DropsColor, "drops-description": DropsDescription,
           "accepted-later": AcceptedLater}


def _traffic(origin: str) -> None:
    """What two consumers do against the mock: `web` browses, fails, creates; `mobile` reads one widget."""
    web = httpx.Client(base_url=origin, headers={"X-Api-Key": API_KEY, "X-Mock-Consumer": "web"})
    assert web.get("/widgets", params={"limit": 10}).status_code == 200
    assert web.get("/widgets", params={"limit": 10}).status_code == 200  # the same kind: counted twice
    assert web.get("/widgets", params={"limit": 50, "color": "red"}).status_code == 200
    assert web.get("/widgets/w1").status_code == 200
    assert web.get("/widgets/nope").status_code == 404
    assert web.post("/widgets", json={"name": "gizmo", "price": 100}).status_code == 200
    assert web.get("/widgets", headers={"X-Api-Key": ""}).status_code == 401
    web.headers.pop("X-Api-Key")
    assert web.get("/widgets").status_code == 401
    empty = web.get("/widgets", headers={"X-Api-Key": API_KEY, "X-Mock-Scenario": "empty"})
    assert empty.json() == {"items": [], "total": 0}
    mobile = httpx.Client(base_url=origin, headers={"X-Api-Key": API_KEY, "X-Mock-Consumer": "mobile"})
    assert mobile.get("/widgets/w1").status_code == 200


@pytest.fixture(scope="module")
def contracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The consumer contracts the mock wrote for that traffic (one file per consumer)."""
    out = tmp_path_factory.mktemp("consumers")
    with ServeProcess(str(SPEC), "--fixtures", str(FIXTURES), "--consumer-out", str(out),
                      "--log-format", "off") as served:
        _traffic(served.origin)
    return out


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, dict[str, ShopServer]]]:
    """Every variant of the shop at once, each under its own prefix: `<url>/<name>/widgets`."""
    shops = {name: server() for name, server in SERVERS.items()}
    routes = [Mount(f"/{name}", app=shop.app()) for name, shop in shops.items()]
    with ThreadedServer(Starlette(routes=routes)) as url:
        yield url, shops


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def verify(contracts: Path, servers: tuple[str, dict[str, ShopServer]], monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]):
    url, _ = servers
    monkeypatch.setenv("MOCKSERVER_TOKEN", API_KEY)

    def run(name: str, *extra: str) -> Outcome:
        code = main(["verify", "--consumer", str(contracts), "--base-url", f"{url}/{name}", str(SPEC),
                     "--fixtures", str(FIXTURES), *extra])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def test_serve_writes_one_versioned_contract_per_consumer(contracts: Path) -> None:
    assert sorted(path.name for path in contracts.iterdir()) == ["mobile.yaml", "web.yaml"]
    web = yaml.safe_load((contracts / "web.yaml").read_text())
    assert (web["format"], web["version"], web["consumer"]) == ("mockserver-consumer", 1, "web")
    assert len(web["spec"]["sha256"]) == 64
    listing = web["operations"]["GET /widgets"]["interactions"]
    browse = next(item for item in listing if item["response"]["status"] == 200 and "state" not in item
                  and _parameter(item, "color")["kind"] == "absent")
    assert browse["count"] == 2
    assert _parameter(browse, "limit") == {"in": "query", "name": "limit", "kind": "valid", "type": "integer",
                                           "example": "10"}
    assert browse["response"]["fields"]["/items/*/color"] == "string"
    assert "/items/*/description" not in browse["response"]["fields"]
    boundary = next(item for item in listing if _parameter(item, "color")["kind"] == "valid")
    assert _parameter(boundary, "limit")["kind"] == "boundary"  # the maximum, 50
    assert _parameter(boundary, "color")["value"] == "red"
    assert {item.get("state") for item in listing} == {None, "scenario=empty"}
    credentials = sorted(_parameter(item, "X-Api-Key")["kind"] for item in listing if "state" not in item)
    assert credentials == ["absent", "invalid", "valid", "valid"]
    created = web["operations"]["POST /widgets"]["interactions"][0]
    assert created["request"]["body"]["fields"] == {"": "object", "/name": "string", "/price": "integer"}
    assert created["response"]["status"] == 200


def _parameter(interaction: dict, name: str) -> dict:
    return next(use for use in interaction["request"]["parameters"] if use["name"] == name)


def test_no_secret_reaches_a_contract_file(contracts: Path) -> None:
    for path in contracts.iterdir():
        assert API_KEY not in path.read_text()


def test_consumer_show_prints_a_contract_for_a_person(contracts: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["consumer", "show", str(contracts / "web.yaml")]) == 0
    shown = capsys.readouterr().out
    assert "Consumer web: 3 operation(s)" in shown
    assert "Provider states needed: scenario=empty" in shown
    assert "query limit (boundary integer, e.g. 50)" in shown
    assert "/items/*/color string" in shown


def test_consumer_show_names_the_file_and_pointer_of_a_bad_contract(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: mockserver-consumer\nversion: 1\nconsumer: web\noperations:\n  GET /x: [1]\n")
    assert main(["consumer", "show", str(bad)]) == 2
    error = capsys.readouterr().err
    assert "bad.yaml: /operations/GET ~1x: expected a mapping" in error
    assert "Traceback" not in error


def test_a_conforming_server_gives_every_consumer_what_it_relied_on(verify) -> None:
    outcome = verify("conforming")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "PASSED" in outcome.stdout
    assert "provider states needed: scenario=empty (web)" in outcome.stderr
    assert "1 interaction(s) in provider state 'scenario=empty' not replayed" in outcome.stdout
    assert API_KEY not in outcome.stdout + outcome.stderr


def test_a_dropped_field_a_consumer_received_is_caught_naming_consumer_and_field(verify) -> None:
    outcome = verify("drops-color")
    assert outcome.code == 1
    assert "[fields_relied_on] GET /widgets [web]" in outcome.stdout
    assert "web received /items/*/color (string); the answer has no such field" in outcome.stdout
    assert "mobile received /color (string)" in outcome.stdout
    assert "curl -X GET" in outcome.stdout
    assert "[spec_conformance]" not in outcome.stdout  # color is optional: only the consumers notice


def test_a_dropped_field_nobody_received_passes(verify) -> None:
    outcome = verify("drops-description")
    assert outcome.code == 0, outcome.stdout


def test_a_changed_status_the_consumer_relied_on_is_caught(verify, tmp_path: Path) -> None:
    junit = tmp_path / "verify.xml"
    outcome = verify("accepted-later", "--junit", str(junit))
    assert outcome.code == 1
    assert "web relied on 200 for this kind of request; the server answered 202" in outcome.stdout
    assert "curl -X POST" in outcome.stdout
    cases = ET.parse(junit).getroot().iter("testcase")
    failures = [case for case in cases if case.find("failure") is not None]
    assert {(case.get("classname"), case.get("name")) for case in failures} == {
        ("POST /widgets [web]", "status_relied_on")}


def test_provider_states_are_set_up_through_the_state_setup_url(
        verify, servers: tuple[str, dict[str, ShopServer]]) -> None:
    url, shops = servers
    shops["conforming"].states.clear()
    outcome = verify("conforming", "--state-setup", f"{url}/conforming/__state")
    assert outcome.code == 0, outcome.stdout
    assert "not replayed" not in outcome.stdout
    assert shops["conforming"].states == [
        {"consumer": "web", "state": "scenario=empty", "action": "setup", "states": ["scenario=empty"]},
        {"consumer": "web", "state": "scenario=empty", "action": "teardown", "states": ["scenario=empty"]},
    ]


def test_verify_needs_a_readable_consumer_file(verify, tmp_path: Path) -> None:
    outcome = verify("conforming", "--consumer", str(tmp_path / "missing.yaml"))
    assert outcome.code == 2
    assert "missing.yaml: no such consumer contract file or folder" in outcome.stderr
