"""`mockserver compat OLD NEW`: a spec pair of the team's (`compat_specs/`) with one change of every kind,
compared without consumers (every breaking change reported) and with consumer files (only the used ones)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import TESTS

from mockserver.cli import main

SPECS = TESTS / "compat_specs"
OLD, NEW = SPECS / "old.yaml", SPECS / "new.yaml"
CONSUMERS = SPECS / "consumers"

# (kind, operation, where) of every change from old.yaml to new.yaml, and whether it breaks clients.
BREAKING = {
    ("removed operation", "DELETE /widgets/{id}", "operation"),
    ("made required", "GET /widgets", "header parameter X-Region"),
    ("removed enum value", "GET /widgets", "query parameter color"),
    ("made required", "GET /widgets", "query parameter limit"),
    ("narrowed type", "GET /widgets", "query parameter limit"),
    ("narrowed type", "GET /widgets", "query parameter offset"),
    ("narrowed format", "GET /widgets", "query parameter since"),
    ("removed parameter", "GET /widgets", "query parameter sort"),
    ("narrowed format", "GET /widgets", "response 200 application/json /items/*/created"),
    ("removed property", "GET /widgets", "response 200 application/json /items/*/legacy_code"),
    ("made optional", "GET /widgets", "response 200 application/json /items/*/price"),
    ("widened type", "GET /widgets", "response 200 application/json /items/*/rating"),
    ("added enum value", "GET /widgets", "response 200 application/json /items/*/status"),
    ("removed response", "GET /widgets/{id}", "response 404"),
    ("removed media type", "GET /widgets/{id}", "response 200 text/csv"),
    ("narrowed format", "GET /widgets/{id}", "response 200 application/json /created"),
    ("removed property", "GET /widgets/{id}", "response 200 application/json /legacy_code"),
    ("made optional", "GET /widgets/{id}", "response 200 application/json /price"),
    ("widened type", "GET /widgets/{id}", "response 200 application/json /rating"),
    ("added enum value", "GET /widgets/{id}", "response 200 application/json /status"),
    ("changed security", "GET /widgets/{id}", "security"),
    ("removed media type", "POST /widgets", "request body application/x-www-form-urlencoded"),
    ("made required", "POST /widgets", "request body application/json /color"),
    ("removed property", "POST /widgets", "request body application/json /legacy"),
    ("changed status code", "POST /widgets", "response 201"),
}
SAFE = {
    ("added operation", "GET /health", "operation"),
    ("added parameter", "GET /widgets", "query parameter page"),
    ("added response", "GET /widgets", "response 429"),
    ("removed enum value", "GET /widgets", "response 200 application/json /items/*/color"),
    ("narrowed type", "GET /widgets", "response 200 application/json /items/*/note"),
    ("added property", "GET /widgets", "response 200 application/json /items/*/weight"),
    ("removed enum value", "GET /widgets/{id}", "response 200 application/json /color"),
    ("narrowed type", "GET /widgets/{id}", "response 200 application/json /note"),
    ("added property", "GET /widgets/{id}", "response 200 application/json /weight"),
}
# What the consumers in compat_specs/consumers use of the breaking changes, and who uses it.
USED = {
    ("made required", "GET /widgets", "header parameter X-Region"): ["web"],  # every caller must send it
    ("narrowed type", "GET /widgets", "query parameter limit"): ["web"],
    ("made optional", "GET /widgets", "response 200 application/json /items/*/price"): ["web"],
    ("widened type", "GET /widgets", "response 200 application/json /items/*/rating"): ["web"],
    ("removed response", "GET /widgets/{id}", "response 404"): ["mobile"],
    ("changed security", "GET /widgets/{id}", "security"): ["mobile"],
    ("changed status code", "POST /widgets", "response 201"): ["web"],
}


def _compat(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["compat", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _keys(changes: list[dict], *, breaking: bool) -> set[tuple[str, str, str]]:
    return {(c["kind"], c["operation"], c["where"]) for c in changes if c["breaking"] is breaking}


def test_every_change_is_reported_with_its_kind_and_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _compat(capsys, str(OLD), str(NEW))
    assert code == 1
    assert _keys(report["changes"], breaking=True) == BREAKING
    assert _keys(report["changes"], breaking=False) == SAFE
    assert report["breaking"] == len(BREAKING)


def test_changes_carry_json_pointers_on_both_sides(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = _compat(capsys, str(OLD), str(NEW))
    by_key = {(c["kind"], c["operation"], c["where"]): c for c in report["changes"]}
    rating = by_key[("widened type", "GET /widgets", "response 200 application/json /items/*/rating")]
    assert (rating["old"], rating["new"]) == ("/components/schemas/Widget/properties/rating",) * 2
    removed = by_key[("removed operation", "DELETE /widgets/{id}", "operation")]
    assert (removed["old"], removed["new"]) == ("/paths/~1widgets~1{id}/delete", None)
    security = by_key[("changed security", "GET /widgets/{id}", "security")]
    assert security["new"] == "/paths/~1widgets~1{widget_id}/get/security"  # the renamed path parameter


def test_with_consumers_only_changes_a_consumer_uses_break(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _compat(capsys, str(OLD), str(NEW), "--consumer", str(CONSUMERS))
    assert code == 1
    failing = {(c["kind"], c["operation"], c["where"]): c.get("consumers") for c in report["changes"]
               if c["breaking"] and c.get("consumers")}
    assert failing == USED
    assert report["breaking"] == len(USED)


def test_the_text_report_names_the_affected_consumers(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compat", str(OLD), str(NEW), "--consumer", str(CONSUMERS / "mobile.yaml")])
    output = capsys.readouterr().out
    assert code == 1
    assert "Breaking changes (2)" in output
    assert "[removed response] GET /widgets/{id}: response 404" in output
    assert "used by: mobile" in output
    assert "but no consumer uses it" in output
    assert "BREAKING: 2 breaking change(s)" in output


def test_no_breaking_change_exits_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    nobody = tmp_path / "nobody.yaml"
    nobody.write_text("format: mockserver-consumer\nversion: 1\nconsumer: nobody\noperations: {}\n")
    assert main(["compat", str(OLD), str(NEW), "--consumer", str(nobody)]) == 0
    assert "OK: no breaking change" in capsys.readouterr().out
    assert main(["compat", str(OLD), str(OLD)]) == 0
    assert "No change." in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_version_can_come_from_git(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "openapi").mkdir()
    shutil.copy(OLD, tmp_path / "openapi" / "widgets.yaml")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "v1"], cwd=tmp_path, check=True)
    shutil.copy(NEW, tmp_path / "openapi" / "widgets.yaml")
    monkeypatch.chdir(tmp_path)
    code, report = _compat(capsys, "git:HEAD:openapi", "openapi")
    assert code == 1
    assert _keys(report["changes"], breaking=True) == BREAKING


@pytest.mark.parametrize(("old", "message"), [
    ("missing.yaml", "missing.yaml: no such file or folder"),
    ("git:HEAD", "expected git:REV:path"),
])
def test_an_unreadable_version_exits_2(capsys: pytest.CaptureFixture[str], old: str, message: str) -> None:
    assert main(["compat", old, str(NEW)]) == 2
    error = capsys.readouterr().err
    assert message in error
    assert "Traceback" not in error
