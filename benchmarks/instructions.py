"""Instructions per request, counted by valgrind: the mock's cost next to the baseline's, without the noise.

    python benchmarks/instructions.py [--requests 1000] [--only REGEX]

On a shared machine the requests/s of `bench.py` swing by 10-15% from run to run; the number of machine
instructions a server executes per request does not (to a fraction of a percent). For each answer of
`bench.py` this starts the mock (`mockserver serve openapi --fixtures fixtures`, default features on) and
the baseline app under valgrind's callgrind, sends warm-up requests, zeroes the counters, sends
`--requests` requests on one keep-alive connection, and reads what the server's main thread executed
(the warm-up thread and uvicorn's own start-up are left out). Instructions are not time: memory stalls are
not counted, so `bench.py` stays the measure of the targets, and this one says where a change helps.

valgrind: `apt-get install valgrind` (Debian/Ubuntu). A run takes about a minute per answer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ROOT, SCENARIOS, Scenario, Settings, baseline_path, record_answers, start_mock
from servers import free_port, start

WARM_UP_REQUESTS = 300
START_TIMEOUT_S = 300.0  # under valgrind a start takes 50 times longer
UNPINNED = Settings(seconds=0, rounds=1, connections=1, soak=0, pin=False, extra_specs=())


def callgrind(command: list[str], out: Path) -> list[str]:
    return ["valgrind", "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={out}",
            *command]


def send(port: int, scenario: Scenario, path: str, count: int, first: int = 0) -> None:
    """`count` requests on one connection (each with its own X-Request-Id when the answer is distinct)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for number in range(first, first + count):
            headers = dict(scenario.headers)
            if scenario.distinct:
                headers["X-Request-Id"] = str(number)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != scenario.status:
                raise RuntimeError(f"{scenario.name}: {response.status}, expected {scenario.status}")
    finally:
        connection.close()


def per_request(command: list[str], scenario: Scenario, path: str, requests: int, folder: Path) -> float:
    """The instructions the server's main thread executes per request."""
    port = free_port()
    server = start("under callgrind", callgrind([*command, "--port", str(port)], folder / "callgrind.out"),
                   port, cpu=None, cwd=ROOT, timeout_s=START_TIMEOUT_S)
    try:
        send(port, scenario, path, WARM_UP_REQUESTS)
        pid = str(server.process.pid)
        subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
        send(port, scenario, path, requests, first=WARM_UP_REQUESTS)
        subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
    finally:
        server.stop()
    main_thread = folder / "callgrind.out.1-01"  # the first dump, thread 1
    found = re.search(r"^summary: (\d+)$", main_thread.read_text(encoding="utf-8"), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no summary in {main_thread}")
    for dump in folder.glob("callgrind.out*"):
        dump.unlink()
    return int(found.group(1)) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="counted requests per answer")
    parser.add_argument("--only", help="measure only the answers whose name this regular expression finds")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("instructions: valgrind not found (apt-get install valgrind)")
    mock_command = [sys.executable, "-m", "mockserver", "serve", "openapi", "--fixtures", "fixtures"]
    with tempfile.TemporaryDirectory(prefix="mockserver-instructions-") as temp:
        folder = Path(temp)
        answers = folder / "answers.json"
        recorder = start_mock(ROOT / "openapi", ROOT / "fixtures", ROOT, UNPINNED)
        try:
            answers.write_text(json.dumps(record_answers(recorder)), encoding="utf-8")
        finally:
            recorder.stop()
        baseline_command = [sys.executable, str(Path(__file__).with_name("baseline.py")), str(answers)]
        print("| answer | baseline instructions/request | mock | baseline ÷ mock |")
        print("| --- | ---: | ---: | ---: |")
        for index, scenario in enumerate(SCENARIOS):
            if args.only is not None and not re.search(args.only, scenario.name):
                continue
            route = baseline_path(index, scenario)
            base = per_request(baseline_command, scenario, route, args.requests, folder)
            mock = per_request(mock_command, scenario, scenario.path, args.requests, folder)
            print(f"| {scenario.name} | {base:,.0f} | {mock:,.0f} | {base / mock:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
