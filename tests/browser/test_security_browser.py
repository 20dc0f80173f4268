"""Issue 15 in a real browser: pages on other origins (or on a rebound DNS name) cannot change or read a
running mock through its admin API; the admin page keeps working from the mock's own origin, with a
token when it has one, and shows no secret.

Needs Debian's `chromium` (the test set-up installs it: `make test`); skipped when it is missing.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest
from chromium import Chromium, find_chromium
from dx_helpers import served
from helpers import BUSINESS_A, FIXTURES_DIR, OPENAPI_DIR
from test_dx_browser import _page_server

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

BINARY = find_chromium()
pytestmark = pytest.mark.skipif(
    BINARY is None,
    reason="chromium is not installed (`apt-get install chromium`; `make test` does it when run as root)",
)
REBOUND = "rebound.test"  # a name an attacker's DNS points at 127.0.0.1 (DNS rebinding)
API_HEADERS = {"Authorization": "Bearer dz_browser_token", "x-business-id": BUSINESS_A}


@pytest.fixture(scope="module")
def browser():
    with Chromium(BINARY, flags=(f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1",)) as driver:
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


@pytest.fixture(autouse=True)
def _fresh(stack):
    stack.live.current.state.reset()


def test_a_page_on_another_origin_can_neither_change_nor_read_the_mock(browser, page_origin, mock_origin,
                                                                       stack):
    httpx.get(mock_origin + "/api/v1/credit-memos?limit=1", headers=API_HEADERS)  # one journal entry
    browser.open(f"{page_origin}/attack.html?{urlencode({'mock': mock_origin})}")
    browser.wait_for("document.body.dataset.state === 'done'")
    result = json.loads(browser.evaluate("document.getElementById('result').textContent"))
    state = stack.live.current.state
    assert result["form"] == "loaded"  # the form's post did reach the mock
    assert state.scenario is None, result
    assert state.overrides == [], result
    assert len(state.calls()) == 1, result  # not reset
    assert result["jsonScenario"].startswith("error"), result  # its preflight is refused
    assert result["journal"].startswith("error"), result  # unreadable: no CORS for the admin API
    assert "dz_browser_token" not in result["journal"]


def test_a_rebound_dns_name_gets_nothing_from_the_admin_api(browser, mock_origin, stack):
    port = mock_origin.rsplit(":", 1)[1]
    browser.open(f"http://{REBOUND}:{port}/__mock__/")  # the attacker's page, now served by the mock
    browser.wait_for("document.readyState === 'complete'")
    assert "DNS rebinding" in browser.evaluate("document.body.innerText")  # the page is refused too
    browser.evaluate("""window.outcome = null;
        fetch('/__mock__/scenario', {method: 'PUT', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify({scenario: 'empty'})})
          .then(async (answer) => { window.outcome = answer.status + ' ' + await answer.text(); },
                (error) => { window.outcome = 'error ' + error; }); true""")
    outcome = browser.wait_for("window.outcome")
    assert outcome.startswith("403"), outcome
    assert stack.live.current.state.scenario is None


def test_the_admin_page_shows_the_journal_without_secrets(browser, mock_origin):
    httpx.get(mock_origin + "/api/v1/credit-memos?limit=1&api_key=k3y-in-the-query",
              headers={**API_HEADERS, "X-Signature": "s1gnature-value", "Cookie": "session=c00kie-value"})
    browser.open(f"{mock_origin}/__mock__/")
    browser.wait_for("document.body.dataset.ready === 'true' && "
                     "document.querySelectorAll('#journal tbody tr').length > 0")
    browser.evaluate("document.querySelector('#journal tbody tr').click(); true")
    shown = browser.wait_for("document.querySelector('pre.detail') && document.body.innerText")
    assert "x-signature" in shown and "***" in shown
    for secret in ("k3y-in-the-query", "s1gnature-value", "c00kie-value", "dz_browser_token"):
        assert secret not in shown


def test_the_admin_page_works_with_a_token_given_in_its_address(browser):
    guarded = build_stack(ServeOptions(OPENAPI_DIR, FIXTURES_DIR, log_format=None, admin_token="page-t0ken"))
    with served(guarded.asgi) as origin:
        browser.open(f"{origin}/__mock__/")
        browser.wait_for("document.body.dataset.ready === 'true'")
        assert "needs its token" in browser.evaluate("document.getElementById('health').textContent")
        browser.open(f"{origin}/__mock__/#token=page-t0ken")  # the open page reloads with it
        browser.wait_for("!location.hash && document.body.dataset.ready === 'true'")  # out of the address
        assert browser.evaluate("document.getElementById('health').textContent").startswith("ok")
        browser.evaluate("const s = document.getElementById('scenario'); s.value = 'empty';"
                         "s.dispatchEvent(new Event('change')); true")
        browser.wait_for("document.getElementById('message').textContent === 'serving scenario empty'")
        assert guarded.live.current.state.scenario == "empty"
        browser.evaluate("document.getElementById('reset').click(); true")
        browser.wait_for("document.getElementById('message').textContent === 'reset'")
        assert guarded.live.current.state.scenario is None
