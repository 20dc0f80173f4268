"""The bundled OpenAPI slices (`openapi/*.json`): valid OpenAPI 3.1, in the published slice shape, and
field for field what the DayZero reference pages (`../shared/seeds/*.txt`) show.

The seed pages live beside the repository (`shared/` next to the clone); without them the
page-comparison tests are skipped and only the spec-level checks run.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from helpers import OPENAPI_DIR, ROOT
from openapi_spec_validator import validate

SEEDS_DIR = ROOT.parent / "shared" / "seeds"
SLICE_FILES = sorted(OPENAPI_DIR.glob("*.json"))

EXPECTED_SLICES = {
    "list-credit-memos.json": "GET /api/v1/credit-memos",
    "get-customer-credits.json": "GET /api/v1/credit-memos/customers/{customer_id}/credits",
    "get-vendor-credits-summary.json": "GET /api/v1/vendor-credits/vendors/{vendor_id}/credits",
}
SERVERS = [{"url": "https://api.ondayzero.com", "description": "Production"}]
AUTH_HEADERS = {"authorization": "Authorization", "x-business-id": "X-Business-Id"}
ERROR_EXAMPLES = {
    "401": {"detail": "Not authenticated"},
    "403": {"detail": "Not enough permissions"},
    "404": {"detail": "Resource not found"},
}
NULL = {"type": "null"}


# --- The seed pages, parsed ---------------------------------------------------------------------


@dataclass
class PageField:
    """One `- `name` (type · ... · required) — Description` line of a page and the lines nested under it."""

    name: str
    shape: "Shape"
    expands: str | None
    children: list["PageField"] = field(default_factory=list)


@dataclass(frozen=True)
class Shape:
    """What a page line says about a field or parameter; also computed from a slice schema to compare."""

    type: str
    format: str | None
    item: str | None  # arrays: the item schema's name, or "string | integer"
    required: bool
    description: str | None


@dataclass
class PageResponse:
    description: str
    schema_name: str | None
    fields: list[PageField]


@dataclass
class SeedPage:
    title: str  # "GET /path"
    summary: str
    tag: str
    operation_id: str
    description: str
    parameters: dict[tuple[str, str], Shape]  # (name, location) -> shape
    responses: dict[str, PageResponse]

    def expanded_schemas(self) -> Iterator[tuple[str, list[PageField]]]:
        """Every schema the page lists the fields of, with those fields."""
        for response in self.responses.values():
            if response.schema_name:
                yield response.schema_name, response.fields
            yield from _nested_expansions(response.fields)


def _nested_expansions(fields: list[PageField]) -> Iterator[tuple[str, list[PageField]]]:
    for page_field in fields:
        if page_field.expands and page_field.children:
            yield page_field.expands, page_field.children
            yield from _nested_expansions(page_field.children)


FIELD_LINE = re.compile(
    r"^(?P<indent>(?:  )*)- `(?P<name>[^`]+)` \((?P<meta>[^)]*)\)"
    r"(?: → `(?P<expands>[^`]+)`)?(?: — (?P<description>.+))?$"
)
PARAMETER_LINE = re.compile(
    r"^- `(?P<name>[^`]+)` \((?P<location>\w+), (?P<type>[^,]+), (?P<presence>required|optional)\)"
    r"(?: — (?P<description>.+))?$"
)
SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
RESPONSE_HEADING = re.compile(r"^### (\d{3}|default) — (.+)$", re.MULTILINE)


def _field_shape(meta: str, description: str | None) -> Shape:
    """`string · date-time · required` -> Shape; for arrays the second token names the items."""
    kind, *rest = meta.split(" · ")
    qualifiers = [token for token in rest if token != "required"]
    detail = qualifiers[0] if qualifiers else None
    return Shape(
        type=kind,
        format=None if kind == "array" else detail,
        item=detail if kind == "array" else None,
        required="required" in rest,
        description=description,
    )


def _parse_fields(lines: list[str]) -> list[PageField]:
    roots: list[PageField] = []
    parents: list[PageField] = []  # parents[depth] is the latest field seen at that depth
    for line in lines:
        match = FIELD_LINE.match(line)
        if not match:
            continue
        depth = len(match["indent"]) // 2
        page_field = PageField(
            match["name"], _field_shape(match["meta"], match["description"]), match["expands"]
        )
        del parents[depth:]
        (parents[-1].children if parents else roots).append(page_field)
        parents.append(page_field)
    return roots


def _parse_responses(text: str) -> dict[str, PageResponse]:
    headings = list(RESPONSE_HEADING.finditer(text))
    responses = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = text[heading.end() : following.start() if following else len(text)]
        schema = re.search(r"^Schema: `([^`]+)`", body, re.MULTILINE)
        responses[heading[1]] = PageResponse(
            heading[2].strip(), schema[1] if schema else None, _parse_fields(body.splitlines())
        )
    return responses


def _parse_parameters(text: str) -> dict[tuple[str, str], Shape]:
    parameters = {}
    for match in filter(None, map(PARAMETER_LINE.match, text.splitlines())):
        parameters[match["name"], match["location"]] = Shape(
            match["type"], None, None, match["presence"] == "required", match["description"]
        )
    return parameters


def parse_seed_page(path: Path) -> SeedPage:
    text = path.read_text(encoding="utf-8")
    parts = SECTION.split(text)
    head, sections = parts[0], dict(zip(parts[1::2], parts[2::2], strict=True))

    def head_value(pattern: str) -> str:
        match = re.search(pattern, head, re.MULTILINE)
        assert match, f"{path.name}: no line matching {pattern!r}"
        return match[1].strip()

    return SeedPage(
        title=head_value(r"^# (.+)$"),
        summary=head_value(r"^> (.+)$"),
        tag=head_value(r"^- \*\*Tag:\*\* (.+)$"),
        operation_id=head_value(r"^- \*\*Operation ID:\*\* `(.+)`$"),
        description=sections.get("Description", "").strip(),
        parameters=_parse_parameters(sections.get("Parameters", "")),
        responses=_parse_responses(sections.get("Responses", "")),
    )


# --- Reading the slices ---------------------------------------------------------------------------


@cache
def load_slice(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def the_operation(doc: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(METHOD, path, operation object) of a one-operation slice."""
    [(path, path_item)] = doc["paths"].items()
    [(method, operation)] = path_item.items()
    return method.upper(), path, operation


def ref_name(schema: dict[str, Any]) -> str:
    return schema["$ref"].rsplit("/", 1)[-1]


def without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a pydantic-style `anyOf: [X, {type: null}]`, else the schema itself."""
    branches = schema.get("anyOf", [])
    if len(branches) == 2 and NULL in branches:
        return next(branch for branch in branches if branch != NULL)
    return schema


def type_label(schema: dict[str, Any]) -> str:
    """The type as the reference pages print it; they label a schema without `type` as object."""
    schema = without_null(schema)
    if "$ref" in schema:
        return ref_name(schema)
    if "anyOf" in schema:
        return " | ".join(type_label(branch) for branch in schema["anyOf"])
    return schema.get("type", "object")


def slice_shape(schema: dict[str, Any], required: bool, description: str | None) -> Shape:
    plain = without_null(schema)
    kind = type_label(plain)
    return Shape(
        type=kind,
        format=plain.get("format"),
        item=type_label(plain["items"]) if kind == "array" else None,
        required=required,
        description=description,
    )


def property_shapes(schema: dict[str, Any]) -> dict[str, Shape]:
    required = set(schema.get("required", []))
    return {
        name: slice_shape(prop, name in required, prop.get("description"))
        for name, prop in schema.get("properties", {}).items()
    }


def referenced_schema_names(node: Any, components: dict[str, Any]) -> set[str]:
    """Names of every component schema reachable from `node` through `$ref`s."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if isinstance(current.get("$ref"), str):
                name = ref_name(current)
                if name not in found:
                    found.add(name)
                    pending.append(components.get(name))
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    return found


def schema_objects(node: Any) -> Iterator[dict[str, Any]]:
    """Every component schema and every property schema, recursively."""
    if isinstance(node, dict):
        if "properties" in node:
            yield from node["properties"].values()
        for value in node.values():
            yield from schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_objects(value)


slice_files = pytest.mark.parametrize("slice_path", SLICE_FILES, ids=lambda path: path.name)


# --- Spec-level checks (no seed pages needed) -----------------------------------------------------


def test_the_three_slices_are_bundled() -> None:
    titles = {path.name: load_slice(path)["info"]["title"] for path in SLICE_FILES}
    assert titles == EXPECTED_SLICES


@slice_files
def test_slice_is_valid_openapi_3_1(slice_path: Path) -> None:
    validate(load_slice(slice_path))


@slice_files
def test_slice_has_the_published_shape(slice_path: Path) -> None:
    doc = load_slice(slice_path)
    method, path, operation = the_operation(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {
        "title": f"{method} {path}",
        "version": "1.0.0",
        "description": operation["summary"],
    }
    assert doc["servers"] == SERVERS
    assert "securitySchemes" not in doc["components"]
    assert "security" not in doc and "security" not in operation
    # FastAPI's generated id: the endpoint's function name, then the path and method with \W as "_".
    assert operation["operationId"].endswith(re.sub(r"\W", "_", path) + "_" + method.lower())


@slice_files
def test_slice_declares_the_optional_auth_headers(slice_path: Path) -> None:
    _, _, operation = the_operation(load_slice(slice_path))
    headers = {param["name"]: param for param in operation["parameters"] if param["in"] == "header"}
    assert headers == {
        name: {
            "name": name,
            "in": "header",
            "required": False,
            "schema": {"anyOf": [{"type": "string"}, NULL], "title": title},
        }
        for name, title in AUTH_HEADERS.items()
    }


@slice_files
def test_parameters_are_fastapi_style(slice_path: Path) -> None:
    _, path, operation = the_operation(load_slice(slice_path))
    for param in operation["parameters"]:
        assert "title" in param["schema"], param["name"]
        assert param["schema"].get("description") == param.get("description"), param["name"]
        if param["in"] == "path":
            assert f"{{{param['name']}}}" in path
            assert param["required"] is True
            assert param["schema"]["type"] == "string"


@slice_files
def test_components_hold_exactly_the_referenced_schemas(slice_path: Path) -> None:
    doc = load_slice(slice_path)
    components = doc["components"]["schemas"]
    assert referenced_schema_names(doc["paths"], components) == set(components)


@slice_files
def test_every_schema_has_a_title_and_models_are_objects(slice_path: Path) -> None:
    components = load_slice(slice_path)["components"]["schemas"]
    for name, schema in components.items():
        assert schema["title"] == name
        if "properties" in schema:
            assert schema["type"] == "object", name
    for prop in schema_objects(components):
        assert "title" in prop, prop


@slice_files
def test_error_responses_have_checked_detail_bodies(slice_path: Path) -> None:
    _, _, operation = the_operation(load_slice(slice_path))
    errors = {status: body for status, body in operation["responses"].items() if status in ERROR_EXAMPLES}
    assert {"401", "403"} <= set(errors)
    for status, response in errors.items():
        media = response["content"]["application/json"]
        assert media["example"] == ERROR_EXAMPLES[status]
        assert media["schema"]["required"] == ["detail"]
        assert media["schema"]["properties"]["detail"]["type"] == "string"
        assert jsonschema_rs.validator_for(media["schema"]).is_valid(media["example"])
        assert not jsonschema_rs.validator_for(media["schema"]).is_valid({"message": "nope"})


@slice_files
def test_validation_error_is_fastapis(slice_path: Path) -> None:
    doc = load_slice(slice_path)
    _, _, operation = the_operation(doc)
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HTTPValidationError"
    }
    validation_error = doc["components"]["schemas"]["ValidationError"]
    assert validation_error["required"] == ["loc", "msg", "type"]
    assert "type" not in validation_error["properties"]["input"]  # FastAPI echoes any raw input


def test_shared_components_are_identical_across_slices() -> None:
    seen: dict[str, tuple[str, str]] = {}
    for path in SLICE_FILES:
        for name, schema in load_slice(path)["components"]["schemas"].items():
            text = json.dumps(schema)
            first_file, first_text = seen.setdefault(name, (path.name, text))
            assert text == first_text, f"{name} differs between {first_file} and {path.name}"


def test_list_operation_parameters_follow_the_published_facts() -> None:
    doc = load_slice(OPENAPI_DIR / "list-credit-memos.json")
    _, _, operation = the_operation(doc)
    schemas = {param["name"]: param["schema"] for param in operation["parameters"]}
    assert schemas["has_remaining_balance"]["default"] is False
    assert schemas["limit"]["type"] == "integer"
    assert schemas["limit"]["default"] == 50
    assert not {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} & set(schemas["limit"])
    assert without_null(schemas["status"]) == {"$ref": "#/components/schemas/CreditMemoStatusEnum"}
    assert doc["components"]["schemas"]["CreditMemoStatusEnum"] == {
        "enum": ["draft", "issued", "partially_applied", "fully_applied", "void"],
        "title": "CreditMemoStatusEnum",
        "type": "string",
    }


# --- Comparison with the seed pages ---------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_pages() -> dict[str, SeedPage]:
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the DayZero reference pages the slices are compared with (seeds/*.txt) are not at "
                    f"{SEEDS_DIR}: put the shared/ folder beside the clone to run this test")
    pages = [parse_seed_page(path) for path in sorted(SEEDS_DIR.glob("*.txt"))]
    return {page.title: page for page in pages}


def page_of(doc: dict[str, Any], seed_pages: dict[str, SeedPage]) -> SeedPage:
    title = doc["info"]["title"]
    assert title in seed_pages, f"no seed page for {title}"
    return seed_pages[title]


def test_every_seed_page_has_a_slice(seed_pages: dict[str, SeedPage]) -> None:
    assert set(seed_pages) == {load_slice(path)["info"]["title"] for path in SLICE_FILES}


@slice_files
def test_operation_metadata_matches_the_page(slice_path: Path, seed_pages: dict[str, SeedPage]) -> None:
    doc = load_slice(slice_path)
    page = page_of(doc, seed_pages)
    _, _, operation = the_operation(doc)
    assert operation["tags"] == [page.tag]
    assert operation["summary"] == page.summary
    assert operation["description"] == page.description
    assert operation["operationId"] == page.operation_id


@slice_files
def test_parameters_match_the_page(slice_path: Path, seed_pages: dict[str, SeedPage]) -> None:
    doc = load_slice(slice_path)
    _, _, operation = the_operation(doc)
    documented = {
        (param["name"], param["in"]): Shape(
            type_label(param["schema"]), None, None, param["required"], param.get("description")
        )
        for param in operation["parameters"]
        if not (param["in"] == "header" and param["name"] in AUTH_HEADERS)  # pages show these as prose
    }
    assert documented == page_of(doc, seed_pages).parameters


@slice_files
def test_responses_match_the_page(slice_path: Path, seed_pages: dict[str, SeedPage]) -> None:
    doc = load_slice(slice_path)
    page = page_of(doc, seed_pages)
    _, _, operation = the_operation(doc)
    responses = operation["responses"]
    assert {status: response["description"] for status, response in responses.items()} == {
        status: response.description for status, response in page.responses.items()
    }
    for status, page_response in page.responses.items():
        if page_response.schema_name:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert ref_name(schema) == page_response.schema_name, status


@slice_files
def test_schema_fields_match_the_page(slice_path: Path, seed_pages: dict[str, SeedPage]) -> None:
    doc = load_slice(slice_path)
    components = doc["components"]["schemas"]
    for schema_name, fields in page_of(doc, seed_pages).expanded_schemas():
        assert schema_name in components, f"{slice_path.name}: no component {schema_name}"
        expected = {page_field.name: page_field.shape for page_field in fields}
        assert property_shapes(components[schema_name]) == expected, schema_name


@slice_files
def test_schemas_the_page_does_not_expand_say_they_are_inferred(
    slice_path: Path, seed_pages: dict[str, SeedPage]
) -> None:
    doc = load_slice(slice_path)
    expanded = {name for name, _ in page_of(doc, seed_pages).expanded_schemas()}
    for name, schema in doc["components"]["schemas"].items():
        if name in expanded or "properties" not in schema:
            continue
        assert "inferred" in schema.get("description", "").lower(), name
        for prop_name, prop in schema["properties"].items():
            assert "(inferred" in prop.get("description", ""), f"{name}.{prop_name}"


def test_seed_page_parser_reads_nested_fields(seed_pages: dict[str, SeedPage]) -> None:
    page = seed_pages["GET /api/v1/credit-memos"]
    expanded = dict(page.expanded_schemas())
    assert set(expanded) == {
        "CreditMemosListResponse",
        "CreditMemoResponse",
        "HTTPValidationError",
        "ValidationError",
    }
    assert len(expanded["CreditMemoResponse"]) == 31
    loc = expanded["ValidationError"][0]
    assert loc.shape == Shape("array", None, "string | integer", True, None)
    issue_date = next(f for f in expanded["CreditMemoResponse"] if f.name == "issue_date")
    assert issue_date.shape == Shape("string", "date", None, True, "Date the credit memo was issued")
