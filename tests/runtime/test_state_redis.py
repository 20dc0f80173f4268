"""One state for every worker and replica, on a real Redis (`serve --state redis://...`): two replicas, one of
them with two workers, agree on overrides, scenarios, records and the journal; sessions isolate; a lost
Redis is survived; a Redis that cannot be reached at start-up stops `serve` with one line."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from dx_helpers import ServeProcess, write_api
from helpers import TESTS
from redis_helpers import RedisServer, deployment, free_port, fresh_get, poll, redis_server, serve_shared

from mockserver import create_app

ORDERS = TESTS / "corpus" / "crud_integer_ids.yaml"
T = TypeVar("T")
JSON = {"Content-Type": "application/json"}
KEY = {"api_key": "k"}

__all__ = ["redis_server"]  # the fixture, imported


@dataclass
class Replicas:
    a: ServeProcess  # one worker
    b: ServeProcess  # two workers
    url: str
    name: str


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    spec, _ = write_api(tmp_path_factory.mktemp("widgets"))
    url, name = redis_server.url(), deployment()
    a = serve_shared(spec, url, name)
    try:
        b = serve_shared(spec, url, name, "--workers", "2")
    except BaseException:
        a.__exit__()
        raise
    try:
        import redis

        with redis.Redis.from_url(url) as client:  # every worker registered: 1 + 2
            poll(lambda: client.scard(f"mockserver:{name}:workers") == 3)
        yield Replicas(a, b, url, name)
    finally:
        a.__exit__()
        b.__exit__()


def _session() -> str:
    return f"s-{uuid.uuid4().hex[:8]}"


def _in(session: str | None) -> dict[str, str]:
    return {"X-Mock-Session": session} if session else {}


def _widgets(origin: str, session: str | None = None) -> object:
    return fresh_get(origin, "/widgets", _in(session)).json()


def test_an_override_set_through_one_replica_is_served_next_by_every_worker_of_both(
        replicas: Replicas) -> None:
    try:
        for n in range(6):
            body = [{"id": n, "name": f"widget {n}"}]
            added = httpx.post(replicas.a.origin + "/__mock__/overrides", headers=JSON,
                               json={"operation": "listWidgets", "body": body})
            assert added.status_code == 201
            assert added.headers["x-mock-propagated"] == "3/3"
            # The next requests, on new connections (both workers of B), answer with it at once.
            assert [_widgets(origin) for origin in (replicas.b.origin, replicas.b.origin, replicas.b.origin,
                                                    replicas.a.origin)] == [body] * 4
    finally:
        httpx.delete(replicas.b.origin + "/__mock__/overrides", headers=JSON)
    assert _widgets(replicas.a.origin) != [{"id": 5, "name": "widget 5"}]


def test_the_journal_of_both_replicas_is_visible_from_either(replicas: Replicas) -> None:
    session = _session()
    for origin, widget in ((replicas.a.origin, 1), (replicas.b.origin, 2), (replicas.b.origin, 3)):
        assert fresh_get(origin, f"/widgets/{widget}", _in(session)).status_code == 200
    for origin in (replicas.a.origin, replicas.b.origin):
        journal = httpx.get(origin + "/__mock__/requests", params={"session": session}).json()
        assert [entry["path"] for entry in journal["requests"]] == ["/widgets/3", "/widgets/2", "/widgets/1"]
        every = httpx.get(origin + "/__mock__/requests", params={"limit": 1000}).json()["requests"]
        assert {entry["path"] for entry in every if entry["session"] == session} == {
            "/widgets/1", "/widgets/2", "/widgets/3"}


def test_sessions_isolate_overrides_scenarios_and_journals(replicas: Replicas) -> None:
    one, two, three = _session(), _session(), _session()
    httpx.post(replicas.a.origin + "/__mock__/overrides", headers=JSON,
               json={"operation": "getSecure", "body": {"session": one}, "session": one})
    switched = httpx.put(replicas.b.origin + "/__mock__/scenario", headers=JSON,
                         json={"scenario": "empty", "session": two})
    assert switched.headers["x-mock-propagated"] == "3/3"
    for origin in (replicas.a.origin, replicas.b.origin, replicas.b.origin):
        with httpx.Client(base_url=origin, params=KEY) as client:
            assert client.get("/secure", headers=_in(one)).json() == {"session": one}
            assert client.get("/secure", headers=_in(two)).json() == {"ok": True}
        assert _widgets(origin, two) == []
        assert _widgets(origin, one) != [] and _widgets(origin, three) != []
    journal = httpx.get(replicas.b.origin + "/__mock__/requests", params={"session": two}).json()
    assert {entry["session"] for entry in journal["requests"]} == {two}
    listed = httpx.get(replicas.b.origin + "/__mock__/overrides", params={"session": two}).json()
    assert listed == []


def test_a_record_created_through_one_replica_is_read_through_the_other(replicas: Replicas) -> None:
    session = _session()
    created = httpx.post(replicas.a.origin + "/widgets", headers={**JSON, **_in(session)},
                         json={"id": 4242, "name": "shared"})
    assert created.status_code == 201
    for _ in range(3):  # both workers of B
        assert fresh_get(replicas.b.origin, "/widgets/4242", _in(session)).json() == {"id": 4242,
                                                                                     "name": "shared"}
        assert {"id": 4242, "name": "shared"} in _widgets(replicas.b.origin, session)
    assert {"id": 4242, "name": "shared"} not in _widgets(replicas.b.origin, _session())
    assert httpx.delete(replicas.b.origin + "/widgets/4242", headers=_in(session)).status_code == 204
    assert fresh_get(replicas.a.origin, "/widgets/4242", _in(session)).status_code == 404


def test_a_counted_override_answers_exactly_that_many_requests_across_replicas(replicas: Replicas) -> None:
    session = _session()
    httpx.post(replicas.a.origin + "/__mock__/overrides", headers=JSON,
               json={"operation": "listWidgets", "body": [], "times": 3, "session": session})
    origins = [replicas.a.origin, replicas.b.origin] * 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda origin: fresh_get(origin, "/widgets", _in(session)), origins))
    assert sum(answer.headers["x-mock-source"] == "override" for answer in answers) == 3


async def _within(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """`work`'s result; a failure naming where every task waits if it takes longer than `seconds` (it once
    hung in a loaded full run and was never seen again alone: this says where, when it does)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        stacks = io.StringIO()
        for waiting in asyncio.all_tasks() - {asyncio.current_task()}:
            waiting.print_stack(limit=8, file=stacks)
        task.cancel()
        pytest.fail(f"no answer within {seconds} s; the tasks wait at:\n{stacks.getvalue()}")
    return task.result()


def test_concurrent_creates_in_one_session_from_two_workers_all_get_their_own_id(
        redis_server: RedisServer) -> None:
    async def run() -> tuple[list[int], int]:
        name = deployment()
        apps = [create_app(ORDERS, None, state_url=redis_server.url(), deployment=name) for _ in range(2)]
        clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")
                   for app in apps]
        try:
            headers = {"X-Mock-Session": "busy"}
            created = await asyncio.gather(*(
                clients[n % 2].post("/orders", json={"customer": f"c{n}", "total_cents": n}, headers=headers)
                for n in range(20)))
            listed = (await clients[0].get("/orders", params={"per_page": 100}, headers=headers)).json()
            assert [response.status_code for response in created] == [201] * 20, created[0].text
            return [response.json()["id"] for response in created], listed["total"]
        finally:
            for client, app in zip(clients, apps, strict=True):
                await client.aclose()
                await app.state.backend.stop()

    ids, total = asyncio.run(_within(run(), seconds=60))
    assert len(set(ids)) == 20
    assert total == 10 + 20  # the initial records, and every one created


def test_an_abandoned_session_expires_everywhere(redis_server: RedisServer, tmp_path: Path) -> None:
    spec, _ = write_api(tmp_path)
    session = _session()
    with serve_shared(spec, redis_server.url(), deployment(), "--session-ttl", "1") as mock:
        httpx.post(mock.origin + "/__mock__/overrides", headers=JSON,
                   json={"operation": "listWidgets", "body": [], "session": session})
        assert _widgets(mock.origin, session) == []
        poll(lambda: _widgets(mock.origin, session) != [], seconds=10)


def test_a_lost_redis_is_survived_and_everything_resumes_when_it_is_back(tmp_path: Path) -> None:
    if not RedisServer.installed():
        pytest.skip(RedisServer.MISSING)
    own = RedisServer(tmp_path).start()  # its own: stopping it leaves the other tests' Redis alone
    spec, _ = write_api(tmp_path / "api")
    try:
        with serve_shared(spec, own.url(), deployment()) as mock:
            api = httpx.Client(base_url=mock.origin, timeout=10)
            api.post("/__mock__/overrides", headers=JSON, json={"operation": "listWidgets", "body": []})
            own.stop()
            poll(lambda: "x-mock-warning" in api.get("/widgets").headers)
            kept = api.get("/widgets")
            assert kept.json() == [] and "unreachable" in kept.headers["x-mock-warning"]
            refused = api.post("/__mock__/overrides", headers=JSON, json={"operation": "listWidgets"})
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            assert "unreachable" in refused.json()["detail"]
            write = api.post("/widgets", headers=JSON, json={"id": 5, "name": "five"})
            assert write.status_code == 503 and "not made" in write.headers["x-mock-error"]
            for widget in (1, 2, 3):
                assert api.get(f"/widgets/{widget}", headers=_in("outage")).status_code == 200
            own.start()
            poll(lambda: api.post("/__mock__/overrides", headers=JSON,
                                  json={"operation": "getSecure", "body": {"back": True}}).status_code == 201)
            assert "x-mock-warning" not in api.get("/widgets").headers
            assert api.get("/secure", params=KEY).json() == {"back": True}
            journal = api.get("/__mock__/requests", params={"session": "outage"}).json()
            paths = [entry["path"] for entry in journal["requests"]]
            assert paths == ["/widgets/3", "/widgets/2", "/widgets/1"]
            mock.wait_for(mock.stderr, "is back; resumed")
            assert sum("lost the shared state" in line for line in mock.stderr) == 1
    finally:
        own.stop()


def test_serve_stops_with_one_line_when_redis_cannot_be_reached(tmp_path: Path) -> None:
    spec, fixtures = write_api(tmp_path)
    url = f"redis://127.0.0.1:{free_port()}/0"
    command = [sys.executable, "-m", "mockserver", "serve", str(spec), "--fixtures", str(fixtures),
               "--state", url, "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"mockserver: error: cannot reach the shared state at {url}")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("given", [["--state", "http://cache:6379"], []])
def test_a_state_url_that_names_no_backend_is_refused(tmp_path: Path, given: list[str]) -> None:
    spec, fixtures = write_api(tmp_path)
    command = [sys.executable, "-m", "mockserver", "serve", str(spec), "--fixtures", str(fixtures),
               "--port", "0", *given]
    environment = {"MOCKSERVER_STATE_URL": "memcached://cache"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, **environment})
    assert done.returncode == 2
    assert "is not a state URL" in done.stderr and "Traceback" not in done.stderr


def test_pytest_against_a_remote_mock_gives_each_test_a_session_of_its_own(
        replicas: Replicas, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_remote=textwrap.dedent("""
        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_own_override_scenario_and_journal(mock_api, n):
            mine = [{"id": n, "name": f"mine {n}"}]
            mock_api.override("listWidgets", json=mine)
            client = mock_api.client()
            for _ in range(5):
                assert client.get("/widgets").json() == mine
            someone_else = httpx.get(mock_api.url + "/widgets", headers={"X-Mock-Session": "other"})
            assert someone_else.json() != mine
            mock_api.scenario("empty")
            assert client.get("/widgets/1").status_code == 200
            assert [call.path for call in mock_api.calls()] == ["/widgets"] * 5 + ["/widgets/1"]
            mock_api.assert_called("getWidget", times=1)

        def test_errors_name_the_problem(mock_api):
            with pytest.raises(pytest.fail.Exception, match="unknown operation 'nope'"):
                mock_api.override("nope")
            with pytest.raises(pytest.fail.Exception, match="unknown scenario 'emtpy'.*choices"):
                mock_api.scenario("emtpy")
    """))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:randomly", "--mockserver-url",
                                           replicas.b.origin)
    result.assert_outcomes(passed=5)
    overrides = httpx.get(replicas.a.origin + "/__mock__/overrides").json()
    assert [item for item in overrides if item["session"].startswith("mock-api-")] == []  # each test reset
