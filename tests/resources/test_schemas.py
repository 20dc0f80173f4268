"""What the stateful answers read of a schema: one view per schema, however many `$ref`s reach it."""

from __future__ import annotations

from mockserver.resources.schemas import object_view, view_target

DOCUMENT = {
    "components": {"schemas": {
        "Pet": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
        "Alias": {"$ref": "#/components/schemas/Pet", "description": "annotations change no view"},
        "Extended": {"$ref": "#/components/schemas/Pet", "properties": {"tag": {"type": "string"}}},
        "Loop": {"$ref": "#/components/schemas/Loop"},
        "Remote": {"$ref": "other.yaml#/Pet"},
    }},
    "paths": {"/pets": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {
        "type": "array", "items": {"$ref": "#/components/schemas/Alias"}}}}}}}}},
}
ITEMS = "/paths/~1pets/get/responses/200/content/application~1json/schema/items"


def test_a_chain_of_references_is_viewed_where_it_ends():
    assert view_target(DOCUMENT, ITEMS) == "/components/schemas/Pet"
    pet = object_view(DOCUMENT, "/components/schemas/Pet")
    assert pet is not None and object_view(DOCUMENT, ITEMS) == pet.__class__(ITEMS, pet.properties)


def test_a_reference_that_says_more_is_its_own_view():
    assert view_target(DOCUMENT, "/components/schemas/Extended") == "/components/schemas/Extended"
    assert set(object_view(DOCUMENT, "/components/schemas/Extended").properties) == {"id", "name", "tag"}


def test_cycles_remote_references_and_plain_schemas_end_the_chain():
    assert view_target(DOCUMENT, "/components/schemas/Loop") == "/components/schemas/Loop"
    assert view_target(DOCUMENT, "/components/schemas/Remote") == "/components/schemas/Remote"
    assert view_target(DOCUMENT, "/components/schemas/Pet") == "/components/schemas/Pet"
    assert view_target(DOCUMENT, "/nowhere") == "/nowhere"
