"""Issue 15 §5: secrets never leak: masked by name (and by the spec's security schemes) in every output.

Outputs: the request log, the journal (admin API; the admin page shows it, see the browser tests),
contract reports and recordings (the recorder: test_security_record.py).
"""

from __future__ import annotations

import io
import json
import shlex
import textwrap
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from mockserver.contract.report import curl_command
from mockserver.contract.results import SentRequest
from mockserver.foundation.masking import Masker, is_secret_name, mask_body
from mockserver.serving.options import ServeOptions
from mockserver.serving.stack import build_mock, build_stack

SECRETS = ["k3y-value", "au7h-value", "s1g-value", "x-auth-value", "x-signature-value", "x-credentials-value",
           "c00kie-value", "b3arer-value", "pa55word-value", "nested-api-key-value", "t0ken-in-a-list",
           "form-passwd-value", "declared-ident-value", "declared-query-value", "session-value"]

SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Shop, version: "1"}
    components:
      securitySchemes:
        shop: {type: apiKey, in: header, name: X-Shop-Ident}
        partner: {type: apiKey, in: query, name: partner}
    paths:
      /orders:
        post:
          operationId: createOrder
          requestBody:
            content:
              application/json: {schema: {type: object}}
              application/x-www-form-urlencoded: {schema: {type: object}}
          responses:
            "201": {description: created, content: {application/json: {schema: {type: object}, example: {}}}}
        get:
          operationId: listOrders
          responses:
            "200":
              description: the orders
              content: {application/json: {schema: {type: array}, example: []}}
    """)


@pytest.mark.parametrize("name", [
    "key", "api_key", "apiKey", "X-API-KEY", "apikey", "auth", "X-Auth", "Authorization",
    "Proxy-Authorization", "oauth", "token", "access_token", "X-Auth-Token", "secret", "client_secret",
    "signature", "X-Signature",
    "sig", "X-Amz-Signature", "password", "passwd", "new_password", "credential", "X-Credentials", "session",
    "sessionId", "JSESSIONID", "cookie", "Set-Cookie",
])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["limit", "author", "authors", "monkey", "design", "signal", "keyword",
                                  "X-Request-Source", "name", "id", "x-business-id", "assignment"])
def test_names_that_are_not_secret(name):
    assert not is_secret_name(name)


def test_names_the_spec_declares_are_secret():
    assert is_secret_name("X-Shop-Ident", frozenset({"x-shop-ident"}))
    assert not is_secret_name("X-Shop-Ident")


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("shop") / "shop.yaml"
    path.write_text(SPEC)
    return path


def _send_secrets(client: TestClient) -> None:
    query = urlencode({"key": "k3y-value", "auth": "au7h-value", "sig": "s1g-value", "limit": "5",
                       "partner": "declared-query-value"})
    headers = {"X-Auth": "x-auth-value", "X-Signature": "x-signature-value",
               "X-Credentials": "x-credentials-value", "Cookie": "session=c00kie-value",
               "Authorization": "Bearer b3arer-value", "X-Shop-Ident": "declared-ident-value",
               "X-Request-Source": "kept-visible"}
    client.post(f"/orders?{query}", headers=headers,
                json={"user": "ada", "password": "pa55word-value",
                      "settings": {"api_key": "nested-api-key-value"},
                      "devices": [{"token": "t0ken-in-a-list", "model": "kept-model"}]})
    client.post("/orders", content=urlencode({"user": "ada", "passwd": "form-passwd-value"}),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    client.post("/orders", content=json.dumps({"session": "session-value", "note": "x" * 70_000}),
                headers={"Content-Type": "application/json"})  # cut by the journal: no longer parseable


def test_the_journal_masks_headers_query_and_body_fields(spec_file):
    stack = build_stack(ServeOptions(spec_file, None, log_format=None))
    client = TestClient(stack.asgi, base_url="http://127.0.0.1:4010")
    _send_secrets(client)
    text = client.get("/__mock__/requests").text
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == []
    journal = client.get("/__mock__/requests").json()["requests"]
    json_entry = journal[2]
    assert json_entry["headers"]["authorization"] == "Bearer ***"
    assert json_entry["headers"]["x-request-source"] == "kept-visible"
    assert "limit=5" in json_entry["query"] and "key=***" in json_entry["query"]
    assert json.loads(json_entry["body"]) == {
        "user": "ada", "password": "***", "settings": {"api_key": "***"},
        "devices": [{"token": "***", "model": "kept-model"}]}
    assert journal[1]["body"] == "user=ada&passwd=***"
    assert journal[0]["body"].startswith('{"session": "***"')


def test_the_request_log_masks_the_query(spec_file):
    for log_format in ("text", "json"):
        stream = io.StringIO()
        options = ServeOptions(spec_file, None, log_format=log_format, log_stream=stream)
        client = TestClient(build_mock(options))
        _send_secrets(client)
        printed = stream.getvalue()
        assert [secret for secret in SECRETS if secret in printed] == []
        assert "limit=5" in printed and "key=***" in printed and "partner=***" in printed


def test_a_truncated_or_plain_body_is_masked_where_it_reads_name_value():
    assert mask_body(b'{"a": 1, "password": "pa55wo', "application/json") == '{"a": 1, "password": "***"'
    assert mask_body(b"token=abc&page=2 secret=xyz", "text/plain") == "token=***&page=2 secret=***"
    assert mask_body(b'{"name": "kept"}', "application/json") == '{"name": "kept"}'


def test_contract_curl_commands_mask_secret_headers_query_and_body_fields():
    masker = Masker()
    masker.add_variable("env-token", "MOCKSERVER_TOKEN")
    request = SentRequest(
        "POST", "https://api.example.com/orders?sig=s1g-value&page=2",
        (("Authorization", "Bearer env-token"), ("X-Signature", "x-signature-value"),
         ("Content-Type", "application/json"), ("X-Request-Source", "ci")),
        json.dumps({"password": "pa55word-value", "name": "kept"}).encode())
    command = curl_command(request, masker)
    assert [secret for secret in SECRETS if secret in command] == []
    words = shlex.split(command)
    assert "Authorization: Bearer ${MOCKSERVER_TOKEN}" in words  # a known secret still runs once exported
    assert "X-Signature: ***" in words and "X-Request-Source: ci" in words
    assert "page=2" in command and "kept" in command
