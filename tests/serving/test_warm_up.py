"""The warm-up after start-up (mockserver.serving.warmup): answers are the same with or without it, the
server answers while it runs, and a failing warm-up never stops the server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from dx_helpers import ServeProcess, niceness
from starlette.testclient import TestClient

from mockserver import MockApp, create_app
from mockserver.serving import warmup
from mockserver.serving.warmup import WarmUp

CORPUS = Path(__file__).parents[1] / "corpus"
SPEC = CORPUS / "crud_uuid_ids.yaml"


def _answers(client: TestClient | httpx.Client) -> list[tuple[int, bytes]]:
    """A list page, then each record listed, then a record of an unknown id."""
    page = client.get("/accounts", params={"limit": 3})
    records = [client.get(f"/accounts/{record['id']}") for record in page.json()["data"]]
    unknown = client.get("/accounts/6f1c2b0a-3d4e-4f50-8a6b-7c8d9e0f1a2b")
    return [(reply.status_code, reply.content) for reply in (page, *records, unknown)]


def test_a_warmed_mock_answers_as_a_cold_one() -> None:
    warmed = create_app(SPEC)
    steps = list(warmed.warm_up())
    assert steps  # it did its work in steps
    assert _answers(TestClient(warmed)) == _answers(TestClient(create_app(SPEC)))


def test_serve_answers_while_it_warms_up(tmp_path: Path) -> None:
    expected = _answers(TestClient(create_app(SPEC)))
    with ServeProcess(str(SPEC), "--fixtures", str(tmp_path)) as server, \
            httpx.Client(base_url=server.origin) as client:
        assert _answers(client) == expected
        assert server.process.poll() is None


def test_a_failing_warm_up_leaves_the_mock_answering() -> None:
    app = create_app(SPEC)

    def broken() -> Iterator[None]:
        yield
        raise RuntimeError("the warm-up broke")

    app.warm_up = broken  # type: ignore[method-assign]
    warm = WarmUp(app).start()
    assert warm.done.wait(10)
    assert _answers(TestClient(app)) == _answers(TestClient(create_app(SPEC)))


def test_a_stopped_warm_up_does_no_more_steps() -> None:
    app = create_app(SPEC)
    taken: list[int] = []

    def counted(mock: MockApp) -> Iterator[None]:
        for number in range(1000):
            taken.append(number)
            yield

    app.warm_up = lambda: counted(app)  # type: ignore[method-assign]
    warm = WarmUp(app)
    warm.stop()
    warm.start()
    assert warm.done.wait(10)
    assert len(taken) <= 1


def test_the_warm_up_waits_while_requests_come(monkeypatch: pytest.MonkeyPatch) -> None:
    """It runs beside the server in the same interpreter: a step beside a request slows that request."""
    monkeypatch.setattr(warmup, "DELAY_SECONDS", 0)
    monkeypatch.setattr(warmup, "QUIET_SECONDS", 0.3)
    app = create_app(SPEC)
    steps: list[float] = []

    def timed() -> Iterator[None]:
        for _ in range(3):
            steps.append(time.perf_counter())
            yield

    app.warm_up = timed  # type: ignore[method-assign]
    client = TestClient(app)
    client.get("/accounts")
    warm = WarmUp(app).start()
    until = time.perf_counter() + 1.0
    while time.perf_counter() < until:  # back to back for a second
        client.get("/accounts", params={"limit": 2})
    answered = time.perf_counter()
    assert steps == []
    assert warm.done.wait(10)
    assert len(steps) == 3
    assert steps[0] - answered >= 0.3 * 0.9


def _lowest_priority_threads(pid: int) -> int:
    """How many threads of `pid` run at niceness 19, as the warm-up's does from its start."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            count += niceness(task) == 19
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended meanwhile
    return count


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process's threads from /proc")
def test_serve_watch_warms_each_app_a_reload_swaps_in(tmp_path: Path) -> None:
    """The rebuilt app's first answers would otherwise do the shared work again after every save."""
    (tmp_path / "openapi").mkdir()
    (tmp_path / "fixtures").mkdir()
    spec = tmp_path / "openapi" / "spec.yaml"
    spec.write_text(SPEC.read_text())
    with ServeProcess(str(spec), "--fixtures", str(tmp_path / "fixtures"), "--watch", "--log-format", "off") \
            as server:
        pid = server.process.pid
        _until(lambda: _lowest_priority_threads(pid) == 1, 2)  # the first app's warm-up (unless done already)
        assert _until(lambda: _lowest_priority_threads(pid) == 0, 30)  # ... ends once done
        spec.write_text(SPEC.read_text() + "\n")
        server.wait_for(server.stderr, "reloaded")
        assert _until(lambda: _lowest_priority_threads(pid) == 1, 10)


def test_the_warm_up_imports_hypothesis_before_it_shapes_each_schema(tmp_path: Path) -> None:
    """Any first answer may need hypothesis (most of a second to import): the warm-up does that shared step
    before the per-schema shaping, which on a large spec takes seconds of idle moments."""
    def operation(number: int) -> dict[str, object]:
        schema = {"type": "object", "properties": {f"field{number}": {"type": "string"}}}
        return {"get": {"responses": {"200": {"description": "a thing",
                                              "content": {"application/json": {"schema": schema}}}}}}

    paths = {f"/things{number}": operation(number) for number in range(40)}
    spec = tmp_path / "many.json"
    spec.write_text(json.dumps({"openapi": "3.1.0", "info": {"title": "Many", "version": "1"},
                                "paths": paths}))
    script = textwrap.dedent(f"""
        import sys
        from mockserver import create_app
        for step, _ in enumerate(create_app({str(spec)!r}).warm_up(), start=1):
            if "hypothesis" in sys.modules:
                print(step)
                break
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          timeout=120)
    assert done.stdout.strip() and int(done.stdout) <= 5  # of 40-odd steps


def test_serve_leaves_the_folder_it_runs_in_as_it_found_it(tmp_path: Path) -> None:
    """hypothesis keeps its Unicode tables under `.hypothesis/` in the current folder, as for a test run;
    a served mock keeps them in mockserver's cache folder."""
    spec = tmp_path / "words.yaml"
    spec.write_text(textwrap.dedent("""
        openapi: 3.1.0
        info: {title: Words, version: "1"}
        paths:
          /words:
            get:
              responses:
                "200":
                  description: names starting with q (hypothesis draws them)
                  content:
                    application/json:
                      schema:
                        type: object
                        patternProperties: {"^q": {type: string}}
                        additionalProperties: false
                        minProperties: 1
    """))
    project, cache = tmp_path / "project", tmp_path / "cache"
    project.mkdir()
    environment = {"MOCKSERVER_CACHE_DIR": str(cache), "HYPOTHESIS_STORAGE_DIRECTORY": ""}
    with ServeProcess(str(spec), cwd=project, env=environment) as server:
        words = httpx.get(server.origin + "/words")
    assert words.status_code == 200 and words.json() and all(name.startswith("q") for name in words.json())
    assert list(project.iterdir()) == []
    assert (cache / "hypothesis" / "unicode_data").is_dir()
