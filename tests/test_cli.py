"""The command line as a user runs it: `mockserver check` and `mockserver serve` in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES_DIR, OPENAPI_DIR, auth_headers

from mockserver.cli import main

MALFORMED = Path(__file__).parent / "specs" / "malformed"
CASES = sorted(path for path in MALFORMED.iterdir() if path.is_dir()) if MALFORMED.is_dir() else []


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_check_accepts_the_bundled_api():
    result = run_cli("check", str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR))
    assert result.returncode == 0, result.stderr
    assert "3 operations" in result.stdout


def _case_target(case: Path) -> Path:
    if (case / "spec").is_dir():
        return case / "spec"
    spec_files = [p for p in case.iterdir() if p.name != "expected.json"]
    return spec_files[0] if len(spec_files) == 1 and spec_files[0].is_file() else case


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_check_refuses_a_malformed_spec_with_one_clear_message(case: Path, capsys):
    # In-process through the CLI's entry point (a subprocess per case would dominate the suite's time).
    expected = json.loads((case / "expected.json").read_text())
    assert main(["check", str(_case_target(case))]) == 2
    stderr = capsys.readouterr().err
    assert "Traceback" not in stderr
    matching = [
        line for line in stderr.splitlines() if expected["file"] in line and expected["pointer"] in line
    ]
    assert matching, stderr


def test_check_in_a_subprocess_exits_2_naming_the_file(tmp_path: Path):
    (tmp_path / "broken.yaml").write_text("openapi: 3.1.0\npaths: [\n")
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["serve"], ["check"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: mockserver" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "usage: mockserver" in result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prints_a_banner_and_answers_on_its_port():
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            str(OPENAPI_DIR),
            "--fixtures",
            str(FIXTURES_DIR),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/credit-memos", headers=auth_headers())
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_refuses_a_broken_spec_without_a_traceback(tmp_path: Path):
    (tmp_path / "api.json").write_text("{not json")
    result = run_cli("serve", str(tmp_path), "--port", str(_free_port()))
    assert result.returncode == 2
    assert "api.json" in result.stderr
    assert "Traceback" not in result.stderr
