"""Driving a server with load: wrk when it is installed, else a small asyncio client (far less exact).

wrk is Debian's and Ubuntu's `wrk` package (`apt-get install wrk`), Homebrew's `wrk` on macOS, or
https://github.com/wg/wrk built from source. It runs on its own CPU (see `cpu`), so the server
measured is the bottleneck, not the load generator.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

WRK_HINT = ("install wrk for exact figures: `apt-get install -y wrk` (Debian/Ubuntu, as root) "
            "or `brew install wrk` (macOS)")
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class Load:
    """One load run: where, what, how hard and for how long."""

    host: str
    port: int
    path: str  # with its query string
    headers: dict[str, str]
    connections: int = 10
    seconds: float = 10.0
    lua: str | None = None  # a wrk script (requests that vary); the fallback client does not run it


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_version() -> str:
    if not wrk_available():
        return "none"
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"wrk (\S+)", done.stdout + done.stderr)
    return match.group(1) if match else "unknown"


def run_load(load: Load, cpu: int | None) -> LoadResult:
    """Run `load` with wrk (pinned to `cpu` when given), else with the asyncio client."""
    if wrk_available():
        return _run_wrk(load, cpu)
    return asyncio.run(_python_load(load))


def _run_wrk(load: Load, cpu: int | None) -> LoadResult:
    command = ["wrk", "-t1", f"-c{load.connections}", f"-d{max(1, round(load.seconds))}s", "--latency"]
    for name, value in load.headers.items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as folder:
        if load.lua is not None:
            script = Path(folder) / "requests.lua"
            script.write_text(load.lua, encoding="utf-8")
            command += ["-s", str(script)]
        command.append(f"http://{load.host}:{load.port}{load.path}")
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> LoadResult:
    """The figures of wrk's `--latency` report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    seconds = float(total.group(2)) * _UNITS[total.group(3)] / 1000
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(
        requests=int(total.group(1)),
        seconds=seconds,
        p50_ms=_percentile(output, "50"),
        p99_ms=_percentile(output, "99"),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def _percentile(output: str, which: str) -> float:
    match = re.search(rf"^\s+{which}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


# -- the fallback client -----------------------------------------------------------------------


async def _python_load(load: Load) -> LoadResult:
    request = _request_bytes(load.host, load.path, load.headers)
    deadline = time.perf_counter() + load.seconds
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0}
    started = time.perf_counter()
    await asyncio.gather(*(_connection(load, request, deadline, latencies, counts)
                           for _ in range(load.connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=statistics.median(ordered),
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))],
        non_2xx=counts["non_2xx"],
        socket_errors=counts["errors"],
    )


def _request_bytes(host: str, path: str, headers: dict[str, str]) -> bytes:
    fields = (f"{name}: {value}" for name, value in headers.items())
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connection(load: Load, request: bytes, deadline: float, latencies: list[float],
                      counts: dict[str, int]) -> None:
    try:
        reader, writer = await asyncio.open_connection(load.host, load.port)
    except OSError:
        counts["errors"] += 1
        return
    try:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies.append((time.perf_counter() - sent) * 1000)
            if not 200 <= status < 400:
                counts["non_2xx"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        counts["errors"] += 1
    finally:
        writer.close()


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith("content-length:")), 0)
    await reader.readexactly(length)
    return status


def request_id_lua(header: str = "X-Request-Id") -> str:
    """A wrk script sending the same request with a new `header` value each time: what a browser or a
    tracing client does, and what makes every request distinct to anything that remembers requests."""
    return (
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        f"  wrk.headers[\"{header}\"] = tostring(n)\n"
        "  return wrk.format()\n"
        "end\n"
    )


def unique_requests_lua(paths: Sequence[str]) -> str:
    """A wrk script cycling through `paths`, where `{n}` is replaced by a counter (every request unique)."""
    quoted = ", ".join(f'"{path}"' for path in paths)
    return (
        f"local paths = {{{quoted}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local path = string.gsub(paths[(n % #paths) + 1], \"{n}\", tostring(n))\n"
        "  return wrk.format(nil, path)\n"
        "end\n"
    )
