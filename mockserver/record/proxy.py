"""The recording proxy behind `mockserver record` (see the package docstring)."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, quote_plus

import httpx
import orjson
import yaml
from pydantic import ValidationError
from starlette.datastructures import Headers

from mockserver.fixture_files.checks import check_named_response, schema_errors
from mockserver.fixture_files.models import FixtureFile
from mockserver.fixture_files.reading import LoadedFile
from mockserver.foundation.masking import HIDDEN, is_secret_name, mask_query
from mockserver.http.negotiation import is_json, response_key_for
from mockserver.http.routing import Router
from mockserver.record.target import TargetRefused, upstream_url
from mockserver.serving.request_log import secret_names

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from mockserver.spec.model import Operation, Response, Spec

UPSTREAM_TIMEOUT_SECONDS = 30.0
BROKEN_SUFFIX = ".yaml.broken"
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                         "trailer", "transfer-encoding", "upgrade", "host", "content-length"})
_NOT_RETURNED = _HOP_BY_HOP | {"content-encoding"}  # httpx hands the body over decoded
MIN_EMBEDDED_SECRET = 8  # a client's secret this long is looked for inside recorded text, not only as it
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Recording:
    """One exchange as a named response, with what is wrong with it against the spec."""

    operation: Operation
    entry: dict[str, Any]  # the named response, as a fixture file holds it
    violations: list[str] = field(default_factory=list)  # how the real server broke the spec
    problems: list[str] = field(default_factory=list)  # why the fixture (secrets masked) would not load

    @property
    def broken(self) -> bool:
        return bool(self.violations or self.problems)


def response_violations(spec: Spec, operation: Operation, status: int, headers: Mapping[str, str],
                        body: bytes) -> list[str]:
    """Every way a response disagrees with the spec: status, content type, required headers, body."""
    key = response_key_for(operation, status)
    if key is None:
        return [f"status {status} is not documented (documented: {', '.join(operation.responses) or 'none'})"]
    documented = operation.responses[key]
    lowered = {name.lower(): value for name, value in headers.items()}
    violations = []
    for name, header in documented.headers.items():
        value = lowered.get(name.lower())
        if value is None:
            violations += [f"required header {name!r} is missing"] if header.required else []
        elif typed_header_value(spec, header.schema_pointer, value) is None:
            violations.append(f"header {name!r}: value {value!r} does not match its schema")
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    if not documented.content:
        return violations + ([f"response {key} documents no body, got {len(body)} bytes"] if body else [])
    media_type = documented_media_type(documented, content_type)
    if media_type is None:
        return [*violations, f"content type {content_type or '(none)'} is not documented for {key} "
                             f"(documented: {', '.join(documented.content)})"]
    schema_pointer = documented.content[media_type].schema_pointer
    if not is_json(media_type) or schema_pointer is None:
        return violations
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [*violations, f"the body is not JSON although the content type is {content_type}"]
    return violations + [f"body{pointer or ''}: {message}"
                         for pointer, message in schema_errors(spec, schema_pointer, data)]


def typed_header_value(spec: Spec, schema_pointer: str, text: str) -> Any:
    """The header's text as the value its schema wants (`"3"` -> 3 for an integer), or None if none fits."""
    validator = spec.validator(schema_pointer)
    candidates: list[Any] = [text]
    with contextlib.suppress(yaml.YAMLError):
        candidates.append(yaml.safe_load(text))  # numbers and booleans, as YAML reads them
    return next((value for value in candidates if value is not None and validator.is_valid(value)), None)


def documented_media_type(response: Response, content_type: str | None) -> str | None:
    """The documented media type (key of `content`) a Content-Type header stands for, or None."""
    if content_type is None:
        return None
    base = content_type.split(";")[0].strip().lower()
    for media_type in response.content:
        wanted = media_type.split(";")[0].strip().lower()
        kind, _, sub = wanted.partition("/")
        if wanted == base or wanted == "*/*" or (sub == "*" and base.startswith(kind + "/")):
            return media_type
    return None


class Scrubber:
    """Removes credentials from what is saved, replacing whole values (never parts of one) by `***`: the
    values of secret-named fields, and any value that is (or holds) a secret the client sent."""

    def __init__(self, request_headers: Mapping[str, str], query: Iterable[tuple[str, str]],
                 declared: frozenset[str]) -> None:
        self.declared = declared
        self.secrets: set[str] = set()
        for name, value in [*request_headers.items(), *query]:
            if is_secret_name(name, declared) and value.strip():
                self.secrets.add(value)
                scheme, _, token = value.partition(" ")
                if token.strip() and scheme.isalpha():
                    self.secrets.add(token.strip())  # the token of "Bearer <token>"
        self._embedded = {form for secret in self.secrets if len(secret) >= MIN_EMBEDDED_SECRET
                          for form in (secret, quote(secret, safe=""), quote_plus(secret, safe=""))}

    def hides(self, text: str) -> bool:
        """True when `text` is a secret the client sent, or holds a long one (a link carrying a key)."""
        return text in self.secrets or any(secret in text for secret in self._embedded)

    def body(self, value: Any, name: str = "") -> Any:
        if name and value not in (None, "") and is_secret_name(name, self.declared):
            return HIDDEN
        if isinstance(value, dict):
            return {key: self.body(item, str(key)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.body(item) for item in value]
        if isinstance(value, str) and self.hides(value):
            return HIDDEN
        return value


class Recorder:
    """The recording proxy, an ASGI app. `transport` lets tests put an in-process server behind it."""

    def __init__(self, spec: Spec, base_url: str, out_dir: Path, *,
                 transport: httpx.AsyncBaseTransport | None = None, report: IO[str] | None = None) -> None:
        self.spec = spec
        self.base_url = base_url.rstrip("/")
        self.out_dir = out_dir
        self.transport = transport
        self.report = report
        self.router = Router(spec.routes)
        self.secret_names = secret_names(spec)
        self.recorded: dict[Path, list[dict[str, Any]]] = {}  # the good fixtures of each file
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._proxy(scope, receive, send)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        try:
            url = upstream_url(self.base_url, scope)
        except TargetRefused as error:
            self._print(f"mockserver record: refused: {error}")
            await _problem(send, 400, str(error))
            return
        raw_path = url.raw_path.decode("ascii")[len(httpx.URL(self.base_url).raw_path.rstrip(b"/")):]
        raw_path, _, query_string = raw_path.partition("?")
        headers = Headers(scope=scope)
        forwarded = [(name, value) for name, value in headers.raw
                     if name.decode("latin-1") not in _HOP_BY_HOP and name != b"accept-encoding"]
        try:
            upstream = await self._http().request(scope["method"], url, headers=forwarded, content=body)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as error:
            message = f"cannot reach {self.base_url}: {error or type(error).__name__}"
            self._print(f"mockserver record: {message}")
            await _problem(send, 502, message)
            return
        returned = [(name, value) for name, value in upstream.headers.raw
                    if name.decode("latin-1").lower() not in _NOT_RETURNED]
        await _send(send, upstream.status_code, returned, upstream.content)
        query = parse_qsl(query_string, keep_blank_values=True)
        try:
            self.record(scope["method"], raw_path, query, headers, upstream)
        except (OSError, yaml.YAMLError) as error:
            self._print(f"not recorded  {scope['method']} {raw_path}: cannot write the fixture: {error}")

    def record(self, method: str, path: str, query: list[tuple[str, str]], headers: Mapping[str, str],
               upstream: httpx.Response) -> Recording | None:
        """Save one exchange as a fixture (good or broken) and report it; None when not in the spec."""
        shown = f"{method} {path}" + (f"?{mask_query(query, self.secret_names)}" if query else "")
        match = self.router.match(path, method)
        if match is None or match.operation is None:
            self._print(f"not recorded  {shown} -> {upstream.status_code}: no operation of the spec matches")
            return None
        operation = match.operation
        response_headers = dict(upstream.headers.items())
        recording = Recording(operation, {}, response_violations(
            self.spec, operation, upstream.status_code, response_headers, upstream.content))
        scrubber = Scrubber(headers, query, self.secret_names)
        recording.entry = self._entry(operation, match.path_params, query, headers, upstream, scrubber)
        if not recording.violations:
            recording.problems = fixture_problems(self.spec, recording.entry)
        target = self._save(recording)
        name = recording.entry["name"]
        if recording.violations:
            self._print(f"CONTRACT BREAK  {shown} -> {upstream.status_code}: the real server broke the spec:")
            for violation in recording.violations:
                self._print(f"    {violation}")
            self._print(f"  saved as {name} (marked) in {target}")
        elif recording.problems:
            self._print(f"NOT LOADABLE  {shown} -> {upstream.status_code}: with its secrets masked, the "
                        "fixture would not load:")
            for problem in recording.problems:
                self._print(f"    {problem}")
            self._print(f"  saved as {name} (marked) in {target}")
        else:
            self._print(f"recorded  {shown} -> {upstream.status_code} as {name} in {target}")
        return recording

    def _entry(self, operation: Operation, path_params: Mapping[str, str], query: list[tuple[str, str]],
               headers: Mapping[str, str], upstream: httpx.Response, scrubber: Scrubber) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": "", "operation": operation.operation_id or operation.key}
        match = self._match(operation, path_params, query, headers)
        if match:
            entry["match"] = match
        response: dict[str, Any] = {"status": upstream.status_code}
        key = response_key_for(operation, upstream.status_code)
        documented = operation.responses[key] if key is not None else None
        if documented is not None:
            kept = _documented_headers(self.spec, documented, upstream.headers, self.secret_names)
            if kept:
                response["headers"] = {name: scrubber.body(value) for name, value in kept.items()}
        content_type = upstream.headers.get("content-type")
        media_type = documented_media_type(documented, content_type) if documented is not None else None
        if upstream.content:
            response["body"] = scrubber.body(_decoded_body(upstream, media_type or content_type))
            if media_type is not None and not is_json(media_type):
                response["media_type"] = media_type
        entry["response"] = response
        return entry

    def _match(self, operation: Operation, path_params: Mapping[str, str], query: list[tuple[str, str]],
               headers: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """Conditions on the request's declared, non-secret parameters, so the fixture answers it alone."""
        match: dict[str, dict[str, str]] = {}
        if path_params:
            match["path"] = dict(path_params)
        values: dict[str, list[str]] = {}
        for name, value in query:
            values.setdefault(name, []).append(value)
        lowered = {name.lower(): value for name, value in headers.items()}
        for parameter in operation.parameters:
            name = parameter.name
            if is_secret_name(name, self.secret_names):
                continue
            if parameter.location == "query" and name in values:
                match.setdefault("query", {})[name] = ",".join(values[name])
            elif parameter.location == "header" and name.lower() in lowered:
                match.setdefault("headers", {})[name] = lowered[name.lower()]
        return match

    def _save(self, recording: Recording) -> Path:
        operation = recording.operation
        slug = _SLUG.sub("-", operation.operation_id or operation.key.lower()).strip("-")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if recording.broken:
            return self._append_broken(self.out_dir / f"{slug}{BROKEN_SUFFIX}", recording)
        target = self.out_dir / f"{slug}.yaml"
        entries = self.recorded.get(target)
        if entries is None:
            entries = self.recorded[target] = _existing_entries(target)
        same_request = next((e for e in entries if e.get("match") == recording.entry.get("match")), None)
        if same_request is not None:
            recording.entry["name"] = same_request["name"]
            entries[entries.index(same_request)] = recording.entry
        else:
            recording.entry["name"] = _fresh_name(entries, recording.entry["response"]["status"])
            entries.append(recording.entry)
        header = f"# Recorded by `mockserver record` from {self.base_url}; edit freely.\n"
        target.write_text(header + yaml.safe_dump({"responses": entries}, sort_keys=False,
                                                  allow_unicode=True), encoding="utf-8")
        return target

    def _append_broken(self, target: Path, recording: Recording) -> Path:
        existing = target.read_text(encoding="utf-8") if target.is_file() else ""
        if not existing:
            existing = ("# Responses of the real server that break the spec (`mockserver record`).\n"
                        "# The mock does not load this file: fix the server or the spec, then move the\n"
                        "# fixtures you want into a .yaml file.\n"
                        "responses:\n")
        count = sum(1 for line in existing.splitlines() if line.startswith("  - name:"))
        recording.entry["name"] = f"broken-{recording.entry['response']['status']}-{count + 1}"
        heading = "  # CONTRACT BREAK:\n" if recording.violations else "  # NOT LOADABLE (secrets masked):\n"
        notes = "".join(f"  #   {_one_line(note)}\n" for note in [*recording.violations, *recording.problems])
        item = yaml.safe_dump([recording.entry], sort_keys=False, allow_unicode=True)
        indented = "".join(f"  {line}\n" for line in item.splitlines())
        target.write_text(existing + heading + notes + indented, encoding="utf-8")
        return target

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self.transport, timeout=UPSTREAM_TIMEOUT_SECONDS)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _print(self, text: str) -> None:
        stream = self.report or sys.stderr
        stream.write(text + "\n")
        stream.flush()


def fixture_problems(spec: Spec, entry: dict[str, Any]) -> list[str]:
    """Why `entry` (a named response) would not load as a fixture, as the mock checks it (empty: it would)."""
    try:
        content = FixtureFile.model_validate({"responses": [{**entry, "name": entry["name"] or "recorded"}]})
    except ValidationError as error:
        return [f"{'/'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors()]
    loaded = LoadedFile("(recording)", Path("(recording)"), content)
    return [f"{problem.pointer}: {problem.message}"
            for problem in check_named_response(spec, loaded, 0, content.responses[0])]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _documented_headers(spec: Spec, documented: Response, headers: httpx.Headers,
                        secret_names: frozenset[str]) -> dict[str, Any]:
    """The documented, non-secret headers the server sent, typed as their schemas want."""
    kept = {}
    for name, header in documented.headers.items():
        if name.lower() == "content-type" or is_secret_name(name, secret_names):
            continue
        if name in headers:
            typed = typed_header_value(spec, header.schema_pointer, headers[name])
            kept[name] = typed if typed is not None else headers[name]
    return kept


def _decoded_body(upstream: httpx.Response, media_type: str | None) -> Any:
    if media_type is None or is_json(media_type):
        try:
            return orjson.loads(upstream.content)
        except orjson.JSONDecodeError:
            pass
    return upstream.content.decode("utf-8", "replace")


def _existing_entries(target: Path) -> list[dict[str, Any]]:
    """The responses a previous session recorded in `target` (kept, so recording adds to them)."""
    if not target.is_file():
        return []
    try:
        content = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return []
    responses = content.get("responses") if isinstance(content, dict) else None
    return [entry for entry in responses or [] if isinstance(entry, dict)]


def _fresh_name(entries: list[dict[str, Any]], status: int) -> str:
    names = {entry.get("name") for entry in entries}
    number = 1
    while f"recorded-{status}-{number}" in names:
        number += 1
    return f"recorded-{status}-{number}"


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _problem(send: Send, status: int, message: str) -> None:
    """The recorder's own answer: problem+json, the message (one line of ASCII) in X-Mock-Error."""
    header = "".join(char if " " <= char <= "~" else "?" for char in message)[:200]
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": message}
    await _send(send, status, [(b"content-type", b"application/problem+json"),
                               (b"x-mock-error", header.encode("ascii"))], orjson.dumps(body))


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
