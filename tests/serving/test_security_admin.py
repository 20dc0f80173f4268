"""Issue 15 §1-2: no cross-site control of a running mock, and no 5xx from the admin API whatever it is sent.

The browser side of §1 (a real page on another origin) is in tests/browser/test_security_browser.py.
"""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from dx_helpers import ServeProcess, served, write_api
from starlette.testclient import TestClient

from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

LOCAL = "http://127.0.0.1:4010"
JSON = {"Content-Type": "application/json"}
EVIL = "http://evil.test"
SCENARIO = "/__mock__/scenario"
EMPTY = json.dumps({"scenario": "empty"})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    return write_api(tmp_path_factory.mktemp("widgets"))


def _stack(api, **options):
    return build_stack(ServeOptions(api[0], api[1], log_format=None, **options))


def _client(stack, base_url: str = LOCAL) -> TestClient:
    return TestClient(stack.asgi, base_url=base_url)


@pytest.fixture
def stack(api):
    return _stack(api)


@pytest.fixture
def client(stack):
    return _client(stack)


def _scenario(stack) -> str | None:
    return stack.live.current.state.scenario


# §1: changing the mock needs JSON, from the mock's own origin (or one --cors-origin lists)


def test_a_form_post_without_json_content_type_is_refused_with_415(client, stack):
    response = client.put(SCENARIO, content=EMPTY, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert "application/json" in response.json()["detail"]
    assert _scenario(stack) is None
    assert client.post("/__mock__/reset").status_code == 415  # no content type at all
    assert client.delete("/__mock__/overrides").status_code == 415


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},  # a sandboxed page or a file
    {"Origin": "http://127.0.0.1:5173"},  # another local app: another origin
    {"Sec-Fetch-Site": "cross-site"},  # a browser that sends no Origin
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"},  # a form posted by another site
])
def test_a_change_from_another_origin_is_refused_with_403(client, stack, headers):
    response = client.put(SCENARIO, content=EMPTY, headers={**JSON, **headers})
    assert response.status_code == 403
    assert "--cors-origin" in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers
    assert _scenario(stack) is None


def test_a_change_from_the_mocks_own_origin_is_accepted(client, stack):
    headers = {**JSON, "Origin": LOCAL, "Sec-Fetch-Site": "same-origin"}
    assert client.put(SCENARIO, content=EMPTY, headers=headers).status_code == 200
    assert _scenario(stack) == "empty"


def test_an_origin_listed_with_cors_origin_may_change_and_read_the_mock(api):
    stack = _stack(api, cors_origins=("http://localhost:5173",))
    client = _client(stack)
    origin = {"Origin": "http://localhost:5173", "Sec-Fetch-Site": "cross-site"}
    assert client.put(SCENARIO, content=EMPTY, headers={**JSON, **origin}).status_code == 200
    assert _scenario(stack) == "empty"
    journal = client.get("/__mock__/requests", headers=origin)
    assert journal.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert client.put(SCENARIO, content=EMPTY, headers={**JSON, "Origin": EVIL}).status_code == 403


def test_the_journal_is_not_readable_from_another_origin(client):
    client.get("/widgets/1", headers={"Authorization": "Bearer secret-of-the-developer"})
    for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}):
        response = client.get("/__mock__/requests", headers=headers)
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
    preflight = client.options("/__mock__/requests", headers={"Origin": EVIL,
                                                              "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_following_a_link_to_the_admin_page_from_another_site_still_opens_it(client):
    page = client.get("/__mock__/", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 200


def test_the_api_paths_keep_their_permissive_cors(client):
    response = client.get("/widgets", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == EVIL


@pytest.mark.parametrize(("path", "listed", "granted"), [
    ("/widgets", (), False),  # every origin may call the API, but only a listed one reaches the network
    ("/widgets", (EVIL,), True),
    ("/__mock__/requests", (EVIL,), True),
])
def test_private_network_access_is_granted_to_listed_origins_only(api, path, listed, granted):
    client = _client(_stack(api, cors_origins=listed))
    response = client.options(path, headers={"Origin": EVIL, "Access-Control-Request-Method": "GET",
                                             "Access-Control-Request-Private-Network": "true"})
    assert response.status_code == 204
    assert ("access-control-allow-private-network" in response.headers) is granted


# §1: DNS rebinding: the Host of an admin request is a loopback one, or one --allowed-host names


@pytest.mark.parametrize("host", ["evil.test", "evil.test:4010", "127.0.0.1.evil.test", "192.168.1.20:4010"])
def test_an_admin_request_to_a_foreign_host_is_refused(stack, host):
    client = _client(stack, f"http://{host}")
    response = client.get("/__mock__/requests")
    assert response.status_code == 403
    assert "--allowed-host" in response.json()["detail"]
    changed = client.put(SCENARIO, content=EMPTY, headers={**JSON, "Origin": f"http://{host}"})
    assert changed.status_code == 403
    assert _scenario(stack) is None
    assert client.get("/widgets").status_code == 200  # the API is not affected


@pytest.mark.parametrize("host", ["localhost:4010", "LOCALHOST", "app.localhost:4010", "127.0.0.1",
                                  "127.1.2.3:80", "[::1]:4010", "0.0.0.0:4010"])
def test_loopback_hosts_reach_the_admin(stack, host):
    assert _client(stack, f"http://{host}").get("/__mock__/health").status_code == 200


def test_allowed_host_names_another_host(api):
    stack = _stack(api, allowed_hosts=("mock.internal",))
    client = _client(stack, "http://mock.internal:4010")
    assert client.get("/__mock__/health").status_code == 200
    assert _client(stack, "http://other.internal").get("/__mock__/health").status_code == 403


# §1: off loopback, the admin API needs a token or is off


def test_a_non_loopback_address_without_a_token_turns_the_admin_off(api):
    stack = _stack(api, host="0.0.0.0")
    assert stack.admin is None
    assert stack.admin_off is not None and "--admin-token" in stack.admin_off
    assert _client(stack).get("/__mock__/health").json() == {"detail": "Not Found"}  # the mock's 404


def test_with_a_token_every_admin_endpoint_but_the_page_needs_it(api):
    stack = _stack(api, host="0.0.0.0", admin_token="t0ken-of-the-admin")
    client = _client(stack)
    refused = client.get("/__mock__/requests")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/__mock__/requests", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/__mock__/requests",
                      headers={"Authorization": "Bearer t0ken-of-the-admin"}).status_code == 200
    token = {"X-Mock-Admin-Token": "t0ken-of-the-admin"}
    changed = client.put(SCENARIO, content=EMPTY, headers={**JSON, **token})
    assert changed.status_code == 200
    assert client.get("/__mock__/").status_code == 200  # the page asks the user for the token


def test_the_bound_address_itself_is_an_allowed_host(api):
    stack = _stack(api, host="192.168.1.20", admin_token="t")
    client = _client(stack, "http://192.168.1.20:4010")
    assert client.get("/__mock__/health", headers={"X-Mock-Admin-Token": "t"}).status_code == 200


def test_serve_on_all_interfaces_warns_and_the_banner_says_the_admin_needs_its_token(api, monkeypatch):
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "from-the-environment")
    with ServeProcess(str(api[0]), "--fixtures", str(api[1]), "--host", "0.0.0.0") as server:
        warning = server.wait_for(server.stderr, "other machines can reach")
        assert "0.0.0.0" in warning and "needs its token" in warning
        assert "needs the admin token" in server.wait_for(server.stdout, "admin:")
        assert "from-the-environment" not in "".join(server.stdout + server.stderr)
        assert httpx.get(server.origin + "/__mock__/requests").status_code == 401
        granted = httpx.get(server.origin + "/__mock__/requests",
                            headers={"X-Mock-Admin-Token": "from-the-environment"})
        assert granted.status_code == 200


def test_serve_on_all_interfaces_without_a_token_says_the_admin_is_off(api, monkeypatch):
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)
    with ServeProcess(str(api[0]), "--fixtures", str(api[1]), "--host", "0.0.0.0") as server:
        assert "is off" in server.wait_for(server.stderr, "other machines can reach")
        assert "admin: off" in server.wait_for(server.stdout, "admin:")
        assert httpx.get(server.origin + "/__mock__/scenario").status_code == 404


# §2: whatever the admin API is sent, a 4xx problem+json, user text never raw in a header


def _assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    error = response.headers["x-mock-error"]
    assert error.isascii() and error.isprintable()
    return response.json()


@pytest.fixture(scope="module")
def live(api):
    """The admin API behind a real server (uvicorn with h11 refuses to send a broken header)."""
    stack = _stack(api)
    with served(stack.asgi) as origin:
        yield origin, stack


def test_a_non_ascii_admin_path_gets_a_404_problem(live):
    origin, _ = live
    problem = _assert_problem(httpx.get(origin + "/__mock__/%E2%98%83"), 404)
    assert "\u2603" in problem["detail"]


def test_a_line_break_in_the_admin_path_cannot_reach_a_header(live):
    origin, _ = live
    response = httpx.get(origin + "/__mock__/%0D%0ASet-Cookie:%20stolen=1")
    _assert_problem(response, 404)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("body", [
    '{"scenario": "\\u2603"}',
    '{"scenario": "\\ud800"}',  # a lone surrogate
    '{"scenario": "a\\r\\nSet-Cookie: x=1"}',
])
def test_an_unknown_scenario_name_is_echoed_safely(live, body):
    origin, _ = live
    response = httpx.put(origin + SCENARIO, content=body, headers=JSON)
    _assert_problem(response, 400)  # an unknown scenario, or (the lone surrogate) not JSON
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", [SCENARIO, "/__mock__/overrides", "/__mock__/reset"])
def test_json_nested_100000_levels_deep_is_refused(live, path):
    origin, stack = live
    deep = "[" * 100_000 + "]" * 100_000
    problem = _assert_problem(httpx.post(origin + path, content=deep, headers=JSON), 400)
    assert "deeper than" in problem["detail"]
    objects = '{"scenario": ' + '{"a": ' * 80 + "1" + "}" * 80 + "}"
    assert "deeper than" in _assert_problem(httpx.post(origin + path, content=objects, headers=JSON),
                                            400)["detail"]
    assert _scenario(stack) is None


def test_a_body_over_the_size_limit_gets_413(live):
    origin, _ = live
    body = '{"operation": "listWidgets", "body": "' + "x" * (9 * 1024 * 1024) + '"}'
    _assert_problem(httpx.post(origin + "/__mock__/overrides", content=body, headers=JSON), 413)


@pytest.mark.parametrize(("path", "body", "says"), [
    (SCENARIO, {"scenario": "empty", "colour": "red"}, "colour"),
    (SCENARIO, {"name": "empty"}, "scenario"),
    ("/__mock__/reset", {"hard": True}, "hard"),
    ("/__mock__/overrides", {"operation": "getWidget", "stauts": 404}, "stauts"),
])
def test_unknown_fields_are_refused_by_name(live, path, body, says):
    origin, stack = live
    problem = _assert_problem(httpx.post(origin + path, json=body), 400)
    assert says in problem["detail"]
    assert _scenario(stack) is None


@pytest.mark.parametrize(("method", "path", "content", "status"), [
    ("PUT", SCENARIO, "not json", 400),
    ("PUT", SCENARIO, "[1, 2]", 400),
    ("PUT", SCENARIO, '{"scenario": 7}', 400),
    ("POST", "/__mock__/overrides", '{"operation": "\\u2603"}', 400),
    ("POST", "/__mock__/overrides", '{"operation": "getWidget", "headers": {"X-A": 1}}', 400),
    ("POST", "/__mock__/overrides", '{"operation": "getWidget", "status": 99999999999999999999}', 400),
    ("PATCH", SCENARIO, "{}", 405),
    ("GET", "/__mock__/requests?limit=" + "9" * 5000, "", 400),
    ("GET", "/__mock__/requests?operation=%E2%98%83%0D%0A", "", 400),
])
def test_bad_admin_input_gets_a_4xx_problem(live, method, path, content, status):
    origin, _ = live
    _assert_problem(httpx.request(method, origin + path, content=content, headers=JSON), status)


def test_a_405_names_the_allowed_methods(live):
    origin, _ = live
    response = httpx.patch(origin + SCENARIO, content="{}", headers=JSON)
    assert response.headers["allow"] == "GET, POST, PUT"


def test_raw_requests_with_odd_targets_never_get_a_5xx(live):
    origin, _ = live
    port = int(origin.rsplit(":", 1)[1])
    targets = [b"/__mock__/\xe2\x98\x83", b"/__mock__/%ff%fe", b"/__mock__/requests?limit=%00",
               b"/__mock__/..%2f..%2fetc", b"/__mock__//health", b"/__mock__/scenario?x=\xff"]
    for target in targets:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            request = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            connection.sendall(request)
            reply = b""
            while chunk := connection.recv(65536):
                reply += chunk
        status = int(reply.split(b" ", 2)[1])
        assert 200 <= status < 500, (target, reply[:300])
