"""The pytest plugin, seen from a user's project: pytester writes a plain test file and runs pytest on it."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from helpers import BUSINESS_A, FIXTURES_DIR, OPENAPI_DIR

LIST_ID = "list_credit_memos_api_v1_credit_memos_get"
CUSTOMER_OP = "GET /api/v1/credit-memos/customers/{customer_id}/credits"


def write_ini(pytester: pytest.Pytester, **options: str) -> None:
    settings = {
        "mockserver_spec": str(OPENAPI_DIR),
        "mockserver_fixtures": str(FIXTURES_DIR),
        "mockserver_headers": f"\n    x-business-id: {BUSINESS_A}",
        **options,
    }
    lines = "\n".join(f"{name} = {value}" for name, value in settings.items() if value is not None)
    pytester.makeini(f"[pytest]\n{lines}\n")


def run(pytester: pytest.Pytester, source: str, *args: str, **ini: str) -> pytest.RunResult:
    write_ini(pytester, **ini)
    pytester.makepyfile(test_user=textwrap.dedent(source))
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_the_fixture_serves_the_bundled_api_over_a_real_socket(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        def test_list(mock_api, mock_server):
            assert mock_api.url == mock_server.url
            assert mock_server.url.startswith("http://127.0.0.1:")
            response = mock_api.client().get("/api/v1/credit-memos", params={"limit": 5})
            assert response.status_code == 200, response.text
            assert set(response.json()) >= {"items", "has_next", "has_prev"}

        def test_default_auth_headers_are_derived_from_the_config(mock_api):
            assert mock_api.headers["authorization"].startswith("Bearer ")
            response = mock_api.client(headers={"Authorization": "Token nope"}).get("/api/v1/credit-memos")
            assert response.status_code == 401
    """)
    result.assert_outcomes(passed=2)


def test_with_only_spec_and_fixtures_configured_the_bundled_data_answers(pytester: pytest.Pytester) -> None:
    """The default tenant is the first one the fixtures declare, the token one the auth rules accept."""
    result = run(pytester, f"""
        def test_list(mock_api):
            assert mock_api.headers["x-business-id"] == "{BUSINESS_A}"
            response = mock_api.client().get("/api/v1/credit-memos", params={{"limit": 5}})
            assert response.status_code == 200, response.text
            assert response.json()["items"]
    """, mockserver_headers=None)
    result.assert_outcomes(passed=1)


def test_an_override_changes_one_answer_for_one_test_only(pytester: pytest.Pytester) -> None:
    result = run(pytester, f"""
        PATH = "/api/v1/credit-memos/customers/c-1/credits"

        def test_overridden(mock_api):
            mock_api.override("{CUSTOMER_OP}", status=404, json={{"detail": "gone"}})
            client = mock_api.client()
            first = client.get(PATH)
            assert (first.status_code, first.json()) == (404, {{"detail": "gone"}})
            assert first.headers["x-mock-source"] == "override"
            assert client.get(PATH).status_code == 404  # until the end of the test

        def test_not_overridden_any_more(mock_api):
            assert mock_api.client().get(PATH).headers["x-mock-source"] != "override"

        def test_times_limits_an_override(mock_api):
            empty = {{"items": [], "has_next": False, "has_prev": False}}
            mock_api.override("{LIST_ID}", json=empty, headers={{"x-extra": "1"}}, times=1)
            client = mock_api.client()
            first = client.get("/api/v1/credit-memos")
            assert first.json() == empty and first.headers["x-extra"] == "1"
            assert "x-extra" not in client.get("/api/v1/credit-memos").headers

        def test_an_override_without_a_body_answers_the_documented_one(mock_api):
            mock_api.override("{CUSTOMER_OP}", status=404)
            response = mock_api.client().get(PATH)
            assert response.status_code == 404 and isinstance(response.json()["detail"], str)
    """)
    result.assert_outcomes(passed=4)


def test_the_journal_records_calls_and_is_reset_between_tests(pytester: pytest.Pytester) -> None:
    result = run(pytester, f"""
        import pytest

        def test_first_records(mock_api):
            assert mock_api.calls() == []
            mock_api.scenario("empty")
            client = mock_api.client()
            client.get("/api/v1/credit-memos", params={{"limit": 2}})
            client.get("/api/v1/credit-memos/customers/c-9/credits")
            client.get("/nowhere")
            [call] = mock_api.assert_called("{LIST_ID}", times=1)
            assert (call.method, call.path, call.query, call.status) == (
                "GET", "/api/v1/credit-memos", (("limit", "2"),), 200)
            assert call.headers["x-business-id"] == "{BUSINESS_A}"
            assert [c.path for c in mock_api.calls()][-1] == "/nowhere"
            mock_api.assert_called("{CUSTOMER_OP}")
            with pytest.raises(AssertionError, match="called 1 time.*expected 3"):
                mock_api.assert_called("{LIST_ID}", times=3)
            with pytest.raises(pytest.fail.Exception, match="no such scenario; choices: default, empty"):
                mock_api.scenario("emtpy")
            assert mock_api.app.state.scenario == "empty"

        def test_then_starts_clean(mock_api):
            assert mock_api.calls() == []
            assert mock_api.app.state.scenario is None
            assert mock_api.app.state.overrides == []
            with pytest.raises(AssertionError, match="never called.*no request"):
                mock_api.assert_called("{CUSTOMER_OP}")
    """)
    result.assert_outcomes(passed=2)


def test_mock_api_sees_whole_request_bodies_beyond_the_serve_journal_limit(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        def test_big_body(mock_api):
            note = "n" * 200_000  # more than the 64 KiB `mockserver serve` keeps of a body
            mock_api.client().post("/nowhere", json={"note": note})
            [call] = mock_api.calls()
            assert not call.body_truncated and call.json() == {"note": note}
    """)
    result.assert_outcomes(passed=1)


def test_in_process_mode_answers_the_same_bodies_without_a_socket(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import pytest

        REQUESTS = [
            ("/api/v1/credit-memos", {"limit": 3}),
            ("/api/v1/credit-memos", {"limit": "abc"}),
            ("/api/v1/credit-memos/customers/c-1/credits", {}),
            ("/api/v1/vendor-credits/vendors/v-1/credits", {}),
        ]

        def test_same_bodies(mock_api, mock_api_inprocess):
            assert not mock_api_inprocess.url.startswith("http://127.0.0.1")
            socket, in_process = mock_api.client(), mock_api_inprocess.client()
            for path, params in REQUESTS:
                one, two = socket.get(path, params=params), in_process.get(path, params=params)
                assert (one.status_code, one.headers["content-type"]) == (
                    two.status_code, two.headers["content-type"])
                assert one.json() == two.json()
            assert len(mock_api_inprocess.calls()) == 2 * len(REQUESTS)

        @pytest.mark.mockserver(inprocess=True)
        def test_the_marker_switches_mock_api(mock_api):
            assert mock_api.url == "http://mockserver.test"
            assert mock_api.client().get("/api/v1/credit-memos").status_code == 200
            mock_api.assert_called("GET /api/v1/credit-memos", times=1)

        async def _fetch(mock_api):
            async with mock_api.async_client() as client:
                return await client.get("/api/v1/credit-memos")

        def test_async_client_in_process(mock_api_inprocess):
            import asyncio

            assert asyncio.run(_fetch(mock_api_inprocess)).status_code == 200
    """)
    result.assert_outcomes(passed=3)


def test_the_ini_option_runs_the_whole_suite_in_process(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        def test_in_process(mock_api):
            assert mock_api.url == "http://mockserver.test"
            assert mock_api.client().get("/api/v1/credit-memos").status_code == 200
    """, mockserver_inprocess="true")
    result.assert_outcomes(passed=1)


def test_markers_set_the_scenario_seed_and_headers_of_one_test(pytester: pytest.Pytester) -> None:
    result = run(pytester, """
        import httpx
        import pytest

        PATH = "/api/v1/credit-memos/customers/c-1/credits"

        @pytest.mark.mockserver(scenario="empty", headers={"x-trace": "t-1"})
        def test_scenario_and_headers(mock_api):
            assert mock_api.client().get("/api/v1/credit-memos").json()["items"] == []
            assert mock_api.calls()[0].headers["x-trace"] == "t-1"

        def test_without_the_marker(mock_api):
            assert mock_api.client().get("/api/v1/credit-memos").json()["items"] != []
            assert "x-trace" not in mock_api.headers

        @pytest.mark.mockserver(seed=12345)
        def test_another_seed_gets_another_mock(mock_api, mock_server):
            assert mock_api.url != mock_server.url  # a mock of its own, built once for that seed
            headers = {**mock_api.headers, "Prefer": "dynamic=true"}
            other = mock_api.client().get(PATH, headers=headers).json()
            default = httpx.get(mock_server.url + PATH, headers=headers).json()
            assert other != default

        @pytest.mark.mockserver(sed=1)
        def test_typo(mock_api):
            pass
    """)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*unknown argument(s) sed; known: scenario, seed, headers, inprocess*"])


def test_override_errors_fail_the_test_naming_the_operation_and_the_violation(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, f"""
        def test_unknown_operation(mock_api):
            mock_api.override("delete_everything", status=200)

        def test_undocumented_status(mock_api):
            mock_api.override("{LIST_ID}", status=418)

        def test_body_violating_the_spec(mock_api):
            mock_api.override("{LIST_ID}", json={{"items": "nope", "has_next": False}})
    """)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*Failed: mock_api.override('delete_everything', status=200): unknown operation 'delete_everything'*",
        "*Failed: mock_api.override(*status=418): GET /api/v1/credit-memos documents no response 418*",
        "*override body for GET /api/v1/credit-memos 200 violates the spec*items*",
    ])
    assert "mockserver/testing.py" not in result.stdout.str()


def test_with_nothing_configured_it_serves_openapi_and_fixtures_of_the_cwd(pytester: pytest.Pytester) -> None:
    shutil.copytree(OPENAPI_DIR, pytester.path / "openapi")
    shutil.copytree(FIXTURES_DIR, pytester.path / "fixtures")
    pytester.makepyfile(test_user="""
        def test_list(mock_api):
            assert mock_api.client().get("/api/v1/credit-memos").status_code == 200
    """)
    result = pytester.runpytest_inprocess("--mockserver-header", f"x-business-id: {BUSINESS_A}")
    result.assert_outcomes(passed=1)


def test_ini_paths_are_relative_to_the_ini_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(OPENAPI_DIR, pytester.path / "api" / "spec")
    write_ini(pytester, mockserver_spec="api/spec", mockserver_fixtures=None, mockserver_headers=None)
    tests = pytester.mkpydir("tests")
    (tests / "test_user.py").write_text(textwrap.dedent("""
        def test_spec_found(mock_api):
            assert mock_api.app.spec.find_operation("GET /api/v1/credit-memos") is not None
    """))
    monkeypatch.chdir(tests)
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_a_generic_spec_gets_credentials_and_its_warnings_are_pytest_warnings(
    pytester: pytest.Pytester,
) -> None:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "pets", "version": "1"},
        "servers": [{"url": "http://pets.example/v2"}],
        "security": [{"key": []}],
        "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "query", "name": "api_key"}}},
        "paths": {
            "/pets": {"get": {"operationId": "listPets", "responses": {"200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}},
            }}}},
            "/odd": {"get": {"responses": "nope"}},
        },
    }
    (pytester.path / "pets.json").write_text(json.dumps(spec))
    result = run(pytester, """
        def test_pets(mock_api):
            assert mock_api.url.endswith("/v2")
            response = mock_api.client().get("/pets")
            assert response.status_code == 200
            [call] = mock_api.assert_called("listPets")
            assert call.path == "/v2/pets" and call.query[0][0] == "api_key"
    """, mockserver_spec="pets.json", mockserver_fixtures=None, mockserver_headers=None)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*MockServerWarning*operation GET /odd cannot be served*"])


def test_a_broken_spec_is_reported_without_a_traceback(pytester: pytest.Pytester) -> None:
    (pytester.path / "broken.json").write_text('{"openapi": "3.1.0", "paths": ')
    result = run(pytester, """
        def test_one(mock_api):
            pass

        def test_two(mock_server):
            pass
    """, mockserver_spec="broken.json", mockserver_fixtures=None)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*mockserver: cannot load the mock*", "*broken.json*"])
    assert "Traceback" not in result.stdout.str()


def test_bad_configuration_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def test_nothing(): pass\n", mockserver_seed="many")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mockserver: mockserver_seed must be an integer*'many'*"])


def test_under_xdist_each_worker_has_its_own_server(pytester: pytest.Pytester) -> None:
    result_file = pytester.path / "ports.txt"
    source = f"""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(mock_api, mock_server, n):
            mock_api.override("{LIST_ID}", json={{"items": [], "has_next": False, "has_prev": bool(n % 2)}})
            client = mock_api.client()
            for _ in range(n + 1):
                assert client.get("/api/v1/credit-memos").json()["has_prev"] is bool(n % 2)
            mock_api.assert_called("{LIST_ID}", times=n + 1)
            with open({str(result_file)!r}, "a") as out:
                out.write(f"{{os.environ['PYTEST_XDIST_WORKER']}} {{mock_server.port}}\\n")
    """
    write_ini(pytester)
    pytester.makepyfile(test_user=textwrap.dedent(source))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    ports = dict(line.split() for line in result_file.read_text().splitlines())
    assert len(ports) == 2 and len(set(ports.values())) == 2
