"""The validators' registry holds only the schemas the operations reach (mockserver.spec.schema_parts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs

from mockserver.spec import load_spec
from mockserver.spec.pointers import MISSING, resolve
from mockserver.spec.schema_parts import schema_parts

PET = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"},
                                                             "owner": {"$ref": "#/components/schemas/Owner"}}}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1", "description": "x" * 10_000},
    "paths": {"/pets/{id}": {"get": {
        "description": "y" * 10_000,
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"$ref": "#/components/schemas/Id"}}],
        "responses": {"200": {"description": "a pet", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Pet"},
            "examples": {"rex": {"value": {"id": 1, "$ref": "#/components/schemas/Unused"}}}}}}}}}},
    "components": {"schemas": {
        "Id": {"type": "integer", "minimum": 1},
        "Pet": PET,
        "Owner": {"type": "object", "properties": {
            "pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
            "name": {"$ref": "#/components/schemas/Pet%20Name"}}},
        "Pet Name": {"type": "string", "maxLength": 5},
        "Unused": {"type": "string", "description": "z" * 10_000}}},
}
ROOTS = ["/paths/~1pets~1{id}/get/parameters/0/schema",
         "/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema"]


def test_the_parts_hold_the_schemas_the_roots_reach_at_their_own_pointers() -> None:
    parts = schema_parts(DOCUMENT, ROOTS)
    assert parts is not None
    assert set(parts) == {"paths", "components"}
    assert set(parts["components"]["schemas"]) == {"Id", "Pet", "Owner", "Pet Name"}  # not Unused
    operation = parts["paths"]["/pets/{id}"]["get"]
    assert set(operation) == {"parameters", "responses"}  # no description
    assert operation["parameters"]["0"] == {"schema": {"$ref": "#/components/schemas/Id"}}
    assert resolve(parts, "/components/schemas/Pet/properties/id") == {"type": "integer"}
    assert resolve(parts, "/components/schemas/Unused") is MISSING
    assert resolve(parts, "/components/schemas/Pe") is MISSING


def test_validators_read_the_parts_as_they_read_the_whole_document() -> None:
    parts = schema_parts(DOCUMENT, ROOTS)
    assert parts is not None
    good = {"id": 1, "owner": {"name": "Rex", "pets": [{"id": 2}]}}, 3
    bad = {"id": 1, "owner": {"name": "Rexford"}}, 0
    for root, valid, invalid in zip(reversed(ROOTS), good, bad, strict=True):
        reference = f"urn:test#{root}".replace("{", "%7B").replace("}", "%7D")
        for document in (DOCUMENT, parts):
            registry = jsonschema_rs.Registry([("urn:test", document)], draft=jsonschema_rs.Draft202012)
            validator = jsonschema_rs.validator_for({"$ref": reference}, registry=registry)
            assert validator.is_valid(valid)
            assert not validator.is_valid(invalid)


def test_a_reference_that_is_not_a_pointer_into_the_document_needs_the_whole_document() -> None:
    for reference in ("#pet-anchor", "other.yaml#/Pet", "#"):
        document = {**DOCUMENT, "components": {"schemas": {**DOCUMENT["components"]["schemas"],
                                                           "Id": {"$ref": reference}}}}
        assert schema_parts(document, ROOTS) is None


def test_a_spec_validates_schemas_outside_the_parts_against_the_whole_document(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text(json.dumps(DOCUMENT))
    spec = load_spec(tmp_path / "api.json")
    pet = spec.validator("/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema")
    assert pet.is_valid({"id": 1, "owner": {"name": "Rex"}})
    assert not pet.is_valid({"id": 1, "owner": {"name": "Rexford"}})
    unused = spec.validator("/components/schemas/Unused")  # reached by no operation
    assert unused.is_valid("text") and not unused.is_valid(5)


def test_what_orjson_cannot_write_is_read_too() -> None:
    """A lone surrogate in a description, an integer beyond 64 bits in an example: JSON all the same."""
    document = {"components": {"schemas": {
        "A": {"description": "\ud800", "example": 2**70,
              "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "string"}, "C": {"type": "integer"}}}}
    parts = schema_parts(document, ["/components/schemas/A"])
    assert parts is not None
    assert set(parts["components"]["schemas"]) == {"A", "B"}


def test_references_with_escaped_or_non_ascii_characters_are_followed() -> None:
    document = {"components": {"schemas": {
        "Root": {"properties": {"a": {"$ref": "#/components/schemas/Café"},
                                "b": {"$ref": '#/components/schemas/Say "hi"\\now'}}},
        "Café": {"type": "string"},
        'Say "hi"\\now': {"type": "integer"},
        "Unused": {"type": "null"}}}}
    parts = schema_parts(document, ["/components/schemas/Root"])
    assert parts is not None
    assert set(parts["components"]["schemas"]) == {"Root", "Café", 'Say "hi"\\now'}
