"""Stateful mocks (issue 18): writes change what later reads return, per session, inferred from the spec.

Each CRUD spec of the corpus (`tests/corpus/crud_*.yaml`) goes through create -> get -> list -> update ->
delete -> get (404); then the parts: initial records, pagination, filters, nested scopes, patches,
sessions and their bounds, the admin API, the memo, datasets, the config file, `check` and the pytest
plugin. Requests go to the app in-process (Starlette's test client).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app

CORPUS = Path(__file__).parent / "corpus"
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
