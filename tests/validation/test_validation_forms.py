"""Form bodies (urlencoded and multipart) checked against their whole schema, read along their `encoding`.

Requests go to the mock serving `tests/corpus/form_bodies.yaml` (which schemathesis also fuzzes, see
test_corpus.py); the typed documents are read from the request validator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import TESTS
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.spec import load_spec
from mockserver.validation import RequestData, RequestValidator, ValidRequest

SPEC = TESTS / "corpus" / "form_bodies.yaml"
AUTH = {"Authorization": "Bearer form-token"}
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "form-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(SPEC))


def post_form(client: TestClient, path: str, form: str) -> Any:
    return client.post(f"/v1{path}", content=form.encode(), headers={**AUTH, "Content-Type": FORM})


def multipart(*parts: tuple[str, str] | tuple[str, str, str]) -> bytes:
    """Text parts (name, text) or (name, text, Content-Type) as a multipart/form-data body."""
    chunks = []
    for name, text, *content_type in parts:
        header = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        header += "".join(f"Content-Type: {value}\r\n" for value in content_type)
        chunks.append(f"{header}\r\n{text}\r\n".encode())
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


FILE_PART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    "Content-Type: application/pdf\r\n\r\n%PDF-1.7\r\n"
).encode()


def post_document(client: TestClient, *parts: tuple[str, str] | tuple[str, str, str]) -> Any:
    return client.post("/v1/documents", content=FILE_PART + multipart(*parts),
                       headers={**AUTH, "Content-Type": MULTIPART})


def error_locs(response: Any) -> list[tuple[list[Any], str]]:
    assert response.status_code == 400, response.text
    return [(item["loc"], item["type"]) for item in response.json()["errors"]]


def typed(operation_key: str, body: bytes, content_type: str) -> Any:
    """The body as the request validator hands it on (the request must be valid)."""
    spec = load_spec(SPEC)
    [operation] = [operation for operation in spec.operations if operation.key == operation_key]
    data = RequestData({}, [], AUTH, {}, body, content_type)
    outcome = RequestValidator(spec, operation).validate(data)
    assert isinstance(outcome, ValidRequest), outcome
    return outcome.body


# --- urlencoded: nested names and the whole schema ------------------------------------------------------

VALID_ACCOUNTS = [
    pytest.param("email=ann@example.com", id="only-the-required"),
    pytest.param("email=ann@example.com&currency=", id="empty-string"),
    pytest.param("email=ann@example.com&transfer_data=", id="any-of-the-empty-string"),
    pytest.param(
        "email=ann@example.com&transfer_data[amount]=5&transfer_data[destination]=acct_1"
        "&tos_acceptance[date]=1700000000&tos_acceptance[user_agent]=curl", id="deep-objects"),
    pytest.param("email=ann@example.com&metadata[order_id]=42&metadata[note]=", id="open-deep-object"),
    pytest.param("email=ann@example.com&expand[]=owner&expand[]=balance", id="appended-items"),
    pytest.param("email=ann@example.com&expand[0]=owner&expand[1]=balance", id="indexed-items"),
    pytest.param("email=ann@example.com&expand=owner&expand=balance", id="repeated-name"),
    pytest.param("email=ann@example.com&city=Paris&zip=75001", id="exploded-object"),
]


@pytest.mark.parametrize("form", VALID_ACCOUNTS)
def test_a_form_that_fits_its_schema_is_accepted(client: TestClient, form: str) -> None:
    response = post_form(client, "/accounts", form)
    assert response.status_code == 200, response.text


INVALID_ACCOUNTS = [
    pytest.param("email=ann@example.com&nickname=x", [(["body", "nickname"], "extra_forbidden")],
                 id="undocumented-name"),
    pytest.param("email=ann@example.com&tos_acceptance[user_agent]=" + "x" * 41,
                 [(["body", "tos_acceptance", "user_agent"], "string_too_long")], id="nested-max-length"),
    pytest.param("email=ann@example.com&tos_acceptance[timezone]=UTC",
                 [(["body", "tos_acceptance", "timezone"], "extra_forbidden")], id="nested-undocumented"),
    pytest.param("email=ann@example.com&tos_acceptance[date]=soon",
                 [(["body", "tos_acceptance", "date"], "int_type")], id="nested-integer"),
    pytest.param(f"email=ann@example.com&tos_acceptance[date]={2**31}",
                 [(["body", "tos_acceptance", "date"], "less_than_equal")], id="nested-int32"),
    pytest.param("email=ann@example.com&tos_acceptance[date]=" + "9" * 5001,
                 [(["body", "tos_acceptance", "date"], "int_type")], id="thousands-of-digits"),
    pytest.param("email=ann@example.com&transfer_data[amount]=5",
                 [(["body", "transfer_data"], "value_error")], id="nested-required"),
    pytest.param("email=ann@example.com&transfer_data=none",
                 [(["body", "transfer_data"], "value_error")], id="any-of-neither"),
    pytest.param("email=ann@example.com&expand=owner&expand=everything",
                 [(["body", "expand", 1], "enum")], id="array-item"),
    pytest.param("email=ann@example.com&zip=7500", [(["body", "address", "zip"], "string_pattern_mismatch")],
                 id="exploded-object-property"),
    pytest.param("currency=", [(["body", "email"], "missing")], id="missing"),
]


@pytest.mark.parametrize(("form", "errors"), INVALID_ACCOUNTS)
def test_every_keyword_of_the_form_schema_is_checked(
    client: TestClient, form: str, errors: list[tuple[list[Any], str]]
) -> None:
    assert error_locs(post_form(client, "/accounts", form)) == errors


def test_a_form_is_typed_along_its_schema() -> None:
    form = (
        "email=ann@example.com&currency=&transfer_data[amount]=5&transfer_data[destination]=acct_1"
        "&tos_acceptance[date]=1700000000&expand[0]=owner&expand[1]=balance&city=Paris"
    )
    assert typed("POST /accounts", form.encode(), FORM) == {
        "email": "ann@example.com",
        "currency": "",
        "transfer_data": {"amount": 5, "destination": "acct_1"},
        "tos_acceptance": {"date": 1700000000},
        "expand": ["owner", "balance"],
        "address": {"city": "Paris"},
    }


def test_a_required_name_without_a_properties_entry_is_required(client: TestClient) -> None:
    assert error_locs(post_form(client, "/signups", "email=bob@example.com")) == [
        (["body", "referrer"], "missing")
    ]
    assert post_form(client, "/signups", "email=bob@example.com&referrer=ads").status_code == 201
    too_long = post_form(client, "/signups", "email=bob@example.com&referrer=" + "r" * 21)
    assert error_locs(too_long) == [(["body", "referrer"], "string_too_long")]


def test_delimited_arrays_follow_their_encoding(client: TestClient) -> None:
    form = "email=bob@example.com&referrer=ads&interests=news,events&codes=1|22|333"
    assert post_form(client, "/signups", form).status_code == 201
    assert typed("POST /signups", form.encode(), FORM) == {
        "email": "bob@example.com", "referrer": "ads", "interests": ["news", "events"], "codes": [1, 22, 333],
    }
    wrong = "email=bob@example.com&referrer=ads&interests=news,spam&codes=1|x"
    assert error_locs(post_form(client, "/signups", wrong)) == [
        (["body", "interests", 1], "enum"),
        (["body", "codes", 1], "int_type"),
    ]


# --- multipart: parts typed by their schema --------------------------------------------------------------


def test_the_specs_own_multipart_example_is_accepted(client: TestClient) -> None:
    example = load_spec(SPEC).document["paths"]["/documents"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["example"]
    parts = [(name, value if isinstance(value, str) else json.dumps(value))
             for name, value in example.items() if name != "file"]
    response = post_document(client, *parts)
    assert response.status_code == 201, response.text


def test_multipart_parts_are_typed_also_under_one_of_and_all_of() -> None:
    body = FILE_PART + multipart(
        ("purpose", "fine-tune"), ("pages", "12"), ("ratio", "0.25"), ("searchable", "false"),
        ("labels", "a"), ("options", '{"ocr": true}', "application/json"),
    )
    assert typed("POST /documents", body, MULTIPART) == {
        "file": b"%PDF-1.7", "purpose": "fine-tune", "pages": 12, "ratio": 0.25, "searchable": False,
        "labels": ["a"], "options": {"ocr": True},
    }
    pages_as_word = FILE_PART + multipart(("purpose", "assistants"), ("pages", "all"))
    assert typed("POST /documents", pages_as_word, MULTIPART)["pages"] == "all"


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param([("highlights", '[{"page": 1}, {"page": 2, "note": "key"}]', "application/json")],
                     id="one-json-part"),
        pytest.param([("highlights", '{"page": 1}'), ("highlights", '{"page": 2, "note": "key"}')],
                     id="a-part-per-item"),
    ],
)
def test_an_array_of_objects_is_read_from_json_parts(parts: list[tuple[str, ...]]) -> None:
    body = FILE_PART + multipart(("purpose", "assistants"), *parts)  # type: ignore[arg-type]
    highlights = typed("POST /documents", body, MULTIPART)["highlights"]
    assert highlights == [{"page": 1}, {"page": 2, "note": "key"}]


@pytest.mark.parametrize(
    ("parts", "errors"),
    [
        pytest.param([("pages", "0")], [(["body", "pages"], "value_error")], id="one-of-neither"),
        pytest.param([("ratio", "1.5")], [(["body", "ratio"], "less_than_equal")], id="all-of-maximum"),
        pytest.param([("searchable", "maybe")], [(["body", "searchable"], "bool_type")], id="boolean"),
        pytest.param([("options", '{"language": "english"}', "application/json")],
                     [(["body", "options", "language"], "string_too_long")], id="json-part"),
        pytest.param([("options", '{"ocr": true, "dpi": 300}')],
                     [(["body", "options", "dpi"], "extra_forbidden")], id="json-by-encoding"),
        pytest.param([("labels", "a"), ("labels", "b"), ("labels", "c"), ("labels", "d")],
                     [(["body", "labels"], "too_long")], id="repeated-parts"),
        pytest.param([("highlights", '[{"page": "1"}]', "application/json")],
                     [(["body", "highlights", 0, "page"], "int_type")], id="json-is-not-coerced"),
    ],
)
def test_multipart_parts_are_checked_with_every_keyword(
    client: TestClient, parts: list[tuple[str, ...]], errors: list[tuple[list[Any], str]]
) -> None:
    response = post_document(client, ("purpose", "assistants"), *parts)  # type: ignore[arg-type]
    assert error_locs(response) == errors


# --- FastAPI's forms: an empty field is a missing one ------------------------------------------------------

FASTAPI_ERROR = {
    "type": "object",
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}


def _form_spec(tmp_path: Path, error_schema: dict[str, Any] | None, *, closed: bool = False) -> Path:
    responses: dict[str, Any] = {"200": {"description": "OK"}, "400": {"description": "Invalid."}}
    if error_schema is not None:
        content = {"application/json": {"schema": error_schema}}
        responses["422"] = {"description": "Invalid.", "content": content}
    schema = {"type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}}
    if closed:
        schema["additionalProperties"] = False
    document = {
        "openapi": "3.1.0",
        "info": {"title": "forms", "version": "1"},
        "paths": {"/login": {"post": {
            "requestBody": {"required": True, "content": {FORM: {"schema": schema}}},
            "responses": responses,
        }}},
    }
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("error_schema", "status"),
    [pytest.param(None, 200, id="json-schema"), pytest.param(FASTAPI_ERROR, 422, id="fastapi")],
)
def test_an_empty_form_field_is_missing_only_for_fastapi(
    tmp_path: Path, error_schema: dict[str, Any] | None, status: int
) -> None:
    with TestClient(create_app(_form_spec(tmp_path, error_schema))) as client:
        response = client.post("/login", content=b"username=", headers={"Content-Type": FORM})
    assert response.status_code == status, response.text


def test_a_fastapi_form_that_forbids_other_fields_reports_each(tmp_path: Path) -> None:
    spec = _form_spec(tmp_path, FASTAPI_ERROR, closed=True)
    with TestClient(create_app(spec)) as client:
        response = client.post("/login", content=b"username=ann&remember=1", headers={"Content-Type": FORM})
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"type": "extra_forbidden", "loc": ["body", "remember"], "msg": "Extra inputs are not permitted",
         "input": "1"}
    ]


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("email=a@b.c&tos_acceptance" + "[x]" * 5000 + "=1", id="deeply-nested-names"),
        pytest.param("email=a@b.c&expand[" + "9" * 5001 + "]=owner&expand[1]=balance", id="huge-index"),
        pytest.param("email=a@b.c&expand[\u00b2]=owner", id="non-ascii-digit-index"),
        pytest.param("email=a@b.c&metadata=" + "[" * 100_000, id="deeply-nested-text"),
    ],
)
def test_a_hostile_form_gets_an_answer_not_a_500(client: TestClient, form: str) -> None:
    assert post_form(client, "/accounts", form).status_code in (200, 400)


def test_a_deeply_nested_json_part_gets_an_answer_not_a_500(client: TestClient) -> None:
    nested = ("options", "[" * 100_000, "application/json")
    response = post_document(client, ("purpose", "assistants"), nested)
    assert error_locs(response) == [(["body", "options"], "dict_type")]
