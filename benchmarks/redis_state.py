"""The shared state's cost: cached answers with `--state redis://` next to the in-process state, and two
workers on one Redis, under wrk.

    python benchmarks/redis_state.py [--seconds 5] [--rounds 3] [--connections 10]

It starts its own `redis-server` (a free port, a temporary folder, no persistence; stopped by its PID),
then `mockserver serve openapi --fixtures fixtures` (request log off) with the in-process state and with
`--state redis://...`, one worker each on CPU 0, wrk on CPU 1, rounds alternating so that the machine's
noise falls on both; no admin change is made while they are measured. Measured: the bundled dataset's
list page and a customer summary, the same request again and again (answered from the answer memo, as a
polling frontend's are). Then two workers (`--workers 2`) on one Redis, on both CPUs (wrk shares CPU 1):
40 requests on new connections must get byte-identical answers from both workers (their ids in
`/__mock__/health`), and the throughput is reported next to one worker's.
Target (issue 19): with Redis, cached answers >= 0.9x the in-process state's requests/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import WRK_HINT, Load, run_load, wrk_available
from servers import Server, free_port, mockserver_command, pinning_available, precompile, start

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_CPU, LOAD_CPU = 0, 1
HEADERS = {"Authorization": "Bearer dz_test_token", "x-business-id": "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83"}
PATHS = {"dataset list page (limit 50)": "/api/v1/credit-memos?limit=50",
         "customer summary": "/api/v1/credit-memos/customers/7dde32e5-919f-598b-940d-aaac29945b05/credits"}
TARGET = 0.9


@dataclass
class RedisProcess:
    process: subprocess.Popen[bytes]
    port: int
    folder: tempfile.TemporaryDirectory[str]

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        self.folder.cleanup()


def start_redis() -> RedisProcess:
    port = free_port()
    folder = tempfile.TemporaryDirectory(prefix="mockserver-bench-redis-")
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", HOST, "--save", "",
                                "--appendonly", "no", "--dir", folder.name],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis = RedisProcess(process, port, folder)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket_to(port) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return redis
        except OSError:
            time.sleep(0.02)
    redis.stop()
    raise RuntimeError("redis-server did not start")


def socket_to(port: int) -> socket.socket:
    return socket.create_connection((HOST, port), timeout=1)


def serve(name: str, *extra: str, cpu: str | None) -> Server:
    port = free_port()
    command = [*mockserver_command(), "serve", "openapi", "--fixtures", "fixtures", "--port", str(port),
               "--log-format", "off", *extra]
    if cpu is not None:
        command = ["taskset", "-c", cpu, *command]
    server = start(name, command, port, cpu=None, cwd=ROOT)
    for path in PATHS.values():  # warm: the memo keeps an answer the second time it is asked
        for _ in range(3):
            get(port, path)
    return server


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers if headers is not None else HEADERS)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def measure(server: Server, path: str, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second, and the server's CPU time per request in microseconds (steadier on a shared
    machine: it does not count the time the server waited for a CPU)."""
    load = Load(HOST, server.port, path, HEADERS, connections=connections, seconds=seconds)
    cpu = server.cpu_s()
    result = run_load(load, LOAD_CPU if pinning_available() else None)
    cpu = server.cpu_s() - cpu
    if result.non_2xx or result.socket_errors:
        raise RuntimeError(f"{server.name}: {result.non_2xx} non-2xx, {result.socket_errors} socket errors")
    return result.rps, cpu / max(result.requests, 1) * 1e6


def identical_across_workers(server: Server) -> tuple[bool, int]:
    """Whether 40 requests on new connections got the same bytes, and how many workers answered."""
    bodies = {get(server.port, path)[1] for path in [PATHS["dataset list page (limit 50)"]] * 40}
    workers = {json.loads(get(server.port, "/__mock__/health", {})[1])["state"]["worker"] for _ in range(40)}
    return len(bodies) == 1, len(workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server)", file=sys.stderr)
        return 2
    if not wrk_available():
        print(f"note: {WRK_HINT}; the asyncio client's own cost caps these figures", file=sys.stderr)
    precompile(ROOT / "fixtures")
    pinned = str(SERVER_CPU) if pinning_available() else None
    redis = start_redis()
    servers: list[Server] = []
    try:
        memory = serve("memory", cpu=pinned)
        shared = serve("redis", "--state", redis.url, "--deployment", "bench", cpu=pinned)
        servers += [memory, shared]
        print(f"{'cached answer':30} {'memory req/s':>12} {'redis req/s':>11} {'ratio':>6} {'(rounds)':18} "
              f"{'CPU us/req memory / redis':>26}")
        failed = False
        one_worker: dict[str, float] = {}
        for label, path in PATHS.items():
            ratios, memory_rps, shared_rps, memory_cpu, shared_cpu = [], [], [], [], []
            for _ in range(args.rounds):
                rps, cpu = measure(memory, path, args.seconds, args.connections)
                memory_rps.append(rps)
                memory_cpu.append(cpu)
                rps, cpu = measure(shared, path, args.seconds, args.connections)
                shared_rps.append(rps)
                shared_cpu.append(cpu)
                ratios.append(shared_rps[-1] / memory_rps[-1])
            ratio = statistics.median(ratios)
            one_worker[path] = statistics.median(shared_rps)
            failed |= ratio < TARGET
            rounds = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"{label:30} {statistics.median(memory_rps):12.0f} {statistics.median(shared_rps):11.0f} "
                  f"{ratio:6.2f} ({rounds:16}) {statistics.median(memory_cpu):13.0f} / "
                  f"{statistics.median(shared_cpu):.0f}")
        memory.stop()
        shared.stop()
        both = "0,1" if pinning_available() else None
        two = serve("redis, 2 workers", "--state", redis.url, "--deployment", "bench", "--workers", "2",
                    cpu=both)
        servers.append(two)
        time.sleep(1)  # both workers listening
        identical, answering = identical_across_workers(two)
        path = PATHS["dataset list page (limit 50)"]
        two_rps = statistics.median(measure(two, path, args.seconds, args.connections)[0]
                                    for _ in range(args.rounds))
        print(f"\n--workers 2 on one Redis: answers identical across workers: {identical} "
              f"({answering} workers answered 40 new connections); list page {two_rps:.0f} req/s "
              f"(one worker: {one_worker[path]:.0f} req/s; two workers share both CPUs with wrk)")
        failed |= not identical or answering < 2
        print(f"\ntarget: redis >= {TARGET}x memory for cached answers: {'met' if not failed else 'NOT met'}")
        return 1 if failed else 0
    finally:
        for server in servers:
            server.stop()
        redis.stop()


if __name__ == "__main__":
    raise SystemExit(main())
