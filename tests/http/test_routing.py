"""Routing over HTTP: which operation a path reaches, and under which names its parameters arrive."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mockserver import create_app

SPEC = """
openapi: 3.1.0
info: {title: Users, version: '1'}
paths:
  /users/{username}:
    get:
      parameters:
        - {name: username, in: path, required: true, schema: {type: string, minLength: 3}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, required: [login], properties: {login: {type: string}}}
  /users/{user_id}/projects:
    get:
      parameters:
        - {name: user_id, in: path, required: true, schema: {type: integer}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {type: string}, maxItems: 2}
  /users/{user_id}/projects/{project}.{format}:
    get:
      parameters:
        - {name: user_id, in: path, required: true, schema: {type: integer}}
        - {name: project, in: path, required: true, schema: {type: string}}
        - {name: format, in: path, required: true, schema: {enum: [json, csv]}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object}
  /users/me:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {const: me}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    spec = tmp_path_factory.mktemp("routing") / "users.yaml"
    spec.write_text(SPEC)
    return TestClient(create_app(Path(spec)))


def test_templates_sharing_a_segment_each_get_their_own_parameter_names(client: TestClient) -> None:
    assert client.get("/users/octocat").status_code == 200
    assert client.get("/users/12/projects").status_code == 200
    assert client.get("/users/12/projects/site.csv").status_code == 200


def test_errors_name_the_parameter_of_the_template_that_matched(client: TestClient) -> None:
    # The spec documents no client error: the mock answers problem+json with every error located.
    def locations(path: str) -> list[list[str]]:
        response = client.get(path)
        assert response.status_code == 400
        return [error["loc"] for error in response.json()["errors"]]

    assert locations("/users/ab") == [["path", "username"]]
    assert locations("/users/octocat/projects") == [["path", "user_id"]]
    assert locations("/users/12/projects/site.xml") == [["path", "format"]]


def test_a_literal_segment_wins_over_a_parameter(client: TestClient) -> None:
    assert client.get("/users/me").json() == "me"
