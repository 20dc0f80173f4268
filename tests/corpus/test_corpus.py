"""The spec corpus (`tests/corpus/`): specs covering what real specs do, each loaded and mocked faithfully.

An entry is a spec file, or a folder whose `openapi.yaml` refers to the other files in it. Every entry
passes `mockserver check`, and schemathesis (every check, positive and negative data) finds no failure
against the mock serving it, with credentials and without. Schemathesis reads the spec files itself
(not the mock's merged, converted document), so a loader bug cannot hide behind its own output.

Checks left out, each where its premise does not hold for a mock:

- `ignored_auth` expects the server to know which credentials are valid; a mock accepts any well-formed
  ones (it checks their presence and shape), so it always "accepts invalid authentication";
- `status_code_conformance` on an operation that documents no responses: no status conforms;
- `negative_data_rejection` on multipart bodies: schemathesis counts `null` or a number sent as a form
  field as invalid for a string field, but a multipart field is text, so the server sees a valid string;
- `content_type_conformance` on a Swagger 2.0 operation with a response documented without a schema (a
  204): schemathesis expects one of `produces` even on an answer that has no body.

Negative cases that are valid as sent are discarded: an array header sent empty, a JSON body whose only
fault is an integral float for an integer, an XML body that reads as valid, and a urlencoded form whose
only fault is inside an empty object or array, which sends nothing (see `_array_header_sent_empty`,
`_json_body_valid_as_read`, `_xml_body_valid_as_read`, `_form_fault_not_sent`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from helpers import TESTS
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import TypeAdapter, ValidationError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    status_code_conformance,
)
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.cli import main
from mockserver.foundation.problems import LoadError
from mockserver.http.xml import XmlCodec, is_xml
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_mock
from mockserver.spec import load_spec
from mockserver.spec.pointers import fragment_pointer, resolve

CORPUS = TESTS / "corpus"
ENTRIES = {
    path.stem: path / "openapi.yaml" if path.is_dir() else path
    for path in sorted(CORPUS.iterdir())
    if (path / "openapi.yaml").is_file() or path.suffix in (".yaml", ".yml", ".json")
}
# Valid credentials for every scheme the corpus declares (a bearer token also satisfies oauth2).
CREDENTIALS: dict[str, dict[str, str]] = {
    "security": {"Authorization": "Bearer corpus-token", "X-API-Key": "corpus-key", "Cookie": "session=s1"},
    "swagger2": {"Authorization": "Bearer corpus-token", "X-API-Key": "corpus-key"},
    "split_resources": {"Authorization": "Bearer corpus-token"},
    "error_bodies": {"Authorization": 'Digest username="corpus", realm="mockserver", nonce="n", uri="/", '
                                      'response="6629fae49393a05397450978507c4ef1"'},
    "form_bodies": {"Authorization": "Bearer corpus-token"},
}
MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"


def test_the_corpus_has_at_least_15_specs() -> None:
    assert len(ENTRIES) >= 15


@pytest.mark.parametrize("name", ENTRIES)
def test_mockserver_check_accepts_every_corpus_spec(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # away from the project's own ./fixtures
    assert main(["check", str(ENTRIES[name])]) == 0, capsys.readouterr().err
    assert "OK:" in capsys.readouterr().out


# Accept negotiation, which schemathesis does not exercise (it sends no Accept header).
NEGOTIATION = [
    pytest.param("/reports/3", "text/csv", 200, "text/csv", id="second-media-type"),
    pytest.param("/reports/3", "text/plain;q=0.5, application/json", 200, "application/json", id="q-values"),
    pytest.param("/reports/3", None, 200, "application/json", id="no-accept-first-documented"),
    pytest.param("/logo", "image/svg+xml", 200, "image/svg+xml", id="non-json"),
    pytest.param("/reports/3", "application/xml", 406, "application/problem+json", id="unacceptable"),
    pytest.param("/logo", "text/html", 406, "application/problem+json", id="unacceptable-image"),
]


@pytest.mark.parametrize(("path", "accept", "status", "media_type"), NEGOTIATION)
def test_the_accept_header_picks_a_documented_media_type_or_gets_406(
    path: str, accept: str | None, status: int, media_type: str
) -> None:
    with TestClient(create_app(ENTRIES["negotiation"])) as client:
        response = client.get(path, headers={"Accept": accept} if accept else {})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == media_type


BASIC = "Basic " + base64.b64encode(b"user:secret").decode()
# Requirements as `security.yaml` declares them; schemathesis sends all credentials or none, never a part.
SECURITY = [
    pytest.param("/reports", {}, 401, id="global-bearer-missing"),
    pytest.param("/reports", {"Authorization": BASIC}, 401, id="global-bearer-wrong-scheme"),
    pytest.param("/reports", {"Authorization": "Bearer t"}, 200, id="global-bearer"),
    pytest.param("/admin/settings", {"X-API-Key": "k"}, 401, id="and-half-of-it"),
    pytest.param("/admin/settings", {"X-API-Key": "k", "Authorization": BASIC}, 200, id="and-both"),
    pytest.param("/admin/settings", {"Authorization": "Bearer t"}, 200, id="or-oauth2"),
    pytest.param("/exports", {}, 401, id="api-key-missing"),
    pytest.param("/exports?api_key=k", {}, 200, id="api-key-query"),
    pytest.param("/exports", {"Cookie": "session=s"}, 200, id="api-key-cookie"),
    pytest.param("/status", {}, 200, id="operation-level-none"),
    pytest.param("/feed", {}, 200, id="optional-anonymous"),
    pytest.param("/feed", {"Authorization": "Bearer t"}, 200, id="optional-with-token"),
]


@pytest.mark.parametrize(("path", "headers", "status"), SECURITY)
def test_security_requirements_are_enforced_as_declared(
    path: str, headers: dict[str, str], status: int
) -> None:
    with TestClient(create_app(ENTRIES["security"])) as client:
        response = client.get(path, headers=headers)
    assert response.status_code == status, response.text
    assert ("www-authenticate" in response.headers) == (status == 401)


# --- what else the corpus specs promise ---------------------------------------------------------------------


def _client(name: str) -> TestClient:
    return TestClient(create_app(ENTRIES[name]))


def test_unquoted_yaml_timestamps_in_examples_are_served_as_written() -> None:
    with _client("yaml_timestamps") as client:
        listed = client.get("/holidays").json()
        one = client.get("/holidays/2024-12-25").json()
    assert listed[0] == {"day": "2024-12-25", "name": "Christmas", "announced_at": "2023-06-01T09:30:00Z"}
    assert listed[1]["announced_at"] == "2023-06-01 09:30:00"
    assert one["announced_at"] == "2023-06-01T09:30:00+02:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"kind": "cow", "lives": 3}, "kind", id="unknown-tag"),
        pytest.param({"kind": "dog", "lives": 3}, "good", id="tag-selects-another-branch"),
        pytest.param({"method": "Cheque", "last4": "1234"}, "method", id="unknown-implicit-tag"),
    ],
)
def test_a_discriminator_decides_which_schema_a_request_body_must_match(body: dict, field: str) -> None:
    path = "/payments" if "method" in body else "/pets"
    with _client("discriminator") as client:
        response = client.post(path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert "x-mock-error" not in response.headers


def test_generated_values_of_a_discriminated_base_schema_name_a_mapped_subtype() -> None:
    with _client("discriminator") as client:
        kinds = {client.get(f"/vehicles/{number}").json()["type"] for number in range(1, 30)}
        pets = [pet for number in range(10) for pet in client.get(f"/pets?n={number}").json()]
    assert kinds <= {"car", "bike"}
    assert all((pet["kind"] == "cat") == ("lives" in pet) for pet in pets)


def test_integer_formats_bound_parameters() -> None:
    with _client("discriminator") as client:
        assert client.get(f"/vehicles/{2**63 - 1}").status_code == 200
        assert client.get(f"/vehicles/{2**63}").status_code == 400


def test_read_only_properties_are_not_required_in_requests_and_write_only_never_answered() -> None:
    with _client("read_write_only") as client:
        response = client.post("/users", json={"email": "a@example.com", "password": "long enough"})
    assert response.status_code == 201, response.text
    user = response.json()
    assert {"id", "created_at", "email"} <= user.keys()
    assert "password" not in user


def test_a_base_path_from_servers_prefixes_every_operation() -> None:
    with _client("servers_base") as client:
        assert client.get("/v2/shop/products").status_code == 200
        assert client.get("/products").status_code == 404


def _answered_by(client: TestClient) -> str | None:
    return client.app.state.calls()[-1].operation_id  # type: ignore[attr-defined]


def test_fragment_paths_are_requested_without_the_fragment_and_each_body_reaches_its_operation() -> None:
    with _client("fragment_paths") as client:
        entry = {"operation": "add-metadata-entry", "key": "k", "value": "v"}
        add = client.post("/files/7/metadata", json=entry)
        assert (add.status_code, _answered_by(client)) == (200, "addMetadata")
        assert "added" in add.json()
        remove = client.post("/files/7/metadata", json={"operation": "remove-metadata-entry", "key": "k"})
        assert (remove.status_code, _answered_by(client)) == (200, "removeMetadata")
        assert "removed" in remove.json()
        invalid = client.post("/files/7/metadata", json={"operation": "rename"})
        # Neither validates: the first, in document order, answers.
        assert (invalid.status_code, _answered_by(client)) == (400, "addMetadata")
        assert client.get("/files/7/metadata").status_code == 200
        assert client.post("/files/7/metadata%23add", json={}).status_code == 404


def test_check_notes_operations_that_share_a_route(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(ENTRIES["fragment_paths"])]) == 0
    out, err = capsys.readouterr()
    assert "OK: 3 operations" in out
    [note] = err.splitlines()
    assert note.startswith("mockserver: note: ")
    assert "POST /files/{file_id}/metadata#remove is requested as POST /files/{file_id}/metadata" in note
    assert "POST /files/{id}/metadata#add" in note


def test_servers_of_a_path_item_or_an_operation_override_the_documents() -> None:
    with _client("operation_servers") as client:
        assert client.get("/2.0/users/me").status_code == 200
        assert client.post("/api/2.0/files/content", json={"name": "a.txt"}).status_code == 201
        assert client.post("/oauth2/token", data={"grant_type": "client_credentials"}).status_code == 200
        assert client.post("/2.0/oauth2/token", data={"grant_type": "client_credentials"}).status_code == 404
        assert client.post("/2.0/files/content", json={"name": "a.txt"}).status_code == 404
        assert client.get("/users/me").status_code == 404


def test_a_spec_split_by_resource_serves_external_path_items_parameters_responses_and_examples() -> None:
    headers = CREDENTIALS["split_resources"]
    with _client("split_resources") as client:
        droplet = client.get("/v2/droplets/3164444", headers=headers)
        assert droplet.status_code == 200
        assert droplet.json() == {"droplet": {"id": 3164444, "name": "example-1", "size": "s-1vcpu-1gb"}}
        assert 1 <= int(droplet.headers["ratelimit-limit"]) <= 5000
        assert client.get("/v2/droplets?per_page=9", headers=headers).status_code == 400
        created = client.post("/v2/droplets", json={"name": "web-1", "size": "s-2vcpu-2gb"}, headers=headers)
        assert created.status_code == 202
        assert client.post("/v2/droplets", json={"name": "web-1"}, headers=headers).status_code == 400


def test_a_swagger_2_document_is_served_under_its_base_path_with_its_bodies_and_security() -> None:
    headers = CREDENTIALS["swagger2"]
    with _client("swagger2") as client:
        assert client.get("/v1/pets?limit=3&tags=red,blue", headers=headers).status_code == 200
        assert client.get("/v1/pets?tags=pink", headers=headers).status_code == 400
        assert client.get("/v1/pets").status_code == 401  # the global apiKey requirement
        pet = {"name": "Rex", "kind": "dog"}
        assert client.post("/v1/pets", json=pet, headers=headers).status_code == 201
        assert client.post("/v1/pets", json={"name": "Rex"}, headers=headers).status_code == 400
        assert client.delete("/v1/pets/7").status_code == 204  # `security: []`
        photo = client.post("/v1/pets/7/photos", files={"photo": ("p.png", b"\x89PNG")}, headers=headers)
        assert photo.status_code == 201, photo.text
        assert client.post("/v1/pets/7/photos", data={"caption": "x"}, headers=headers).status_code == 400
        note = client.post("/v1/pets/7/notes", data={"text": "hello"}, headers=headers)
        assert note.status_code == 201, note.text
        # The formData parameters are every field there is.
        extra = client.post("/v1/pets/7/notes", data={"text": "hello", "color": "red"}, headers=headers)
        assert extra.status_code == 400, extra.text
        assert client.get("/pets", headers=headers).status_code == 404


def test_several_parameters_in_one_path_segment() -> None:
    with _client("path_params") as client:
        csv = client.get("/files/report-1.csv", headers={"Accept": "text/csv"})
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        assert client.get("/files/report-1.json").json()["name"]
        assert client.get("/files/report-1.xml").status_code == 404  # `format` is json or csv


def test_deep_object_and_delimited_query_parameters() -> None:
    with _client("query_styles") as client:
        assert client.get("/filter?page=2&filter[status]=open&filter[min_total]=5").status_code == 200
        assert client.get("/filter?page=2&filter[status]=lost").status_code == 422
        assert client.get("/search?ids=1,2,3&range=1|5&words=red%20blue&tag=a&tag=b").status_code == 200
        assert client.get("/search?range=1|x").status_code == 400


def test_form_and_multipart_request_bodies() -> None:
    with _client("request_bodies") as client:
        assert client.post("/notes", data={"title": "Hello", "priority": "2"}).status_code == 201
        assert client.post("/notes", data={"priority": "2"}).status_code == 400
        upload = client.post("/uploads", data={"title": "t"}, files={"file": ("a.bin", b"\x00\x01")})
        assert upload.status_code == 201, upload.text
        assert client.post("/uploads", data={"title": "t"}).status_code == 400  # no file


def test_a_spec_split_over_files_loads_every_file_and_serves_chained_refs() -> None:
    spec = load_spec(ENTRIES["multi_file"])
    assert len(spec.files) == len(set(spec.files)) == 8  # each file once, the root too (it is referred to)
    with TestClient(create_app(spec)) as client:
        book = client.get("/books/9781234567897").json()
        assert {"isbn", "title", "author"} <= book.keys()
        assert client.get("/books?limit=9").status_code == 400


def test_webhooks_only_and_unresolvable_extension_refs_load_without_warnings() -> None:
    webhooks = load_spec(ENTRIES["webhooks_only"], strict=True)
    assert webhooks.operations == ()
    extensions = load_spec(ENTRIES["extension_refs"], strict=True)
    assert [op.key for op in extensions.operations] == ["GET /things"]


def test_an_operation_without_responses_answers_without_a_body() -> None:
    with _client("no_responses") as client:
        response = client.get("/ping")
    assert response.status_code == 200
    assert response.content == b""


# --- specs that are slightly invalid, or not OpenAPI 3 ------------------------------------------------------

# A spec that serves but fails openapi-spec-validator for small reasons, as large published specs often do.
PUBLISHED = CORPUS / "invalid" / "published.yaml"
# (pointer, words of the reason): every problem openapi-spec-validator finds in it, and the operation that
# cannot be served.
PUBLISHED_PROBLEMS = [
    ("/info/version", 'is not of type "string"'),
    ("/paths/~1items/get/responses/200", '"description" is a required property'),
    ("/paths/~1items~1{id}/get/parameters/0/required", "must be true, not false"),
    ("/components/schemas/Legacy/properties/code/type", '"int" is not one of'),
    ("/paths/~1items~1{id}~1tags/get", "Path parameter 'id'"),
    ("/components/schemas/Legacy/properties/code/type", "operation GET /legacy cannot be served"),
]


def test_check_reports_every_problem_of_a_slightly_invalid_spec_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", str(PUBLISHED)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(PUBLISHED_PROBLEMS), "\n".join(lines)
    for pointer, words in PUBLISHED_PROBLEMS:
        [line] = [line for line in lines if f": {pointer}: " in line and words in line]
        assert line.startswith(f"mockserver: error: {PUBLISHED}:")  # file:line: pointer: reason


def test_serve_warns_about_each_problem_and_serves_every_operation_it_can() -> None:
    app = build_mock(ServeOptions(spec=PUBLISHED, log_format=None))
    found = [(pointer, words) for pointer, words in PUBLISHED_PROBLEMS
             if any(w.pointer == pointer and words in w.message for w in app.spec.warnings)]
    assert found == PUBLISHED_PROBLEMS
    assert len(app.spec.warnings) == len(PUBLISHED_PROBLEMS)
    served = sorted(op.key for op in app.spec.operations)
    assert served == ["GET /items", "GET /items/{id}", "GET /items/{id}/tags"]
    with TestClient(app) as client:
        assert client.get("/items/7").status_code == 200
        unservable = client.get("/legacy")
    assert unservable.status_code == 501
    assert unservable.headers["content-type"] == "application/problem+json"
    assert "GET /legacy cannot be served" in unservable.headers["x-mock-error"]
    assert "not valid JSON Schema" in unservable.json()["detail"]
    assert [op.key for op in app.spec.unservable] == ["GET /legacy"]


def test_serve_strict_makes_any_problem_fatal() -> None:
    with pytest.raises(LoadError) as raised:
        build_mock(ServeOptions(spec=PUBLISHED, strict=True, log_format=None))
    assert len(raised.value.problems) == len(PUBLISHED_PROBLEMS)


# --- schemathesis against the mock ---------------------------------------------------------------------


@cache
def _schema(name: str) -> Any:
    schema = schemathesis.openapi.from_path(ENTRIES[name])
    schema.app = create_app(ENTRIES[name])
    return schema


# Cases the mock does not pass yet, and why (each names the issue that fixes it; remove it then).
KNOWN_GAPS: dict[str, str] = {}


def _fuzz_cases(names: Iterable[str]) -> list[Any]:
    """(spec, operation, mode) for every operation of the named specs, in both generation modes."""
    cases = []
    for name in names:
        for operation in load_spec(ENTRIES[name]).operations:
            for mode in GenerationMode:
                case_id = f"{name}-{operation.key}-{mode.value}"
                gap = KNOWN_GAPS.get(case_id)
                marks = [pytest.mark.xfail(reason=gap, strict=False)] if gap else []
                cases.append(pytest.param(name, operation.method, operation.path, mode, id=case_id,
                                          marks=marks))
    return cases


def _fuzz(name: str, method: str, path: str, mode: GenerationMode, headers: dict[str, str] | None) -> None:
    operation = _schema(name)[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])
    def conforms(case: Any) -> None:
        assume(not _array_header_sent_empty(case) and not _json_body_valid_as_read(case))
        assume(not _valid_as_fastapi_reads(case))
        assume(not _xml_body_valid_as_read(case))
        assume(not _credential_mutated(case, headers) and not _form_fault_not_sent(case, headers))
        case.call_and_validate(headers=headers, excluded_checks=_excluded_checks(case))

    try:
        conforms()
    except Unsatisfiable:
        pytest.skip("the operation takes nothing that negative data could break")


def _credential_mutated(case: Any, credentials: dict[str, str] | None) -> bool:
    """Whether a negative case's only fault is in a credential header that the test then sends valid.

    For Swagger 2.0, schemathesis makes `apiKey` headers parameters and may drop or spoil them; the
    credentials the test passes replace them, so the request is valid as sent.
    """
    data = getattr(case.meta.phase, "data", None) if case.meta is not None else None
    mutations = getattr(data, "mutations", None) or ()
    names = {name.lower() for name in credentials or {}}
    spoiled = [mutation for mutation in mutations
               if mutation.parameter_location == ParameterLocation.HEADER
               and str(mutation.parameter).lower() in names]
    # Extra query parameters or headers are ignored, as schemathesis expects of servers.
    others_only_extra = all(
        mutation in spoiled or (mutation.parameter_location != ParameterLocation.BODY
                                and tuple(mutation.keywords) == ("additionalProperties",))
        for mutation in mutations
    )
    return bool(spoiled) and others_only_extra


def _form_fault_not_sent(case: Any, credentials: dict[str, str] | None) -> bool:
    """Whether a negative urlencoded case's body fault lies in an object or array that sends nothing.

    A form has no way to write an empty object or array: schemathesis leaves it out (an empty deepObject
    expands to no name at all, nor does an empty value inside one). When the fault is there (an empty
    `transfer_data` without its required `destination`), the form as sent is valid; the case is negative as
    sent only through another part that is not a credential the test then sends valid.
    """
    meta = case.meta
    if meta is None or case.media_type != URLENCODED or not isinstance(case.body, dict):
        return False
    body = case.operation.get_body_for_media_type(case.media_type)
    sent = _without_empty_containers(case.body)
    if body is None or sent == case.body or not body.is_valid(sent):
        return False
    negative = {location for location, info in meta.components.items() if info.mode.is_negative}
    if not negative <= {ParameterLocation.BODY, ParameterLocation.HEADER}:
        return False
    names = {name.lower() for name in credentials or {}}
    mutations = getattr(getattr(meta.phase, "data", None), "mutations", None) or ()
    headers = [mutation for mutation in mutations if mutation.parameter_location == ParameterLocation.HEADER]
    spoiled = [mutation for mutation in headers if str(mutation.parameter).lower() in names]
    return ParameterLocation.HEADER not in negative or (bool(headers) and spoiled == headers)


def _without_empty_containers(value: Any) -> Any:
    """`value` without the empty objects and arrays in its objects (at any depth): a form cannot send them."""
    if isinstance(value, dict):
        pruned = {key: _without_empty_containers(item) for key, item in value.items()}
        return {key: item for key, item in pruned.items() if item not in ({}, [])}
    if isinstance(value, list):
        return [_without_empty_containers(item) for item in value]
    return value


def _array_header_sent_empty(case: Any) -> bool:
    """Whether a negative case sends an array header as an empty value, which reads as the valid `[]`.

    Schemathesis makes an array header invalid with items such as `[""]`; serialized (simple style, items
    joined by commas) that is an empty header, exactly how the valid empty array is sent. The mock cannot
    tell them apart, so it reads the empty array, and the case is not negative as sent.
    """
    if case.meta is None or not case.meta.is_negative_at(ParameterLocation.HEADER):
        return False
    sent = case.headers or {}
    return any(
        parameter.definition.get("schema", {}).get("type") == "array"
        and isinstance(sent.get(parameter.name), str)
        and not sent[parameter.name].strip(" \t")
        for parameter in case.operation.headers
    )


def _json_body_valid_as_read(case: Any) -> bool:
    """Whether a case whose only negative part is its JSON body is valid once `1.0` reads as the integer 1.

    For an OpenAPI 3.0 spec schemathesis validates with JSON Schema draft 4, where `1.0` is no integer, so it
    may offer `{"count": 1.0}` as invalid. JSON does not tell `1.0` from `1`, JSON Schema (since draft 6)
    and pydantic take it as an integer, and so does the mock: as sent, the case is valid.
    """
    meta = case.meta
    if meta is None or "json" not in (case.media_type or ""):
        return False
    negative = {location for location, info in meta.components.items() if info.mode.is_negative}
    body = case.operation.get_body_for_media_type(case.media_type)
    if negative != {ParameterLocation.BODY} or body is None:
        return False
    try:
        return bool(body.is_valid(_integral_floats_as_integers(case.body)))
    except ValueError:  # not a JSON value (raw bytes sent as the body)
        return False


def _valid_as_fastapi_reads(case: Any) -> bool:
    """Whether a negative case of a FastAPI operation is valid as FastAPI reads it.

    FastAPI reads parameters and JSON bodies with pydantic's lax mode: the text `0.0` is the integer 0, `0`
    and `1` (and `"yes"`, `"off"`, ...) are booleans (pydantic's conversion table). The mock reads a FastAPI
    operation (one documenting `HTTPValidationError`) the same way, as the real server does, so
    schemathesis' `skip=0.0` for an integer, or `{"is_active": 0}` for a boolean, is valid as sent. The
    scalars of the case's negative parts are read here by pydantic itself (parameters as the text they are
    sent as), by the type their schema names, and judged by schemathesis' own validators.
    """
    meta = case.meta
    document = case.operation.schema.raw_schema
    responses = case.operation.definition.raw.get("responses") or {}
    errors = [_local_target(responses[key], document) for key in ("422", "4XX", "default")
              if key in responses]
    if meta is None or "HTTPValidationError" not in json.dumps(errors):
        return False
    sent = {ParameterLocation.QUERY: (case.operation.query, case.query),
            ParameterLocation.PATH: (case.operation.path_parameters, case.path_parameters),
            ParameterLocation.HEADER: (case.operation.headers, case.headers)}
    negative = [location for location, info in meta.components.items() if info.mode.is_negative]
    if not negative:
        return False  # a positive case: nothing to excuse
    for location in negative:
        if location == ParameterLocation.BODY:
            body = case.operation.get_body_for_media_type(case.media_type) if case.media_type else None
            content = (case.operation.definition.raw.get("requestBody") or {}).get("content") or {}
            schema = (content.get(case.media_type) or {}).get("schema")
            if body is None or "json" not in case.media_type or isinstance(case.body, bytes | str):
                return False  # raw bytes or text sent as the body: no JSON value to read
            if not body.is_valid(_pydantic_reads(case.body, schema, document, as_text=False)):
                return False
        elif location in sent:
            parameters, values = sent[location]
            for parameter in parameters:
                if parameter.name not in (values or {}):
                    if parameter.is_required:
                        return False
                    continue
                value = values[parameter.name]
                if location == ParameterLocation.PATH and isinstance(value, str):
                    value = unquote(value)  # schemathesis holds path parameters percent-encoded
                value = _pydantic_reads(value, parameter.definition.get("schema"), document, as_text=True)
                if not parameter.is_valid(value):
                    return False
        else:
            return False
    return True


_LAX_TYPES = {"boolean": bool, "integer": int, "number": float}


def _pydantic_reads(value: Any, schema: Any, document: dict[str, Any], *, as_text: bool) -> Any:
    """`value` as pydantic's lax mode reads it for `schema` (its scalars by the types the schema names;
    parameters as the text they travel as)."""

    schema = _local_target(schema, document)
    if not isinstance(schema, dict):
        return value
    alternatives = schema.get("anyOf") or schema.get("oneOf") or []
    branches = [_local_target(branch, document) for branch in alternatives]
    kinds = [schema.get("type"), *(branch.get("type") for branch in branches if isinstance(branch, dict))]
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        return {name: _pydantic_reads(item, properties.get(name), document, as_text=as_text)
                for name, item in value.items()}
    if isinstance(value, list):
        return [_pydantic_reads(item, schema.get("items"), document, as_text=as_text) for item in value]
    if as_text and value is not None:
        value = json.dumps(value) if isinstance(value, bool) else str(value)
    for kind in kinds:
        if kind in _LAX_TYPES:
            try:
                return TypeAdapter(_LAX_TYPES[kind]).validate_python(value)
            except ValidationError:
                continue
    return value


def _local_target(schema: Any, document: dict[str, Any]) -> Any:
    """`schema` with its local `$ref`s followed."""
    for _ in range(16):
        reference = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(reference, str) or not reference.startswith("#/"):
            return schema
        schema = resolve(document, fragment_pointer(reference[1:]))
    return schema


def _xml_body_valid_as_read(case: Any) -> bool:
    """Whether a case whose only negative part is its XML body is valid as the body reads.

    XML has only text, and its schema says what the text is: schemathesis' `5` for a string field arrives as
    the string "5", an empty array for a number field as no element at all (the field is absent). Such a case
    is valid as sent. It is read here as the mock reads XML (as the schema's `xml` object describes it), and
    judged by schemathesis' own validator of the body.
    """
    meta = case.meta
    if meta is None or not is_xml(case.media_type or ""):
        return False
    negative = {location for location, info in meta.components.items() if info.mode.is_negative}
    body = case.operation.get_body_for_media_type(case.media_type)
    if negative != {ParameterLocation.BODY} or body is None:
        return False
    sent = case.as_transport_kwargs().get("data")
    content = (case.operation.definition.raw.get("requestBody") or {}).get("content") or {}
    schema = (content.get(case.media_type) or {}).get("schema")
    try:
        value = XmlCodec(case.operation.schema.raw_schema).read(sent, schema)
        return bool(body.is_valid(value))
    except ValueError:  # not XML at all: the mock refuses it
        return False


def _integral_floats_as_integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_integers(item) for item in value]
    return value


def _excluded_checks(case: Any) -> list[Any]:
    excluded = [ignored_auth]
    if not case.operation.definition.raw.get("responses"):
        excluded.append(status_code_conformance)
    if case.media_type == MULTIPART and case.meta is not None and case.meta.generation.mode.is_negative:
        excluded.append(negative_data_rejection)
    responses = case.operation.definition.raw.get("responses") or {}
    if "swagger" in case.operation.schema.raw_schema and any(
        isinstance(response, dict) and "schema" not in response and "$ref" not in response
        for response in responses.values()
    ):
        excluded.append(content_type_conformance)
    return excluded


@pytest.mark.parametrize(("name", "method", "path", "mode"), _fuzz_cases(ENTRIES))
def test_mock_conforms_to_every_corpus_spec(name: str, method: str, path: str, mode: GenerationMode) -> None:
    _fuzz(name, method, path, mode, CREDENTIALS.get(name))


@pytest.mark.parametrize(("name", "method", "path", "mode"), _fuzz_cases(CREDENTIALS))
def test_mock_conforms_to_secured_corpus_specs_without_credentials(
    name: str, method: str, path: str, mode: GenerationMode
) -> None:
    _fuzz(name, method, path, mode, None)
