"""Swagger 2.0 documents: converted to OpenAPI 3.0 when loaded, served, and checked at their own pointers."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.cli import main
from mockserver.foundation.problems import LoadError
from mockserver.spec import load_spec

HEAD = """\
    swagger: "2.0"
    info: {title: t, version: "1"}
    """


def swagger(tmp_path: Path, body: str, name: str = "swagger.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(HEAD) + textwrap.dedent(body))
    return path


def converted(tmp_path: Path, body: str) -> dict[str, Any]:
    return load_spec(swagger(tmp_path, body), strict=True).document


def test_host_base_path_and_schemes_become_servers(tmp_path: Path) -> None:
    document = converted(tmp_path, "host: api.example.com\nbasePath: /v1/\nschemes: [https, http]\n"
                                   "paths: {}\n")
    assert document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "https://api.example.com/v1"}, {"url": "http://api.example.com/v1"}]
    assert load_spec(swagger(tmp_path, "basePath: /api\npaths: {}\n", "b.yaml")).base_path == "/api"
    assert "servers" not in converted(tmp_path, "paths: {}\n")


PARAMETERS = """\
    paths:
      /items/{ids}:
        get:
          parameters:
            - {name: ids, in: path, required: true, type: array, items: {type: integer},
               collectionFormat: csv}
            - {name: tag, in: query, type: array, items: {type: string}, collectionFormat: multi}
            - {name: words, in: query, type: array, items: {type: string}, collectionFormat: ssv}
            - {name: q, in: query, type: string, maxLength: 5, x-example: abc, allowEmptyValue: true}
            - {name: X-Trace, in: header, type: string, format: uuid}
          responses: {"200": {description: ok}}
    """


def test_parameters_get_a_schema_a_style_and_their_x_example(tmp_path: Path) -> None:
    ids, tag, words, q, trace = converted(tmp_path, PARAMETERS)["paths"]["/items/{ids}"]["get"]["parameters"]
    assert ids == {"name": "ids", "in": "path", "required": True, "style": "simple", "explode": False,
                   "schema": {"type": "array", "items": {"type": "integer"}}}
    assert (tag["style"], tag["explode"]) == ("form", True)
    assert (words["style"], words["explode"]) == ("spaceDelimited", False)
    assert q == {"name": "q", "in": "query", "allowEmptyValue": True, "example": "abc",
                 "schema": {"type": "string", "maxLength": 5}}
    assert trace["schema"] == {"type": "string", "format": "uuid"}


def test_collection_formats_are_served_as_declared(tmp_path: Path) -> None:
    with TestClient(create_app(swagger(tmp_path, PARAMETERS))) as client:
        assert client.get("/items/1,2?tag=a&tag=b&words=x%20y").status_code == 200
        assert client.get("/items/1,x").status_code == 400
        assert client.get("/items/1?q=toolong").status_code == 400


BODIES = """\
    consumes: [application/json, application/xml]
    produces: [application/json]
    paths:
      /pets:
        post:
          parameters:
            - name: pet
              in: body
              required: true
              description: The pet.
              schema: {$ref: "#/definitions/Pet"}
              x-examples: {application/json: {name: Rex}}
          responses:
            "201":
              description: Created.
              schema: {$ref: "#/definitions/Pet"}
              headers: {X-Id: {type: integer, minimum: 1}}
              examples: {application/json: {name: Rex}}
      /pets/{id}/photo:
        parameters:
          - {name: id, in: path, required: true, type: integer}
        put:
          consumes: [multipart/form-data]
          produces: [image/png]
          parameters:
            - {name: file, in: formData, type: file, required: true}
            - {name: note, in: formData, type: string, x-example: hello}
          responses: {"200": {description: The photo., schema: {type: file}}}
      /pets/{id}/notes:
        parameters:
          - {name: id, in: path, required: true, type: integer}
        post:
          consumes: [application/x-www-form-urlencoded]
          parameters:
            - {name: tags, in: formData, type: array, items: {type: string}, collectionFormat: multi}
          responses: {"204": {description: Added.}}
    definitions:
      Pet:
        type: object
        required: [name]
        discriminator: name
        properties:
          name: {type: string}
          nickname: {type: string, x-nullable: true}
    """


def test_body_and_form_parameters_become_request_bodies(tmp_path: Path) -> None:
    paths = converted(tmp_path, BODIES)["paths"]
    body = paths["/pets"]["post"]["requestBody"]
    reference = {"$ref": "#/components/schemas/Pet"}
    assert body == {"description": "The pet.", "required": True, "content": {
        "application/json": {"schema": reference, "example": {"name": "Rex"}},
        "application/xml": {"schema": reference}}}
    assert "parameters" not in paths["/pets"]["post"]
    photo = paths["/pets/{id}/photo"]["put"]["requestBody"]
    assert photo == {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "additionalProperties": False, "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"},
                       "note": {"type": "string", "example": "hello"}}}}}}
    notes = paths["/pets/{id}/notes"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert notes["encoding"] == {"tags": {"style": "form", "explode": True}}


def test_responses_take_the_operations_media_types(tmp_path: Path) -> None:
    document = converted(tmp_path, BODIES)
    created = document["paths"]["/pets"]["post"]["responses"]["201"]
    assert created["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"},
                                                       "example": {"name": "Rex"}}}
    assert created["headers"] == {"X-Id": {"schema": {"type": "integer", "minimum": 1}}}
    photo = document["paths"]["/pets/{id}/photo"]["put"]["responses"]["200"]
    assert photo["content"] == {"image/png": {"schema": {"type": "string", "format": "binary"}}}


def test_schemas_move_to_components_with_their_2_0_keywords_converted(tmp_path: Path) -> None:
    pet = converted(tmp_path, BODIES)["components"]["schemas"]["Pet"]
    assert pet["discriminator"] == {"propertyName": "name"}
    assert pet["properties"]["nickname"] == {"type": ["string", "null"]}  # nullable, then JSON Schema


SECURITY = """\
    securityDefinitions:
      key: {type: apiKey, name: api_key, in: query, description: A key.}
      basic: {type: basic}
      implicit:
        {type: oauth2, flow: implicit, authorizationUrl: "https://a.example/auth", scopes: {read: Read}}
      password: {type: oauth2, flow: password, tokenUrl: "https://a.example/token", scopes: {}}
      application: {type: oauth2, flow: application, tokenUrl: "https://a.example/token", scopes: {}}
      code:
        type: oauth2
        flow: accessCode
        authorizationUrl: "https://a.example/auth"
        tokenUrl: "https://a.example/token"
        scopes: {}
    security: [{key: []}]
    paths:
      /open:
        get:
          security: []
          responses: {"200": {description: ok}}
      /closed:
        get:
          responses: {"200": {description: ok}, "401": {description: no}}
    """


def test_security_definitions_become_security_schemes(tmp_path: Path) -> None:
    schemes = converted(tmp_path, SECURITY)["components"]["securitySchemes"]
    assert schemes["key"] == {"type": "apiKey", "name": "api_key", "in": "query", "description": "A key."}
    assert schemes["basic"] == {"type": "http", "scheme": "basic"}
    assert schemes["implicit"]["flows"] == {"implicit": {"authorizationUrl": "https://a.example/auth",
                                                         "scopes": {"read": "Read"}}}
    assert list(schemes["password"]["flows"]) == ["password"]
    assert list(schemes["application"]["flows"]) == ["clientCredentials"]
    assert schemes["code"]["flows"]["authorizationCode"]["tokenUrl"] == "https://a.example/token"


def test_security_is_enforced_as_declared(tmp_path: Path) -> None:
    with TestClient(create_app(swagger(tmp_path, SECURITY))) as client:
        assert client.get("/open").status_code == 200
        assert client.get("/closed").status_code == 401
        assert client.get("/closed?api_key=k").status_code == 200


def test_a_spec_split_over_files_is_converted_too(tmp_path: Path) -> None:
    (tmp_path / "parts.yaml").write_text(textwrap.dedent("""\
        limit: {name: limit, in: query, type: integer, minimum: 1, maximum: 3}
        Thing:
          type: object
          required: [id]
          properties: {id: {type: integer, minimum: 1}, kind: {type: file}}
        """))
    spec = swagger(tmp_path, """\
        paths:
          /things:
            get:
              parameters: [{$ref: "parts.yaml#/limit"}]
              responses:
                "200": {description: ok, schema: {type: array, items: {$ref: "parts.yaml#/Thing"}}}
        """)
    with TestClient(create_app(spec)) as client:
        assert client.get("/things?limit=2").status_code == 200
        assert client.get("/things?limit=9").status_code == 400


# --- problems at the 2.0 document's own pointers --------------------------------------------------------


def problems_of(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(LoadError) as raised:
        load_spec(path, strict=True)
    return [(problem.pointer, problem.message) for problem in raised.value.problems]


def test_problems_name_the_2_0_documents_places(tmp_path: Path) -> None:
    found = problems_of(swagger(tmp_path, """\
        paths:
          /pets:
            post:
              parameters:
                - {name: name, in: formData, type: string, pattern: "(unclosed"}
              responses: {"200": {description: ok}}
          /owners:
            get:
              parameters:
                - {name: pet, in: query, type: string, maxLength: -1}
              responses: {"200": {description: ok, schema: {$ref: "#/definitions/Pet"}}}
        definitions:
          Pet: {type: object, properties: {age: {type: integer, minimum: "old"}}}
        """))
    pointers = {pointer for pointer, _ in found}
    assert "/paths/~1pets/post/parameters/0/pattern" in pointers
    assert "/paths/~1owners/get/parameters/0/maxLength" in pointers
    assert "/definitions/Pet/properties/age/minimum" in pointers
    assert not any("components" in pointer or "requestBody" in pointer for pointer in pointers)
    assert all(message.startswith(("invalid Swagger 2.0: ", "operation POST /pets cannot be served",
                                   "operation GET /owners cannot be served")) for _, message in found)


def test_check_accepts_a_valid_swagger_2_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = swagger(tmp_path, BODIES)
    assert main(["check", str(spec)]) == 0, capsys.readouterr().err
    assert "OK: 3 operations in 1 file(s)" in capsys.readouterr().out


def test_other_swagger_versions_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "old.json"
    spec.write_text('{"swagger": "1.2", "info": {"title": "t", "version": "1"}, "paths": {}}')
    assert main(["check", str(spec)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"{spec}: /swagger: Swagger '1.2' is not supported" in line
