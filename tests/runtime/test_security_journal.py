"""Issue 15 §4: the journal's memory is bounded whatever clients send (the RSS figure: benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dx_helpers import write_api
from starlette.testclient import TestClient

from mockserver.cli import build_parser
from mockserver.runtime.journal import DEFAULT_BODY_LIMIT, DEFAULT_JOURNAL_BYTES
from mockserver.serving.arguments import options_from_arguments
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

KIB = 1024


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


def _served(api, **options):
    stack = build_stack(ServeOptions(api[0], api[1], log_format=None, **options))
    return stack.live.current, TestClient(stack.asgi, base_url="http://127.0.0.1:4010")


def test_the_defaults_keep_64_kib_of_a_body_and_64_mib_in_all(api):
    app, client = _served(api)
    assert (DEFAULT_BODY_LIMIT, DEFAULT_JOURNAL_BYTES) == (64 * KIB, 64 * KIB * KIB)
    body = b"x" * (300 * KIB)
    client.post("/nowhere", content=body)  # a 404 is journaled too
    [entry] = app.state.calls()
    assert entry.body == body[: 64 * KIB]
    assert entry.body_truncated and entry.body_size == 300 * KIB
    assert app.state.journal.max_bytes == 64 * KIB * KIB


def test_a_kept_prefix_is_marked_in_the_admin_api_and_by_mock_api(api):
    app, client = _served(api, journal_body_limit=KIB)
    client.post("/widgets", json={"id": 1, "name": "n" * 4000})
    [shown] = client.get("/__mock__/requests").json()["requests"]
    assert shown["body_truncated"] is True
    assert shown["body_size"] > 4000
    assert len(shown["body"]) == KIB
    with pytest.raises(ValueError, match="first 1024 of the"):
        app.state.calls("createWidget")[0].json()
    client.post("/widgets", json={"id": 2, "name": "short"})
    assert app.state.calls("createWidget")[-1].json() == {"id": 2, "name": "short"}


def test_the_oldest_entries_go_first_beyond_the_byte_budget(api):
    app, client = _served(api, journal_body_limit=64 * KIB, journal_bytes=300 * KIB)
    for number in range(10):
        client.post(f"/nowhere/{number}", content=b"y" * (100 * KIB))
    kept = [entry.path for entry in app.state.calls()]
    assert kept == ["/nowhere/6", "/nowhere/7", "/nowhere/8", "/nowhere/9"]
    assert app.state.journal.bytes <= 300 * KIB
    journal = client.get("/__mock__/requests").json()
    assert journal["total"] == 4 and journal["bytes"] <= journal["max_bytes"] == 300 * KIB


def test_the_journal_keeps_what_was_answered_but_not_the_answer_bodies(api):
    app, client = _served(api, journal_bytes=200 * KIB)
    widgets = [{"id": number, "name": "w" * 100} for number in range(500)]  # about 60 KB of JSON
    app.state.add_override("listWidgets", json=widgets)
    for _ in range(10):
        assert len(client.get("/widgets").json()) == 500
    calls = app.state.calls()
    assert len(calls) == 10 and {(call.status, call.source) for call in calls} == {(200, "override")}
    assert app.state.journal.bytes <= 10 * KIB


def test_the_journal_is_emptied_by_reset_and_its_bytes_with_it(api):
    app, client = _served(api)
    client.post("/nowhere", content=b"z" * KIB)
    assert app.state.journal.bytes > KIB
    app.state.reset()
    assert app.state.journal.bytes == 0 and app.state.calls() == []


@pytest.mark.parametrize(("given", "expected"), [("65536", 65536), ("64KiB", 65536), ("64k", 65536),
                                                 ("1MiB", 1024 * KIB), ("2mb", 2048 * KIB), ("0", 0)])
def test_serve_takes_the_limits_in_bytes_or_units(given, expected):
    args = build_parser().parse_args(["serve", "--journal-body-limit", given, "--journal-bytes", given])
    options = options_from_arguments(args, Path("openapi"), None)
    assert (options.journal_body_limit, options.journal_bytes) == (expected, expected)


def test_a_size_that_is_not_one_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--journal-bytes", "lots"])
    assert "64MiB" in capsys.readouterr().err
