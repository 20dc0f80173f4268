"""`mockserver serve` starts fast: the banner once it listens, openapi-spec-validator's findings afterwards
from a low-priority process that ends with the server and that `--strict` does not need."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import httpx
import pytest
from dx_helpers import ServeProcess, niceness
from helpers import ROOT

from mockserver.foundation.documents import write_cache

SPECS_DIR = ROOT / "tests" / "specs"
# A spec only openapi-spec-validator finds fault with: it has no `info`.
VALIDATOR_ONLY = SPECS_DIR / "malformed" / "missing_info" / "spec"
FINDING = '"info" is a required property'
PATIENCE_SECONDS = 60.0  # the validation runs at the lowest priority: slow on a busy machine


def _children(pid: int) -> set[int]:
    """The processes `pid` started (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def _wait_for_a_child(pid: int, seconds: float) -> int | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = _children(pid)
        if children:
            return min(children)
        time.sleep(0.02)
    return None


def _ended(pid: int, seconds: float) -> bool:
    """True once `pid` is gone or a zombie (whether its new parent reaps it is no concern here)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                         if line.startswith("State:"))
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state.split()[1] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_what_only_the_spec_validator_finds_is_printed_once_the_server_listens(tmp_path: Path) -> None:
    with ServeProcess(str(VALIDATOR_ONLY), "--fixtures", str(tmp_path)) as server:
        assert httpx.get(server.origin + "/items").status_code == 200
        server.wait_for(server.stdout, f"serving 1 operation(s) on {server.origin}")
        server.wait_for(server.stderr, FINDING, seconds=PATIENCE_SECONDS)
        [line] = [line for line in server.stderr if FINDING in line]
        assert line.startswith("mockserver: warning: ")


def test_the_findings_are_kept_for_the_next_start_on_the_same_files(tmp_path: Path) -> None:
    """openapi-spec-validator takes seconds of CPU on a large spec: a start on files it has seen prints what
    it found then, and an edited file is validated again."""
    spec = tmp_path / "spec" / "openapi.yaml"
    spec.parent.mkdir()
    spec.write_text((VALIDATOR_ONLY / "openapi.yaml").read_text())
    cache, fixtures = tmp_path / "cache", tmp_path / "fixtures"
    fixtures.mkdir()
    environment = {"MOCKSERVER_CACHE_DIR": str(cache)}

    def findings_of_a_start() -> list[str]:
        with ServeProcess(str(spec), "--fixtures", str(fixtures), env=environment) as server:
            server.wait_for(server.stderr, "mockserver: warning: ", seconds=PATIENCE_SECONDS)
            time.sleep(0.2)  # the other findings, if any, are printed together
            return [line.rstrip("\n") for line in server.stderr if line.startswith("mockserver: warning: ")]

    first = findings_of_a_start()
    assert any(FINDING in line for line in first)
    [kept] = (cache / "findings").iterdir()
    write_cache(kept, ["what was found before"])  # as if the validator had found this on these bytes
    assert findings_of_a_start() == ["mockserver: warning: what was found before"]
    spec.write_text(spec.read_text() + "\n# edited\n")
    assert findings_of_a_start() == first


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_the_validation_ends_with_the_server(tmp_path: Path) -> None:
    server = ServeProcess(str(VALIDATOR_ONLY), "--fixtures", str(tmp_path))
    with server:
        server.wait_for(server.stdout, "serving 1 operation(s)")
        child = _wait_for_a_child(server.process.pid, seconds=5)
    assert server.process.returncode is not None
    if child is not None:  # still validating when the server stopped (else it had finished already)
        assert _ended(child, seconds=10)


# Compiled libraries mockserver imports (and Python's start-up, `.pth` files included, does not).
_MOCKSERVER_LIBRARIES = re.compile(r"site-packages/(orjson|jsonschema_rs|pydantic_core|yaml)/\S+\.so")


def _niceness_once_it_imports_libraries(pid: int, seconds: float) -> int | None:
    """The niceness of `pid` when it first has one of mockserver's compiled libraries loaded (None: it never
    did, or ended first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
            nice = niceness(Path(f"/proc/{pid}"))
        except (FileNotFoundError, ProcessLookupError):
            return None
        if _MOCKSERVER_LIBRARIES.search(maps):
            return nice
        time.sleep(0.002)
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_the_validation_is_at_the_lowest_priority_before_it_imports_anything(tmp_path: Path) -> None:
    """Its imports are a quarter of a second of CPU: at normal priority, on a server pinned to one CPU (as a
    benchmark pins it), they slowed the very first answer of a large spec (synthetic spec, quiet moments:
    494-521 ms before, 427-469 ms after)."""
    with ServeProcess(str(VALIDATOR_ONLY), "--fixtures", str(tmp_path)) as server:
        child = _wait_for_a_child(server.process.pid, seconds=5)
        assert child is not None
        assert _niceness_once_it_imports_libraries(child, seconds=10) == 19


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_strict_serving_validated_before_it_started_so_it_starts_no_validation(tmp_path: Path) -> None:
    spec = SPECS_DIR / "valid" / "operation_details"
    with ServeProcess(str(spec), "--fixtures", str(tmp_path), "--strict") as server:
        server.wait_for(server.stdout, "serving")
        assert _wait_for_a_child(server.process.pid, seconds=1) is None
