"""Helpers of the shared-state tests (test_state_*): a real `redis-server` of the test run, on a free port
in a temporary folder, stopped by its PID; and `mockserver serve` processes on it.

Import the fixture into the test module (`from redis_helpers import redis_server`); where redis-server is
not installed (`make test` installs Debian's), the tests using it are skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from dx_helpers import ServeProcess

WAIT_SECONDS = 20.0  # generous: only a failing test waits this long
MISSING = ("redis-server is not installed: `make test` installs Debian's redis-server (or run "
           "`apt-get install redis-server`); the in-memory state is tested without it")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A redis-server of the tests: no persistence, its files in `folder`; started and stopped by PID."""

    MISSING = MISSING

    @staticmethod
    def installed() -> bool:
        return shutil.which("redis-server") is not None

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.folder), "--protected-mode", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop it by its PID and wait until the port is closed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server for this test session (each pytest-xdist worker has its own)."""
    if not RedisServer.installed():
        pytest.skip(MISSING)
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()


def deployment() -> str:
    """A deployment name of its own, so that tests on one Redis never see each other's keys."""
    return f"test-{uuid.uuid4().hex[:12]}"


def serve_shared(spec: Path, url: str, name: str, *arguments: str) -> ServeProcess:
    """`mockserver serve SPEC --state URL --deployment NAME ...`, started; the fixtures folder beside the
    spec (made empty when missing)."""
    fixtures = spec.parent / "fixtures"
    fixtures.mkdir(exist_ok=True)
    return ServeProcess(str(spec), "--fixtures", str(fixtures), "--state", url, "--deployment", name,
                        "--log-format", "off", *arguments).__enter__()


def poll(check: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    """Wait until `check()` is true (polling; fails after `seconds`)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {check}")
        time.sleep(0.02)


def fresh_get(origin: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """A request on a new connection (so that the kernel spreads requests over a server's workers)."""
    with httpx.Client(base_url=origin, timeout=10) as client:
        return client.get(path, headers=headers or {})
