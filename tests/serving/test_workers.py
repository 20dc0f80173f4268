"""`mockserver serve --workers N`: N processes that give identical answers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import ROOT

ROOT = ROOT
HEADERS = {
    "Authorization": "Bearer t",
    "x-business-id": "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83",
    "Prefer": "dynamic=true",
}
PATHS = ["/api/v1/credit-memos?limit=5", "/api/v1/credit-memos?limit=3&cursor=abc"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    # A new connection each time, so the kernel spreads the requests over both workers.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait_until_answering(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        try:
            _get(port, "/__mock__/health")
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("mockserver --workers 2 did not answer within 90 s")


@pytest.fixture(scope="module")
def two_workers() -> Iterator[tuple[int, int]]:
    port = _free_port()
    command = [sys.executable, "-m", "mockserver", "serve", "openapi", "--fixtures", "fixtures",
               "--port", str(port), "--workers", "2", "--log-format", "off"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_answering(port, process)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_workers_give_identical_answers(two_workers: tuple[int, int]) -> None:
    port, _ = two_workers
    paths = [path for path in PATHS for _ in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda path: _get(port, path, HEADERS), paths))
    assert all(status == 200 for status, _ in answers)
    for path in PATHS:
        bodies = {body for sent, (_, body) in zip(paths, answers, strict=True) if sent == path}
        assert len(bodies) == 1, f"{path}: {len(bodies)} different bodies"


def test_serve_runs_the_requested_number_of_workers(two_workers: tuple[int, int]) -> None:
    _, pid = two_workers
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        pytest.skip("counting child processes needs Linux /proc")
    # uvicorn spawns its workers with multiprocessing (beside them runs multiprocessing's resource tracker).
    workers = [child for child in children.read_text().split()
               if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]
    assert len(workers) == 2


def test_watch_cannot_be_combined_with_workers() -> None:
    command = [sys.executable, "-m", "mockserver", "serve", "openapi", "--watch", "--workers", "2"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "--watch" in done.stderr and "Traceback" not in done.stderr
