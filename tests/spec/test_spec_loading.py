"""Loading specs: one file or a folder of slices, merged, with every `$ref` local and 3.0 schemas converted.

Valid specs live in `specs/valid/<case>/`. Malformed ones live in `specs/malformed/<case>/`: the folder
`spec/` is what gets loaded and `expected.json` names the file and pointer a problem must mention, and
whether the problem only stops the load in strict mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import TESTS

from mockserver.foundation.problems import LoadError, Problem
from mockserver.spec import Operation, Spec, load_spec

SPECS = TESTS / "specs"
VALID = SPECS / "valid"
MALFORMED_CASES = sorted(path.name for path in (SPECS / "malformed").iterdir() if path.is_dir())
STRICT_CASES = [name for name in MALFORMED_CASES
                if json.loads((SPECS / "malformed" / name / "expected.json").read_text())["strict"]]
# What to load for each valid case: its folder, or its root document when other top-level files are
# only `$ref` targets.
VALID_CASES = {
    path.name: path / "openapi.yaml" if path.name == "external_refs" else path
    for path in sorted(VALID.iterdir())
    if path.is_dir()
}


def load(case: str, **options: Any) -> Spec:
    return load_spec(VALID_CASES[case], **options)


def operation(spec: Spec, name: str) -> Operation:
    found = spec.find_operation(name)
    assert found is not None, f"{name} not in {[op.key for op in spec.operations]}"
    return found


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def schema_pointers(spec: Spec) -> Iterator[str]:
    for op in spec.operations:
        yield from (parameter.schema_pointer for parameter in op.parameters)
        bodies = [op.request_body.content] if op.request_body else []
        bodies += [response.content for response in op.responses.values()]
        for content in bodies:
            yield from (media.schema_pointer for media in content.values() if media.schema_pointer)
        for response in op.responses.values():
            yield from (header.schema_pointer for header in response.headers.values())


# --- malformed specs -------------------------------------------------------------------------------------


def expected_of(case: str) -> dict[str, Any]:
    return json.loads((SPECS / "malformed" / case / "expected.json").read_text())


def matching(problems: list[Problem] | tuple[Problem, ...], expected: dict[str, Any]) -> list[Problem]:
    return [problem for problem in problems
            if expected["file"] in problem.file and expected["pointer"] in problem.pointer]


def test_there_are_enough_malformed_cases() -> None:
    assert len(MALFORMED_CASES) >= 25


@pytest.mark.parametrize("case", MALFORMED_CASES)
def test_malformed_spec_is_reported_with_file_and_pointer(case: str) -> None:
    expected = expected_of(case)
    with pytest.raises(LoadError) as raised:
        load_spec(SPECS / "malformed" / case / "spec", strict=expected["strict"])
    problems = raised.value.problems
    assert matching(problems, expected), "\n".join(str(problem) for problem in problems)
    for problem in problems:
        assert "\n" not in str(problem)
        assert str(problem).startswith(problem.file)


@pytest.mark.parametrize("case", STRICT_CASES)
def test_findings_that_only_strict_mode_rejects_are_warnings_otherwise(case: str) -> None:
    spec = load_spec(SPECS / "malformed" / case / "spec", strict=False)
    assert matching(spec.warnings, expected_of(case))


def test_skipped_operation_leaves_the_others_served() -> None:
    spec = load_spec(SPECS / "malformed" / "parameter_missing_name" / "spec")
    assert spec.operations == ()
    assert any("cannot be served" in warning.message for warning in spec.warnings)


def test_operation_using_an_invalid_schema_is_skipped_even_without_validation() -> None:
    spec = load_spec(SPECS / "malformed" / "invalid_schema_in_use" / "spec", validate=False)
    assert [op.key for op in spec.operations] == ["GET /other"]
    [warning] = spec.warnings
    assert warning.pointer == "/components/schemas/Item/properties/name/pattern"
    assert "GET /items cannot be served" in warning.message


def test_parse_errors_give_the_line() -> None:
    with pytest.raises(LoadError) as raised:
        load_spec(SPECS / "malformed" / "bad_yaml" / "spec")
    [problem] = raised.value.problems
    assert problem.line == 4
    assert "openapi.yaml:4:" in str(problem)


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("openapi: 3.1.0\ninfo: {title: a, version: '1'\n")
    (tmp_path / "b.json").write_text('{"swagger": "1.2"}')
    (tmp_path / "c.yaml").write_text("openapi: 3.1.0\ninfo: {title: c, version: '1'}\npaths: {}\n")
    with pytest.raises(LoadError) as raised:
        load_spec(tmp_path)
    assert [Path(problem.file).name for problem in raised.value.problems] == ["a.yaml", "b.json"]


def test_missing_path_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or directory"):
        load_spec(tmp_path / "nowhere.yaml")


def test_validation_can_be_skipped() -> None:
    spec = load_spec(SPECS / "malformed" / "missing_info" / "spec", validate=False, strict=True)
    assert spec.warnings == ()


# --- valid specs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(VALID_CASES))
def test_valid_spec_loads_strictly(case: str) -> None:
    assert load(case, strict=True).warnings == ()


@pytest.mark.parametrize("case", [case for case in VALID_CASES if case != "extension_refs"])
def test_every_ref_in_the_merged_document_is_local(case: str) -> None:
    assert all(ref.startswith("#/") for ref in refs_in(load(case).document))


@pytest.mark.parametrize("case", list(VALID_CASES))
def test_every_schema_pointer_compiles(case: str) -> None:
    spec = load(case)
    for pointer in schema_pointers(spec):
        spec.validator(pointer)


def test_schema_pointers_under_templated_paths_validate() -> None:
    spec = load("operation_details")
    validator = spec.validator("/paths/~1things~1{thing_id}/parameters/0/schema")
    assert validator.is_valid(3)
    assert not validator.is_valid("three")


def test_slices_merge_into_one_spec() -> None:
    spec = load("slices")
    assert sorted(op.key for op in spec.operations) == [
        "DELETE /items/{item_id}", "GET /items", "GET /items/{item_id}", "GET /status"]
    assert [Path(file).name for file in spec.files] == ["item_delete.json", "items.yaml", "status.yml"]
    assert Path(operation(spec, "deleteItem").source_file).name == "item_delete.json"
    assert Path(operation(spec, "getItem").source_file).name == "items.yaml"
    assert operation(spec, "getItem").pointer == "/paths/~1items~1{item_id}/get"
    assert set(spec.document["components"]["schemas"]) == {"Item"}
    assert [tag["name"] for tag in spec.document["tags"]] == ["items", "admin"]
    assert spec.base_path == "/v1"  # servers: the first document that has some
    assert [p.name for p in operation(spec, "deleteItem").parameters] == ["item_id"]


def test_global_security_of_each_slice_stays_with_its_operations() -> None:
    spec = load("slices")
    assert operation(spec, "listItems").security == ({"bearer": ()},)
    assert operation(spec, "deleteItem").security == ({"bearer": ()},)
    assert operation(spec, "getStatus").security == ()  # its slice declares no requirement


def test_slices_with_different_path_level_parameters_keep_each_their_own(tmp_path: Path) -> None:
    for name, schema in (("a", "integer"), ("b", "string")):
        (tmp_path / f"{name}.yaml").write_text(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x/{id}:\n"
            f"    parameters: [{{name: id, in: path, required: true, schema: {{type: {schema}}}}}]\n"
            f"    {'get' if name == 'a' else 'put'}:\n      responses: {{'200': {{description: ok}}}}\n")
    spec = load_spec(tmp_path, strict=True)
    assert operation(spec, "GET /x/{id}").parameters[0].schema == {"type": "integer"}
    assert operation(spec, "PUT /x/{id}").parameters[0].schema == {"type": "string"}


def test_external_refs_are_embedded_and_rewritten() -> None:
    spec = load("external_refs")
    names = {Path(file).name for file in spec.files}
    assert names == {"openapi.yaml", "parameters.yaml", "pets.yaml", "pet.yaml", "tag.json"}
    list_pets = operation(spec, "listPets")
    assert Path(list_pets.source_file).name == "pets.yaml"
    assert list_pets.pointer == "/get"
    [limit] = list_pets.parameters
    assert (limit.name, limit.schema) == ("limit", {"type": "integer", "maximum": 100})
    assert spec.resolve_pointer(limit.schema_pointer) == limit.schema
    pets = spec.validator(list_pets.responses["200"].content["application/json"].schema_pointer)
    assert pets.is_valid([{"name": "Rex", "tag": "dog", "owner": {"name": "Ann", "favourite_tag": "cat"}}])
    assert not pets.is_valid([{"name": "Rex", "tag": "parrot"}])


def test_examples_follow_refs_and_skip_external_values() -> None:
    body = operation(load("operation_details"), "replaceThing").request_body
    assert body is not None and body.required
    assert body.content["application/json"].examples == {
        "default": {"name": "plain"}, "named": {"name": "named"}, "shared": {"name": "shared"}}
    get_pet = operation(load("external_refs"), "getPet")
    examples = get_pet.responses["200"].content["application/json"].examples
    assert examples == {"rex": {"name": "Rex", "tag": "dog"}}


def test_recursive_schemas_stay_references() -> None:
    spec = load("recursive")
    node = spec.resolve_pointer("/components/schemas/Node")
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Node"}
    tree_pointer = operation(spec, "GET /tree").responses["200"].content["application/json"].schema_pointer
    tree = spec.validator(tree_pointer)
    assert tree.is_valid({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]})
    assert not tree.is_valid({"name": "a", "children": [{"children": []}]})
    people = operation(spec, "GET /people").responses["200"].content["application/json"].schema_pointer
    assert spec.validator(people).is_valid({"name": "p", "employer": {"name": "c", "owner": {"name": "p"}}})
    assert not spec.validator(people).is_valid({"name": "p", "employer": {"owner": {}}})


def test_openapi_30_schemas_become_json_schema_2020_12() -> None:
    spec = load("nullable30")
    schemas = spec.document["components"]["schemas"]
    thing = schemas["Thing"]["properties"]
    assert thing["name"] == {"type": ["string", "null"]}
    # OpenAPI 3.0.3: `nullable` does not add null to an enum; null is valid only where the enum lists it.
    assert thing["colour"] == {"type": ["string", "null"], "enum": ["red", "green"]}
    base = {"$ref": "#/components/schemas/Base"}
    assert thing["parent"] == {"anyOf": [{"allOf": [base]}, {"type": "null"}]}
    assert thing["sibling"] == {"anyOf": [base, {"type": "null"}]}
    assert thing["not_nullable"] == {"type": "integer"}
    assert thing["score"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 10}
    assert thing["tags"]["items"] == {"type": ["string", "null"]}
    assert schemas["Thing"]["additionalProperties"] == {"type": ["integer", "null"]}
    validator = spec.validator("/components/schemas/Thing")
    assert validator.is_valid({"name": None, "colour": "red", "parent": None, "sibling": {"id": 1},
                               "anything": None, "score": 10, "tags": ["a", None], "extra": None})
    invalids = ({"score": 0}, {"not_nullable": None}, {"parent": {}}, {"colour": "blue"}, {"colour": None})
    for invalid in invalids:
        assert not validator.is_valid(invalid), invalid


def test_openapi_30_parameter_and_header_schemas_are_converted() -> None:
    things = operation(load("nullable30"), "GET /things")
    assert things.parameters[0].schema == {"type": ["string", "null"], "format": "date"}
    assert things.responses["200"].headers["X-Next"].schema == {"type": ["string", "null"]}


def test_yaml_aliases_share_a_schema_converted_once(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    A: {type: object, properties: {x: &maybe {type: integer, nullable: true}, y: *maybe}}\n")
    properties = load_spec(tmp_path).document["components"]["schemas"]["A"]["properties"]
    assert properties["x"] == properties["y"] == {"type": ["integer", "null"]}


def test_files_in_subdirectories_are_read_only_when_referenced(tmp_path: Path) -> None:
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "broken.yaml").write_text("openapi: [\n")
    (tmp_path / "openapi.yaml").write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    assert load_spec(tmp_path).files == (str(tmp_path / "openapi.yaml"),)


def test_openapi_31_schemas_are_left_as_written(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    A: {type: string, nullable: true, exclusiveMinimum: 3}\n")
    spec = load_spec(tmp_path, validate=False)
    schema = spec.document["components"]["schemas"]["A"]
    assert schema == {"type": "string", "nullable": True, "exclusiveMinimum": 3}


def test_base_path_substitutes_server_variables() -> None:
    assert load("servers").base_path == "/api/v2"


@pytest.mark.parametrize(("servers", "base_path"), [
    ("", ""),
    ("servers: [{url: /}]\n", ""),
    ("servers: [{url: /v1}]\n", "/v1"),
    ("servers: [{url: 'http://localhost:8080'}]\n", ""),
    ("servers: [{url: 'https://example.com/a/b/'}]\n", "/a/b"),
    ("servers: [{url: 'v3'}]\n", "/v3"),
])
def test_base_path_is_the_path_of_the_first_server(tmp_path: Path, servers: str, base_path: str) -> None:
    document = f"openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\n{servers}paths: {{}}\n"
    (tmp_path / "openapi.yaml").write_text(document)
    assert load_spec(tmp_path).base_path == base_path


def test_yaml_dates_and_yaml_11_booleans_stay_strings() -> None:
    spec = load("yaml_scalars")
    response = operation(spec, "GET /holidays").responses["200"]  # an unquoted 200 is the key "200"
    example = response.content["application/json"].examples["default"]
    assert example == {"date": "2024-01-01", "at": "2024-01-01T10:00:00Z", "country": "NO", "answer": "yes",
                       "ratio": 1000.0}
    assert spec.validator(response.content["application/json"].schema_pointer).is_valid(example)


def test_explicit_yaml_tags_keep_json_types(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
        "x-data: {day: !!timestamp 2024-01-01, blob: !!binary aGk=, number: !!float 1}\n")
    assert load_spec(tmp_path).document["x-data"] == {"day": "2024-01-01", "blob": "aGk=", "number": 1.0}


def test_webhooks_are_not_operations() -> None:
    spec = load("webhooks_only")
    assert spec.operations == ()
    assert "itemCreated" in spec.document["webhooks"]


def test_unresolvable_refs_inside_extensions_are_ignored() -> None:
    spec = load("extension_refs", strict=True)
    assert spec.document["x-internal-notes"] == {"$ref": "#/nowhere"}
    response = operation(spec, "GET /items").responses["200"].content["application/json"]
    assert spec.validator(response.schema_pointer).is_valid({"x-total": 3})


def test_a_header_named_like_an_extension_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
        "        '200':\n          description: ok\n          headers:\n"
        "            x-request-id: {$ref: '#/components/headers/Missing'}\n")
    with pytest.raises(LoadError) as raised:
        load_spec(tmp_path)
    [problem] = raised.value.problems
    assert problem.pointer == "/paths/~1a/get/responses/200/headers/x-request-id/$ref"
    assert problem.line == 10


def test_literal_values_are_not_references(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n"
        "    A: {type: object, default: {$ref: nowhere.yaml}, example: {$ref: '#/nowhere'},\n"
        "        enum: [{$ref: x}]}\n")
    spec = load_spec(tmp_path)
    assert spec.document["components"]["schemas"]["A"]["default"] == {"$ref": "nowhere.yaml"}


def test_operation_parameters_follow_openapi_defaults() -> None:
    replace = operation(load("operation_details"), "replaceThing")
    parameters = {(p.location, p.name): p for p in replace.parameters}
    assert list(parameters) == [("path", "thing_id"), ("query", "trace"), ("query", "tags"),
                                ("header", "X-Trace-Id"), ("cookie", "session"), ("query", "limit"),
                                ("query", "filter")]  # Authorization and Accept headers are ignored
    assert parameters["query", "trace"].schema == {"type": "string"}  # the operation's own wins
    styles = {key: (p.style, p.explode, p.required) for key, p in parameters.items()}
    assert styles == {
        ("path", "thing_id"): ("simple", False, True),
        ("query", "trace"): ("form", True, False),
        ("query", "tags"): ("spaceDelimited", False, False),
        ("header", "X-Trace-Id"): ("simple", False, True),
        ("cookie", "session"): ("form", True, False),
        ("query", "limit"): ("form", False, False),
        ("query", "filter"): ("form", True, False),
    }
    assert parameters["query", "limit"].schema_pointer == "/components/parameters/Limit/schema"
    assert parameters["query", "filter"].schema_pointer.endswith("/content/application~1json/schema")


def test_responses_headers_and_security() -> None:
    spec = load("operation_details")
    replace = operation(spec, "replaceThing")
    assert list(replace.responses) == ["200", "4XX", "default"]
    headers = replace.responses["200"].headers
    assert list(headers) == ["X-Rate-Limit", "X-Request-Id"]  # Content-Type is described by `content`
    assert headers["X-Rate-Limit"].required
    assert headers["X-Request-Id"].schema_pointer == "/components/headers/RequestId/schema"
    assert replace.security == ({"apiKey": ()}, {"oauth": ("read", "write")})
    delete = operation(spec, "deleteThing")
    assert (delete.security, delete.responses, delete.deprecated) == ((), {}, True)
    assert operation(spec, "GET /open").security == ({"apiKey": ()},)
    assert operation(load("servers"), "GET /ping").security is None


def test_a_single_file_can_be_loaded() -> None:
    spec = load_spec(VALID / "slices" / "items.yaml")
    assert spec.openapi_version == "3.1.0"
    assert spec.document["info"]["title"] == "Items API"
    assert len(spec.operations) == 2
