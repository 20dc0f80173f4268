"""The stateful mock's speed and memory: ratios to a bare Starlette app answering the same bytes, under wrk.

    python benchmarks/stateful.py [--seconds 10] [--rounds 2] [--connections 10] [--creates 100000]
                                  [--sessions 1000]

It serves `tests/corpus/crud_uuid_ids.yaml` (UUID ids, `Location`, timestamps: a typical create) with
`mockserver serve` (stateful, the default; request log off) and a bare Starlette app (this file,
`--baseline`) that answers what the mock answered for the same requests, both under uvicorn with the
same settings; the server gets CPU 0 and wrk CPU 1 (`taskset`), as in `bench.py`. Measured: a GET of a
record, a GET of the list, each also with a new `X-Request-Id` every request (nothing remembered answers
it), and POSTs creating a record each time. Then memory: RSS while `--creates` records are created
round-robin across `--sessions` sessions (`X-Mock-Session`) by one keep-alive client, sampled every
quarter. Targets (issue 18): GET >= 0.7x, POST >= 0.5x, RSS flat.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import WRK_HINT, Load, LoadResult, request_id_lua, run_load, wrk_available
from servers import Server, fetch, free_port, mockserver_command, pinning_available, precompile, start

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "corpus" / "crud_uuid_ids.yaml"
HOST = "127.0.0.1"
SERVER_CPU, LOAD_CPU = 0, 1
PET = b'{"name": "Ada", "plan": "free", "api_key": "k-12345678"}'
JSON = {"Content-Type": "application/json"}
TARGETS = {"GET": 0.7, "POST": 0.5}
RSS_GROWTH_TARGET_MB = 20.0  # between the first and the last quarter of the creates


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    distinct: bool = False


def _post_lua(distinct_header: str | None = None) -> str:
    return (
        "local n = 0\n"
        "wrk.method = \"POST\"\n"
        f"wrk.body = '{PET.decode()}'\n"
        "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        "request = function()\n"
        "  n = n + 1\n"
        + (f"  wrk.headers[\"{distinct_header}\"] = tostring(n)\n" if distinct_header else "")
        + "  return wrk.format()\n"
        "end\n"
    )


def record_answers(mock: Server, scenarios: list[Scenario]) -> list[dict[str, Any]]:
    """What the mock answers each scenario's request, as the baseline replays it."""
    recorded = []
    for scenario in scenarios:
        body = PET if scenario.method == "POST" else None
        reply = fetch(mock.port, scenario.path, JSON if body else {}, scenario.method, body)
        if reply.headers.get("x-mock-source") != "stateful":
            raise RuntimeError(f"{scenario.name}: answered from {reply.headers.get('x-mock-source')!r}")
        path, _, query = scenario.path.partition("?")
        recorded.append({"method": scenario.method, "path": path, "query": query, "status": reply.status,
                         "content_type": reply.headers.get("content-type", "application/json"),
                         "body": base64.b64encode(reply.body).decode("ascii")})
    return recorded


def create_baseline(answers_file: Path) -> Any:
    """A bare Starlette app answering the recorded bytes (a POST's body is read, as any app would)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    answers = {(item["method"], item["path"], item["query"]): item
               for item in json.loads(answers_file.read_text(encoding="utf-8"))}
    decoded = {key: base64.b64decode(item["body"]) for key, item in answers.items()}

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            await request.body()
        key = (request.method, request.url.path, request.scope["query_string"].decode("latin-1"))
        item = answers.get(key)
        if item is None:
            return Response(b'{"detail":"Not Found"}', 404, media_type="application/json")
        return Response(decoded[key], item["status"], media_type=item["content_type"])

    paths = sorted({path for _, path, _ in answers})
    return Starlette(routes=[Route(path, endpoint, methods=["GET", "POST"]) for path in paths])


def measure(server: Server, scenario: Scenario, seconds: float, connections: int, cpu: int | None) -> float:
    if scenario.method == "POST":
        lua = _post_lua("X-Request-Id" if scenario.distinct else None)
    else:
        lua = request_id_lua() if scenario.distinct else None
    result: LoadResult = run_load(Load(HOST, server.port, scenario.path, {}, connections, seconds, lua), cpu)
    if result.non_2xx or result.socket_errors:
        raise RuntimeError(f"{scenario.name} on {server.name}: {result.non_2xx} non-2xx, "
                           f"{result.socket_errors} socket errors")
    return result.rps


def memory_under_creates(mock: Server, creates: int, sessions: int) -> list[tuple[int, float]]:
    """RSS (MB) after 0, 1/4, 2/4, 3/4 and all of `creates` POSTs spread over `sessions` sessions."""
    samples = [(0, mock.rss_mb())]
    connection = http.client.HTTPConnection(HOST, mock.port, timeout=30)
    try:
        for number in range(1, creates + 1):
            headers = {**JSON, "X-Mock-Session": f"bench-{number % sessions}"}
            connection.request("POST", "/accounts", body=PET, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"create {number} answered {response.status}")
            if number % (creates // 4 or 1) == 0:
                samples.append((number, mock.rss_mb()))
    finally:
        connection.close()
    return samples


def start_mock(port: int, cpu: int | None) -> Server:
    command = [*mockserver_command(), "serve", str(SPEC), "--host", HOST, "--port", str(port),
               "--log-format", "off"]
    return start("mockserver", command, port, cpu=cpu, cwd=SPEC.parent)  # no ./fixtures there


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="of load per scenario and server")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs per scenario and server")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--creates", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, default=None, help=argparse.SUPPRESS)  # internal
    parser.add_argument("--port", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.baseline is not None:
        import uvicorn

        uvicorn.run(create_baseline(args.baseline), host=HOST, port=args.port, log_level="warning",
                    access_log=False)
        return 0
    if not wrk_available():
        print(f"wrk is needed for this benchmark: {WRK_HINT}", file=sys.stderr)
        return 2
    precompile()
    pin = pinning_available()
    server_cpu, load_cpu = (SERVER_CPU, LOAD_CPU) if pin else (None, None)
    port = free_port()
    mock = start_mock(port, server_cpu)
    baseline = None
    try:
        first_id = json.loads(fetch(mock.port, "/accounts?limit=1", {}).body)["data"][0]["id"]
        scenarios = [Scenario("GET a record", "GET", f"/accounts/{first_id}"),
                     Scenario("... every request distinct", "GET", f"/accounts/{first_id}", True),
                     Scenario("GET the list (limit 10)", "GET", "/accounts?limit=10"),
                     Scenario("... every request distinct", "GET", "/accounts?limit=10", True),
                     Scenario("POST a record (each creates one)", "POST", "/accounts")]
        with tempfile.TemporaryDirectory() as folder:
            answers = Path(folder) / "answers.json"
            answers.write_text(json.dumps(record_answers(mock, scenarios)), encoding="utf-8")
            mock.stop()  # measured afresh: the recording created a record
            mock = start_mock(port, server_cpu)
            base_port = free_port()
            baseline = start("baseline", [sys.executable, __file__, "--baseline", str(answers), "--port",
                                          str(base_port)], base_port, cpu=server_cpu, cwd=ROOT)
            print("| scenario | mock req/s | baseline req/s | ratio | target |\n|---|---|---|---|---|")
            verdicts = []
            for scenario in scenarios:
                for server in (mock, baseline):  # warm-up
                    measure(server, scenario, 1, args.connections, load_cpu)
                ours, theirs = [], []
                for round_ in range(args.rounds):
                    order = [(mock, ours), (baseline, theirs)]
                    for server, into in (order if round_ % 2 == 0 else order[::-1]):
                        into.append(measure(server, scenario, args.seconds / args.rounds, args.connections,
                                            load_cpu))
                ratio = sum(ours) / sum(theirs)
                target = TARGETS[scenario.method]
                verdicts.append(ratio >= target)
                print(f"| {scenario.name} | {sum(ours) / len(ours):,.0f} | {sum(theirs) / len(theirs):,.0f} "
                      f"| {ratio:.2f}x | >= {target}x |", flush=True)
        mock.stop()
        mock = start_mock(port, server_cpu)
        samples = memory_under_creates(mock, args.creates, args.sessions)
        shown = ", ".join(f"{count:,}: {rss:.1f} MB" for count, rss in samples)
        growth = samples[-1][1] - samples[1][1]
        print(f"\nRSS after creates across {args.sessions} sessions: {shown}; growth from the first "
              f"quarter to the end {growth:+.1f} MB (target < {RSS_GROWTH_TARGET_MB:.0f} MB)")
        verdicts.append(growth < RSS_GROWTH_TARGET_MB)
        print(f"pinned: {'server CPU 0, wrk CPU 1' if pin else 'no (taskset missing or one CPU)'}")
        return 0 if all(verdicts) else 1
    finally:
        mock.stop()
        if baseline is not None:
            baseline.stop()


if __name__ == "__main__":
    sys.exit(main())
