"""Consumer contracts recorded by the pytest plugin (`--mockserver-consumer-out DIR`), as a user's suite
runs them: one file per consumer, the same bytes for the same traffic whatever the order of the tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from helpers import TESTS

API = TESTS / "consumer_api"

SUITE = """
    import pytest

    @pytest.fixture
    def shop(mock_api):
        return mock_api.client(headers={"X-Api-Key": "suite-secret-key"})

    def test_browse(shop):
        assert shop.get("/widgets", params={"limit": 5}).status_code == 200

    def test_browse_red(shop):
        assert shop.get("/widgets", params={"color": "red", "limit": 7}).status_code == 200

    def test_missing(shop):
        assert shop.get("/widgets/nope").status_code == 404

    def test_create(shop):
        assert shop.post("/widgets", json={"name": "gizmo", "price": 3, "token": "tok-9"}).status_code == 200

    def test_admin_tool(mock_api):
        admin = mock_api.client(headers={"X-Api-Key": "suite-secret-key", "X-Mock-Consumer": "admin-tool"})
        assert admin.get("/widgets/w1").status_code == 200

    def test_forced_answer(shop, mock_api):
        mock_api.override("getWidget", status=404)
        assert shop.get("/widgets/w1").status_code == 404
"""
ORDER = ["test_browse", "test_browse_red", "test_missing", "test_create", "test_admin_tool",
         "test_forced_answer"]


def _record(pytester: pytest.Pytester, out: Path, order: list[str], *extra: str) -> pytest.RunResult:
    pytester.makeini(f"[pytest]\nmockserver_spec = {API / 'openapi.yaml'}\n"
                     f"mockserver_fixtures = {API / 'fixtures'}\n")
    pytester.makepyfile(test_shop=textwrap.dedent(SUITE))
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "--mockserver-consumer-out", str(out),
        "--mockserver-consumer", "shop-ui", *extra, *(f"test_shop.py::{name}" for name in order))


def test_the_plugin_writes_the_same_contracts_for_the_same_traffic(pytester: pytest.Pytester,
                                                                     tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _record(pytester, first, ORDER).assert_outcomes(passed=len(ORDER))
    _record(pytester, second, list(reversed(ORDER))).assert_outcomes(passed=len(ORDER))
    names = sorted(path.name for path in first.iterdir())
    assert names == ["admin-tool.yaml", "shop-ui.yaml"]
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    text = (first / "shop-ui.yaml").read_text()
    assert "suite-secret-key" not in text
    contract = yaml.safe_load(text)
    created = contract["operations"]["POST /widgets"]["interactions"][0]["request"]["body"]
    assert created["example"] == {"name": "gizmo", "price": 3, "token": "***"}  # a secret-named field
    reads = contract["operations"]["GET /widgets/{widget_id}"]["interactions"]
    states = {item.get("state") for item in reads}
    assert states == {None, "override=404"}


def test_the_parts_of_pytest_xdist_workers_are_merged_into_the_same_files(
        pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker writes a part, the controller merges them (workers simulated by a conftest that says
    which one this is, as pytest-xdist does: a real `-n 2` run spawns processes that import everything again,
    too slow for the suite; checked by hand)."""
    alone, spread = tmp_path / "alone", tmp_path / "spread"
    _record(pytester, alone, ORDER).assert_outcomes(passed=len(ORDER))
    pytester.makeconftest(WORKER_CONFTEST)
    for worker, tests in (("gw0", ORDER[::2]), ("gw1", ORDER[1::2])):
        monkeypatch.setenv("SIMULATED_XDIST_WORKER", worker)
        _record(pytester, spread, tests).assert_outcomes(passed=len(tests))
    assert sorted(path.name for path in spread.iterdir()) == [".parts"]
    monkeypatch.delenv("SIMULATED_XDIST_WORKER")
    _record(pytester, spread, [], "-k", "no_test_has_this_name")  # the controller: runs nothing, merges
    assert sorted(path.name for path in spread.iterdir()) == ["admin-tool.yaml", "shop-ui.yaml"]
    for name in ("admin-tool.yaml", "shop-ui.yaml"):
        assert (alone / name).read_bytes() == (spread / name).read_bytes()


WORKER_CONFTEST = """
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if os.environ.get("SIMULATED_XDIST_WORKER"):
        config.workerinput = {"workerid": os.environ["SIMULATED_XDIST_WORKER"]}
"""
