"""Building blocks of the contract suite: masking, ids, auth probes, tenancy, shapes, the document."""

from __future__ import annotations

import shlex

import pytest

from mockserver.contract.auth_probes import malformed_value, rule_probes
from mockserver.contract.document import schemathesis_document
from mockserver.contract.ids import IdPool, parameter_keys
from mockserver.contract.shapes import shape_differences
from mockserver.contract.tenancy import foreign_records, tenancy_of
from mockserver.foundation.config import HeaderRule, MockConfig
from mockserver.foundation.masking import Masker

TOKEN_RULE = HeaderRule(name="token", header="Authorization", scheme="bearer", status=401)
TENANT_RULE = HeaderRule(name="tenant", header="x-tenant-id", format="uuid", status=403)
PATTERN_RULE = HeaderRule(header="x-key", pattern=r"k-\d{4}", status=401)


def test_masked_values_become_shell_variables_in_commands() -> None:
    masker = Masker()
    masker.add_variable("s3cr3t", "MOCKSERVER_TOKEN")
    word = masker.shell_word("Authorization: Bearer s3cr3t")
    assert "s3cr3t" not in word
    assert shlex.split(word) == ["Authorization: Bearer ${MOCKSERVER_TOKEN}"]  # expands once exported
    assert masker.mask("?token=s3cr3t, s3cr3t") == "?token=${MOCKSERVER_TOKEN}, ${MOCKSERVER_TOKEN}"


def test_masking_covers_percent_encoded_values_and_sensitive_headers() -> None:
    masker = Masker()
    masker.add_variable("a b/c", "MOCKSERVER_TENANT")
    masker.add_headers({"X-Api-Key": "key-123", "X-Request-Source": "ci"})
    assert masker.mask("/items?tenant=a%20b%2Fc") == "/items?tenant=${MOCKSERVER_TENANT}"
    assert masker.mask("key-123 from ci") == "*** from ci"


@pytest.mark.parametrize(
    ("path", "name", "keys"),
    [
        ("/customers/{customer_id}/credits", "customer_id", ["customer_id"]),
        ("/customers/{customerId}", "customerId", ["customer_id"]),
        ("/credit-memos/{id}", "id", ["credit_memo_id", "id"]),
        ("/{id}", "id", ["id"]),
    ],
)
def test_path_parameters_match_ids_by_name(path: str, name: str, keys: list[str]) -> None:
    assert parameter_keys(path, name) == keys


def test_ids_are_harvested_from_fields_and_from_listed_items() -> None:
    pool = IdPool()
    pool.harvest("/api/credit-memos", {"items": [{"id": "m1", "customer_id": "c1", "lines": [{"id": "l1"}]}]})
    assert pool.first("/credit-memos/{id}", "id") == "m1"
    assert pool.first("/customers/{customer_id}", "customer_id") == "c1"
    assert pool.first("/lines/{line_id}", "line_id") == "l1"
    assert pool.first("/vendors/{vendor_id}", "vendor_id") is None


def test_given_ids_are_always_used_and_harvested_ones_leave_room_for_404s() -> None:
    pool = IdPool()
    pool.harvest("/customers", [{"id": "c1"}])
    choices = {pool.choose("/customers/{customer_id}", "customer_id", generated) for generated in range(50)}
    assert choices == {"c1", None}
    pool.give("customer_id", "given")
    assert {pool.choose("/customers/{customer_id}", "customer_id", n) for n in range(20)} == {"given"}


@pytest.mark.parametrize("rule", [TOKEN_RULE, TENANT_RULE, PATTERN_RULE])
def test_malformed_values_are_rejected_by_the_rule_itself(rule: HeaderRule) -> None:
    from mockserver.http.auth import Credentials, header_rule_check

    value = malformed_value(rule, "Bearer abc")
    assert value is not None
    assert header_rule_check(rule)(Credentials({rule.header: value}, {}, {})) is not None


def test_each_rule_gets_a_missing_and_a_malformed_probe_with_its_status() -> None:
    headers = {"Authorization": "Bearer abc", "x-tenant-id": "5b6f1a30-1c1e-4a57-9a3e-7d8f6b1f2a10"}
    probes = rule_probes(TENANT_RULE, headers)
    assert [probe.expected_status for probe in probes] == [403, 403]
    assert "x-tenant-id" not in {name.lower() for name in probes[0].headers}
    assert probes[1].headers["Authorization"] == "Bearer abc"
    assert rule_probes(TENANT_RULE, {"Authorization": "Bearer abc"}) == []  # nothing to take away


def test_tenant_field_defaults_to_the_header_name_and_finds_foreign_records() -> None:
    tenancy = tenancy_of(MockConfig(tenant_header="x-tenant-id"))
    assert tenancy is not None and tenancy.field == "tenant_id"
    body = {"items": [{"tenant_id": "A"}, {"tenant_id": "b"}, {"nested": {"tenant_id": "a"}}]}
    assert list(foreign_records(body, "tenant_id", "a")) == [("/items/1", "b")]
    assert tenancy_of(MockConfig()) is None


def test_shapes_compare_keys_and_types_but_not_values() -> None:
    assert shape_differences({"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": [{"c": "y"}, {"c": "z"}]}) == []
    assert shape_differences({"a": None, "b": []}, {"a": "set", "b": [1]}) == []
    assert shape_differences({"a": 1, "b": "x"}, {"a": "1", "c": True}) == [
        "/b: present vs missing", "/c: missing vs present", "/a: integer vs string",
    ]
    assert shape_differences([{"n": 1}], [{"n": 1.5}]) == ["/*/n: integer vs number"]


def test_parameter_schemas_are_inlined_for_schemathesis() -> None:
    reference = {"$ref": "#/components/schemas/S"}
    parameter = {"name": "s", "in": "query", "schema": {"anyOf": [reference, {"type": "null"}]}}
    document = {
        "openapi": "3.1.0",
        "paths": {"/x": {"get": {"parameters": [parameter]}}},
        "components": {"schemas": {"S": {"enum": ["a", "b"]}}},
    }
    inlined = schemathesis_document(document)
    schema = inlined["paths"]["/x"]["get"]["parameters"][0]["schema"]
    assert schema == {"anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]}
    assert parameter["schema"]["anyOf"][0] == reference  # the mock's document is left as it is
