"""The mock in a real browser: a page on one origin calls the mock on another; the admin page renders.

Needs Debian's `chromium` (the test set-up installs it: `make test`); skipped when it is missing.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from chromium import Chromium, find_chromium
from dx_helpers import served
from helpers import BUSINESS_A, FIXTURES_DIR, OPENAPI_DIR

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

BINARY = find_chromium()
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="chromium is not installed (`apt-get install chromium`; `make test` does it when run as root)",
)
PAGE_DIR = Path(__file__).parent
LIST = "/api/v1/credit-memos?limit=2"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def _page_server() -> Iterator[str]:
    """Serve this folder (the test page) from its own origin."""
    handler = functools.partial(_QuietHandler, directory=str(PAGE_DIR))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with Chromium(BINARY) as driver:
        yield driver


@pytest.fixture(scope="module")
def page_origin():
    with _page_server() as origin:
        yield origin


@pytest.fixture(scope="module")
def stack():
    return build_stack(ServeOptions(OPENAPI_DIR, FIXTURES_DIR, log_format=None))


@pytest.fixture(scope="module")
def mock_origin(stack):
    with served(stack.asgi) as origin:
        yield origin


def _fetch_from_page(browser, page_origin: str, mock_origin: str) -> tuple[str, dict]:
    query = urlencode({"mock": mock_origin, "path": LIST, "business": BUSINESS_A})
    browser.open(f"{page_origin}/page.html?{query}")
    state = browser.wait_for("document.body && document.body.dataset.state !== 'loading' "
                             "&& document.body.dataset.state")
    return state, json.loads(browser.evaluate("document.getElementById('result').textContent"))


def test_a_page_on_another_origin_calls_the_mock_with_the_api_headers(browser, page_origin, mock_origin):
    state, result = _fetch_from_page(browser, page_origin, mock_origin)
    assert state == "done", result
    assert result["status"] == 200
    assert result["items"] == 2
    assert result["total"] > 2
    assert result["source"] == "dataset"  # X-Mock-Source is exposed to scripts


def test_the_admin_page_shows_operations_scenarios_and_the_journal(browser, page_origin, mock_origin):
    _fetch_from_page(browser, page_origin, mock_origin)
    browser.open(f"{mock_origin}/__mock__/")
    browser.wait_for("document.body.dataset.ready === 'true'")
    journal = browser.wait_for("[...document.querySelectorAll('#journal tbody tr')]"
                               ".map(row => row.textContent).join('\\n')")
    assert "/api/v1/credit-memos?limit=2" in journal
    assert "dataset" in journal
    operations = browser.evaluate("[...document.querySelectorAll('#operations tbody tr')]"
                                  ".map(row => row.cells[1].textContent)")
    assert sorted(operations) == sorted(["/api/v1/credit-memos",
                                         "/api/v1/credit-memos/customers/{customer_id}/credits",
                                         "/api/v1/vendor-credits/vendors/{vendor_id}/credits"])
    scenarios = browser.evaluate("[...document.querySelectorAll('#scenario option')].map(o => o.value)")
    assert {"default", "empty", "slow"} <= set(scenarios)


def test_the_admin_page_switches_the_scenario(browser, mock_origin, stack):
    browser.open(f"{mock_origin}/__mock__/")
    browser.wait_for("document.body.dataset.ready === 'true'")
    browser.evaluate("const s = document.getElementById('scenario'); s.value = 'empty';"
                     "s.dispatchEvent(new Event('change')); true")
    browser.wait_for("document.getElementById('message').textContent === 'serving scenario empty'")
    assert stack.live.current.state.scenario == "empty"
    stack.live.current.state.reset()


def test_the_admin_page_narrows_the_journal_and_the_scenario_to_a_session(browser, mock_origin, stack):
    import httpx

    headers = {"Authorization": "Bearer t", "x-business-id": BUSINESS_A}
    httpx.get(mock_origin + LIST, headers={**headers, "X-Mock-Session": "page-a"})
    httpx.get(mock_origin + "/api/v1/credit-memos?limit=3", headers={**headers, "X-Mock-Session": "page-b"})
    browser.open(f"{mock_origin}/__mock__/")
    browser.wait_for("document.body.dataset.ready === 'true'")
    browser.evaluate("const i = document.getElementById('session'); i.value = 'page-a';"
                     "i.dispatchEvent(new Event('change')); true")
    sessions = browser.wait_for("(() => { const rows = [...document.querySelectorAll('#journal tbody tr')];"
                                " const s = rows.map(row => row.cells[6].textContent);"
                                " return s.length && s.every(name => name === 'page-a') && s.join(','); })()")
    assert sessions == "page-a"
    browser.evaluate("const s = document.getElementById('scenario'); s.value = 'empty';"
                     "s.dispatchEvent(new Event('change')); true")
    browser.wait_for("document.getElementById('message').textContent === 'serving scenario empty'")
    state = stack.live.current.state
    assert (state.scenario_for("page-a"), state.scenario_for("page-b")) == ("empty", None)
    state.reset()


def test_an_origin_outside_cors_origin_is_blocked_by_the_browser(browser, page_origin):
    restricted = build_stack(ServeOptions(OPENAPI_DIR, FIXTURES_DIR, log_format=None,
                                          cors_origins=("http://app.example",)))
    with served(restricted.asgi) as origin:
        state, result = _fetch_from_page(browser, page_origin, origin)
    assert state == "failed"
    assert "Failed to fetch" in result["error"]
