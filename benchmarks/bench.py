"""The speed benchmark: the mock against a bare Starlette app that returns the same bytes, under wrk.

    python benchmarks/bench.py [--seconds 5] [--rounds 3] [--connections 16] [--soak 20] [--only-startup]
                               [--only REGEX] [--no-startup] [--extra-spec FILE ...]

It starts `mockserver serve openapi --fixtures fixtures` (as users run it, default features on) and a
bare Starlette app (`baseline.py`) answering the bytes the mock answered for the same requests, both
under uvicorn with the same settings. wrk drives each in turn; the server gets CPU 0 and wrk CPU 1
(`taskset`). Figures are ratios to the baseline of the same run: absolute numbers on a shared machine
are noise. Then it measures the first generation of 50-item pages, memory under a mixed load of
distinct requests (caches and the journal filling up), and start-up time and memory on the bundled
spec (its first start, with an empty YAML parse cache, and later ones) and on a generated spec of 1,000+
operations (`bigspec.py`), plus any `--extra-spec` (GitHub's). Before any start-up is timed, the
package's bytecode is written (`python -m compileall`), as a regular install has it.

wrk: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`; without it a small asyncio client
stands in, whose own cost caps the figures (the table says so).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bigspec import write_big_spec
from loadgen import (
    WRK_HINT,
    Load,
    LoadResult,
    request_id_lua,
    run_load,
    unique_requests_lua,
    wrk_available,
    wrk_version,
)
from servers import (
    Server,
    cpu_seconds,
    fetch,
    free_port,
    mockserver_command,
    pinning_available,
    precompile,
    start,
)

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SERVER_CPU, LOAD_CPU = 0, 1

TOKEN = {"Authorization": "Bearer dz_test_token"}
SWEEP_HEADERS = {**TOKEN, "Accept": "application/json"}  # of each request of the large-spec sweep
TENANT = {"x-business-id": "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83"}
CUSTOMER = "7dde32e5-919f-598b-940d-aaac29945b05"
LIST = "/api/v1/credit-memos"

FIXTURE, GENERATED, ERROR = "fixture", "generated", "error"
# Targets (issue 21): minimum requests/s ratio to the baseline, repeated and every request distinct;
# fixture and dataset answers also p99 <= 1.5x the baseline's.
RPS_TARGETS = {(FIXTURE, False): 0.9, (ERROR, False): 0.9, (GENERATED, False): 0.9,
               (FIXTURE, True): 0.8, (ERROR, True): 0.8, (GENERATED, True): 0.6}
P99_TARGET = 1.5
FIRST_GENERATION_P99_MS = 50.0
STARTUP_TARGETS_S = {"bundled": 1.0, "large": 3.0}
STARTUP_RUNS = 3  # bundled start-ups timed: the first with an empty YAML parse cache, the others with it
FIRST_ANSWER_TIMEOUT_S = 30.0  # a first request on the large spec slower than this is reported as such
FIRST_ANSWER_P99_MS = 150.0  # issue 21: the first answer of any operation of a large spec, p99 over them
# The process's very first answer is also asked of a fresh server this long after its banner, as a person
# would (the warm-up has done the shared work in the background by then).
SETTLED_S = 3.0
RSS_TARGET_MB = 300.0


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    headers: dict[str, str]
    status: int
    source: str  # the X-Mock-Source the mock must answer with
    kind: str  # FIXTURE, GENERATED or ERROR
    distinct: bool = False  # a new X-Request-Id each request: nothing remembered answers it

    @property
    def expects_success(self) -> bool:
        return self.status < 400

    @property
    def target(self) -> float:
        return RPS_TARGETS[self.kind, self.distinct]


_DATASET_PAGE = (f"{LIST}?limit=50", {**TOKEN, **TENANT}, 200, "dataset", FIXTURE)
_GENERATED_PAGE = (f"{LIST}?limit=50", {**TOKEN, **TENANT, "Prefer": "dynamic=true"}, 200, "generated",
                   GENERATED)
_INVALID = (f"{LIST}?limit=abc", {**TOKEN, **TENANT}, 422, "validation", ERROR)
_SIGNED_OUT = (f"{LIST}?limit=50", dict(TENANT), 401, "auth", ERROR)
_SUMMARY = (f"{LIST}/customers/{CUSTOMER}/credits", {**TOKEN, **TENANT}, 200, "dataset", FIXTURE)
DISTINCT = ", every request distinct"
SCENARIOS = (
    Scenario("dataset list page (limit 50)", *_DATASET_PAGE),
    Scenario(f"dataset list page{DISTINCT}", *_DATASET_PAGE, distinct=True),
    Scenario("customer summary", *_SUMMARY),
    Scenario(f"customer summary{DISTINCT}", *_SUMMARY, distinct=True),
    Scenario("generated list page (limit 50, warm)", *_GENERATED_PAGE),
    Scenario(f"generated list page{DISTINCT}", *_GENERATED_PAGE, distinct=True),
    Scenario("422 validation failure", *_INVALID),
    Scenario(f"422{DISTINCT}", *_INVALID, distinct=True),
    Scenario("401 without credentials", *_SIGNED_OUT),
    Scenario(f"401{DISTINCT}", *_SIGNED_OUT, distinct=True),
)


@dataclass(frozen=True)
class Run:
    """One load run on one server: wrk's figures and the server's CPU time per request."""

    result: LoadResult
    cpu_us: float  # user + system CPU of the server process per request: steadier than req/s when shared


@dataclass
class Measured:
    scenario: Scenario
    baseline: list[Run] = field(default_factory=list)
    mock: list[Run] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    seconds: float
    rounds: int
    connections: int
    soak: float
    pin: bool
    extra_specs: tuple[Path, ...]
    only: str | None = None  # a regular expression: measure only the answers whose name it finds
    startup: bool = True  # also measure start-up, the large specs and their first answers
    throughput: bool = True  # the bundled spec under load (--only-startup: False)

    @property
    def server_cpu(self) -> int | None:
        return SERVER_CPU if self.pin else None

    @property
    def load_cpu(self) -> int | None:
        return LOAD_CPU if self.pin else None


# -- the bundled spec under load ------------------------------------------------------------------


def baseline_path(index: int, scenario: Scenario) -> str:
    """Where the baseline serves the answer of the `index`th scenario: its own route, same query."""
    return f"/{index}{scenario.path}"


def record_answers(mock: Server) -> list[dict[str, Any]]:
    """What the mock answers each scenario, checked, as the baseline will replay it."""
    recorded = []
    for index, scenario in enumerate(SCENARIOS):
        reply = fetch(mock.port, scenario.path, scenario.headers)
        source = reply.headers.get("x-mock-source", "")
        if reply.status != scenario.status or not source.startswith(scenario.source):
            raise RuntimeError(f"{scenario.name}: the mock answered {reply.status} from {source!r}, "
                               f"expected {scenario.status} from {scenario.source!r}")
        recorded.append({
            "route": baseline_path(index, scenario).partition("?")[0],
            "status": reply.status,
            "content_type": reply.headers.get("content-type", "application/json"),
            "body": base64.b64encode(reply.body).decode("ascii"),
        })
    return recorded


def check_same_bytes(mock: Server, baseline: Server) -> None:
    for index, scenario in enumerate(SCENARIOS):
        ours, theirs = fetch(mock.port, scenario.path, scenario.headers), fetch(
            baseline.port, baseline_path(index, scenario), scenario.headers)
        if (ours.status, ours.body) != (theirs.status, theirs.body):
            raise RuntimeError(f"{scenario.name}: the baseline does not answer the mock's bytes")


def measure_scenarios(mock: Server, baseline: Server, settings: Settings) -> list[Measured]:
    results = []
    for index, scenario in enumerate(SCENARIOS):
        if settings.only is not None and not re.search(settings.only, scenario.name):
            continue
        measured = Measured(scenario)
        servers = [(baseline, baseline_path(index, scenario), measured.baseline),
                   (mock, scenario.path, measured.mock)]
        for server, path, _ in servers:  # warm both: first compilations, caches, connections
            run_load(_load(server, path, scenario, settings, seconds=1), settings.load_cpu)
        for round_ in range(settings.rounds):
            order = servers if round_ % 2 == 0 else servers[::-1]  # alternate, against drift
            for server, path, into in order:
                into.append(measure(server, _load(server, path, scenario, settings), settings))
        results.append(measured)
        print(f"  measured {scenario.name}", file=sys.stderr, flush=True)
    return results


def measure(server: Server, load: Load, settings: Settings) -> Run:
    before = server.cpu_s()
    result = run_load(load, settings.load_cpu)
    spent = server.cpu_s() - before
    return Run(result, spent / result.requests * 1e6 if result.requests else float("nan"))


def _load(server: Server, path: str, scenario: Scenario, settings: Settings,
          seconds: float | None = None) -> Load:
    return Load(HOST, server.port, path, scenario.headers, settings.connections,
                seconds if seconds is not None else settings.seconds,
                request_id_lua() if scenario.distinct else None)


@dataclass(frozen=True)
class Workers:
    """`--workers 2` against one worker: the same answer, repeated and every request distinct."""

    identical: bool  # 40 requests on new connections got the same bytes
    busy_workers: int  # worker processes that used CPU under the load
    rps: dict[str, float]  # scenario name -> req/s with two workers


def measure_workers(settings: Settings) -> Workers:
    """Two workers on both CPUs (wrk shares CPU 1 with one of them): throughput, and the same answers."""
    command = [*mockserver_command(), "serve", str(ROOT / "openapi"), "--fixtures", str(ROOT / "fixtures"),
               "--host", HOST, "--workers", "2"]
    port = free_port()
    server = start("mockserver --workers 2", [*command, "--port", str(port)], port, cpu=None, cwd=ROOT)
    try:
        time.sleep(1.0)  # both workers listening
        page = SCENARIOS[0]
        bodies = {fetch(port, page.path, page.headers).body for _ in range(40)}
        workers = _children(server.process.pid)
        before = [cpu_seconds(pid) for pid in workers]
        rps = {}
        for scenario in (page, SCENARIOS[1]):
            load = _load(server, scenario.path, scenario, settings)
            rps[scenario.name] = statistics.fmean(run_load(load, settings.load_cpu).rps
                                                  for _ in range(settings.rounds))
        busy = sum(cpu_seconds(pid) - spent > 0.5 for pid, spent in zip(workers, before, strict=True))
        return Workers(len(bodies) == 1, busy, rps)
    finally:
        server.stop()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(child) for child in text.split()]


def first_generations(mock: Server, settings: Settings) -> Run:
    """50-item pages the generator has never drawn (a new cursor each), one at a time."""
    lua = unique_requests_lua([f"{LIST}?limit=50&cursor=first{{n}}"])
    headers = {**TOKEN, **TENANT, "Prefer": "dynamic=true"}
    return measure(mock, Load(HOST, mock.port, LIST, headers, 1, settings.seconds, lua), settings)


@dataclass(frozen=True)
class Soak:
    seconds: float
    requests: int
    samples: list[tuple[float, float]]  # (seconds into the run, RSS MB)


def soak(mock: Server, settings: Settings) -> Soak:
    """A mixed load of distinct requests (generated pages, dataset pages, 422s), sampling memory."""
    lua = unique_requests_lua([
        f"{LIST}?limit=50&cursor=soak{{n}}&__dynamic=true",
        f"{LIST}?limit=20&search=CM-{{n}}",
        f"{LIST}/customers/{CUSTOMER}/credits",
        f"{LIST}?limit=bad{{n}}",
    ])
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    started = time.perf_counter()

    def sample() -> None:
        while not done.wait(timeout=min(5.0, settings.soak / 6)):
            samples.append((time.perf_counter() - started, mock.rss_mb()))

    sampler = threading.Thread(target=sample, daemon=True)
    samples.append((0.0, mock.rss_mb()))
    sampler.start()
    load = Load(HOST, mock.port, LIST, {**TOKEN, **TENANT}, 4, settings.soak, lua)
    result = run_load(load, settings.load_cpu)
    done.set()
    sampler.join()
    samples.append((time.perf_counter() - started, mock.rss_mb()))
    return Soak(result.seconds, result.requests, samples)


# -- start-up and memory --------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstAnswer:
    what: str
    status: int
    ms: float


@dataclass(frozen=True)
class Startup:
    spec: str
    target: str  # key of STARTUP_TARGETS_S
    seconds: float
    rss_mb: float
    first_answers: list[FirstAnswer] = field(default_factory=list)
    rss_after_mb: float = float("nan")


def measure_bundled_startup(settings: Settings) -> list[Startup]:
    """Start and stop the mock on the bundled spec: the first time with an empty YAML parse cache (the
    benchmark gives the mock a cache folder of its own), then with it, as every later start has it."""
    times, rss = [], []
    for _ in range(STARTUP_RUNS):
        mock = start_mock(ROOT / "openapi", ROOT / "fixtures", ROOT, settings)
        times.append(mock.startup_s)
        rss.append(mock.rss_mb())
        mock.stop()
    label = "bundled (openapi/ + fixtures/)"
    return [Startup(f"{label}, first start (empty YAML parse cache)", "bundled", times[0], rss[0]),
            Startup(f"{label}, later starts (median of {len(times) - 1})", "bundled",
                    statistics.median(times[1:]), statistics.median(rss[1:]))]


def start_mock(spec: Path, fixtures: Path | None, cwd: Path, settings: Settings) -> Server:
    command = [*mockserver_command(), "serve", str(spec), "--host", HOST]
    if fixtures is not None:
        command += ["--fixtures", str(fixtures)]
    port = free_port()
    return start("mockserver", [*command, "--port", str(port)], port, cpu=settings.server_cpu, cwd=cwd)


LARGE_SPEC_REQUESTS: tuple[tuple[str, str, str, bytes | None, dict[str, str]], ...] = (
    ("GET a record (generated)", "GET", "/accounts/6f1c2b0a-3d4e-4f50-8a6b-7c8d9e0f1a2b", None, TOKEN),
    ("GET a list page (generated)", "GET", "/invoices?limit=10", None, TOKEN),
    ("GET another record (generated)", "GET", "/payments/0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d", None, TOKEN),
    ("PATCH with an invalid body (422)", "PATCH", "/orders/1b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d",
     b'{"name": 7}', {**TOKEN, "Content-Type": "application/json"}),
    ("POST a valid body (generated 201)", "POST", "/shipments", b'{"name": "Box"}',
     {**TOKEN, "Content-Type": "application/json"}),
    ("GET without credentials (401)", "GET", "/customers/2b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d", None, {}),
    ("GET the first record again (cached)", "GET", "/accounts/6f1c2b0a-3d4e-4f50-8a6b-7c8d9e0f1a2b", None,
     TOKEN),
)


def first_answer(mock: Server, path: str, headers: dict[str, str], method: str = "GET",
                 body: bytes | None = None) -> tuple[int, float]:
    """The status and milliseconds of one request; status 0 when no answer came in time."""
    try:
        reply = fetch(mock.port, path, headers, method, body, timeout=FIRST_ANSWER_TIMEOUT_S)
    except TimeoutError:
        return 0, FIRST_ANSWER_TIMEOUT_S * 1000
    return reply.status, reply.seconds * 1000


def measure_large_spec(settings: Settings, folder: Path) -> tuple[Startup, Sweep]:
    """The synthetic spec: its first answers to a few kinds of request, then (on a fresh server) the first
    answer of every GET operation."""
    spec = folder / "large-spec.json"
    counts = write_big_spec(spec)
    label = f"generated: {counts['operations']} operations, {counts['schemas']} schemas, " \
            f"{counts['bytes'] / 1e6:.1f} MB"
    mock = start_mock(spec, None, folder, settings)
    try:
        rss = mock.rss_mb()
        answers = [FirstAnswer(what, *first_answer(mock, path, dict(headers), method, body))
                   for what, method, path, body, headers in LARGE_SPEC_REQUESTS]
        startup = Startup(label, "large", mock.startup_s, rss, answers, mock.rss_mb())
    finally:
        mock.stop()
    return startup, _swept(spec, label, settings, folder)[1]


@dataclass
class Sweep:
    """The first answer of every GET operation of a spec, each with placeholder path parameters, asked
    right after start-up (while the mock warms up)."""

    spec: str
    startup_s: float
    statuses: dict[int, int]  # status -> how many
    ms: list[float]  # in the order asked: the first is the process's very first answer
    rss_after_mb: float
    settled_first_ms: float = float("nan")  # that first answer, asked SETTLED_S after the banner instead


def measure_extra_spec(spec: Path, settings: Settings, folder: Path) -> tuple[Startup, Sweep]:
    return _swept(spec.resolve(), f"{spec.name} ({spec.stat().st_size / 1e6:.1f} MB)", settings, folder)


def _swept(spec: Path, label: str, settings: Settings, folder: Path) -> tuple[Startup, Sweep]:
    mock = start_mock(spec, None, folder, settings)
    try:
        startup = Startup(label, "large", mock.startup_s, mock.rss_mb())
        paths = list(_get_paths(spec))  # listed once the mock is up, as a client reading the spec would
        sweep = sweep_get_operations(mock, paths, label)
    finally:
        mock.stop()
    if paths:
        sweep.settled_first_ms = settled_first_answer(spec, paths[0], folder, settings)
    return startup, sweep


def settled_first_answer(spec: Path, path: str, folder: Path, settings: Settings) -> float:
    """The sweep's first request (`path`), asked of a fresh server SETTLED_S after its banner."""
    mock = start_mock(spec, None, folder, settings)
    try:
        time.sleep(SETTLED_S)
        return first_answer(mock, path, SWEEP_HEADERS)[1]
    finally:
        mock.stop()


def _get_paths(spec: Path) -> Iterator[str]:
    """The path of each GET operation of the spec, path parameters "1", in document order."""
    from mockserver.spec import load_spec

    loaded = load_spec(spec, validate=False, strict=False)
    for operation in loaded.operations:
        if operation.method == "GET":
            yield quote(loaded.base_path + re.sub(r"\{[^}]+\}", "1", operation.path), safe="/")


def sweep_get_operations(mock: Server, paths: list[str], label: str) -> Sweep:
    """Ask every GET operation once (`paths`: see `_get_paths`; a bearer token), as a client exploring the
    API would: each answer is that operation's first, compiled on demand."""
    statuses: dict[int, int] = {}
    times = []
    for path in paths:
        status, ms = first_answer(mock, path, SWEEP_HEADERS)
        statuses[status] = statuses.get(status, 0) + 1
        times.append(ms)
    return Sweep(label, mock.startup_s, statuses, times, mock.rss_mb())


def sweep_lines(sweep: Sweep) -> list[str]:
    count = sum(sweep.statuses.values())
    shown = ", ".join(f"{status or 'no answer'}: {number}"
                      for status, number in sorted(sweep.statuses.items()))
    times = sorted(sweep.ms) or [float("nan")]
    first = sweep.ms[0] if sweep.ms else float("nan")
    p50, p99 = times[len(times) // 2], times[min(len(times) - 1, len(times) * 99 // 100)]
    ok = p99 < FIRST_ANSWER_P99_MS
    return [
        f"Every GET operation of {sweep.spec}, once each ({count}), from start-up ({sweep.startup_s:.2f} s) "
        f"on: statuses {shown}; the process's very first answer {first:,.0f} ms "
        f"({sweep.settled_first_ms:,.0f} ms asked {SETTLED_S:g} s after the banner); each operation's first "
        f"answer p50 {p50:,.0f} ms, p99 {p99:,.0f} ms (target < {FIRST_ANSWER_P99_MS:.0f}) "
        f"{_verdict(ok)}, max {times[-1]:,.0f} ms; RSS afterwards {sweep.rss_after_mb:.0f} MB.",
    ]


# -- the report -----------------------------------------------------------------------------------


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({model}), "
            f"Python {platform.python_version()}")


def server_settings() -> str:
    import uvicorn

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"uvicorn {uvicorn.__version__} ({loop}, {parser}), one process, access log off"


def mock_features() -> str:
    try:
        from mockserver.serving.options import ServeOptions
    except ImportError:
        return "the defaults of `mockserver serve`"
    options = ServeOptions(spec=Path("openapi"))
    features = [f"request journal ({options.journal_size or 1000} entries)"]
    if options.cors:
        features.append("CORS")
    if options.admin:
        features.append("admin API")
    if options.log_format:
        features.append(f"request log ({options.log_format}, stdout to /dev/null)")
    return ", ".join(features)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def _errors(scenario: Scenario, runs: list[Run]) -> int:
    results = [run.result for run in runs]
    unexpected = sum(r.non_2xx if scenario.expects_success else r.requests - r.non_2xx for r in results)
    return unexpected + sum(r.socket_errors for r in results)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "**MISS**"


def throughput_table(measured: list[Measured]) -> list[str]:
    lines = [
        "| answer | baseline req/s | mock req/s | ratio (target) | p50 ms base / mock | "
        "p99 ms base / mock | p99 ratio | CPU µs/req base / mock (ratio) | errors |",
        "| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in measured:
        base, mock = [run.result for run in row.baseline], [run.result for run in row.mock]
        base_rps, mock_rps = _mean([r.rps for r in base]), _mean([r.rps for r in mock])
        base_p50, mock_p50 = _mean([r.p50_ms for r in base]), _mean([r.p50_ms for r in mock])
        base_p99, mock_p99 = _mean([r.p99_ms for r in base]), _mean([r.p99_ms for r in mock])
        base_cpu, mock_cpu = _mean([r.cpu_us for r in row.baseline]), _mean([r.cpu_us for r in row.mock])
        ratio, target = mock_rps / base_rps, row.scenario.target
        p99_ratio = mock_p99 / base_p99
        p99_cell = f"{p99_ratio:.2f}x"
        if row.scenario.kind == FIXTURE:
            p99_cell += f" (≤ {P99_TARGET:g}x) {_verdict(p99_ratio <= P99_TARGET)}"
        errors = _errors(row.scenario, row.mock) + _errors(row.scenario, row.baseline)
        lines.append(
            f"| {row.scenario.name} | {base_rps:,.0f} | {mock_rps:,.0f} | "
            f"{ratio:.2f}x (≥ {target}x) {_verdict(ratio >= target)} | {base_p50:.2f} / {mock_p50:.2f} | "
            f"{base_p99:.2f} / {mock_p99:.2f} | {p99_cell} | {base_cpu:.0f} / {mock_cpu:.0f} "
            f"({base_cpu / mock_cpu:.2f}x) | {errors} |"
        )
    return lines


def startup_table(startups: list[Startup]) -> list[str]:
    lines = ["| spec | start-up s (target) | RSS after start MB (target) |", "| --- | --- | --- |"]
    for item in startups:
        target = STARTUP_TARGETS_S[item.target]
        rss_cell = f"{item.rss_mb:.0f}"
        if item.target == "large":
            rss_cell += f" (< {RSS_TARGET_MB:.0f}) {_verdict(item.rss_mb < RSS_TARGET_MB)}"
        lines.append(f"| {item.spec} | {item.seconds:.2f} (< {target:.0f}) {_verdict(item.seconds < target)} "
                     f"| {rss_cell} |")
    return lines


def first_answers_table(startup: Startup) -> list[str]:
    lines = ["| first request on the large spec | status | ms |", "| --- | ---: | ---: |"]
    lines += [f"| {answer.what} | {answer.status or 'no answer'} | {answer.ms:,.0f} |"
              for answer in startup.first_answers]
    lines.append(f"| RSS after these requests | | {startup.rss_after_mb:.0f} MB |")
    return lines


def workers_lines(workers: Workers, measured: list[Measured]) -> list[str]:
    one = {row.scenario.name: _mean([run.result.rps for run in row.mock]) for row in measured}
    shown = "; ".join(f"{name}: {rps:,.0f} req/s (one worker: {one.get(name, float('nan')):,.0f})"
                      for name, rps in workers.rps.items())
    return [f"`--workers 2` (both CPUs, wrk sharing CPU {LOAD_CPU}): {shown}. Answers identical across 40 "
            f"new connections: {'yes' if workers.identical else '**NO**'}; workers that answered under load: "
            f"{workers.busy_workers}."]


def report(settings: Settings, measured: list[Measured], first: Run | None, soaked: Soak | None,
           startups: list[Startup], compiled: list[Path], workers: Workers | None = None) -> str:
    pinning = (f"server pinned to CPU {SERVER_CPU}, wrk to CPU {LOAD_CPU} (taskset)" if settings.pin
               else "no CPU pinning (needs taskset and 2 CPUs)")
    generator = f"wrk {wrk_version()}" if wrk_available() else f"asyncio client (no wrk; {WRK_HINT})"
    lines = [
        f"Benchmark of {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} on {machine()}.",
        f"Both servers: {server_settings()}; {pinning}; load: {generator}, {settings.connections} "
        f"connections, {settings.rounds} x {settings.seconds:g} s per server and answer, alternating.",
        "Mock: `mockserver serve openapi --fixtures fixtures` with its default features on: "
        f"{mock_features()}.",
        "",
        *throughput_table(measured),
        "",
        "CPU µs/req is the server process's own CPU time (user + system, from /proc) per request; baseline ÷ "
        "mock is the req/s ratio an otherwise idle core would show, so it is the steadier figure when the "
        "machine is shared.",
    ]
    if first is not None:
        lines += [
            "",
            f"First generation of a 50-item page (a new cursor each, one connection): "
            f"p50 {first.result.p50_ms:.1f} ms, p99 {first.result.p99_ms:.1f} ms "
            f"(target < {FIRST_GENERATION_P99_MS:.0f} ms) "
            f"{_verdict(first.result.p99_ms < FIRST_GENERATION_P99_MS)}; "
            f"{first.cpu_us / 1000:.1f} ms of server CPU per page on average; {first.result.requests} pages.",
        ]
    if workers is not None:
        lines += ["", *workers_lines(workers, measured)]
    if soaked is not None:
        rss = [mb for _, mb in soaked.samples]
        lines.append(
            f"Memory under {soaked.seconds:.0f} s of distinct requests ({soaked.requests:,} of them: "
            f"generated pages, dataset pages, 422s): RSS {rss[0]:.0f} MB at the start, "
            f"{rss[len(rss) // 2]:.0f} MB half way, {rss[-1]:.0f} MB at the end (max {max(rss):.0f} MB)."
        )
    if not startups:
        return "\n".join(lines)
    lines += ["", *startup_table(startups), "",
              "Start-up: process start to the first answered request. Bytecode written beforehand "
              f"(`python -m compileall` of {', '.join(_shown(folder) for folder in compiled)}), as a regular "
              "install has it; parsed YAML is cached by the mock in a folder of the benchmark's own."]
    large = next((item for item in startups if item.first_answers), None)
    if large is not None:
        lines += ["", *first_answers_table(large)]
    return "\n".join(lines)


def _shown(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(ROOT)) + "/"
    except ValueError:
        return str(folder)


# -- main -----------------------------------------------------------------------------------------


def parse_settings() -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="one round of load, per server and answer (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two servers (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--soak", type=float, default=20.0,
                        help="seconds of the memory run under load (default 20; the issue asks 60; 0: skip)")
    parser.add_argument("--no-pin", dest="pin", action="store_false", help="do not pin CPUs")
    parser.add_argument("--only", help="measure only the answers whose name this regular expression finds")
    parser.add_argument("--no-startup", dest="startup", action="store_false",
                        help="skip start-up, the large specs and their first answers")
    parser.add_argument("--extra-spec", type=Path, action="append", default=[],
                        help="also time start-up on this spec (e.g. GitHub's api.github.com.json)")
    parser.add_argument("--only-startup", action="store_true",
                        help="only start-up, the large specs and their first answers (no load)")
    args = parser.parse_args()
    return Settings(args.seconds, max(1, args.rounds), args.connections, args.soak,
                    args.pin and pinning_available(), tuple(args.extra_spec), args.only,
                    args.startup or args.only_startup, not args.only_startup)


def main() -> None:
    settings = parse_settings()
    if not wrk_available():
        print(f"bench: wrk not found, using a slower asyncio client; {WRK_HINT}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as temp:
        folder = Path(temp)
        compiled = precompile(ROOT / "fixtures")
        os.environ["MOCKSERVER_CACHE_DIR"] = str(folder / "cache")  # the servers started inherit it
        bundled = measure_bundled_startup(settings) if settings.startup else []
        if settings.throughput:
            mock = start_mock(ROOT / "openapi", ROOT / "fixtures", ROOT, settings)
            baseline = None
            try:
                answers = folder / "answers.json"
                answers.write_text(json.dumps(record_answers(mock)), encoding="utf-8")
                port = free_port()
                baseline = start("baseline", [sys.executable, str(Path(__file__).with_name("baseline.py")),
                                              str(answers), "--port", str(port)], port,
                                 cpu=settings.server_cpu, cwd=ROOT)
                check_same_bytes(mock, baseline)
                measured = measure_scenarios(mock, baseline, settings)
                first = first_generations(mock, settings) if settings.startup else None
                soaked = soak(mock, settings) if settings.soak > 0 else None
            finally:
                mock.stop()
                if baseline is not None:
                    baseline.stop()
            workers = measure_workers(settings) if settings.startup else None
            # Printed now, in case the rest fails.
            print(report(settings, measured, first, soaked, bundled, compiled, workers), flush=True)
        if not settings.startup:
            return
        large = [measure_large_spec(settings, folder)]
        extras = large + [measure_extra_spec(spec, settings, folder) for spec in settings.extra_specs]
    startups = ([] if settings.throughput else bundled) + [startup for startup, _ in extras]
    lines = ["", *startup_table(startups)]
    lines += ["", *first_answers_table(large[0][0])]
    for _, sweep in extras:
        lines += ["", *sweep_lines(sweep)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
