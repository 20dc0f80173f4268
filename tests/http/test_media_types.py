"""Every media type answered in its own format, and generated answers a person would believe.

XML bodies follow the OpenAPI `xml` object both ways, text media types send text, `Accept` is negotiated as
RFC 9110 says, a client can name a documented error example for an invalid request, error bodies carry
their status, and `WWW-Authenticate` challenges are well-formed. Small specs of `tests/corpus/`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import TESTS
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.cli import main

CORPUS = TESTS / "corpus"
XML_HEADERS = {"Content-Type": "application/xml"}
DIGEST = {"Authorization": 'Digest username="u", realm="mockserver", nonce="n", uri="/", response="r"'}


def _client(name: str) -> TestClient:
    return TestClient(create_app(CORPUS / f"{name}.yaml"))


def _media_type(response: object) -> str:
    return response.headers["content-type"].split(";")[0]  # type: ignore[attr-defined]


# --- XML ----------------------------------------------------------------------------------------------------


def test_a_generated_xml_answer_follows_the_xml_object() -> None:
    with _client("xml_bodies") as client:
        response = client.get("/store/pets")
    assert response.status_code == 200
    assert _media_type(response) == "application/xml"
    root = ET.fromstring(response.content)
    assert root.tag == "pets"  # the array's `xml.name`, wrapped
    assert 1 <= len(root) <= 3
    for pet in root:
        assert pet.tag == "pet"  # the items' component names itself `pet`
        assert int(pet.attrib["id"]) >= 1  # `attribute: true`
        assert pet.find("name") is not None and pet.find("id") is None
        tags = pet.find("tags")  # wrapped: <tags><tag>...</tag></tags>
        assert tags is None or all(tag.tag == "tag" for tag in tags)
        assert {child.tag for child in pet} <= {"name", "status", "vaccinated", "weight", "tags", "photoUrl"}
        assert all(url.text.startswith("https://") for url in pet.findall("photoUrl"))  # unwrapped items


def test_a_named_fixture_under_xml_is_written_with_the_xml_object(tmp_path: Path) -> None:
    (tmp_path / "pets.yaml").write_text(
        "responses:\n"
        "  - {name: rex, operation: getPet, match: {path: {petId: 9}},\n"
        "     response: {status: 200, body: {id: 9, name: Rex, tags: [good, loud]}}}\n")
    with TestClient(create_app(CORPUS / "xml_bodies.yaml", tmp_path)) as client:
        response = client.get("/store/pets/9")
    assert response.headers["x-mock-source"] == "fixture:rex"
    pet = ET.fromstring(response.content)
    assert (pet.tag, pet.attrib["id"], pet.findtext("name")) == ("pet", "9", "Rex")  # `id` is an attribute
    assert [tag.text for tag in pet.find("tags") or ()] == ["good", "loud"]


def test_xml_names_carry_their_prefix_and_namespace() -> None:
    with _client("xml_bodies") as client:
        response = client.get("/store/owners/4")
    assert _media_type(response) == "application/vnd.example.owner+xml"
    root = ET.fromstring(response.content)
    namespace = "{https://example.com/ns/owner}"
    assert root.tag == f"{namespace}owner"
    assert response.text.split("?>", 1)[-1].startswith("<ex:owner ")
    assert root.attrib["id"] == "4"  # the path parameter, echoed
    assert root.find(f"{namespace}name") is not None


def test_an_xml_example_string_is_sent_as_written_and_an_object_example_as_xml() -> None:
    with _client("xml_bodies") as client:
        written = client.get("/store/pets/7")
        serialized = client.get("/store/pets/7", headers={"Prefer": "code=404"})
    assert written.text == '<pet id="7"><name>Rex</name><status>available</status></pet>'
    assert _media_type(serialized) == "application/problem+xml"
    error = ET.fromstring(serialized.content)
    assert (error.tag, error.findtext("status"), error.findtext("title")) == ("error", "404", "Not Found")


def test_an_xml_request_body_is_read_as_the_xml_object_describes_and_validated() -> None:
    pet = ('<pet id="5"><name>Tom</name><vaccinated>true</vaccinated><weight>4.5</weight>'
           "<tags><tag>black</tag><tag>cat</tag></tags><photoUrl>https://example.com/tom.jpg</photoUrl></pet>")
    with _client("xml_bodies") as client:
        assert client.post("/store/pets", content=pet, headers=XML_HEADERS).status_code == 201
        namespaced = '<p:pet xmlns:p="urn:pets" id="5"><p:name>Tom</p:name></p:pet>'
        assert client.post("/store/pets", content=namespaced, headers=XML_HEADERS).status_code == 201
        vendor_type = {"Content-Type": "application/vnd.example.pet+xml"}
        assert client.post("/store/pets", content=pet, headers=vendor_type).status_code == 201


@pytest.mark.parametrize("media_type", ["*/*", "text/*"])
def test_a_wildcard_request_media_type_takes_xml_as_it_is(media_type: str, tmp_path: Path) -> None:
    spec = tmp_path / "wildcard.json"
    spec.write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "Documents", "version": "1"},
        "paths": {"/documents": {"put": {
            "requestBody": {"required": True, "content": {media_type: {"schema": {"type": "string"}}}},
            "responses": {"204": {"description": "Stored."}, "400": {"description": "Refused."}},
        }}},
    }))
    text_xml = {"Content-Type": "text/xml"}
    with TestClient(create_app(spec)) as client:
        response = client.put("/documents", content="<any><thing/></any>", headers=text_xml)
    assert response.status_code == 204, response.text


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('<pet id="x"><name>Tom</name></pet>', id="attribute-not-an-integer"),
        pytest.param('<pet id="5"></pet>', id="required-element-missing"),
        pytest.param("<pet><name>Tom</name></pet>", id="required-attribute-missing"),
        pytest.param('<pet id="5"><name>Tom</name><vaccinated>yes</vaccinated></pet>', id="not-a-boolean"),
        pytest.param('<pet id="5"><name>Tom</name><tags>0.5</tags></pet>', id="wrapped-array-as-text"),
        pytest.param('<pet id="5"><name>Tom</name><name>Jerry</name></pet>', id="element-repeated"),
        pytest.param('<pet id="5"><name>Tom</name><owner>Ann</owner></pet>', id="undocumented-element"),
        pytest.param('<pet id="5"><name>Tom</pet>', id="not-well-formed"),
        pytest.param('<!DOCTYPE pet [<!ENTITY n "Tom">]><pet id="5"><name>&n;</name></pet>', id="entities"),
        pytest.param('<pet id="5"><name>Tom</name>' + "<x>" * 5000 + "</x>" * 5000 + "</pet>", id="deep"),
        pytest.param('<?xml version="1.0" encoding="nope"?><pet id="5"><name>T</name></pet>', id="encoding"),
    ],
)
def test_an_invalid_xml_request_body_gets_the_documented_400_as_xml(body: str) -> None:
    with _client("xml_bodies") as client:
        response = client.post("/store/pets", content=body, headers=XML_HEADERS)
    assert response.status_code == 400, response.text
    assert "x-mock-error" not in response.headers
    assert _media_type(response) == "application/xml"
    error = ET.fromstring(response.content)  # never JSON under an XML media type
    assert (error.tag, error.findtext("status")) == ("error", "400")


# --- text media types ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "media_type", "text"),
    [
        pytest.param("/greeting", "text/plain", "Hello, world!", id="schema-examples"),
        pytest.param("/page", "text/html", "<html><body><h1>Welcome</h1></body></html>", id="schema-example"),
        pytest.param("/health", "text/plain", "ok", id="enum"),
        pytest.param("/export", "text/csv", "id,name\n1,Ada\n2,Grace\n", id="media-example-first"),
    ],
)
def test_a_text_answer_uses_what_its_schema_shows_before_generating(
    path: str, media_type: str, text: str
) -> None:
    with _client("text_media") as client:
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert response.text == text


def test_an_object_documented_as_text_is_sent_as_json_text_and_check_notes_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with _client("text_media") as client:
        response = client.get("/stats")
    assert _media_type(response) == "text/plain"
    assert set(json.loads(response.text)) == {"count"}  # JSON, never a Python repr
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(CORPUS / "text_media.yaml")]) == 0
    [note] = capsys.readouterr().err.splitlines()
    assert note.startswith("mockserver: note: ")
    assert "/paths/~1stats/get/responses/200/content/text~1plain/schema" in note
    assert "text/plain with an object schema: the mock sends it as JSON text" in note


# --- negotiation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "accept", "media_type"),
    [
        pytest.param("/articles/1", "application/vnd.api+json", "application/vnd.api+json",
                     id="exact-suffixed"),
        pytest.param("/articles/1", "application/json", "application/json", id="exact-plain"),
        pytest.param("/articles/1", "application/*, application/vnd.api+json", "application/vnd.api+json",
                     id="exact-beats-wildcard"),
        pytest.param("/articles/1", "*/*, application/vnd.api+json", "application/vnd.api+json",
                     id="exact-beats-any"),
        pytest.param("/articles/1", "application/vnd.api+json;q=0.5, application/json", "application/json",
                     id="weight-first"),
        pytest.param("/articles/1", "*/*", "application/json", id="any-takes-the-first"),
        pytest.param("/articles/1/summary", "text/*, application/json", "application/vnd.api+json",
                     id="suffix-beats-wildcard"),
        pytest.param("/articles/1/summary", "application/json, text/plain", "text/plain",
                     id="exact-beats-suffix"),
        pytest.param("/articles/1/summary", "application/vnd.api+json;q=0, */*", "text/plain",
                     id="most-specific-weight-refuses"),
    ],
)
def test_accept_prefers_higher_weight_then_exact_then_suffix_then_wildcard(
    path: str, accept: str, media_type: str
) -> None:
    with _client("json_suffix") as client:
        response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert _media_type(response) == media_type


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        pytest.param("/users", {"Prefer": "example=usernameIsEmpty, code=422"}, id="prefer-header"),
        pytest.param("/users?__example=usernameIsEmpty&__code=422", {}, id="query"),
        pytest.param("/users?__example=usernameIsEmpty", {}, id="without-code"),
    ],
)
def test_a_named_error_example_answers_an_invalid_request(target: str, headers: dict[str, str]) -> None:
    with _client("json_suffix") as client:
        response = client.post(target, json={"username": ""}, headers=headers)
    assert response.status_code == 422
    assert response.headers["x-mock-source"] == "example:usernameIsEmpty"
    assert response.json()["title"] == "Username is empty"


def test_an_error_example_named_for_another_status_leaves_the_validation_answer() -> None:
    with _client("json_suffix") as client:
        response = client.post("/users?__example=usernameIsEmpty&__code=404", json={"username": ""})
    assert response.status_code == 422
    assert response.headers["x-mock-source"] == "validation"


# --- generated bodies ---------------------------------------------------------------------------------------


def test_a_schema_with_properties_and_no_type_is_generated_as_an_object() -> None:
    with _client("error_bodies") as client:
        bodies = [client.get(f"/gadgets/{number}", headers=DIGEST).json() for number in range(1, 16)]
    assert all(isinstance(body, dict) for body in bodies)
    assert any(body for body in bodies)


def test_a_generated_error_body_carries_its_status() -> None:
    with _client("error_bodies") as client:
        unauthorized = client.get("/gadgets/3")
        unavailable = client.get("/gadgets/3", headers={**DIGEST, "Prefer": "code=503"})
        conflict = client.get("/gadgets/3", headers={**DIGEST, "Prefer": "code=409"})
    assert unauthorized.status_code == 401
    assert unauthorized.json()["status"] == 401
    assert unauthorized.json()["title"] == "Unauthorized"  # a problem's title is its status' phrase
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, 503)
    assert (conflict.status_code, conflict.json()["error"]["code"]) == (409, 409)


def test_a_digest_challenge_has_a_realm_and_a_nonce() -> None:
    with _client("error_bodies") as client:
        response = client.get("/gadgets/3")
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Digest ")
    params = dict(part.strip().split("=", 1) for part in challenge[len("Digest "):].split(","))
    assert params["realm"] == '"mockserver"'
    assert len(params["nonce"].strip('"')) >= 16


@pytest.mark.parametrize(
    ("path", "challenges"),
    [
        pytest.param("/reports", ['Bearer realm="mockserver"'], id="bearer"),
        pytest.param("/admin/settings", ['Basic realm="mockserver"', 'Bearer realm="mockserver"'],
                     id="basic-or-oauth2"),
        pytest.param("/exports", ['ApiKey realm="mockserver", name="api_key", in="query"'], id="api-key"),
    ],
)
def test_every_challenge_names_a_realm(path: str, challenges: list[str]) -> None:
    with TestClient(create_app(CORPUS / "security.yaml")) as client:
        response = client.get(path)
    assert response.status_code == 401
    for challenge in challenges:
        assert challenge in response.headers["www-authenticate"]
