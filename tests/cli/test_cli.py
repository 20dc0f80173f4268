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
from helpers import FIXTURES_DIR, OPENAPI_DIR, TESTS, auth_headers

from mockserver.cli import main

MALFORMED = TESTS / "specs" / "malformed"
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


# --- start-up problems: one line, exit 2, no banner ---------------------------------------------------------

CORPUS_SPEC = TESTS / "corpus" / "path_params.yaml"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one `mockserver: error:` line a start-up problem prints, with nothing on stdout (no banner)."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: error: "), lines
    return lines[0]


@pytest.mark.timeout(20)
def test_a_port_in_use_is_one_line_and_the_banner_never_shows(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", str(CORPUS_SPEC), "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is already in use" in one_error_line(capsys)


@pytest.mark.timeout(20)
def test_a_host_this_machine_does_not_have_is_one_line(capsys):
    assert main(["serve", str(CORPUS_SPEC), "--host", "10.255.255.1", "--port", "0"]) == 2
    assert "cannot listen on 10.255.255.1" in one_error_line(capsys)


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_outside_the_range_is_refused(port, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["serve", str(CORPUS_SPEC), "--port", port])
    assert exited.value.code == 2
    line = one_error_line(capsys)
    assert "is not a port number (1-65535)" in line and "mockserver serve --help" in line


@pytest.mark.parametrize("command", ["serve", "check"])
def test_a_fixtures_folder_given_but_missing_is_refused(command, tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main([command, str(CORPUS_SPEC), "--fixtures", str(missing)]) == 2
    assert f"--fixtures {missing}: no such folder" in one_error_line(capsys)


@pytest.mark.parametrize("command", ["serve", "check"])
def test_no_spec_and_no_openapi_folder_says_how_to_pass_one(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main([command]) == 2
    line = one_error_line(capsys)
    assert "no spec given and no ./openapi folder here" in line and f"mockserver {command} " in line


def test_a_spec_that_does_not_exist_is_named_without_a_pointer(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    line = one_error_line(capsys)
    assert "missing.yaml: no such file or folder" in line and "/:" not in line


def test_version_and_bare_command(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("mockserver ")
    assert main([]) == 0
    shown = capsys.readouterr()
    assert "serve" in shown.out and "contract" in shown.out and "Start with `mockserver serve`" in shown.out
    assert shown.err == ""


def test_a_fixture_file_that_is_a_list_says_what_a_fixture_file_is(tmp_path, capsys):
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    assert main(["check", str(CORPUS_SPEC), "--fixtures", str(tmp_path)]) == 2
    assert "a fixture file must be a mapping of sections" in capsys.readouterr().err


@pytest.mark.timeout(20)
def test_record_on_a_port_in_use_is_one_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["record", str(CORPUS_SPEC), "--base-url", "http://127.0.0.1:9", "--port", str(port)])
    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in one_error_line(capsys)
