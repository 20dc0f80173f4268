"""Starting the servers the benchmark measures, timing their start-up, reading their memory, stopping them."""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 60.0


@dataclass
class Server:
    """A server process the benchmark started (and only ever stops itself, by its pid)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    startup_s: float = 0.0

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)

    def cpu_s(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinning_available() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def mockserver_command() -> list[str]:
    """`mockserver`, as users run it: the console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("mockserver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mockserver"]


def precompile(*folders: Path) -> list[Path]:
    """Write the bytecode of the mockserver package and of `folders` (fixture hooks), as a regular install
    has it: an editable install, or PYTHONDONTWRITEBYTECODE, would have every start compile every module.
    Returns the folders compiled."""
    spec = importlib.util.find_spec("mockserver")
    package = [Path(location) for location in (spec.submodule_search_locations or [])] if spec else []
    compiled = [folder for folder in [*package, *folders] if folder.is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *map(str, compiled)], check=False,
                   stdout=subprocess.DEVNULL)
    return compiled


def start(name: str, command: Sequence[str], port: int, *, cpu: int | None, cwd: Path,
          timeout_s: float = START_TIMEOUT_S) -> Server:
    """Start `command` and wait (at most `timeout_s`) for its first answered request; the wait is its
    start-up time."""
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    started = time.perf_counter()
    # A file, not a pipe: a chatty server must never block on it. It lives as long as the process.
    errors = tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
    server = Server(name, process, port)
    while True:
        if process.poll() is not None:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise RuntimeError(f"{name} exited with {process.returncode}: {message[-2000:]}")
        if time.perf_counter() - started > timeout_s:
            server.stop()
            raise RuntimeError(f"{name} did not answer within {timeout_s:.0f} s")
        if _answers(port):
            server.startup_s = time.perf_counter() - started
            return server
        time.sleep(0.005)


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/__benchmark_probe__")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (Linux /proc; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float


def fetch(port: int, path: str, headers: dict[str, str], method: str = "GET", body: bytes | None = None,
          timeout: float = 120.0) -> Reply:
    """One request on a fresh connection, timed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, payload, elapsed)
    finally:
        connection.close()
