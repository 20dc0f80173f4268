"""Fixtures on an API that is not the bundled one: matching rules, datasets without tenants, hooks."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from starlette.datastructures import Headers
from starlette.testclient import TestClient

from mockserver import create_app

SPEC = """
openapi: 3.1.0
info: {title: widgets, version: "1"}
paths:
  /widgets:
    get:
      operationId: list_widgets
      parameters:
        - {name: color, in: query, schema: {type: string}}
        - {name: size, in: query, schema: {type: string}}
        - {name: min_price, in: query, schema: {type: integer}}
        - {name: q, in: query, schema: {type: string}}
        - {name: in_stock, in: query, schema: {type: boolean}}
        - {name: page_token, in: query, schema: {type: string}}
        - {name: per_page, in: query, schema: {type: integer, default: 2, minimum: 1, maximum: 3}}
        - {name: X-Shop, in: header, schema: {type: string}}
      responses:
        "200":
          description: widgets
          content:
            application/json:
              schema:
                type: object
                required: [data, more]
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Widget"}}
                  more: {type: boolean}
                  next: {type: [string, "null"]}
                  count: {type: integer}
              examples:
                spec-example: {value: {data: [], more: false}}
        "404":
          description: nothing
          content:
            application/json:
              schema: {type: object, required: [error], properties: {error: {type: string}}}
              example: {error: not here}
  /shops/{shop_id}/stats:
    get:
      operationId: shop_stats
      parameters:
        - {name: shop_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: stats
          content:
            application/json:
              schema:
                type: object
                required: [shop, widgets, value]
                properties:
                  shop: {type: string}
                  widgets: {type: integer}
                  value: {type: string}
                  cheapest: {type: [string, "null"]}
        "404":
          description: no such shop
          content:
            application/json:
              schema: {type: object, required: [error], properties: {error: {type: string}}}
components:
  schemas:
    Widget:
      type: object
      required: [id, shop, color, price]
      properties:
        id: {type: string}
        shop: {type: string}
        color: {type: string}
        price: {type: integer}
"""

WIDGETS = """
collections:
  shops:
    records: [{id: s1, name: North}, {id: s2, name: South}]
  widgets:
    records:
      - {id: w1, shop: s1, color: red, price: 300}
      - {id: w2, shop: s1, color: blue, price: 150}
      - {id: w3, shop: s2, color: red, price: 990}
      - {id: w4, shop: s1, color: red, price: 120}
      - {id: w5, shop: s2, color: green, price: 50}
bindings:
  - operation: list_widgets
    collection: widgets
    filters:
      color: {field: color}
      min_price: {field: price, op: ">="}
      q: {search: [id, color]}
    order_by: [price]
    page: {cursor_param: page_token, limit_param: per_page}
    body: {data: {$page: items}, more: {$page: has_next}, next: {$page: next_cursor}, count: {$page: total}}
  - operation: shop_stats
    collection: widgets
    owner: {collection: shops, param: shop_id, link: shop, missing: {status: 404, body: {error: no shop}}}
    body: {shop: {$owner: name}, widgets: {$count: true}, value: {$sum: price, as: "decimal:2"}}
"""


def _app(tmp_path: Path, files: dict[str, str], **options):
    (tmp_path / "spec.yaml").write_text(SPEC)
    folder = tmp_path / "fixtures"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(textwrap.dedent(content))
    return create_app(tmp_path / "spec.yaml", folder, **options)


def _client(tmp_path: Path, files: dict[str, str]) -> TestClient:
    return TestClient(_app(tmp_path, files))


RESPONSES = """
responses:
  - name: red
    operation: list_widgets
    match: {query: {color: red}}
    response: {status: 200, body: {data: [], more: false, count: 1}}
  - name: red-large
    operation: list_widgets
    match: {query: {color: red, size: L}}
    response: {status: 200, body: {data: [], more: false, count: 2}}
  - name: red-any-size
    operation: list_widgets
    match: {query: {color: red, size: {regex: "[A-Z]+"}}}
    response: {status: 200, body: {data: [], more: false, count: 3}}
  - name: shop-header
    operation: list_widgets
    match: {headers: {x-shop: {regex: "s[0-9]+"}}}
    response: {status: 404, body: {error: closed}}
    delay_ms: 250
  - name: documented-404
    operation: list_widgets
    match: {query: {color: black}}
    response: {status: 404}
  - name: in-stock
    operation: list_widgets
    match: {query: {in_stock: true}}
    response: {status: 404, body: {error: sold out}}
"""


@pytest.mark.parametrize(
    ("params", "headers", "chosen"),
    [
        ({"color": "red"}, {}, "red"),
        ({"color": "red", "size": "L"}, {}, "red-large"),  # two exact conditions beat one
        ({"color": "red", "size": "XL"}, {}, "red-any-size"),  # the regex must match in full
        ({"color": "red", "size": "xl"}, {}, "red"),
        ({}, {"X-SHOP": "s12"}, "shop-header"),  # header names are case-insensitive
        ({}, {"X-Shop": "shop"}, None),
        ({"color": "blue"}, {}, None),
        ({"in_stock": "1"}, {}, "in-stock"),  # compared with the typed value: 1 is true
        ({"in_stock": "no"}, {}, None),
    ],
)
def test_the_most_specific_matching_response_wins(tmp_path, params, headers, chosen):
    client = _client(tmp_path, {"responses.yaml": RESPONSES})
    response = client.get("/widgets", params=params, headers=headers)
    source = response.headers["x-mock-source"]
    if chosen is None:
        assert not source.startswith("fixture:")
    else:
        assert source == f"fixture:{chosen}"


def test_equally_specific_responses_go_in_file_order(tmp_path):
    first = "responses:\n  - {name: from-a, operation: list_widgets, match: {query: {color: red}},\n" \
            "     response: {status: 404, body: {error: a}}}\n"
    client = _client(tmp_path, {"a.yaml": first, "b.yaml": first.replace("from-a", "from-b")})
    assert client.get("/widgets", params={"color": "red"}).headers["x-mock-source"] == "fixture:from-a"


def test_a_response_without_body_uses_the_documented_example(tmp_path):
    response = _client(tmp_path, {"responses.yaml": RESPONSES}).get("/widgets", params={"color": "black"})
    assert response.status_code == 404
    assert response.json() == {"error": "not here"}
    assert response.headers["x-mock-source"] == "fixture:documented-404"


def test_a_response_carries_its_delay(tmp_path):
    app = _app(tmp_path, {"responses.yaml": RESPONSES})
    _, answer = app.handle("GET", "/widgets", [], Headers({"x-shop": "s1"}), b"")
    assert (answer.status, answer.delay_ms) == (404, 250)


def test_prefer_example_reaches_spec_examples_too(tmp_path):
    client = _client(tmp_path, {"responses.yaml": RESPONSES})
    response = client.get("/widgets", headers={"Prefer": "example=spec-example"})
    assert response.headers["x-mock-source"] == "example:spec-example"
    unknown = client.get("/widgets", headers={"Prefer": "example=nope"})
    assert {"red", "spec-example"} <= set(unknown.json()["choices"])


def _walk(client: TestClient, **params) -> list[str]:
    seen: list[str] = []
    token = None
    while True:
        page = client.get("/widgets", params={**params, **({"page_token": token} if token else {})}).json()
        seen += [item["id"] for item in page["data"]]
        if not page["more"]:
            return seen
        token = page["next"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["w5", "w4", "w2", "w1", "w3"]),
        ({"color": "red"}, ["w4", "w1", "w3"]),
        ({"min_price": "150"}, ["w2", "w1", "w3"]),
        ({"color": "red", "min_price": "150"}, ["w1", "w3"]),
        ({"q": "RE"}, ["w5", "w4", "w1", "w3"]),
        ({"per_page": "1"}, ["w5", "w4", "w2", "w1", "w3"]),
        ({"per_page": "3", "color": "green"}, ["w5"]),
    ],
)
def test_a_generic_dataset_filters_orders_and_pages(tmp_path, params, expected):
    assert _walk(_client(tmp_path, {"widgets.yaml": WIDGETS}), **params) == expected


def test_the_spec_gives_the_default_page_size(tmp_path):
    page = _client(tmp_path, {"widgets.yaml": WIDGETS}).get("/widgets").json()
    assert len(page["data"]) == 2 and page["count"] == 5


def test_an_owner_summary_aggregates_and_404s_for_unknown_owners(tmp_path):
    client = _client(tmp_path, {"widgets.yaml": WIDGETS})
    assert client.get("/shops/s1/stats").json() == {"shop": "North", "widgets": 3, "value": "5.70"}
    missing = client.get("/shops/s9/stats")
    assert (missing.status_code, missing.json()) == (404, {"error": "no shop"})


HOOKS = '''
from mockserver import HookResponse


def cheapest(request):
    if request.params["shop_id"] == "pass":
        return None
    if request.params["shop_id"] == "boom":
        raise RuntimeError("kaput")
    if request.params["shop_id"] == "bad":
        return {"shop": 1}
    if request.params["shop_id"] == "split":
        return HookResponse(status=404, body={}, headers={"X-Note": "a\\r\\nSet-Cookie: stolen=1"})
    shop = next((s for s in request.collection("shops") if s["id"] == request.params["shop_id"]), None)
    if shop is None:
        return HookResponse(status=404, body={"error": "hook says no"})
    records = sorted((r for r in request.records if r["shop"] == shop["id"]), key=lambda r: r["price"])
    return {"shop": shop["name"], "widgets": len(records),
            "value": str(sum(r["price"] for r in request.collection("widgets"))),
            "cheapest": records[0]["id"] if records else None}
'''

HOOK_BINDING = """
collections:
  shops:
    records: [{id: s1, name: North}, {id: s2, name: South}]
  widgets:
    records:
      - {id: w1, shop: s1, color: red, price: 300}
      - {id: w2, shop: s1, color: blue, price: 150}
bindings:
  - operation: shop_stats
    collection: widgets
    where: ["color != blue"]
    hook: hooks.py:cheapest
"""


def test_a_hook_computes_the_answer_from_the_selected_records(tmp_path):
    client = _client(tmp_path, {"hooks.py": HOOKS, "stats.yaml": HOOK_BINDING})
    response = client.get("/shops/s1/stats")
    assert response.json() == {"shop": "North", "widgets": 1, "value": "450", "cheapest": "w1"}
    assert response.headers["x-mock-source"] == "hook:cheapest"


def test_a_hook_may_pass_or_fail_without_crashing_the_mock(tmp_path):
    client = _client(tmp_path, {"hooks.py": HOOKS, "stats.yaml": HOOK_BINDING})
    assert client.get("/shops/pass/stats").headers["x-mock-source"] == "generated"
    missing = client.get("/shops/s7/stats")
    assert (missing.status_code, missing.json()) == (404, {"error": "hook says no"})
    for shop in ("boom", "bad", "split"):
        response = client.get(f"/shops/{shop}/stats")
        assert response.status_code == 500
        assert "hook cheapest" in response.headers["x-mock-error"]
        assert "set-cookie" not in response.headers


def test_hook_files_stay_inside_the_fixtures_folder(tmp_path):
    from mockserver.foundation.problems import LoadError

    binding = HOOK_BINDING.replace("hooks.py:cheapest", "../hooks.py:cheapest")
    (tmp_path / "hooks.py").write_text(HOOKS)
    with pytest.raises(LoadError) as raised:
        _app(tmp_path, {"stats.yaml": binding})
    assert "inside the fixtures folder" in str(raised.value)


TENANT_WIDGETS = """
collections:
  widgets:
    tenant: shop
    records:
      - {id: w1, shop: s1, color: red, price: 300}
      - {id: w2, shop: s2, color: blue, price: 150}
      - {id: w3, shop: s1, color: red, price: 120}
bindings:
  - operation: list_widgets
    collection: widgets
    order_by: [id]
    page: {cursor_param: page_token, limit_param: per_page}
    body: {data: {$page: items}, more: {$page: has_next}, count: {$page: total}}
"""


def test_records_are_scoped_by_the_tenant_header(tmp_path):
    client = _client(tmp_path, {"mockserver.yaml": "tenant_header: X-Shop\n",
                                "widgets.yaml": TENANT_WIDGETS})
    assert [w["id"] for w in client.get("/widgets", headers={"X-Shop": "s1"}).json()["data"]] == ["w1", "w3"]
    assert [w["id"] for w in client.get("/widgets", headers={"X-Shop": "s2"}).json()["data"]] == ["w2"]
    assert client.get("/widgets", headers={"X-Shop": "s9"}).json()["count"] == 0  # no tenants declared
    assert client.get("/widgets").json()["count"] == 0


def test_declared_tenants_refuse_the_others(tmp_path):
    tenants = "tenants: {ids: [s1, s2], unknown: {status: 404, body: {error: unknown shop}}}\n"
    client = _client(tmp_path, {"mockserver.yaml": "tenant_header: X-Shop\n",
                                "widgets.yaml": tenants + TENANT_WIDGETS})
    refused = client.get("/widgets", headers={"X-Shop": "s9"})
    assert (refused.status_code, refused.json()) == (404, {"error": "unknown shop"})
    assert client.get("/widgets", headers={"X-Shop": "s2"}).json()["count"] == 1


def test_without_a_tenant_header_every_record_is_visible(tmp_path):
    client = _client(tmp_path, {"widgets.yaml": TENANT_WIDGETS})
    assert client.get("/widgets", headers={"X-Shop": "s1"}).json()["count"] == 3
