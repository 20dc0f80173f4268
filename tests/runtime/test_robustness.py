"""Bad input never becomes a 500: hostile requests, fuzzed raw requests, broken config and fixture files, and
memory that stays flat.

Requests go straight to the ASGI app (no HTTP client in between), so anything a socket can carry is sent
as it is: invalid UTF-8 and percent-encoding, any method, huge headers, bodies in chunks. Every answer is
a 4xx (or a success) that either conforms to the spec (a documented status and a schema-valid body) or is
plainly the mock's own (`X-Mock-Error`, or 404/405 for what no operation serves). The fuzz sends 2,000
requests to each operation of the bundled API, and a few dozen with bodies of every kind to each corpus
operation. Broken config and fixture files live in `fixtures_malformed/<case>/fixtures`, with what
`mockserver check` must say in `expected.json`.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import tracemalloc
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from helpers import BUSINESS_A, BUSINESS_B, FIXTURES_DIR, OPENAPI_DIR, TESTS, TOKEN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver import create_app
from mockserver.cli import main
from mockserver.datasets import binding
from mockserver.http import routing
from mockserver.http.negotiation import response_key_for
from mockserver.runtime import memo
from mockserver.runtime.app import MAX_BODY_BYTES, MOCK_ERROR_HEADER, MockApp
from mockserver.spec.model import HTTP_METHODS, Operation
from mockserver.validation import checkers

CORPUS = TESTS / "corpus"
BUNDLED = create_app(OPENAPI_DIR, FIXTURES_DIR)
BODIES = create_app(CORPUS / "request_bodies.yaml")
LIST_PATH = "/api/v1/credit-memos"
AUTH = [(b"authorization", f"Bearer {TOKEN}".encode()), (b"x-business-id", BUSINESS_A.encode())]
JSON = [(b"content-type", b"application/json")]
FUZZ_REQUESTS_PER_OPERATION = 2000


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def send(
    app: MockApp,
    method: str,
    path: bytes | str,
    query: bytes | str = b"",
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    chunk_size: int | None = None,
    disconnect_after_first_chunk: bool = False,
) -> RawResponse:
    """One request through the ASGI app, bytes as given; the body in chunks of `chunk_size` if set."""
    raw_path = path.encode("latin-1") if isinstance(path, str) else path
    raw_query = query.encode("latin-1") if isinstance(query, str) else query
    size = chunk_size or max(len(body), 1)
    chunks = [body[start : start + size] for start in range(0, len(body), size)] or [b""]
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    if disconnect_after_first_chunk:
        del incoming[1:]  # the first says more is coming; then the client is gone
    framing = []  # what an HTTP/1.1 client says of its body (chunks: no length known in advance)
    if chunk_size is not None:
        framing = [(b"transfer-encoding", b"chunked")]
    elif body:
        framing = [(b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": raw_query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in headers] + framing,
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send_message(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send_message))
    start = next(message for message in sent if message["type"] == "http.response.start")
    body_out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in start["headers"]}
    return RawResponse(start["status"], names, body_out)


def assert_answered_properly(app: MockApp, method: str, response: RawResponse) -> None:
    """A non-5xx answer that conforms to the operation it came from, or is plainly the mock's own."""
    assert response.status < 500, (response.status, response.body[:500])
    entry = app.state.calls()[-1]
    if MOCK_ERROR_HEADER.lower() in response.headers:
        assert 400 <= response.status < 500
        return
    if entry.operation is None:
        assert response.status in (404, 405), response.status
        return
    operation = app.spec.find_operation(entry.operation)
    assert operation is not None
    assert_conforms(app, operation, method, response)


def assert_conforms(app: MockApp, operation: Operation, method: str, response: RawResponse) -> None:
    if not operation.responses:
        return  # it documents no response: none can conform, none can break it
    key = response_key_for(operation, response.status)
    assert key is not None, f"{operation.key} answered an undocumented {response.status}"
    documented = operation.responses[key]
    if not documented.content or method == "HEAD" or response.status in (204, 304):
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    media = documented.content.get(media_type) or next(
        (m for name, m in documented.content.items() if name.endswith("json") and "json" in media_type), None
    )
    assert media is not None, f"{operation.key} {response.status} answered {media_type!r}"
    if media.schema_pointer is not None and "json" in media_type:
        assert app.spec.validator(media.schema_pointer).is_valid(response.json()), response.body[:500]


# --- hostile requests, one by one ----------------------------------------------------------------------

HOSTILE_QUERIES = [
    pytest.param("limit=" + "9" * 5000, id="huge-integer"),
    pytest.param("search=" + "x" * 1_000_000, id="1-MB-value"),
    pytest.param("&".join(f"k{index}=v" for index in range(20_000)), id="20000-keys"),
    pytest.param("limit=5&limit=abc&limit=&limit=7", id="duplicate-keys"),
    pytest.param("status=%ff%fe&search=%e2%82", id="invalid-utf8-escapes"),
    pytest.param("search=%zz&cursor=%&customer_id=%%41", id="invalid-percent-encoding"),
    pytest.param("search=caf\xe9\xff\x00&\xff=\xfe", id="raw-non-utf8-bytes"),
    pytest.param("cursor=not-a-cursor", id="malformed-cursor"),
    pytest.param("cursor=" + base64.urlsafe_b64encode(b'{"offset": -5}').decode(), id="forged-cursor"),
    pytest.param("cursor=" + base64.urlsafe_b64encode(b"\xff" * 64).decode(), id="binary-cursor"),
    pytest.param("cursor=%00%00", id="nul-cursor"),
    pytest.param("limit=-1&limit=0", id="negative-limit"),
    pytest.param("__code=abc&__seed=x&__dynamic=maybe&__example=nope", id="bad-prefer-query"),
    pytest.param("has_remaining_balance=maybe&status[]=x&status[a]=b", id="bad-types"),
    pytest.param("=&&&=&==", id="empty-keys"),
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_strings_get_a_proper_answer(query: str) -> None:
    response = send(BUNDLED, "GET", LIST_PATH, query, AUTH)
    assert_answered_properly(BUNDLED, "GET", response)


HOSTILE_PATHS = [
    pytest.param(b"/api/v1/credit-memos/customers/%ff%fe/credits", id="invalid-utf8-escape"),
    pytest.param(b"/api/v1/credit-memos/customers/\xff\xfe/credits", id="raw-non-utf8"),
    pytest.param(b"/api/v1/credit-memos/customers/%zz%/credits", id="invalid-percent-encoding"),
    pytest.param(b"/api/v1/credit-memos/customers/" + b"a" * 100_000 + b"/credits", id="huge-segment"),
    pytest.param(b"/api/v1/credit-memos/customers/%2F%2E%2E/credits", id="encoded-slash-dots"),
    pytest.param(b"/api/v1/../v1/credit-memos", id="dot-dot"),
    pytest.param(b"//api///v1//credit-memos//", id="repeated-slashes"),
    pytest.param(b"/" + b"/x" * 10_000, id="ten-thousand-segments"),
    pytest.param(b"", id="empty"),
    pytest.param(b"*", id="asterisk"),
    pytest.param(b"http://evil.example/api/v1/credit-memos", id="absolute-uri"),
    pytest.param(b"/api/v1/credit-memos%00", id="nul"),
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_paths_get_a_proper_answer(path: bytes) -> None:
    response = send(BUNDLED, "GET", path, b"", AUTH)
    assert_answered_properly(BUNDLED, "GET", response)


HOSTILE_HEADERS = [
    pytest.param([(b"x-business-id", b"x" * 200_000)], id="200-KB-header"),
    pytest.param([(f"x-h{index}".encode(), b"v") for index in range(5000)], id="5000-headers"),
    pytest.param([(b"authorization", b"Bearer \xff\xfe\x00")], id="non-utf8-token"),
    pytest.param([(b"authorization", b"Bearer " + b"t" * 100_000)], id="huge-token"),
    pytest.param([(b"authorization", b"Basic !!!not-base64")], id="bad-basic"),
    pytest.param([(b"x-business-id", b"\xff\xfe")], id="non-utf8-business-id"),
    pytest.param([(b"accept", b"\xff/\xfe;q=abc, ;;;, */*;q=-1")], id="garbage-accept"),
    pytest.param([(b"accept", b"text/html")], id="unacceptable-accept"),
    pytest.param([(b"prefer", b"code=\xff; example=; dynamic=perhaps; seed=1e9")], id="garbage-prefer"),
    pytest.param([(b"prefer", b"code=599")], id="undocumented-code"),
    pytest.param([(b"cookie", b"=;;\xff=\xfe; a=\"unterminated")], id="garbage-cookie"),
    pytest.param([(b"content-type", b"\xff/\xfe; charset=\x00")], id="garbage-content-type"),
    pytest.param([(b"x-mock-scenario", b"\xff\xfe")], id="garbage-scenario"),
    pytest.param([(b"x-mock-scenario", b"no-such-scenario")], id="unknown-scenario"),
]


@pytest.mark.parametrize("extra", HOSTILE_HEADERS)
def test_hostile_headers_get_a_proper_answer(extra: list[tuple[bytes, bytes]]) -> None:
    names = {name for name, _ in extra}
    headers = [header for header in AUTH if header[0] not in names] + extra
    response = send(BUNDLED, "GET", LIST_PATH, b"limit=2", headers)
    assert_answered_properly(BUNDLED, "GET", response)


def test_a_body_on_a_get_is_ignored() -> None:
    response = send(BUNDLED, "GET", LIST_PATH, b"", [*AUTH, *JSON], b'{"limit": "lots"}' * 1000)
    assert response.status == 200
    assert_answered_properly(BUNDLED, "GET", response)


@pytest.mark.parametrize("method", [*(m.upper() for m in HTTP_METHODS), "PROPFIND", "BREW", "get", ""])
@pytest.mark.parametrize("path", [op.path for op in BUNDLED.spec.operations])
def test_every_method_on_every_bundled_path_gets_a_proper_answer(method: str, path: str) -> None:
    concrete = path.replace("{customer_id}", "c1").replace("{vendor_id}", "v1")
    response = send(BUNDLED, method, concrete, b"", AUTH, b"{}")
    assert_answered_properly(BUNDLED, method, response)
    if response.status == 405:
        assert response.headers["allow"] == "GET"


@pytest.mark.parametrize("method", [*(m.upper() for m in HTTP_METHODS), "PROPFIND"])
@pytest.mark.parametrize("path", ["/notes", "/uploads", "/notes/1/body"])
def test_every_method_on_every_path_with_a_body_gets_a_proper_answer(method: str, path: str) -> None:
    response = send(BODIES, method, path, b"", JSON, b'{"title": "x"}')
    assert_answered_properly(BODIES, method, response)


# --- bodies ---------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413() -> None:
    response = send(BODIES, "POST", "/notes", b"", JSON, b" " * (MAX_BODY_BYTES + 1))
    assert response.status == 413
    assert MOCK_ERROR_HEADER.lower() in response.headers


def test_a_body_over_the_limit_sent_in_chunks_gets_413() -> None:
    response = send(BODIES, "POST", "/notes", b"", JSON, b"[" + b"1," * (MAX_BODY_BYTES // 2), 64 * 1024)
    assert response.status == 413


def test_a_body_at_the_limit_is_read() -> None:
    body = b'{"title": "x"}'.ljust(MAX_BODY_BYTES)
    assert send(BODIES, "POST", "/notes", b"", JSON, body, 1024 * 1024).status == 201


HOSTILE_BODIES = [
    pytest.param(b"[" * 200_000 + b"]" * 200_000, id="deeply-nested-arrays"),
    pytest.param(b'{"a":' * 100_000 + b"1" + b"}" * 100_000, id="deeply-nested-objects"),
    pytest.param(json.dumps({"title": "x", "extra": list(range(300_000))}).encode(), id="huge-array"),
    pytest.param(b'{"title": "x", "priority": 1' + b"0" * 5000 + b"}", id="huge-number"),
    pytest.param(b'{"title": "\\ud800", "priority": 1e999}', id="lone-surrogate-and-infinity"),
    pytest.param(b'{"title": "x"', id="truncated"),
    pytest.param(b"\xff\xfe\x00{}", id="not-utf8"),
    pytest.param(b'\xef\xbb\xbf{"title": "x"}', id="utf8-bom"),
    pytest.param(b'{"title": NaN}', id="nan"),
    pytest.param(b'{"title": "x", "title": 5}', id="duplicate-keys"),
    pytest.param(b"null", id="null"),
    pytest.param(b"", id="empty"),
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_json_bodies_get_a_proper_answer(body: bytes) -> None:
    response = send(BODIES, "POST", "/notes", b"", JSON, body)
    assert_answered_properly(BODIES, "POST", response)


CONTENT_TYPES = [
    b"text/plain",
    b"application/xml",
    b"application/json; charset=klingon",
    b"multipart/form-data",  # no boundary
    b"multipart/form-data; boundary=",
    b"application/x-www-form-urlencoded; charset=\xff",
    b"*/*",
    b"application/",
    b"",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("path", ["/notes", "/uploads"])
def test_wrong_or_broken_content_types_get_a_proper_answer(path: str, content_type: bytes) -> None:
    response = send(BODIES, "POST", path, b"", [(b"content-type", content_type)], b"title=x&%zz=%ff")
    assert_answered_properly(BODIES, "POST", response)


def test_an_undocumented_content_type_gets_the_documented_415() -> None:
    response = send(BODIES, "POST", "/notes", b"", [(b"content-type", b"application/xml")], b"<note/>")
    assert response.status == 415
    assert MOCK_ERROR_HEADER.lower() not in response.headers


def test_a_malformed_multipart_body_gets_a_proper_answer() -> None:
    content_type = [(b"content-type", b"multipart/form-data; boundary=XyZ")]
    for body in (b"--XyZ\r\nno headers here", b"--XyZ--", b"\xff" * 1000, b"--XyZ\r\n\r\n\r\n--XyZ--\r\n"):
        response = send(BODIES, "POST", "/uploads", b"", content_type, body)
        assert_answered_properly(BODIES, "POST", response)
        assert 400 <= response.status < 500


def test_a_client_that_disconnects_mid_body_gets_an_answer_not_a_hang() -> None:
    body = b'{"title": "half of it'
    response = send(BODIES, "POST", "/notes", b"", JSON, body * 2, chunk_size=len(body),
                    disconnect_after_first_chunk=True)
    assert 400 <= response.status < 500


def test_a_spec_whose_response_admits_no_value_gets_the_mocks_own_500_not_a_crash(tmp_path: Path) -> None:
    spec = tmp_path / "impossible.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses:\n"
        "        '200':\n          description: ok\n          content:\n            application/json:\n"
        "              schema: {type: integer, minimum: 5, maximum: 1}\n"
    )
    response = send(create_app(spec), "GET", "/x")
    assert response.status == 500
    assert "admits no value" in response.headers[MOCK_ERROR_HEADER.lower()]


# --- malformed specs and fixtures ---------------------------------------------------------------------------

MALFORMED_FIXTURES = TESTS / "fixtures_malformed"
FIXTURE_CASES = sorted(path.name for path in MALFORMED_FIXTURES.iterdir() if path.is_dir())
MALFORMED_SPECS = TESTS / "specs" / "malformed"


def test_there_are_at_least_25_malformed_spec_and_fixture_cases() -> None:
    spec_cases = [path for path in MALFORMED_SPECS.iterdir() if path.is_dir()]
    assert len(FIXTURE_CASES) >= 15
    assert len(spec_cases) + len(FIXTURE_CASES) >= 25


@pytest.mark.parametrize("case", FIXTURE_CASES)
def test_a_malformed_config_or_fixture_gets_one_clear_message_and_exit_2(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mockserver check` (through its entry point, in-process) names the file and the place, once."""
    folder = MALFORMED_FIXTURES / case
    expected = json.loads((folder / "expected.json").read_text())
    assert main(["check", str(CORPUS / "security.yaml"), "--fixtures", str(folder / "fixtures")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith("mockserver: error: ") for line in lines), lines
    file, pointer = f"{expected['file']}:", expected["pointer"]
    at_pointer = (lambda line: f": {pointer}:" in line) if pointer else (lambda line: ": /:" not in line)
    found = [line for line in lines if file in line and at_pointer(line)]
    assert len(found) == 1, lines
    assert expected["words"] in found[0]


# --- the fuzz ---------------------------------------------------------------------------------------------

ESCAPES = [b"%", b"%z", b"%zz", b"%e2%82", b"%ff%fe", b"%00", b"%2F", b"%25", b"+", b"..", b"%C0%AF"]
WORDS = [b"", b"null", b"true", b"0", b"-1", b"1e999", b"[]", b"{}", b"NaN", b"draft", b"issued", b"50"]


def _piece(max_size: int = 16) -> st.SearchStrategy[bytes]:
    """A fragment of a URL: percent-encoded text, raw bytes, a broken escape, or a telling word."""
    return st.one_of(
        st.text(max_size=max_size).map(lambda text: quote(text, safe="").encode()),
        st.binary(max_size=max_size),
        st.sampled_from(ESCAPES + WORDS),
        st.lists(st.sampled_from(ESCAPES + WORDS), max_size=4).map(b"".join),
    )


def _query(names: list[str]) -> st.SearchStrategy[bytes]:
    known = [name.encode() for name in [*names, "__code", "__example", "__dynamic", "__seed", "limit"]]
    pair = st.tuples(st.one_of(st.sampled_from(known), _piece(8)), _piece(), st.booleans())
    return st.lists(pair, max_size=8).map(
        lambda pairs: b"&".join(key + (b"=" + value if has_value else b"") for key, value, has_value in pairs)
    )


def _path(template: str) -> st.SearchStrategy[bytes]:
    segments = template.encode().split(b"/")

    def filled(values: list[bytes]) -> bytes:
        out = [values.pop() if b"{" in segment and values else segment for segment in segments]
        return b"/".join(out)

    parameters = template.count("{")
    concrete = st.lists(_piece(24).filter(lambda p: b"/" not in p and b"?" not in p),
                        min_size=parameters, max_size=parameters).map(filled)
    return st.one_of(
        concrete,
        concrete,
        concrete.map(lambda path: path + b"/"),
        st.tuples(concrete, _piece()).map(lambda parts: parts[0] + b"/" + parts[1]),
        _piece(40).map(lambda piece: b"/" + piece),
    )


HEADER_CHOICES = {
    b"authorization": [f"Bearer {TOKEN}".encode(), b"Bearer", b"Bearer  ", b"Token x", b"Basic Zm9vOmJhcg=="],
    b"x-business-id": [BUSINESS_A.encode(), BUSINESS_B.encode(), b"not-a-uuid", BUSINESS_A.upper().encode()],
    b"accept": [b"application/json", b"*/*", b"text/html", b"application/*;q=0.5", b"", b"*/*;q=0"],
    b"prefer": [b"code=404", b"code=422", b"code=200", b"code=abc", b"example=nope", b"dynamic=true",
                b"dynamic=perhaps", b"seed=7", b"seed=x", b"code=401, example=x"],
    b"x-mock-scenario": [b"empty", b"errors", b"signed-out", b"paging-errors", b"nope"],
    b"content-type": [b"application/json", b"text/plain", b"multipart/form-data; boundary=x", b"\xff"],
}


def _headers() -> st.SearchStrategy[list[tuple[bytes, bytes]]]:
    # Mostly valid credentials, so that most requests reach parameter validation and the answer sources.
    credentials = st.one_of(st.just(AUTH), st.just(AUTH), st.just(AUTH), st.just([]), st.just(AUTH[:1]))
    every_choice = [value for values in HEADER_CHOICES.values() for value in values]
    chosen = st.dictionaries(
        st.sampled_from(sorted(HEADER_CHOICES)),
        st.one_of(st.sampled_from(every_choice), _piece(12)),
        max_size=4,
    ).map(lambda found: [(n, v.replace(b"\r", b"").replace(b"\n", b"")) for n, v in found.items()])
    name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).map(str.encode)
    value = st.binary(max_size=40).map(lambda v: v.replace(b"\r", b"").replace(b"\n", b""))
    others = st.lists(st.tuples(name, value), max_size=3)
    return st.tuples(credentials, chosen, others).map(lambda parts: _merge_headers(*parts))


def _merge_headers(*groups: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    merged: dict[bytes, bytes] = {}
    for group in groups:
        for name, value in group:
            # Asked-for latency and faults are not bad input.
            if b"delay" not in value and b"fault" not in value:
                merged[name] = value
    return list(merged.items())


METHODS = ["GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]
BODY = st.one_of(
    st.just(b""),
    st.just(b""),
    st.binary(max_size=64),
    st.sampled_from([b"{}", b"[]", b"null", b"[" * 5000, b'{"a": 1'] ),
)


@pytest.mark.parametrize("operation", BUNDLED.spec.operations, ids=lambda op: op.operation_id)
def test_fuzzed_raw_requests_never_get_a_5xx_and_documented_answers_conform(operation: Operation) -> None:
    names = [parameter.name for parameter in operation.parameters if parameter.location == "query"]
    sent = 0

    @given(
        method=st.sampled_from(METHODS),
        path=_path(operation.path),
        query=_query(names),
        headers=_headers(),
        body=BODY,
    )
    @settings(max_examples=FUZZ_REQUESTS_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answered_properly(method: str, path: bytes, query: bytes, headers: list, body: bytes) -> None:
        nonlocal sent
        sent += 1
        response = send(BUNDLED, method, path, query, headers, body)
        assert_answered_properly(BUNDLED, method, response)

    answered_properly()
    assert sent >= FUZZ_REQUESTS_PER_OPERATION


CORPUS_SPECS = [*sorted(CORPUS.glob("*.yaml")), CORPUS / "multi_file" / "openapi.yaml"]
CORPUS_BODIES = [
    b'{"title": "x"}', b"title=x&priority=2", b'{"kind": "cat", "lives": 3}', b'{"kind": "dog"}',
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc\r\n--x--\r\n',
]
CONTENT_TYPE_CHOICES = [b"application/json", b"application/x-www-form-urlencoded", b"text/plain",
                        b"multipart/form-data; boundary=x", b"application/vnd.api+json", b"*/*"]


@cache
@pytest.mark.parametrize("raw", ["%1E3", "%203", "3%20", "%093"])
def test_an_integer_path_parameter_with_padding_is_not_an_integer(raw: str) -> None:
    # Python's int() strips whitespace, \x1c-\x1f included; a schema's `type: integer` does not.
    app = create_app(CORPUS / "bodiless.yaml")
    assert send(app, "DELETE", f"/items/{raw}").status == 404  # its only documented client error
    assert send(app, "DELETE", "/items/3").status == 204


def _corpus_app(spec: Path) -> MockApp:
    return create_app(spec)


def _corpus_operations() -> list[Any]:
    return [
        pytest.param(spec, operation.method, operation.path, id=f"{spec.stem}-{operation.key}")
        for spec in CORPUS_SPECS
        for operation in _corpus_app(spec).spec.operations
    ]


@pytest.mark.parametrize(("spec", "method", "path"), _corpus_operations())
def test_fuzzed_raw_requests_to_every_corpus_operation_never_get_a_5xx(
    spec: Path, method: str, path: str
) -> None:
    """Fewer requests than for the bundled API, but bodies of every kind, to every corpus operation."""
    app = _corpus_app(spec)
    operation = next(op for op in app.spec.operations if op.method == method and op.path == path)
    names = [parameter.name for parameter in operation.parameters if parameter.location == "query"]
    prefix = app.spec.base_path.encode()

    @given(
        method=st.sampled_from([method] * 6 + METHODS),
        path=_path(path).map(lambda raw: prefix + raw),
        query=_query(names),
        headers=_headers(),
        body=st.one_of(BODY, st.sampled_from(CORPUS_BODIES)),
        content_type=st.sampled_from(CONTENT_TYPE_CHOICES),
    )
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def answered_properly(
        method: str, path: bytes, query: bytes, headers: list, body: bytes, content_type: bytes
    ) -> None:
        headers = [*(h for h in headers if h[0] != b"content-type"), (b"content-type", content_type)]
        response = send(app, method, path, query, headers, body)
        assert_answered_properly(app, method, response)

    answered_properly()


# --- nothing grows without bound ----------------------------------------------------------------------------


def test_thousands_of_distinct_requests_leave_the_journal_and_caches_at_their_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small bounds, so that the warm-up fills them: the journal, remembered answers and the requests seen
    # once, generated bodies, remembered route matches and rendered dataset pages (caches emptied when
    # full are small, so they add little noise). What grows after that is a leak.
    monkeypatch.setattr(binding, "PAGE_CACHE_SIZE", 8)
    monkeypatch.setattr(routing, "MATCH_CACHE_SIZE", 8)
    monkeypatch.setattr(memo, "SEEN_ENTRIES", 200)
    # Verdicts on parameter values are remembered process-wide (other tests of this worker left some).
    monkeypatch.setattr(checkers, "REMEMBERED_VERDICTS", 200)
    app = create_app(OPENAPI_DIR, FIXTURES_DIR, journal_size=100)
    app.memo.entries = 50
    app.generator.cache.entries = 50

    def burst(first: int, count: int) -> None:
        for index in range(first, first + count):
            query = f"limit={index % 50 + 1}&search=s{index}&customer_id=c{index}".encode()
            path = f"/api/v1/credit-memos/customers/c{index}/credits" if index % 2 else LIST_PATH
            # Every 20th asks for a generated body (a distinct one each time: 55 of them fill the body cache).
            headers = [*AUTH, (b"prefer", b"dynamic=true")] if index % 20 == 0 else AUTH
            for _ in range(2 if index % 4 == 1 else 1):  # some requests come twice: remembered answers
                assert send(app, "GET", path, query, headers).status < 500

    # Traced from the start, so that what full caches hold is counted before and after alike: entries they
    # replace later are then seen going as well as coming.
    tracemalloc.start()
    try:
        burst(0, 1100)  # warm up: operations compiled, the journal and the caches full (parsed targets: 1024)
        assert len(app.generator.cache) == 50
        assert 0 < len(app.memo) <= 50
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        burst(1100, 2000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(app.state.journal) == 100
    assert len(app.generator.cache) == 50
    assert 0 < len(app.memo) <= 50
    # Within 0.2 MB either way in practice; a leak of 500 bytes a request would exceed this.
    assert grown < 1024 * 1024, f"memory grew by {grown} bytes over 2000 requests"
