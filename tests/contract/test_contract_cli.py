"""`mockserver contract` and `diff` usage: help, and exit 2 with one clear message on bad input."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from helpers import FIXTURES_DIR, OPENAPI_DIR

from mockserver.cli import main


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's own usage errors
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("command", ["contract", "diff"])
def test_commands_have_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, output = _run(capsys, command, "--help")
    assert code == 0
    assert f"usage: mockserver {command}" in output
    assert "MOCKSERVER_TOKEN" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["contract"], "--base-url"),
        (["contract", "--self", "--base-url", "http://127.0.0.1:1"], "not allowed with"),
        (["contract", "--self", "--checks", "no_such_check"], "unknown check(s): no_such_check"),
        (["contract", "--self", "--phases", "warp"], "unknown phase(s): warp"),
        (["contract", "--self", "--header", "no colon here"], "expected 'Name: value'"),
        (["contract", "--self", "--param", "customer_id"], "expected NAME=VALUE"),
        (["contract", "--base-url", "ftp://example.com"], "not an http(s) URL"),
        (["diff", "--base-url", "not a url"], "not an http(s) URL"),
        (["contract", "--self", "--max-examples", "0"], "--max-examples must be at least 1"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, output = _run(capsys, *args, str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR))
    assert code == 2
    assert message in output
    assert "Traceback" not in output


@pytest.mark.parametrize("command", ["contract", "diff"])
def test_an_unreachable_server_exits_2(capsys: pytest.CaptureFixture[str], command: str) -> None:
    url = _closed_port_url()
    code, output = _run(capsys, command, "--base-url", url, str(OPENAPI_DIR), "--fixtures", str(FIXTURES_DIR))
    assert code == 2
    assert f"cannot reach {url}" in output
    assert "Traceback" not in output


def test_an_invalid_spec_exits_2_naming_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.1.0\npaths: [\n", encoding="utf-8")
    code, output = _run(capsys, "contract", "--self", str(spec))
    assert code == 2
    assert "broken.yaml" in output
    assert "Traceback" not in output


def test_a_tenant_needs_a_tenant_header_in_the_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mockserver.yaml").write_text("auth: []\n", encoding="utf-8")
    monkeypatch.setenv("MOCKSERVER_TENANT", "tenant-secret-1")
    code, output = _run(capsys, "contract", "--base-url", _closed_port_url(), str(OPENAPI_DIR),
                        "--fixtures", str(tmp_path))
    assert code == 2
    assert "tenant_header" in output
    assert "tenant-secret-1" not in output
