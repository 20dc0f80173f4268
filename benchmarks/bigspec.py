"""A large synthetic OpenAPI 3.0 document, for start-up and memory figures on specs of GitHub's size.

    python benchmarks/bigspec.py big.json [--resources 250] [--fields 60]

Each resource brings 8 schemas and 4 operations (list, create, read, update), so the default 250
resources make 2,000 resource schemas and 1,000 operations (plus a delete for every fifth resource).
The schemas are as tangled as real ones: every resource refers to its neighbours' summaries, every
summary back to a full resource (so each schema reaches the whole graph through `$ref`s), writes are
`allOf` compositions, links are `oneOf`, and each resource has a recursive tree of nodes. Records are
wide (60 more fields each by default, some of them references too), which puts the document near the
size of GitHub's (13 MB). Written as
OpenAPI 3.0 with `nullable`, as GitHub's spec is, so loading includes the 3.0 to 2020-12 conversion.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_RESOURCES = 250
DEFAULT_FIELDS = 60
_WORDS = (
    "account", "invoice", "payment", "order", "shipment", "customer", "vendor", "ledger", "budget",
    "project", "ticket", "release", "report", "contract", "asset", "device", "policy", "claim",
    "booking", "review",
)
_PADDING = (
    "Returned by the list and read operations; fields marked read-only are ignored when writing. "
    "Timestamps are UTC in RFC 3339 format and amounts are minor units of the record's currency."
)


def resource_names(count: int) -> list[str]:
    """Distinct CamelCase names: Account, Invoice, ..., then Account2, Invoice2, ..."""
    names = []
    for index in range(count):
        word = _WORDS[index % len(_WORDS)].capitalize()
        round_ = index // len(_WORDS)
        names.append(word if round_ == 0 else f"{word}{round_ + 1}")
    return names


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable_ref(name: str) -> dict[str, Any]:
    return {"allOf": [_ref(name)], "nullable": True}


def extra_fields(names: list[str], index: int, count: int) -> dict[str, dict[str, Any]]:
    """`count` more properties, as wide records have: scalars of every kind and more references."""
    fields: dict[str, dict[str, Any]] = {}
    for number in range(count):
        kind = number % 7
        described = {"description": f"Field {number} of the {names[index].lower()}. {_PADDING}"}
        if kind == 0:
            fields[f"text_{number}"] = {"type": "string", "maxLength": 64, "example": "sample", **described}
        elif kind == 1:
            fields[f"count_{number}"] = {"type": "integer", "minimum": 0, "maximum": 100000, **described}
        elif kind == 2:
            fields[f"when_{number}"] = {
                "type": "string", "format": "date-time", "nullable": True, **described
            }
        elif kind == 3:
            fields[f"ref_{number}"] = _ref(f"{names[(index * 7 + number) % len(names)]}Summary")
        elif kind == 4:
            target = names[(index * 13 + number) % len(names)]
            fields[f"refs_{number}"] = {"type": "array", "items": _ref(f"{target}Summary"), "maxItems": 2}
        elif kind == 5:
            fields[f"choice_{number}"] = {"type": "string", "enum": ["alpha", "beta", "gamma"], **described}
        else:
            fields[f"flag_{number}"] = {"type": "boolean", **described}
    return fields


def resource_schemas(names: list[str], index: int, fields: int) -> dict[str, dict[str, Any]]:
    """The 8 schemas of resource `index`, wired to its neighbours; `fields` more properties on the record."""
    name, count = names[index], len(names)
    neighbour = names[(index + 1) % count]
    far = names[(index + 7) % count]
    linked = names[(index + 2) % count]
    return {
        name: {
            "type": "object",
            "description": f"A {name.lower()}. {_PADDING}",
            "required": ["id", "name", "status", "created_at", "owner"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "readOnly": True},
                "name": {"type": "string", "minLength": 1, "maxLength": 80, "description": "Display name."},
                "status": _ref(f"{name}Status"),
                "amount": {"type": "integer", "minimum": 0, "description": "Minor units."},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "created_at": {"type": "string", "format": "date-time", "readOnly": True},
                "updated_at": {"type": "string", "format": "date-time", "nullable": True},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                "owner": _ref(f"{neighbour}Summary"),
                "related": {"type": "array", "items": _ref(f"{far}Summary"), "maxItems": 3},
                "link": _ref(f"{name}Link"),
                "tree": _ref(f"{name}Node"),
                "metadata": _ref("Metadata"),
                "address": _nullable_ref("Address"),
                **extra_fields(names, index, fields),
            },
        },
        f"{name}Status": {"type": "string", "enum": ["draft", "open", "closed", "void"]},
        f"{name}Summary": {
            "type": "object",
            "description": f"A short form of a {name.lower()}, embedded in other records.",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "maxLength": 80},
                "status": _ref(f"{name}Status"),
                "parent": _nullable_ref(neighbour),
            },
        },
        f"{name}Create": {
            "allOf": [
                _ref("BaseWrite"),
                {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 80},
                        "amount": {"type": "integer", "minimum": 0},
                        "status": _ref(f"{name}Status"),
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                    },
                },
            ]
        },
        f"{name}Update": {
            "allOf": [
                _ref(f"{name}Create"),
                {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 200}}},
            ]
        },
        f"{name}Link": {"oneOf": [_ref("ExternalLink"), _ref(f"{linked}Summary")]},
        f"{name}Node": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string", "maxLength": 40},
                "children": {"type": "array", "items": _ref(f"{name}Node"), "maxItems": 2},
            },
        },
        f"{name}List": {
            "type": "object",
            "required": ["items", "total"],
            "properties": {
                "items": {"type": "array", "items": _ref(name)},
                "total": {"type": "integer", "minimum": 0},
                "next_cursor": {"type": "string", "nullable": True},
            },
        },
    }


def shared_schemas() -> dict[str, dict[str, Any]]:
    return {
        "Error": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
        },
        "Metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 40}},
        "Address": {
            "type": "object",
            "required": ["line1", "country"],
            "properties": {
                "line1": {"type": "string"},
                "city": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
            },
        },
        "BaseWrite": {
            "type": "object",
            "properties": {"idempotency_note": {"type": "string", "maxLength": 64}},
        },
        "ExternalLink": {
            "type": "string",
            "format": "uri",
        },
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _errors() -> dict[str, Any]:
    return {
        "401": {"description": "Not authenticated", "content": _json(_ref("Error"))},
        "422": {"description": "Invalid request", "content": _json(_ref("Error"))},
    }


def resource_paths(name: str, *, with_delete: bool) -> dict[str, Any]:
    """The operations of one resource: list and create on the collection; read and update on an item."""
    collection = f"/{name.lower()}s"
    item_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    paging = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        {"name": "status", "in": "query", "schema": _ref(f"{name}Status")},
    ]
    item: dict[str, Any] = {
        "get": {
            "operationId": f"get{name}",
            "summary": f"Read a {name.lower()}",
            "parameters": [item_id],
            "responses": {
                "200": {"description": "The record", "content": _json(_ref(name))},
                "404": {"description": "Not found", "content": _json(_ref("Error"))},
                **_errors(),
            },
        },
        "patch": {
            "operationId": f"update{name}",
            "summary": f"Update a {name.lower()}",
            "parameters": [item_id],
            "requestBody": {"required": True, "content": _json(_ref(f"{name}Update"))},
            "responses": {"200": {"description": "Updated", "content": _json(_ref(name))}, **_errors()},
        },
    }
    if with_delete:
        item["delete"] = {
            "operationId": f"delete{name}",
            "parameters": [item_id],
            "responses": {"204": {"description": "Deleted"}, **_errors()},
        }
    return {
        collection: {
            "get": {
                "operationId": f"list{name}s",
                "summary": f"List {name.lower()}s",
                "parameters": paging,
                "responses": {"200": {"description": "A page", "content": _json(_ref(f"{name}List"))},
                              **_errors()},
            },
            "post": {
                "operationId": f"create{name}",
                "summary": f"Create a {name.lower()}",
                "requestBody": {"required": True, "content": _json(_ref(f"{name}Create"))},
                "responses": {"201": {"description": "Created", "content": _json(_ref(name))}, **_errors()},
            },
        },
        f"{collection}/{{id}}": item,
    }


def big_spec(resources: int = DEFAULT_RESOURCES, fields: int = DEFAULT_FIELDS) -> dict[str, Any]:
    """The whole document."""
    names = resource_names(resources)
    schemas = shared_schemas()
    paths: dict[str, Any] = {}
    for index, name in enumerate(names):
        schemas.update(resource_schemas(names, index, fields))
        paths.update(resource_paths(name, with_delete=index % 5 == 0))
    return {
        "openapi": "3.0.3",
        "info": {"title": "Synthetic large API", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.test"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def write_big_spec(path: Path, resources: int = DEFAULT_RESOURCES, fields: int = DEFAULT_FIELDS
                   ) -> dict[str, int]:
    """Write the document to `path`; returns its counts (operations, schemas, bytes)."""
    document = big_spec(resources, fields)
    text = json.dumps(document, indent=1)
    path.write_text(text, encoding="utf-8")
    operations = sum(len(item) for item in document["paths"].values())
    return {"operations": operations, "schemas": len(document["components"]["schemas"]), "bytes": len(text)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--resources", type=int, default=DEFAULT_RESOURCES)
    parser.add_argument("--fields", type=int, default=DEFAULT_FIELDS, help="extra properties per record")
    args = parser.parse_args()
    counts = write_big_spec(args.output, args.resources, args.fields)
    print(f"{args.output}: {counts['operations']} operations, {counts['schemas']} schemas, "
          f"{counts['bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
