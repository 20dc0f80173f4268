"""Generated responses: valid for tricky schemas, deterministic, realistic (mockserver.generation)."""

from __future__ import annotations

import base64
import gc
import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from mockserver.generation import RequestContext, ResponseGenerator
from mockserver.generation import generator as generator_module
from mockserver.generation.cache import freeze
from mockserver.generation.keys import request_key
from mockserver.generation.plans import PlanCompiler
from mockserver.generation.realism import Realism
from mockserver.generation.rules import RuleSet
from mockserver.generation.shaping import shape
from mockserver.generation.strategies import HypothesisDraws
from mockserver.spec import Spec, load_spec

SEEDS = 500


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


UUID = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}

# One schema per feature the generator must be faithful to.
TRICKY: dict[str, Any] = {
    "Tree": {
        "type": "object",
        "required": ["name", "children"],
        "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": ref("Tree")}},
    },
    "LinkedNode": {
        "type": "object",
        "required": ["value", "next"],
        "properties": {
            "value": {"type": "integer"},
            "next": {"anyOf": [ref("LinkedNode"), {"type": "null"}]},
        },
    },
    "Audited": {
        "type": "object",
        "required": ["id", "created_at", "updated_at"],
        "properties": {"id": UUID, "created_at": DATE_TIME, "updated_at": DATE_TIME},
    },
    "Merged": {
        "allOf": [
            ref("Audited"),
            {
                "type": "object",
                "required": ["title"],
                "properties": {"title": {"type": "string", "maxLength": 12}},
            },
        ]
    },
    "Either": {
        "anyOf": [{"type": "string", "format": "email"}, {"type": "integer", "minimum": 10, "maximum": 20}]
    },
    "Cat": {
        "type": "object",
        "required": ["pet_type", "name", "indoor"],
        "properties": {
            "pet_type": {"type": "string"},
            "name": {"type": "string"},
            "indoor": {"type": "boolean"},
        },
    },
    "Dog": {
        "type": "object",
        "required": ["pet_type", "name", "good_boy"],
        "properties": {
            "pet_type": {"type": "string"},
            "name": {"type": "string"},
            "good_boy": {"type": "boolean"},
        },
    },
    "Pet": {
        "oneOf": [ref("Cat"), ref("Dog")],
        "discriminator": {
            "propertyName": "pet_type",
            "mapping": {"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"},
        },
    },
    "Animal": {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"type": "string"}},
        "discriminator": {"propertyName": "kind"},
    },
    "Bird": {  # inherits the discriminator: its value is the schema's name
        "allOf": [
            ref("Animal"),
            {"type": "object", "required": ["wings"], "properties": {"wings": {"type": "integer"}}},
        ]
    },
    "Colour": {"type": "string", "enum": ["red", "green", "blue"]},
    "Formats": {
        "type": "object",
        "required": [
            "day",
            "moment",
            "clock",
            "uuid",
            "email",
            "uri",
            "host",
            "ipv4",
            "ipv6",
            "byte",
            "binary",
            "int32",
            "int64",
            "float",
            "double",
        ],
        "properties": {
            "day": {"type": "string", "format": "date"},
            "moment": DATE_TIME,
            "clock": {"type": "string", "format": "time"},
            "uuid": UUID,
            "email": {"type": "string", "format": "email"},
            "uri": {"type": "string", "format": "uri"},
            "host": {"type": "string", "format": "hostname"},
            "ipv4": {"type": "string", "format": "ipv4"},
            "ipv6": {"type": "string", "format": "ipv6"},
            "byte": {"type": "string", "format": "byte"},
            "binary": {"type": "string", "format": "binary"},
            "int32": {"type": "integer", "format": "int32"},
            "int64": {"type": "integer", "format": "int64"},
            "float": {"type": "number", "format": "float"},
            "double": {"type": "number", "format": "double"},
        },
    },
    "Patterned": {
        "type": "object",
        "required": ["code", "sku", "slug", "free", "lookahead"],
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{2}-\\d{4}$"},
            "sku": {"type": "string", "pattern": "^SKU[0-9]+$", "minLength": 6, "maxLength": 9},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "maxLength": 20},
            "free": {"type": "string", "pattern": "^[^<>&]{2,}$"},
            "lookahead": {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]{4,8}$"},
        },
    },
    "Bounded": {
        "type": "object",
        "required": ["short", "tags", "ratio", "count", "settings"],
        "properties": {
            "short": {"type": "string", "minLength": 3, "maxLength": 5},
            "tags": {
                "type": "array",
                "items": {"type": "string", "enum": ["a", "b", "c", "d"]},
                "minItems": 2,
                "maxItems": 3,
                "uniqueItems": True,
            },
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "multipleOf": 0.25},
            "count": {"type": "integer", "minimum": -5, "maximum": -1},
            "settings": {
                "type": "object",
                "minProperties": 2,
                "maxProperties": 3,
                "additionalProperties": {"type": "boolean"},
            },
        },
    },
    "Maps": {
        "type": "object",
        "required": ["scores", "closed"],
        "properties": {
            "scores": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "closed": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": False,
            },
        },
    },
    "Account": {
        "type": "object",
        "required": ["id", "email", "password"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "writeOnly": True},
        },
    },
    "Documented": {
        "type": "object",
        "required": ["plan", "region"],
        "properties": {
            "plan": {"type": "string", "default": "basic", "examples": ["basic", "pro"]},
            "region": {"type": "string", "examples": ["eu-west-1"]},
        },
    },
    "Modern": {
        "type": "object",
        "required": ["kind", "maybe", "pair", "either"],
        "properties": {
            "kind": {"const": "modern"},
            "maybe": {"type": ["string", "null"]},
            "pair": {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "items": False,
                "minItems": 2,
            },
            "either": {"not": {"type": "string"}},
            "card": {"type": "string"},
            "cvv": {"type": "string", "pattern": "^\\d{3}$"},
        },
        "dependentRequired": {"card": ["cvv"]},
        "if": {"properties": {"kind": {"const": "modern"}}},
        "then": {"required": ["kind"]},
    },
    "Conditional": {
        "type": "object",
        "required": ["kind", "readings"],
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "note": {"type": "string"},
            "readings": {"type": "array", "items": {"type": "integer"}, "contains": {"minimum": 5}},
        },
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["note"]},
        "else": {"not": {"required": ["note"]}},
        "unevaluatedProperties": False,
    },
    "Customer": {
        "type": "object",
        "required": [
            "id",
            "email",
            "full_name",
            "company_name",
            "currency",
            "website",
            "description",
            "created_at",
            "updated_at",
            "orders_count",
        ],
        "properties": {
            "id": {"type": "string"},
            "email": {"type": "string"},
            "full_name": {"type": "string"},
            "company_name": {"type": "string"},
            "currency": {"type": "string"},
            "website": {"type": "string"},
            "description": {"type": "string"},
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "last_seen_at": DATE_TIME,
            "orders_count": {"type": "integer"},
        },
    },
}

LEGACY: dict[str, Any] = {  # OpenAPI 3.0 spellings, converted by the loader
    "Legacy": {
        "type": "object",
        "required": ["nickname", "score", "colour"],
        "properties": {
            "nickname": {"type": "string", "nullable": True},
            "score": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 10},
            "colour": {"allOf": [ref("Colour")], "nullable": True},
        },
    },
    "Colour": {"type": "string", "enum": ["red", "green", "blue"]},
}


def write_spec(directory: Path, schemas: dict[str, Any], openapi: str = "3.1.0") -> Spec:
    paths = {
        f"/{name.lower()}/{{item_id}}": {
            "get": {
                "operationId": f"get{name}",
                "parameters": [
                    {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": ref(name)}}}
                },
            }
        }
        for name in schemas
    }
    document = {
        "openapi": openapi,
        "info": {"title": "Tricky", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "api.json").write_text(json.dumps(document))
    return load_spec(directory / "api.json")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    return write_spec(tmp_path_factory.mktemp("tricky"), TRICKY)


@pytest.fixture(scope="module")
def legacy_spec(tmp_path_factory: pytest.TempPathFactory) -> Spec:
    return write_spec(tmp_path_factory.mktemp("legacy"), LEGACY, openapi="3.0.3")


@pytest.fixture(scope="module")
def generator(spec: Spec) -> ResponseGenerator:
    return ResponseGenerator(spec, seed=0)


def validator_for(spec: Spec, name: str) -> jsonschema_rs.Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": spec.document["components"]}
    return jsonschema_rs.validator_for(root, validate_formats=True)


def generate(
    generator: ResponseGenerator,
    name: str,
    *,
    item_id: str = "item-1",
    seed: int | None = None,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    operation = generator.spec.find_operation(f"get{name}")
    assert operation is not None
    request = RequestContext({"item_id": item_id}, query or {}, headers or {})
    return generator.generate(operation, "200", "application/json", request, seed=seed)


def bodies(generator: ResponseGenerator, name: str, count: int = SEEDS) -> list[Any]:
    return [generate(generator, name, seed=seed) for seed in range(count)]


# -- faithful ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in TRICKY if name != "Account"])  # Account: see below
def test_every_body_validates(generator: ResponseGenerator, spec: Spec, name: str) -> None:
    validator = validator_for(spec, name)
    for seed, body in enumerate(bodies(generator, name)):
        errors = [error.message for error in validator.iter_errors(body)]
        assert not errors, f"seed {seed}: {body!r}: {errors}"


def test_openapi_30_nullable_and_boolean_exclusive_minimum(legacy_spec: Spec) -> None:
    generator = ResponseGenerator(legacy_spec, seed=0)
    validator = validator_for(legacy_spec, "Legacy")
    found = bodies(generator, "Legacy")
    for body in found:
        assert validator.is_valid(body), body
        assert body["score"] > 0
    assert any(body["nickname"] is None for body in found)
    assert any(isinstance(body["nickname"], str) for body in found)
    assert {body["colour"] for body in found} >= {"red", "green", "blue", None}


def test_recursive_schemas_have_bounded_depth(generator: ResponseGenerator) -> None:
    def depth(tree: dict[str, Any]) -> int:
        return 1 + max((depth(child) for child in tree["children"]), default=0)

    def length(node: dict[str, Any] | None) -> int:
        return 0 if node is None else 1 + length(node["next"])

    assert max(depth(body) for body in bodies(generator, "Tree", 100)) <= 12
    assert any(depth(body) > 1 for body in bodies(generator, "Tree", 100))
    assert max(length(body) for body in bodies(generator, "LinkedNode", 100)) <= 12


def test_discriminator_value_names_the_branch(generator: ResponseGenerator) -> None:
    found = bodies(generator, "Pet", 200)
    for body in found:
        assert body["pet_type"] == ("cat" if "indoor" in body else "dog"), body
    assert {body["pet_type"] for body in found} == {"cat", "dog"}


def test_inherited_discriminator_names_the_schema(generator: ResponseGenerator) -> None:
    assert {body["kind"] for body in bodies(generator, "Bird", 20)} == {"Bird"}


def test_formats_hold_what_they_say(generator: ResponseGenerator) -> None:
    for body in bodies(generator, "Formats", 100):
        date.fromisoformat(body["day"])
        datetime.fromisoformat(body["moment"].replace("Z", "+00:00"))
        assert uuid.UUID(body["uuid"]).version == 4
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", body["email"])
        assert body["uri"].startswith("https://")
        base64.b64decode(body["byte"], validate=True)
        assert -(2**31) <= body["int32"] < 2**31
        assert -(2**63) <= body["int64"] < 2**63


def test_write_only_properties_never_appear_and_read_only_ones_do(generator: ResponseGenerator) -> None:
    # a required write-only property is required in requests only
    response_view = {**TRICKY["Account"], "required": ["id", "email"]}
    validator = jsonschema_rs.validator_for(response_view, validate_formats=True)
    for body in bodies(generator, "Account"):
        assert validator.is_valid(body), body
        assert "password" not in body
        assert body["id"] and "@" in body["email"]


def test_examples_and_defaults_are_used(generator: ResponseGenerator) -> None:
    found = bodies(generator, "Documented", 100)
    assert {"basic", "pro"} <= {body["plan"] for body in found}
    assert "eu-west-1" in {body["region"] for body in found}


def test_unsatisfiable_schema_is_a_clear_error(tmp_path: Path) -> None:
    from mockserver.generation import GenerationError

    spec = write_spec(tmp_path, {"Never": {"type": "string", "minLength": 5, "maxLength": 2}})
    with pytest.raises(GenerationError, match=r"GET /never/\{item_id\} 200 .*admits no value"):
        generate(ResponseGenerator(spec), "Never")


# -- deterministic -------------------------------------------------------------------------------


def canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=False)


def test_same_request_same_bytes_across_calls_and_restarts(spec: Spec) -> None:
    first = ResponseGenerator(spec, seed=7)
    again = ResponseGenerator(spec, seed=7)
    for name in ("Customer", "Pet", "Patterned", "Tree"):
        body = canonical(generate(first, name, item_id="abc"))
        assert canonical(generate(first, name, item_id="abc")) == body  # cached
        assert canonical(generate(again, name, item_id="abc")) == body  # "after a restart"


def test_query_order_and_credentials_do_not_matter(generator: ResponseGenerator) -> None:
    body = generate(generator, "Pet", query={"q": "x", "page": 2}, headers={"x-tenant": "t1"})
    assert (
        generate(
            generator,
            "Pet",
            query={"page": 2, "q": "x"},
            headers={"X-Tenant": "t1", "Authorization": "Bearer other"},
        )
        == body
    )
    assert generate(generator, "Pet", query={"page": 3, "q": "x"}, headers={"x-tenant": "t1"}) != body
    assert generate(generator, "Pet", query={"page": 2, "q": "x"}, headers={"x-tenant": "t2"}) != body


def test_a_record_is_the_same_whatever_the_query_but_not_across_tenants(generator: ResponseGenerator) -> None:
    body = generate(generator, "Customer", item_id="c1", query={"page": 1}, headers={"x-tenant": "t1"})
    assert body["id"] == "c1"
    assert (
        generate(generator, "Customer", item_id="c1", query={"page": 9}, headers={"x-tenant": "t1"}) == body
    )
    assert (
        generate(generator, "Customer", item_id="c1", query={"page": 1}, headers={"x-tenant": "t2"}) != body
    )


def test_different_id_or_seed_gives_a_different_body(spec: Spec, generator: ResponseGenerator) -> None:
    body = generate(generator, "Customer", item_id="a")
    assert generate(generator, "Customer", item_id="b") != body
    assert generate(ResponseGenerator(spec, seed=1), "Customer", item_id="a") != body
    assert generate(generator, "Customer", item_id="a", seed=42) == generate(
        generator, "Customer", item_id="a", headers={"Prefer": "dynamic=true, seed=42"}
    )
    assert generate(generator, "Customer", item_id="a", seed=0) == body


def test_a_page_holds_as_many_items_as_the_limit_asks(tmp_path: Path) -> None:
    item = {"type": "object", "required": ["id"], "properties": {"id": UUID, "name": {"type": "string"}}}
    page = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item}},
    }
    envelope = {
        "type": "object",
        "required": ["ok", "data"],
        "properties": {"ok": {"type": "boolean"}, "data": page},
    }
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Pages", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": "things",
                    "parameters": [limit],
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": envelope}}},
                        "400": {"description": "Bad", "content": {"application/json": {"schema": page}}},
                    },
                }
            }
        },
    }
    (tmp_path / "pages.json").write_text(json.dumps(document))
    spec = load_spec(tmp_path / "pages.json")
    generator, operation = ResponseGenerator(spec), spec.operations[0]

    def items(status: str, query: dict[str, Any]) -> int:
        body = generator.generate(operation, status, "application/json", RequestContext({}, query))
        return len((body["data"] if status == "200" else body)["items"])

    assert items("200", {"limit": 7}) == 7
    assert items("200", {"limit": "3"}) == 3
    assert items("200", {}) == 20  # the declared default
    assert items("400", {"limit": 7}) <= 4  # an error body is no page


def test_list_and_detail_agree_on_a_record(tmp_path: Path) -> None:
    customer = {"$ref": "#/components/schemas/Customer"}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Records", "version": "1"},
        "paths": {
            "/customers": {
                "get": {
                    "operationId": "list",
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {"application/json": {"schema": {"type": "array", "items": customer}}},
                        }
                    },
                }
            },
            "/customers/{customer_id}": {
                "get": {
                    "operationId": "detail",
                    "parameters": [
                        {"name": "customer_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {"description": "OK", "content": {"application/json": {"schema": customer}}}
                    },
                }
            },
        },
        "components": {"schemas": {"Customer": TRICKY["Customer"]}},
    }
    (tmp_path / "records.json").write_text(json.dumps(document))
    spec = load_spec(tmp_path / "records.json")
    generator = ResponseGenerator(spec, seed=11)
    listing, detail = spec.find_operation("list"), spec.find_operation("detail")
    assert listing is not None and detail is not None
    listed = generator.generate(listing, "200", "application/json", RequestContext())
    assert listed
    for record in listed:
        request = RequestContext({"customer_id": record["id"]})
        assert generator.generate(detail, "200", "application/json", request) == record


def test_path_parameter_is_echoed_into_the_id(generator: ResponseGenerator) -> None:
    assert generate(generator, "Customer", item_id="cus_42")["id"] == "cus_42"


def test_same_body_in_another_process(spec: Spec, tmp_path: Path) -> None:
    names = ["Customer", "Pet", "Patterned", "Modern", "Tree", "Formats"]
    generator = ResponseGenerator(spec, seed=3)
    expected = {name: generate(generator, name, item_id="p1") for name in names}
    script = textwrap.dedent(f"""
        import json
        from mockserver.generation import RequestContext, ResponseGenerator
        from mockserver.spec import load_spec
        spec = load_spec({spec.files[0]!r})
        generator = ResponseGenerator(spec, seed=3)
        out = {{}}
        for name in {names!r}:
            operation = spec.find_operation("get" + name)
            request = RequestContext({{"item_id": "p1"}})
            out[name] = generator.generate(operation, "200", "application/json", request)
        print(json.dumps(out))
    """)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    assert json.loads(result.stdout) == expected



def test_schemas_the_generator_lets_go_of_are_freed_at_once_and_drawn_again_the_same(
        spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    """A served mock seldom runs full garbage collections (see `serving.warmup.settle_heap`): compiled plans
    form cycles (references, recursion), so those dropped to bound memory must not wait for one."""
    names = [name for name in TRICKY if name != "Account"]
    kept = {name: generate(ResponseGenerator(spec, seed=3), name) for name in names}
    monkeypatch.setattr(generator_module, "COMPILED_PLANS", 1)  # each schema compiled pushes the last out
    small = ResponseGenerator(spec, seed=3)
    gc.collect()
    gc.disable()
    try:
        again = {name: generate(small, name) for name in names * 2}
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [thing for thing in gc.garbage if isinstance(thing, PlanCompiler | HypothesisDraws)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert again == kept
    assert left == []


def test_a_body_does_not_depend_on_which_bodies_came_before(spec: Spec) -> None:
    # Definitions shared by several schemas are shaped once per generator: the order must not show.
    names = [name for name in TRICKY if name != "Account"]
    forward, backward = ResponseGenerator(spec, seed=5), ResponseGenerator(spec, seed=5)
    first = {name: canonical(generate(forward, name, item_id="o1")) for name in names}
    second = {name: canonical(generate(backward, name, item_id="o1")) for name in reversed(names)}
    assert first == second


# -- bounded -------------------------------------------------------------------------------------


def chain(name: str, embeds: str | None, *, required: dict[str, Any] | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"name": {"type": "string", "maxLength": 20}, **(required or {})}
    if embeds is not None:
        properties["next"] = ref(embeds)
    return {"type": "object", "required": ["name", *(required or {})], "properties": properties}


def test_records_embedded_deep_keep_what_they_require_and_embed_no_further(tmp_path: Path) -> None:
    schemas = {
        "Level1": chain("Level1", "Level2"),
        "Level2": chain("Level2", "Level3"),
        "Level3": chain("Level3", "Level4", required={"must": ref("Required")}),
        "Level4": chain("Level4", None),
        "Required": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}},
    }
    spec = write_spec(tmp_path, schemas)
    generator = ResponseGenerator(spec, seed=0)
    validator = validator_for(spec, "Level1")
    found = bodies(generator, "Level1", 100)
    assert all(validator.is_valid(body) for body in found)
    third = [body["next"]["next"] for body in found if "next" in body and "next" in body["next"]]
    assert third, "records two levels down are embedded"
    assert all("next" not in record and record["must"]["code"] for record in third)


# -- realistic -----------------------------------------------------------------------------------

ISO_4217 = {"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "SEK", "NZD", "SGD", "MXN", "INR"}


def test_values_look_real(generator: ResponseGenerator) -> None:
    for body in bodies(generator, "Customer", 200):
        assert re.fullmatch(r"[a-z0-9.]+@[a-z]+\.[a-z]+", body["email"]), body["email"]
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", body["full_name"]), body["full_name"]
        assert body["company_name"][0].isupper()
        assert body["currency"] in ISO_4217
        assert body["website"].startswith("https://")
        assert 10 <= len(body["description"]) <= 120 and body["description"].endswith(".")
        assert body["updated_at"] >= body["created_at"]
        if "last_seen_at" in body:
            assert body["created_at"] <= body["last_seen_at"] <= body["updated_at"]
        assert 0 <= body["orders_count"] <= 25
        assert datetime.fromisoformat(body["created_at"].replace("Z", "+00:00")).year in (2024, 2025)


def test_rules_value_hints_extend_realism(spec: Spec) -> None:
    rules = RuleSet()

    @rules.value(name=r"company_name")
    def company(rng: Any) -> str:
        return f"Company #{rng.randint(1, 9)}"

    body = generate(ResponseGenerator(spec, rules=rules), "Customer")
    assert re.fullmatch(r"Company #\d", body["company_name"])


def test_generate_for_pointer_is_deterministic_by_key(generator: ResponseGenerator) -> None:
    one = generator.generate_for_pointer("/components/schemas/Customer", key="k1")
    assert generator.generate_for_pointer("/components/schemas/Customer", key="k1") == one
    assert generator.generate_for_pointer("/components/schemas/Customer", key="k2") != one


def test_a_frozen_body_is_plain_json_whatever_writes_it() -> None:
    """orjson writes NaN and infinities as null: the cache refuses them, as the standard library does."""
    assert freeze({"a": None, "b": [1.5]}) == b'{"a":null,"b":[1.5]}'
    for bad in ({"a": float("nan")}, {"a": None, "b": [float("-inf")]}):
        with pytest.raises(ValueError):
            freeze(bad)
    assert json.loads(freeze({"big": 2**70})) == {"big": 2**70}  # beyond orjson: the standard library's text


@pytest.mark.parametrize("parts", [
    ("response", 0, "GET", "/pets/{id}", 200, "application/json", {"id": 7},
     {"limit": 50, "q": "é\u0001\"\\"}, {}),
    ({"b": [1, (2, 3)], "a": {"z": None, "y": True}}, 0.25, -3, 1e16, 123456789.125),
    ({"amount": 0.00001, "rate": [2.5e-7, -3e-5]}, 1e-4, "a string: 0.00001e-3"),  # small floats
    (date(2024, 1, 2), datetime(2024, 1, 2, 3, 4, 5), uuid.UUID(int=5)),
    ({1: "a", 3: "b"}, 2**70, "\ud800"),  # what orjson refuses: the standard library writes them
])
def test_request_keys_are_the_canonical_json_text_bodies_were_always_seeded_with(parts: tuple[Any, ...]):
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    assert request_key(*parts) == canonical


def test_strings_hypothesis_draws_need_no_scan_of_every_unicode_character(tmp_path: Path) -> None:
    """Naming a codec for the alphabet made hypothesis try all 1.1 million characters with it on the
    process's first such string (1.6 s, most of one operation's first answer on GitHub's spec)."""
    script = textwrap.dedent("""
        import jsonschema_rs
        from hypothesis.internal import charmap
        from mockserver.generation.realism import Realism
        from mockserver.generation.strategies import HypothesisDraws
        schema = {"type": "string", "minLength": 3, "not": {"const": "abc"}}
        node = jsonschema_rs.canonicalize(schema, draft=jsonschema_rs.Draft202012)
        print([HypothesisDraws(node, Realism()).draw(node, seed) for seed in range(3)])
        print(charmap.intervals_from_codec.cache_info().currsize)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                            check=True, timeout=120)
    drawn, scanned = result.stdout.splitlines()
    assert drawn == repr([")%5aV", "Ah8_\\J3", "7;:Eu"])  # printable ASCII, as drawn with the codec named
    assert scanned == "0"


def test_a_shaped_schema_leaves_out_the_annotations_nothing_reads_after_shaping() -> None:
    """Descriptions were half of a large spec's shaped JSON, converted and checked by jsonschema-rs for
    every schema compiled; realism reads them while it shapes, and nothing reads them afterwards."""
    document = {"components": {"schemas": {"Pet": {
        "type": "object", "title": "Pet", "description": "A pet of the store", "$comment": "internal",
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The pet's id", "example": "x"},
            "contact": {"type": "string", "description": "The owner's email address", "examples": ["a@b.c"]},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
        },
    }, "Tag": {"type": "object", "description": "A tag", "externalDocs": {"url": "https://example.com"},
               "properties": {"name": {"type": "string", "title": "Name"}}}}}}
    for realism in (Realism(), None):
        text = json.dumps(shape(document, "/components/schemas/Pet", realism).schema)
        assert not re.search(r'"(title|description|example|examples|\$comment|externalDocs)":', text)
    realistic = shape(document, "/components/schemas/Pet", Realism()).schema
    assert realistic["properties"]["contact"]["format"].startswith("x-mock:")  # chosen from the annotations
