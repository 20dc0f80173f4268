"""Latency and faults: `--delay`, fixture `delay_ms`, `Prefer: delay=`, and `Prefer: fault=`."""

from __future__ import annotations

import time

import httpx
import pytest
from dx_helpers import served, write_api
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.foundation.problems import LoadError
from mockserver.http.faults import DelayRange, Fault, parse_delay, parse_fault
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_mock


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


@pytest.fixture(scope="module")
def app(api):
    return create_app(*api)


@pytest.fixture
def client(app):
    return TestClient(app)


def _elapsed(call) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


@pytest.mark.parametrize(("text", "expected"), [
    ("300", DelayRange(300, 300)), ("200-800", DelayRange(200, 800)), (" 0 ", DelayRange(0, 0)),
])
def test_delays_are_milliseconds_or_a_range(text, expected):
    assert parse_delay(text) == expected


@pytest.mark.parametrize("text", ["fast", "800-200", "-5", "1-2-3", "9999999"])
def test_bad_delays_say_what_is_expected(text):
    with pytest.raises(ValueError, match="delay"):
        parse_delay(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("503", Fault("status", 503)), ("500!", Fault("status", 500, forced=True)), ("error", Fault("status")),
    ("reset", Fault("reset")), ("EMPTY", Fault("empty")), ("truncate", Fault("truncate")),
    ("trickle", Fault("trickle")), ("trickle:300", Fault("trickle", duration_ms=300)),
])
def test_faults_are_read_from_their_written_form(text, expected):
    assert parse_fault(text) == expected


@pytest.mark.parametrize(("text", "says"), [("explode", "reset"), ("200", "400-599"), ("600", "400-599"),
                                          ("trickle:soon", "trickle:3000")])
def test_unknown_faults_say_what_is_expected(text, says):
    with pytest.raises(ValueError, match=says):
        parse_fault(text)


def test_prefer_delay_holds_the_answer_back(client):
    response, elapsed = _elapsed(lambda: client.get("/widgets", headers={"Prefer": "delay=120"}))
    assert response.status_code == 200
    assert elapsed >= 0.12


def test_a_fixture_delay_applies_and_prefer_delay_overrides_it(client):
    response, elapsed = _elapsed(lambda: client.get("/widgets/3"))
    assert response.json()["name"] == "slow gadget"
    assert elapsed >= 0.15
    # Per-request wins over the fixture: delay=0 answers at once (only the body is checked here).
    assert client.get("/widgets/3", headers={"Prefer": "delay=0"}).json()["name"] == "slow gadget"


def test_the_global_delay_applies_to_every_answer(api):
    app = build_mock(ServeOptions(api[0], api[1], delay=DelayRange(100, 140), log_format=None))
    response, elapsed = _elapsed(lambda: TestClient(app).get("/widgets"))
    assert response.status_code == 200
    assert elapsed >= 0.1


def test_a_bad_prefer_delay_gets_the_mocks_own_400(client):
    response = client.get("/widgets", headers={"Prefer": "delay=soon"})
    assert response.status_code == 400
    assert "X-Mock-Error" in response.headers
    assert response.json()["choices"] == ["MS", "MIN-MAX"]


def test_a_documented_error_status_is_served_with_its_documented_body(client):
    response = client.get("/widgets", headers={"Prefer": "fault=503"})
    assert response.status_code == 503
    assert response.json() == {"detail": "try later"}
    assert response.headers["X-Mock-Source"] == "fault:503"
    assert "X-Mock-Error" not in response.headers


def test_fault_error_picks_the_documented_server_error(client):
    assert client.get("/widgets", headers={"Prefer": "fault=error"}).status_code == 503


def test_an_undocumented_status_is_refused_naming_the_documented_ones(client):
    response = client.get("/widgets/1", headers={"Prefer": "fault=500"})
    assert response.status_code == 400
    assert response.json()["choices"] == ["404"]
    assert "fault=500!" in response.json()["detail"]


def test_a_forced_status_is_sent_and_marked(client):
    response = client.get("/widgets/1", headers={"Prefer": "fault=500!"})
    assert response.status_code == 500
    assert "not documented" in response.headers["X-Mock-Error"]


def test_an_unknown_fault_lists_the_choices(client):
    response = client.get("/widgets", headers={"Prefer": "fault=explode"})
    assert response.status_code == 400
    assert "reset" in response.json()["choices"]


def test_faults_apply_to_operations_only(client):
    assert client.get("/nowhere", headers={"Prefer": "fault=reset"}).status_code == 404


def test_in_process_a_connection_fault_raises_a_connection_error(client):
    with pytest.raises(ConnectionError):
        client.get("/widgets", headers={"Prefer": "fault=reset"})


@pytest.fixture(scope="module")
def origin(app):
    with served(app) as origin:
        yield origin


def test_reset_drops_the_connection(origin):
    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.get(origin + "/widgets", headers={"Prefer": "fault=reset"})


def test_empty_closes_without_a_response(origin):
    with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
        httpx.get(origin + "/widgets", headers={"Prefer": "fault=empty"})


def test_truncate_sends_part_of_the_body_then_closes(origin):
    chunks: list[bytes] = []
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
        "GET", origin + "/widgets", headers={"Prefer": "fault=truncate"}
    ) as response:
        assert response.status_code == 200
        chunks.extend(response.iter_raw())
    whole = httpx.get(origin + "/widgets").content
    assert 0 < len(b"".join(chunks)) < len(whole)


def test_trickle_delivers_the_whole_body_slowly(origin):
    response, elapsed = _elapsed(lambda: httpx.get(origin + "/widgets",
                                                   headers={"Prefer": "fault=trickle:300"}))
    assert response.status_code == 200
    assert response.json() == [{"id": 1, "name": "sprocket"}]
    assert elapsed >= 0.3
    assert response.headers["X-Mock-Source"].endswith(";fault=trickle:300")


def test_the_server_keeps_serving_after_connection_faults(origin):
    for fault in ("reset", "empty", "truncate"):
        with pytest.raises(httpx.TransportError):
            httpx.get(origin + "/widgets", headers={"Prefer": f"fault={fault}"})
    assert httpx.get(origin + "/widgets").status_code == 200


FAULTY_FIXTURES = {
    "widgets.yaml": """\
responses:
  - name: broken-gadget
    operation: getWidget
    match: {path: {id: 2}}
    fault: empty
    response: {status: 200, body: {id: 2, name: gadget}}
""",
    "scenarios/flaky.yaml": """\
scenario: flaky
fault: reset
responses:
  - name: no-widgets
    operation: listWidgets
    response: {status: 200, body: []}
""",
}


@pytest.fixture(scope="module")
def faulty_origin(tmp_path_factory):
    with served(create_app(*write_api(tmp_path_factory.mktemp("faulty"), FAULTY_FIXTURES))) as origin:
        yield origin


def test_a_fixture_can_carry_a_fault(faulty_origin):
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(faulty_origin + "/widgets/2")


def test_a_scenario_can_carry_a_fault(faulty_origin):
    with pytest.raises(httpx.ReadError):
        httpx.get(faulty_origin + "/widgets", headers={"X-Mock-Scenario": "flaky"})
    assert httpx.get(faulty_origin + "/widgets").status_code == 200


def test_an_unknown_fixture_fault_is_refused_at_load_time(tmp_path):
    fixtures = {"widgets.yaml": FAULTY_FIXTURES["widgets.yaml"].replace("fault: empty", "fault: explode")}
    with pytest.raises(LoadError, match=r"widgets\.yaml.*fault"):
        create_app(*write_api(tmp_path, fixtures))
