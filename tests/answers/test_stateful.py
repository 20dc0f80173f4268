"""Stateful mocks (issue 18): writes change what later reads return, per session, inferred from the spec.

Each CRUD spec of the corpus (`tests/corpus/crud_*.yaml`) goes through create -> get -> list -> update ->
delete -> get (404); then the parts: initial records, pagination, filters, nested scopes, patches,
sessions and their bounds, the admin API, the memo, datasets, the config file, `check` and the pytest
plugin. Requests go to the app in-process (Starlette's test client).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import TESTS
from starlette.testclient import TestClient

import mockserver.answers.initial_records as initial_records
import mockserver.answers.record_bodies as record_bodies
import mockserver.generation.generator as generator
from mockserver import create_app
from mockserver.cli import main
from mockserver.generation.cache import BodyCache
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_stack

CORPUS = TESTS / "corpus"
JSON = {"Content-Type": "application/json"}


def client_for(name: str, **options: Any) -> TestClient:
    return TestClient(create_app(CORPUS / f"{name}.yaml", **options))


@dataclass
class Flow:
    """How one spec's resource is driven through its whole life."""

    spec: str
    collection: str
    create: dict[str, Any]
    update_method: str
    update: Any
    updated: dict[str, Any]  # fields the update leaves in the record
    create_status: int = 201
    delete_status: int = 204
    list_field: str | None = None
    id_field: str = "id"
    update_headers: dict[str, str] = field(default_factory=dict)

    def listed(self, body: Any) -> list[dict[str, Any]]:
        return body if self.list_field is None else body[self.list_field]


FLOWS = [
    Flow("crud_petstore", "/pets", {"name": "Rex", "tag": "dog"}, "PUT", {"name": "Rex II"},
         {"name": "Rex II"}),
    Flow("crud_fastapi", "/users/", {"email": "ada@example.com", "password": "correct horse"}, "PATCH",
         {"full_name": "Ada Lovelace"}, {"full_name": "Ada Lovelace", "email": "ada@example.com"},
         create_status=200, delete_status=200, list_field="items"),
    Flow("crud_fastapi", "/users/7/items/", {"title": "Notebook"}, "PUT", {"title": "Sketchbook"},
         {"title": "Sketchbook", "owner_id": 7}, create_status=200, delete_status=200, list_field="items"),
    Flow("crud_patch", "/documents", {"title": "Draft", "status": "draft", "summary": "short"}, "PATCH",
         {"status": "published", "summary": None}, {"status": "published", "title": "Draft"},
         list_field="documents", id_field="documentId",
         update_headers={"Content-Type": "application/merge-patch+json"}),
    Flow("crud_integer_ids", "/orders", {"customer": "Acme", "total_cents": 1200}, "PUT",
         {"customer": "Acme", "total_cents": 1500}, {"total_cents": 1500}, list_field="results"),
    Flow("crud_uuid_ids", "/accounts", {"name": "Ada", "plan": "free", "api_key": "k-12345678"}, "PUT",
         {"name": "Ada", "plan": "pro", "api_key": "k-87654321"}, {"plan": "pro"}, delete_status=202,
         list_field="data"),
]


def _all_pages(client: TestClient, flow: Flow) -> list[dict[str, Any]]:
    """Every record of the collection, following whatever pagination the spec declares."""
    records: list[dict[str, Any]] = []
    query: dict[str, Any] = {}
    for _ in range(100):
        response = client.get(flow.collection, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        records += flow.listed(body)
        if isinstance(body, dict) and body.get("next_cursor"):
            query = {"cursor": body["next_cursor"]}
        elif isinstance(body, dict) and "page" in body and body["page"] * body["per_page"] < body["total"]:
            query = {"page": body["page"] + 1}
        elif isinstance(body, dict) and "count" in body and len(records) < body["count"]:
            query = {"skip": len(records)}
        elif isinstance(body, list) and flow.spec == "crud_petstore" and len(flow.listed(body)) == 20:
            query = {"offset": len(records)}
        else:
            return records
    raise AssertionError("the pages never end")


@pytest.mark.parametrize("flow", FLOWS, ids=[f"{flow.spec}{flow.collection}" for flow in FLOWS])
def test_create_get_list_update_delete_then_404(flow: Flow) -> None:
    client = client_for(flow.spec)
    created = client.post(flow.collection, json=flow.create)
    assert created.status_code == flow.create_status, created.text
    assert created.headers["x-mock-source"] == "stateful"
    record = created.json()
    record_id = record[flow.id_field]
    assert {name: record[name] for name in flow.create if name in record} == \
        {name: value for name, value in flow.create.items() if name in record}
    assert "password" not in record and "api_key" not in record  # write-only: never answered
    item = f"{flow.collection.rstrip('/')}/{record_id}"

    assert client.get(item).json() == record
    assert record in _all_pages(client, flow)

    changed = client.request(flow.update_method, item, json=flow.update,
                             headers=flow.update_headers or None)
    assert changed.status_code == 200, changed.text
    assert changed.json()[flow.id_field] == record_id
    assert {name: changed.json().get(name) for name in flow.updated} == flow.updated
    assert client.get(item).json() == changed.json()
    assert changed.json() in _all_pages(client, flow)

    deleted = client.delete(item)
    assert deleted.status_code == flow.delete_status, deleted.text
    gone = client.get(item)
    assert gone.status_code == 404
    assert "x-mock-error" not in gone.headers  # the spec's own 404
    assert all(listed[flow.id_field] != record_id for listed in _all_pages(client, flow))
    assert client.delete(item).status_code == 404
    assert client.request(flow.update_method, item, json=flow.update,
                          headers=flow.update_headers or None).status_code == 404


# --- initial records --------------------------------------------------------------------------------------


def test_every_session_starts_with_ten_deterministic_records_each_readable_by_its_id() -> None:
    client = client_for("crud_petstore")
    listed = client.get("/pets").json()
    assert len(listed) == 10
    assert len({pet["id"] for pet in listed}) == 10
    for pet in listed:
        assert client.get(f"/pets/{pet['id']}").json() == pet
    assert client_for("crud_petstore").get("/pets").json() == listed  # the same after a restart
    assert client_for("crud_petstore", seed=3).get("/pets").json() != listed
    orders = client_for("crud_integer_ids").get("/orders", params={"per_page": 100}).json()["results"]
    assert [order["id"] for order in orders] == list(range(1, 11))


def test_the_number_of_initial_records_is_configurable(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "mockserver.yaml").write_text("resources:\n  - {collection: /pets, initial_records: 3}\n")
    client = TestClient(create_app(CORPUS / "crud_petstore.yaml", fixtures))
    assert len(client.get("/pets").json()) == 3
    assert len(client_for("crud_petstore", initial_records=0).get("/pets").json()) == 0


def test_an_id_never_created_is_generated_unless_strict_ids() -> None:
    lenient = client_for("crud_petstore").get("/pets/pet_zzzzzzzz")
    assert (lenient.status_code, lenient.headers["x-mock-source"]) == (200, "generated")
    strict = client_for("crud_petstore", strict_ids=True).get("/pets/pet_zzzzzzzz")
    assert strict.status_code == 404
    assert client_for("crud_integer_ids", strict_ids=True).get("/orders/3").status_code == 200  # initial


# --- lists: pages, filters, nested collections ------------------------------------------------------------


def test_limit_and_offset_page_through_the_records() -> None:
    client = client_for("crud_petstore")
    for number in range(15):
        client.post("/pets", json={"name": f"pet {number}"})
    everything = client.get("/pets", params={"limit": 50}).json()
    assert len(everything) == 25
    pages = [client.get("/pets", params={"limit": 10, "offset": offset}).json() for offset in (0, 10, 20)]
    assert [len(page) for page in pages] == [10, 10, 5]
    assert [pet for page in pages for pet in page] == everything


def test_page_and_per_page_fill_the_envelope_truthfully() -> None:
    client = client_for("crud_integer_ids")
    first = client.get("/orders", params={"per_page": 4}).json()
    assert (first["total"], first["page"], first["per_page"], len(first["results"])) == (10, 1, 4, 4)
    third = client.get("/orders", params={"per_page": 4, "page": 3}).json()
    assert [order["id"] for order in third["results"]] == [9, 10]


def test_a_cursor_walks_every_record_once() -> None:
    client = client_for("crud_uuid_ids")
    created = [client.post("/accounts", json={"name": f"a{n}", "plan": "pro", "api_key": "k-12345678"}).json()
               for n in range(3)]
    seen: list[str] = []
    query: dict[str, Any] = {"limit": 3}
    while True:
        page = client.get("/accounts", params=query).json()
        seen += [account["id"] for account in page["data"]]
        if not page["has_more"]:
            assert page.get("next_cursor") is None
            break
        query = {"limit": 3, "cursor": page["next_cursor"]}
    assert len(seen) == len(set(seen)) == 13
    assert seen[-3:] == [account["id"] for account in created]
    unknown = client.get("/accounts", params={"cursor": "not-ours"})
    assert unknown.status_code == 200 and "x-mock-warning" in unknown.headers


def test_query_parameters_named_like_fields_filter_the_list() -> None:
    client = client_for("crud_patch")
    client.post("/documents", json={"title": "A", "status": "published"})
    published = client.get("/documents", params={"status": "published"}).json()["documents"]
    assert published and all(document["status"] == "published" for document in published)
    assert {document["title"] for document in published} >= {"A"}
    everything = client.get("/documents").json()["documents"]
    assert len(everything) > len(published)


def test_nested_collections_are_scoped_to_their_parent_and_go_with_it() -> None:
    client = client_for("crud_fastapi")
    item = client.post("/users/1/items/", json={"title": "Mine"}).json()
    assert item["owner_id"] == 1
    assert item in client.get("/users/1/items/").json()["items"]
    assert item not in client.get("/users/2/items/").json()["items"]
    assert all(listed["owner_id"] == 2 for listed in client.get("/users/2/items/").json()["items"])
    assert client.delete("/users/1").status_code == 200
    assert client.get("/users/1/items/").status_code == 404
    assert client.get(f"/users/1/items/{item['id']}").status_code == 404


# --- writes -----------------------------------------------------------------------------------------------


def test_create_generates_read_only_fields_and_answers_the_location() -> None:
    client = client_for("crud_uuid_ids")
    created = client.post("/accounts", json={"name": "Ada", "plan": "free", "api_key": "k-12345678",
                                             "id": "00000000-0000-4000-8000-000000000000"})
    account = created.json()
    assert account["id"] != "00000000-0000-4000-8000-000000000000"  # read-only: the server's
    assert account["created_at"] == account["updated_at"]
    assert created.headers["location"] == f"/accounts/{account['id']}"
    pet = client_for("crud_petstore").post("/pets", json={"name": "Rex"}).json()
    assert pet["id"].startswith("pet_") and len(pet["id"]) == 12  # the id's own pattern


def test_json_patch_applies_and_a_failing_test_operation_answers_the_documented_409() -> None:
    client = client_for("crud_patch")
    body = {"title": "T", "status": "draft", "labels": {"team": "x"}}
    document = client.post("/documents", json=body).json()
    url = f"/documents/{document['documentId']}"
    patch = {"Content-Type": "application/json-patch+json"}
    applied = client.patch(url, json=[{"op": "test", "path": "/status", "value": "draft"},
                                      {"op": "replace", "path": "/title", "value": "Final"},
                                      {"op": "remove", "path": "/labels/team"}], headers=patch)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["title"], applied.json()["labels"]) == ("Final", {})
    refused = client.patch(url, json=[{"op": "test", "path": "/status", "value": "published"}], headers=patch)
    assert refused.status_code == 409
    assert client.get(url).json() == applied.json()


def test_a_merge_patch_that_would_break_the_record_keeps_the_old_values() -> None:
    client = client_for("crud_fastapi")
    user = client.post("/users/", json={"email": "a@example.com", "password": "long enough"}).json()
    patched = client.patch(f"/users/{user['id']}", json={"email": None, "full_name": "A"}).json()
    assert (patched["email"], patched["full_name"]) == ("a@example.com", "A")


def test_put_on_an_id_never_created_creates_it_and_strict_ids_refuse_it() -> None:
    client = client_for("crud_integer_ids")
    assert client.put("/orders/500", json={"customer": "New", "total_cents": 1}).status_code == 200
    assert client.get("/orders/500").json()["customer"] == "New"
    strict = client_for("crud_integer_ids", strict_ids=True)
    assert strict.put("/orders/500", json={"customer": "New", "total_cents": 1}).status_code == 404


def test_a_404_the_spec_does_not_document_is_the_mocks_own(tmp_path: Path) -> None:
    spec = tmp_path / "notes.yaml"
    spec.write_text(textwrap.dedent("""\
        openapi: 3.0.3
        info: {title: notes, version: "1"}
        paths:
          /notes:
            post:
              requestBody:
                content: &note {application/json: {schema: {$ref: "#/components/schemas/Note"}}}
              responses:
                "201": {description: ok, content: *note}
          /notes/{id}:
            parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
            get:
              responses:
                "200": {description: ok, content: *note}
            delete:
              responses: {"204": {description: gone}}
        components:
          schemas:
            Note: {type: object, properties: {id: {type: integer, readOnly: true}, text: {type: string}}}
        """))
    client = TestClient(create_app(spec))
    note = client.post("/notes", json={"text": "hi"}).json()
    assert client.delete(f"/notes/{note['id']}").status_code == 204
    gone = client.get(f"/notes/{note['id']}")
    assert gone.status_code == 404
    assert "x-mock-error" in gone.headers


def test_prefer_code_and_dynamic_step_around_the_records() -> None:
    client = client_for("crud_petstore")
    pet = client.post("/pets", json={"name": "Rex"}).json()
    assert client.get(f"/pets/{pet['id']}", headers={"Prefer": "code=404"}).status_code == 404
    dynamic = client.get(f"/pets/{pet['id']}", headers={"Prefer": "dynamic=true"})
    assert dynamic.headers["x-mock-source"] == "generated"


# --- sessions, reset, bounds, memo ------------------------------------------------------------------------


def test_sessions_never_see_each_others_writes() -> None:
    client = client_for("crud_petstore")
    mine = client.post("/pets", json={"name": "Mine"}, headers={"X-Mock-Session": "a"}).json()
    assert client.get(f"/pets/{mine['id']}", headers={"X-Mock-Session": "a"}).json() == mine
    assert mine not in client.get("/pets", params={"limit": 50}, headers={"X-Mock-Session": "b"}).json()
    assert mine not in client.get("/pets", params={"limit": 50}).json()  # the default session
    assert client.get("/pets", headers={"X-Mock-Session": "x" * 500}).status_code == 400


def test_a_read_after_a_write_is_never_an_old_answer() -> None:
    client = client_for("crud_petstore")
    for _ in range(3):  # the same request again and again: answered from the memo between writes
        before = client.get("/pets", params={"limit": 50})
    pet = client.post("/pets", json={"name": "Fresh"}).json()
    after = client.get("/pets", params={"limit": 50})
    assert pet in after.json() and pet not in before.json()
    client.delete(f"/pets/{pet['id']}")
    assert client.get("/pets", params={"limit": 50}).json() == before.json()
    assert client.app.memo  # reads were remembered


def test_records_are_bounded_per_resource_and_sessions_by_number() -> None:
    client = client_for("crud_integer_ids", max_records=5, max_sessions=2, initial_records=0)
    ids = [client.post("/orders", json={"customer": "c", "total_cents": n}).json()["id"] for n in range(8)]
    listed = client.get("/orders", params={"per_page": 100}).json()["results"]
    assert [order["id"] for order in listed] == ids[-5:]  # the oldest went first
    for session in ("s1", "s2", "s3"):
        order = {"customer": session, "total_cents": 1}
        client.post("/orders", json=order, headers={"X-Mock-Session": session})
    assert client.app.state.records.sessions() == ["s2", "s3"]
    assert client.get("/orders", headers={"X-Mock-Session": "s1"}).json()["total"] == 0


def test_the_admin_api_shows_a_sessions_records_masked_and_resets_one_session_or_all(tmp_path: Path) -> None:
    stack = build_stack(ServeOptions(CORPUS / "crud_uuid_ids.yaml", None, log_format=None))
    client = TestClient(stack.asgi, base_url="http://127.0.0.1:4010")
    body = {"name": "Ada", "plan": "free", "api_key": "k-secret-1"}
    created = client.post("/accounts", json=body, headers={"X-Mock-Session": "s"}).json()
    client.post("/accounts", json=body)
    state = client.get("/__mock__/state", params={"session": "s"}).json()
    assert state["session"] == "s" and set(state["sessions"]) == {"s", "default"}
    [change] = state["resources"]["/accounts"]["changes"]
    [record] = change["records"]
    assert record["id"] == created["id"]
    assert record["api_key"] == "***"
    assert "k-secret-1" not in client.get("/__mock__/state", params={"session": "s"}).text
    assert len(state["resources"]["/accounts"]["records"]) == 11
    assert client.post("/__mock__/reset", json={"session": "s"}, headers=JSON).json()["session"] == "s"
    assert client.get("/__mock__/state", params={"session": "s"}).json()["sessions"] == ["default"]
    client.post("/__mock__/reset", json={}, headers=JSON)
    assert client.get("/__mock__/state").json()["sessions"] == []


def test_stateless_answers_as_before() -> None:
    client = client_for("crud_petstore", stateful=False)
    pet = client.post("/pets", json={"name": "Rex"})
    assert pet.headers["x-mock-source"] != "stateful"
    assert client.get(f"/pets/{pet.json()['id']}").headers["x-mock-source"] == "generated"
    stack = build_stack(ServeOptions(CORPUS / "crud_petstore.yaml", None, log_format=None, stateful=False))
    admin = TestClient(stack.asgi, base_url="http://127.0.0.1:4010")
    assert admin.get("/__mock__/state").json()["stateful"] is False


# --- datasets, the config file, check, the pytest plugin --------------------------------------------------

PET_DATASET = """\
collections:
  pets:
    records:
      - {id: pet_aaaaaaa1, name: Biscuit, tag: dog}
      - {id: pet_aaaaaaa2, name: Mittens, tag: cat}
bindings:
  - operation: listPets
    collection: pets
    filters: {tag: {field: tag}}
    order_by: [name]
    body: {$records: true}
"""


def test_a_dataset_binding_gives_the_initial_records_and_keeps_answering_the_list(tmp_path: Path) -> None:
    (tmp_path / "pets.yaml").write_text(PET_DATASET)
    client = TestClient(create_app(CORPUS / "crud_petstore.yaml", tmp_path))
    before = client.get("/pets")
    assert before.headers["x-mock-source"] == "dataset"  # unchanged: exactly as before
    assert client.get("/pets/pet_aaaaaaa2").json()["name"] == "Mittens"
    apollo = client.post("/pets", json={"name": "Apollo", "tag": "dog"}).json()
    client.delete("/pets/pet_aaaaaaa2")
    after = client.get("/pets").json()
    assert [pet["name"] for pet in after] == ["Apollo", "Biscuit"]  # the binding's order
    assert [pet["name"] for pet in client.get("/pets", params={"tag": "cat"}).json()] == []
    assert after[0] == apollo
    assert client.get("/pets", headers={"X-Mock-Session": "other"}).json() == before.json()


def test_the_config_file_names_what_inference_cannot_and_check_prints_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = CORPUS / "nullable_30.yaml"  # /profiles/{id} answers a profile without any id-like property
    assert main(["check", str(spec)]) == 0
    assert "not inferred: /profiles: no property is named like an id" in capsys.readouterr().out
    config = tmp_path / "fixtures" / "mockserver.yaml"
    config.parent.mkdir()
    config.write_text("resources:\n  - {collection: /profiles, id_field: name}\n")
    assert main(["check", str(spec), "--fixtures", str(config.parent)]) == 0
    inferred = capsys.readouterr().out
    assert "resource /profiles: item /profiles/{id}; id field 'name' (the config file)" in inferred
    config.write_text("resources:\n  - {collection: /pets, stateful: false}\n  - {collection: /crud_pets}\n")
    assert main(["check", str(CORPUS / "crud_petstore.yaml"), "--fixtures", str(config.parent)]) == 2
    assert "mockserver.yaml: /resources/1/collection: the spec has no path /crud_pets" in \
        capsys.readouterr().err
    config.write_text("resources:\n  - {collection: /pets, stateful: false}\n")
    assert main(["check", str(CORPUS / "crud_petstore.yaml"), "--fixtures", str(config.parent)]) == 0
    assert "not stateful: /pets (the config file says so)" in capsys.readouterr().out
    assert main(["check", str(CORPUS / "crud_fastapi.yaml")]) == 0
    out = capsys.readouterr().out
    assert "resource /users/{user_id}/items/: item /users/{user_id}/items/{item_id}; id field 'id'" in out
    assert "parent {user_id} in 'owner_id'" in out


def test_each_mock_api_has_a_session_of_its_own(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nmockserver_spec = {CORPUS / 'crud_petstore.yaml'}\n")
    pytester.makepyfile(test_user=textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("name", ["first", "second"])
        def test_each_sees_only_its_own_pet(mock_api, name):
            client = mock_api.client()
            client.post("/pets", json={"name": name})
            names = [pet["name"] for pet in client.get("/pets", params={"limit": 50}).json()]
            assert names.count(name) == 1 and not {"first", "second"} - {name} & set(names)
            mock_api.reset()
            assert name not in [pet["name"] for pet in client.get("/pets", params={"limit": 50}).json()]

        def test_the_session_header_is_sent(mock_api):
            assert mock_api.headers["x-mock-session"] == mock_api.session
        """))
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_mock_api_resets_its_own_session_or_every_session() -> None:
    from mockserver import InProcessMock, MockAPI

    app = create_app(CORPUS / "crud_petstore.yaml")
    mock = InProcessMock(app)
    try:
        first, second = MockAPI(mock), MockAPI(mock)
        assert first.session != second.session
        first.client().post("/pets", json={"name": "One"})
        second.client().post("/pets", json={"name": "Two"})
        first.reset()
        assert app.state.records is not None and app.state.records.sessions() == [second.session]
        first.reset(every_session=True)
        assert app.state.records.sessions() == []
        first.close()
        second.close()
    finally:
        mock.close()


def test_an_id_the_client_may_choose_is_kept_unless_taken() -> None:
    client = client_for("crud_fastapi")  # UserPublic.id is not read-only
    user = client.post("/users/", json={"email": "a@example.com", "password": "long enough", "id": 77}).json()
    assert user["id"] == 77
    again = client.post("/users/", json={"email": "b@example.com", "password": "long enough", "id": 77})
    assert again.status_code == 200 and again.json()["id"] != 77  # no 409 documented: an id of its own


def test_records_forgotten_to_bound_memory_come_back_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large spec the mock keeps only so many drawn records, record forms and compiled schemas: what
    it draws again must be what it answered before, for every kind of id and for nested collections."""
    collections = {"crud_petstore": ["/pets"], "crud_uuid_ids": ["/accounts"],
                   "crud_fastapi": ["/users/", "/users/7/items/"]}

    def answers() -> list[Any]:
        seen = []
        for name, paths in collections.items():
            client = client_for(name)
            for path in paths:
                listed = client.get(path).json()
                records = listed if isinstance(listed, list) else listed.get("items", listed.get("data"))
                seen.append(listed)
                seen.extend(client.get(f"{path.rstrip('/')}/{record['id']}").json() for record in records)
        return seen

    kept = answers()
    monkeypatch.setattr(initial_records, "KEPT_BYTES", 1)  # each draw pushes the previous one out
    monkeypatch.setattr(record_bodies, "SHOWN_BYTES", 1)
    monkeypatch.setattr(generator, "COMPILED_PLANS", 1)
    monkeypatch.setattr(generator, "BodyCache", lambda size: BodyCache(0))  # every record drawn again
    assert answers() == kept
