"""`mockserver check` and `serve` on hostile or broken specs: one clear message each, nothing read or printed
that the spec's folder does not hold, and the root cause told first."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver.cli import main
from mockserver.foundation.problems import LoadError
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_mock

SECRET = "hunter2-do-not-print"


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["check", *args])
    return code, capsys.readouterr().err.splitlines()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def spec_with(schema: str, *, extra: str = "") -> str:
    return f"""\
        openapi: 3.0.3
        info: {{title: t, version: "1"}}
        paths:
          /things:
            get:
              operationId: listThings
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {schema}
        {extra}"""


def billion_laughs(head: str) -> str:
    lines = [head, "x-lol:", '  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"  a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _away_from_project_fixtures(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # `check` picks up ./fixtures
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", "")


# --- YAML that expands without bound -------------------------------------------------------------------


def test_a_billion_laughs_spec_is_refused_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "lol.yaml"
    spec.write_text(billion_laughs('openapi: 3.0.3\ninfo: {title: t, version: "1"}\npaths: {}'))
    code, lines = check(capsys, str(spec))
    assert code == 2
    [line] = lines
    assert line.startswith(f"mockserver: error: {spec}: refused: its aliases (*name) expand it to more")
    assert "billion laughs" in line


def test_a_billion_laughs_fixture_is_refused_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(tmp_path / "openapi.yaml", spec_with("{type: object}"))
    fixture = tmp_path / "fixtures" / "responses" / "lol.yaml"
    fixture.parent.mkdir(parents=True)
    fixture.write_text(billion_laughs("responses: []"))
    code, lines = check(capsys, str(spec), "--fixtures", str(tmp_path / "fixtures"))
    assert code == 2
    [line] = lines
    assert "lol.yaml: refused: its aliases (*name) expand it" in line


def test_aliases_that_expand_a_little_are_fine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text('openapi: 3.0.3\ninfo: {title: t, version: "1"}\nx-things: {a: &thing {type: object}}\n'
                    "paths: {/a: {get: {responses: {'200': {description: ok, content: {application/json: "
                    "{schema: *thing}}}}}}, /b: {get: {responses: {'200': {description: ok, content: "
                    "{application/json: {schema: *thing}}}}}}}\n")
    assert check(capsys, str(spec)) == (0, [])


# --- references outside the spec's folder ----------------------------------------------------------------


def test_a_ref_outside_the_spec_folder_is_refused_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "secret.yaml", f"password: {SECRET}\n")
    spec = write(tmp_path / "api" / "openapi.yaml", spec_with('{$ref: "../secret.yaml"}'))
    code, lines = check(capsys, str(spec))
    assert code == 2
    [line] = lines
    assert "/paths/~1things/get/responses/200/content/application~1json/schema/$ref" in line
    assert "$ref '../secret.yaml'" in line and "outside the spec's folder" in line
    assert "--allow-ref-outside" in line
    assert SECRET not in line


def test_a_symbolic_link_out_of_the_folder_is_outside_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "secret.yaml", f"password: {SECRET}\n")
    spec = write(tmp_path / "api" / "openapi.yaml", spec_with('{$ref: "schema.yaml"}'))
    (tmp_path / "api" / "schema.yaml").symlink_to(tmp_path / "secret.yaml")
    code, lines = check(capsys, str(spec))
    assert code == 2
    assert "outside the spec's folder" in lines[0]
    assert SECRET not in "\n".join(lines)


def test_allowed_refs_outside_are_read_but_their_content_is_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "shared" / "text.yaml", f"{SECRET} is a string, not a schema\n")
    spec = write(tmp_path / "api" / "openapi.yaml", spec_with('{$ref: "../shared/text.yaml"}'))
    code, lines = check(capsys, "--allow-ref-outside", str(spec))
    assert code == 2
    assert lines, "a string is no schema: the spec has problems"
    assert all(SECRET not in line for line in lines), "\n".join(lines)
    assert any("shared/text.yaml" in line for line in lines)


def test_serve_accepts_allow_ref_outside(tmp_path: Path) -> None:
    thing = "type: object\nrequired: [id]\nproperties: {id: {type: integer}}\n"
    write(tmp_path / "shared" / "thing.yaml", thing)
    spec = write(tmp_path / "api" / "openapi.yaml", spec_with('{$ref: "../shared/thing.yaml"}'))
    with pytest.raises(LoadError, match="outside the spec's folder"):
        build_mock(ServeOptions(spec=spec, log_format=None))
    app = build_mock(ServeOptions(spec=spec, log_format=None, allow_ref_outside=True))
    with TestClient(app) as client:
        assert "id" in client.get("/things").json()


def test_references_in_messages_are_written_as_the_author_wrote_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "description.yml", "introduction: Hello\n")
    spec = write(tmp_path / "openapi.yaml", """\
        openapi: 3.0.3
        info:
          title: t
          version: "1"
          description:
            $ref: 'description.yml#/introduction'
        paths: {}
        """)
    code, lines = check(capsys, str(spec))
    assert code == 2
    [line] = lines
    assert '{"$ref":"description.yml#/introduction"} is not of type "string"' in line
    assert "x-mockserver" not in line


# --- duplicate operationIds and root causes ----------------------------------------------------------------


def test_a_duplicate_operation_id_is_an_error_naming_both_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(tmp_path / "openapi.yaml", """\
        openapi: 3.0.3
        info: {title: t, version: "1"}
        paths:
          /things:
            get:
              operationId: listThings
              responses: {"200": {description: ok}}
          /others:
            get:
              operationId: listThings
              responses: {"200": {description: ok}}
        """)
    code, lines = check(capsys, str(spec))
    assert code == 2
    [line] = lines
    assert line.startswith(f"mockserver: error: {spec}:9: /paths/~1others/get: operationId 'listThings' of "
                           "GET /others is also the operationId of GET /things")
    assert f"({spec}#/paths/~1things/get)" in line
    with pytest.raises(LoadError):  # serve refuses it too, whatever `--strict` says
        build_mock(ServeOptions(spec=spec, log_format=None))


UNSERVABLE = """\
    openapi: 3.0.3
    info: {title: t, version: "1"}
    paths:
      /things:
        get:
          operationId: listThings
          parameters:
            - {name: q, in: query, schema: {type: string, pattern: "(unclosed"}}
          responses: {"200": {description: ok, content: {application/json: {schema: {type: object}}}}}
    """


def test_serve_tells_the_spec_problem_before_the_fixture_errors_it_causes(tmp_path: Path) -> None:
    spec = write(tmp_path / "openapi.yaml", UNSERVABLE)
    fixtures = tmp_path / "fixtures"
    write(fixtures / "responses" / "things.yaml", """\
        responses:
          - name: empty
            operation: listThings
            response: {status: 200, body: {}}
        """)
    with pytest.raises(LoadError) as raised:
        build_mock(ServeOptions(spec=spec, fixtures=fixtures, log_format=None))
    files = [Path(problem.file).name for problem in raised.value.problems]
    assert "things.yaml" in files
    told_first = raised.value.problems[: files.index("things.yaml")]
    assert told_first and all(problem.file == str(spec) for problem in told_first)
    assert any("operation GET /things cannot be served" in problem.message for problem in told_first)


def test_an_operation_the_mock_cannot_serve_answers_501_naming_the_reason(tmp_path: Path) -> None:
    spec = write(tmp_path / "openapi.yaml", UNSERVABLE)
    app = build_mock(ServeOptions(spec=spec, log_format=None))
    [warning] = [w for w in app.spec.warnings if "cannot be served" in w.message]
    assert (warning.file, warning.pointer) == (str(spec), "/paths/~1things/get/parameters/0/schema/pattern")
    with TestClient(app) as client:
        response = client.get("/things")
    assert response.status_code == 501
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-mock-error"].startswith("GET /things cannot be served")
    assert "not valid JSON Schema" in response.json()["detail"]
    assert "/paths/~1things/get/parameters/0/schema/pattern" in response.json()["detail"]


def test_an_operation_the_index_cannot_read_answers_501_too(tmp_path: Path) -> None:
    spec = write(tmp_path / "openapi.yaml", """\
        openapi: 3.0.3
        info: {title: t, version: "1"}
        paths:
          /things/{id}:
            get:
              operationId: getThing
              parameters:
                - {name: id, in: body, schema: {type: string}}
              responses: {"200": {description: ok}}
        """)
    app = build_mock(ServeOptions(spec=spec, log_format=None))
    assert [op.key for op in app.spec.unservable] == ["GET /things/{id}"]
    with TestClient(app) as client:
        response = client.get("/things/1")
    assert response.status_code == 501
    assert "location 'body'" in response.json()["detail"]
