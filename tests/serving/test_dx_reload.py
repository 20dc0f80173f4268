"""Live reload: edits take effect without a restart; a broken edit keeps the last good version serving."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import httpx
import pytest
from dx_helpers import WIDGET_FIXTURES, ServeProcess, served, write_api
from starlette.testclient import TestClient

from mockserver.serving.options import ServeOptions
from mockserver.serving.reload import LiveApp, Watcher, watched_paths
from mockserver.serving.stack import build_mock

WAIT_SECONDS = 15.0  # generous: only a failing test waits this long


@pytest.fixture
def api(tmp_path):
    return write_api(tmp_path)


@pytest.fixture
def report():
    return io.StringIO()


@pytest.fixture
def live(api, report):
    options = ServeOptions(api[0], api[1], log_format=None)
    return LiveApp(lambda: build_mock(options), report=report)


def _rename_gadget(fixtures: Path, name: str) -> None:
    (fixtures / "widgets.yaml").write_text(WIDGET_FIXTURES.replace("name: gadget}", f"name: {name}}}"))


def test_a_reload_serves_the_edited_fixtures(api, live, report):
    client = TestClient(live)
    assert client.get("/widgets/2").json()["name"] == "gadget"
    _rename_gadget(api[1], "gizmo")
    assert live.reload() is True
    assert client.get("/widgets/2").json()["name"] == "gizmo"
    assert "reloaded: 5 operation(s)" in report.getvalue()


def test_a_broken_edit_keeps_the_last_good_version_and_says_where(api, live, report):
    client = TestClient(live)
    (api[1] / "widgets.yaml").write_text(WIDGET_FIXTURES.replace("body: {id: 2, name: gadget}",
                                                                 "body: {id: two, name: gadget}"))
    assert live.reload() is False
    assert client.get("/widgets/2").json()["name"] == "gadget"
    printed = report.getvalue()
    assert "reload failed; still serving the last good version" in printed
    assert "widgets.yaml" in printed and "/responses/0/response/body/id" in printed
    assert live.status()["reload_problems"]
    _rename_gadget(api[1], "fixed")
    assert live.reload() is True
    assert client.get("/widgets/2").json()["name"] == "fixed"
    assert live.status() == {"reloads": 1, "reload_problems": []}


def test_a_spec_that_does_not_parse_is_reported_with_its_file(api, live, report):
    spec_file = api[0] / "widgets.yaml"
    spec_file.write_text(spec_file.read_text() + "  broken: [\n")
    assert live.reload() is False
    assert "widgets.yaml" in report.getvalue()
    assert TestClient(live).get("/widgets").status_code == 200


def test_spec_warnings_of_a_reload_are_printed(api, live, report):
    spec_file = api[0] / "widgets.yaml"
    spec_file.write_text(spec_file.read_text().replace("/secure:", "/secure:\n    parameters: 7"))
    assert live.reload() is True
    assert "warning: " in report.getvalue()


def test_the_journal_overrides_and_scenario_survive_a_reload(live):
    client = TestClient(live)
    client.get("/widgets/1")
    live.current.state.add_override("listWidgets", json=[{"id": 5, "name": "five"}])
    live.current.state.scenario = "empty"
    assert live.reload() is True
    state = live.current.state
    assert [entry.path for entry in state.calls()] == ["/widgets/1"]
    assert state.scenario == "empty"
    assert client.get("/widgets").json() == [{"id": 5, "name": "five"}]


def test_a_removed_scenario_falls_back_to_the_default(api, live):
    live.current.state.scenario = "empty"
    (api[1] / "scenarios" / "empty.yaml").unlink()
    assert live.reload() is True
    assert live.current.state.scenario is None
    assert TestClient(live).get("/widgets").status_code == 200


def test_a_request_in_flight_finishes_on_the_app_it_started_on(api, live):
    results: list[httpx.Response] = []
    with served(live) as origin:
        slow = threading.Thread(target=lambda: results.append(
            httpx.get(origin + "/widgets/2", headers={"Prefer": "fault=trickle:800"})))
        slow.start()
        deadline = time.monotonic() + WAIT_SECONDS
        while not live.current.state.calls() and time.monotonic() < deadline:
            time.sleep(0.01)  # the journal has the request once its answer is chosen, before the body goes
        _rename_gadget(api[1], "gizmo")
        assert live.reload() is True
        fresh = httpx.get(origin + "/widgets/2")
        slow.join(WAIT_SECONDS)
    assert results[0].status_code == 200
    assert results[0].json()["name"] == "gadget"
    assert fresh.json()["name"] == "gizmo"
    assert [entry.path for entry in live.current.state.calls()] == ["/widgets/2", "/widgets/2"]


def test_the_watcher_reloads_on_save_and_recovers_from_a_broken_save(api, live):
    client = TestClient(live)
    with Watcher(live, watched_paths(api[0], live.current.spec.files, api[1])):
        # The watcher's thread sets its watch up on its own time (long on a busy machine): saved again
        # until it sees a save, as a person would.
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            _rename_gadget(api[1], "gizmo")
            if live.wait_for_reload(1, 1.0) or time.monotonic() > deadline:
                break
        reloads = live.reloads
        assert reloads >= 1
        assert client.get("/widgets/2").json()["name"] == "gizmo"
        (api[1] / "widgets.yaml").write_text("responses: [oops")
        deadline = time.monotonic() + WAIT_SECONDS
        while not live.problems and time.monotonic() < deadline:
            time.sleep(0.02)
        assert live.problems
        assert client.get("/widgets/2").json()["name"] == "gizmo"
        _rename_gadget(api[1], "fixed")
        assert live.wait_for_reload(reloads + 1, WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS  # (a second reload of the first save may come first)
        while client.get("/widgets/2").json()["name"] != "fixed" and time.monotonic() < deadline:
            time.sleep(0.02)
    assert client.get("/widgets/2").json()["name"] == "fixed"


def test_the_watched_folders_cover_the_spec_and_fixtures(api, tmp_path):
    folders = watched_paths(api[0] / "widgets.yaml", [str(api[0] / "widgets.yaml")], api[1])
    assert folders == sorted({api[0].resolve(), api[1].resolve()})
    assert watched_paths(tmp_path, [], tmp_path / "fixtures") == [tmp_path.resolve()]


def test_serve_watch_picks_up_edits_and_reports_broken_ones(api):
    def gadget_name(server: ServeProcess, expected: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while (name := httpx.get(server.origin + "/widgets/2").json()["name"]) != expected:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        return name

    with ServeProcess(str(api[0]), "--fixtures", str(api[1]), "--watch", "--log-format", "off") as server:
        server.wait_for(server.stdout, "watching")
        _rename_gadget(api[1], "gizmo")
        assert gadget_name(server, "gizmo") == "gizmo"
        (api[1] / "widgets.yaml").write_text(WIDGET_FIXTURES.replace("body: {id: 2,", "body: {id: two,"))
        problem = server.wait_for(server.stderr, "/responses/0/response/body/id")
        assert "widgets.yaml: /responses/0/response/body/id: " in problem
        assert httpx.get(server.origin + "/widgets/2").json()["name"] == "gizmo"
        _rename_gadget(api[1], "fixed")
        assert gadget_name(server, "fixed") == "fixed"
