"""Recording consumer contracts from the exchanges the mock answers (`serve --consumer-out DIR`).

Each exchange is generalised into an interaction of the consumer that made it (named by its
`X-Mock-Consumer` header, else the recorder's default name): every documented parameter's kind of value,
the body's fields, the provider state the answer needed, and the status, media type and fields of the
answer. Concrete values are kept only as examples, with credentials masked. Files are rewritten from the
whole recording, so the same traffic always gives the same files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import orjson

from mockserver.consumers import kinds
from mockserver.consumers.fields import body_fields
from mockserver.consumers.model import (
    ConsumerContract,
    Interaction,
    ParameterUse,
    RequestKind,
    SpecIdentity,
    load,
    to_data,
    write,
    write_data,
)
from mockserver.foundation.config import MockConfig
from mockserver.foundation.masking import HIDDEN, Masker, is_sensitive_header
from mockserver.foundation.problems import LoadError
from mockserver.http.auth import Check, Credentials, header_rule_check, scheme_check
from mockserver.http.negotiation import NegotiationError, is_json, parse_preferences
from mockserver.spec.model import Operation, Parameter, Spec
from mockserver.validation.checkers import json_type

CONSUMER_HEADER = "x-mock-consumer"
DEFAULT_CONSUMER = "default"
PARTS_FOLDER = ".parts"
MAX_BODY_EXAMPLE_BYTES = 4096
AUTOWRITE_SECONDS = 2.0
# Answers that are the mock's own (an unknown scenario, an unreadable Prefer), not the API's.
_MOCK_SOURCES = frozenset({"mock", "routing"})
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class Observed:
    """One exchange as the recorder needs it (see `mockserver.consumers.observe`)."""

    operation: Operation
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    status: int
    media_type: str | None
    response_body: Any  # parsed JSON, text, bytes or None
    source: str
    scenario: str | None  # the scenario that answered (None: the base fixtures)


def file_name(consumer: str) -> str:
    """The contract file of a consumer: its name made safe for a file name."""
    return (_SLUG.sub("-", consumer).strip("-.") or "consumer") + ".yaml"


CredentialCheck = Callable[[Credentials], bool]  # whether a request's credential is well-formed


@dataclass
class _SpecFacts:
    """What the recorder reads from a spec once: its identity and where credentials go."""

    spec: Spec
    config: MockConfig
    identity: SpecIdentity
    secret_headers: frozenset[str]
    secret_query: frozenset[str]
    _templates: dict[str, re.Pattern[str]] = field(default_factory=dict)
    _credentials: dict[str, list[tuple[str, CredentialCheck]]] = field(default_factory=dict)

    def credentials(self, operation: Operation) -> list[tuple[str, CredentialCheck]]:
        """(header, check) of each credential header the mock asks of `operation`: its auth rules, then its
        declared security schemes (alternatives included)."""
        found = self._credentials.get(operation.key)
        if found is None:
            found = self._credentials[operation.key] = _credential_checks(self.spec, self.config, operation)
        return found

    def path_values(self, operation: Operation, path: str) -> dict[str, str]:
        pattern = self._templates.get(operation.key)
        if pattern is None:
            pattern = self._templates[operation.key] = _template_pattern(self.spec.base_path + operation.path)
        found = pattern.match(path)
        return {} if found is None else {_unslot(name): value for name, value in found.groupdict().items()}


def _credential_checks(spec: Spec, config: MockConfig,
                       operation: Operation) -> list[tuple[str, CredentialCheck]]:
    checks: list[tuple[str, CredentialCheck]] = []
    for rule in config.auth:
        if rule.operations is None or any(operation.matches_name(name) for name in rule.operations):
            checks.append((rule.header, _passes(header_rule_check(rule))))
    for requirement in operation.security or ():
        for name in requirement:
            scheme = spec.security_schemes.get(name, {})
            kind = str(scheme.get("type", "")).lower()
            if kind == "apikey" and str(scheme.get("in", "")).lower() == "header" and scheme.get("name"):
                checks.append((str(scheme["name"]), scheme_check(scheme)))
            elif kind in ("http", "oauth2", "openidconnect"):
                checks.append(("Authorization", scheme_check(scheme)))
    unique: dict[str, tuple[str, CredentialCheck]] = {}
    for header, credential_check in checks:
        unique.setdefault(header.lower(), (header, credential_check))
    return list(unique.values())


class _AnyCase(dict[str, str]):
    """Lower-case header names, looked up in any case."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


def _passes(check: Check) -> CredentialCheck:
    return lambda credentials: check(credentials) is None


def _template_pattern(template: str) -> re.Pattern[str]:
    pieces = re.split(r"(\{[^}/]+\})", template)
    regex = "".join(f"(?P<{_slot(piece[1:-1], index)}>[^/]+)" if piece.startswith("{") else re.escape(piece)
                    for index, piece in enumerate(pieces))
    return re.compile(regex + "/?$")


def _slot(name: str, index: int) -> str:
    return f"p{index}_" + "".join(char if char.isalnum() else f"_{ord(char)}_" for char in name)


def _unslot(slot: str) -> str:
    raw = slot.split("_", 1)[1]
    return re.sub(r"_(\d+)_", lambda found: chr(int(found.group(1))), raw)


def spec_identity(spec: Spec) -> SpecIdentity:
    """The spec's title, version and the SHA-256 of its merged document (canonical JSON)."""
    found = spec.document.get("info")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    canonical = json.dumps(spec.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return SpecIdentity(str(info.get("title") or ""), str(info.get("version") or ""),
                        hashlib.sha256(canonical.encode("utf-8")).hexdigest())


def _secret_names(spec: Spec, config: MockConfig, location: str) -> frozenset[str]:
    names = {str(scheme.get("name", "")).lower() for scheme in spec.security_schemes.values()
             if str(scheme.get("type", "")).lower() == "apikey"
             and str(scheme.get("in", "")).lower() == location}
    if location == "header":
        names |= {rule.header.lower() for rule in config.auth}
        if config.tenant_header:
            names.add(config.tenant_header.lower())
    return frozenset(name for name in names if name)


class ConsumerRecorder:
    """Thread-safe: one recorder for every app of a server (reloads) or of a pytest session."""

    def __init__(self, out_dir: Path, default_consumer: str | None = None, *,
                 part: str | None = None) -> None:
        self.out_dir = out_dir
        self.default_consumer = default_consumer or DEFAULT_CONSUMER
        self.part = part  # pytest-xdist: each worker writes a part, merged at the end
        self._contracts: dict[str, ConsumerContract] = {}
        self._facts: _SpecFacts | None = None
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one writer at a time (the background one, and close)
        self._dirty = False
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None

    def use(self, spec: Spec, config: MockConfig) -> None:
        """The spec (and config) the coming exchanges are answered from."""
        facts = _SpecFacts(spec, config, spec_identity(spec), _secret_names(spec, config, "header"),
                           _secret_names(spec, config, "query"))
        with self._lock:
            self._facts = facts

    def observe(self, observed: Observed) -> None:
        if observed.source.split(";", 1)[0] in _MOCK_SOURCES:
            return
        facts = self._facts
        if facts is None:
            return
        consumer = (observed.headers.get(CONSUMER_HEADER) or "").strip() or self.default_consumer
        interaction = _Reading(facts, observed).interaction()
        with self._lock:
            contract = self._contracts.get(consumer)
            if contract is None:
                contract = self._contracts[consumer] = ConsumerContract(consumer, facts.identity)
            contract.spec = facts.identity
            contract.add(interaction, observed.operation.operation_id)
            self._dirty = True

    def contracts(self) -> list[ConsumerContract]:
        with self._lock:
            return [self._contracts[name] for name in sorted(self._contracts)]

    def write(self) -> list[Path]:
        """Write every consumer's file (or this worker's part); returns the files written. Exchanges wait only
        while the contracts are copied, not while files are written."""
        with self._writing:
            with self._lock:
                self._dirty = False
                snapshot = [(name, to_data(self._contracts[name])) for name in sorted(self._contracts)]
            written = []
            for name, data in snapshot:
                path = self.out_dir / file_name(name)
                if self.part is not None:
                    path = self.out_dir / PARTS_FOLDER / f"{path.stem}.{self.part}.yaml"
                write_data(data, path)
                written.append(path)
        return written

    def start(self, interval: float = AUTOWRITE_SECONDS) -> ConsumerRecorder:
        """Write, in a background thread, whenever something new was recorded (at most every `interval`)."""
        def loop() -> None:
            while not self._stop.wait(interval):
                if self._dirty:
                    self.write()

        self._writer = threading.Thread(target=loop, name="mockserver-consumer-writer", daemon=True)
        self._writer.start()
        return self

    def close(self) -> list[Path]:
        """Stop writing in the background and write what was recorded."""
        self._stop.set()
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join(timeout=5)
        return self.write()


def merge_parts(out_dir: Path) -> list[Path]:
    """Merge the parts pytest-xdist workers wrote into one file per consumer; returns the files written."""
    folder = out_dir / PARTS_FOLDER
    if not folder.is_dir():
        return []
    merged: dict[str, ConsumerContract] = {}
    parts = sorted(folder.glob("*.yaml"))
    for part in parts:
        try:
            contract = load(part)
        except LoadError:
            continue
        if contract.consumer in merged:
            merged[contract.consumer].merge(contract)
        else:
            merged[contract.consumer] = contract
    written = []
    for name in sorted(merged):
        path = out_dir / file_name(name)
        write(merged[name], path)
        written.append(path)
    for part in parts:
        part.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else is in there: left as it is
        folder.rmdir()
    return written


class _Reading:
    """One exchange, read into an interaction."""

    def __init__(self, facts: _SpecFacts, observed: Observed) -> None:
        self.facts = facts
        self.observed = observed
        self.masker = Masker()
        for name, value in observed.headers.items():
            if name in facts.secret_headers or is_sensitive_header(name):
                self.masker.add(value)
                self.masker.add(value.partition(" ")[2])  # the token of "Bearer <token>"
        for name, value in observed.query:
            if name.lower() in facts.secret_query:
                self.masker.add(value)

    def interaction(self) -> Interaction:
        observed = self.observed
        operation = observed.operation
        uses: list[ParameterUse] = []
        examples: dict[str, str] = {}
        raw_values = self._raw_values()
        credentials = self._credential_uses()
        for use in credentials.values():
            value = observed.headers.get(use.name.lower())
            if use.kind == kinds.INVALID and value is not None and not value.strip():
                examples[f"header.{use.name}"] = value  # blank: no secret, and how to send it malformed again
        for parameter in _documented(operation):
            if parameter.location == "header" and parameter.name.lower() in credentials:
                continue  # recorded as a credential: present and well-formed, malformed, or left out
            raw = raw_values.get((parameter.location, parameter.name.lower()))
            use, example = self._use(parameter, raw)
            uses.append(use)
            if example is not None:
                examples[f"{parameter.location}.{parameter.name}"] = example
        uses += credentials.values()
        media_type, body_kind, fields, example = self._body()
        response_fields = body_fields(observed.response_body) if _is_json_body(observed) else {}
        return Interaction(
            operation=operation.key,
            request=RequestKind(tuple(sorted(uses, key=lambda use: (use.location, use.name))), media_type,
                                body_kind),
            state=self._state(),
            status=observed.status,
            media_type=_base_media_type(observed.media_type),
            served={observed.source.split(";", 1)[0]},
            fields=response_fields,
            body_fields=fields,
            examples=examples,
            body_example=example,
            count=1,
        )

    def _credential_uses(self) -> dict[str, ParameterUse]:
        """Each credential header as a parameter: absent, valid, or invalid (present but malformed)."""
        observed = self.observed
        sent = Credentials(_AnyCase(observed.headers), dict(observed.query), {})
        uses = {}
        for header, check in self.facts.credentials(observed.operation):
            value = observed.headers.get(header.lower())
            kind = kinds.ABSENT if value is None else kinds.VALID if check(sent) else kinds.INVALID
            uses[header.lower()] = ParameterUse("header", header, kind, None if value is None else "string")
        return uses

    def _raw_values(self) -> dict[tuple[str, str], str | list[str]]:
        observed = self.observed
        values: dict[tuple[str, str], str | list[str]] = {}
        for name, value in self.facts.path_values(observed.operation, observed.path).items():
            values[("path", name.lower())] = value
        for name, value in observed.query:
            key = ("query", name.lower())
            previous = values.get(key)
            values[key] = value if previous is None else [*_as_list(previous), value]
        for name, value in observed.headers.items():
            values[("header", name.lower())] = value
        cookie = observed.headers.get("cookie")
        if cookie:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(cookie)
            except Exception:  # a malformed Cookie header: no cookies read
                jar = SimpleCookie()
            for name, morsel in jar.items():
                values[("cookie", name.lower())] = morsel.value
        return values

    def _is_secret(self, parameter: Parameter) -> bool:
        name = parameter.name.lower()
        if parameter.location == "header":
            return name in self.facts.secret_headers or is_sensitive_header(name)
        if parameter.location == "query":
            return name in self.facts.secret_query
        return parameter.location == "cookie" and is_sensitive_header(name)

    def _use(self, parameter: Parameter, raw: str | list[str] | None) -> tuple[ParameterUse, str | None]:
        spec = self.facts.spec
        kind, value = kinds.judge(spec, parameter, raw)
        if raw is None:
            return ParameterUse(parameter.location, parameter.name, kind), None
        secret = self._is_secret(parameter)
        enum = None if secret else kinds.enum_values(parameter.schema, spec.resolve_ref)
        constant = json.dumps(value, sort_keys=True) if enum is not None and kind != kinds.INVALID else None
        use = ParameterUse(parameter.location, parameter.name, kind, json_type(value), constant)
        if secret:
            return use, None
        text = raw if isinstance(raw, str) else ",".join(raw)
        return use, self.masker.mask(text)

    def _body(self) -> tuple[str | None, str | None, dict[str, set[str]], Any]:
        observed = self.observed
        request_body = observed.operation.request_body
        if request_body is None or not observed.body:
            return None, None, {}, None
        media_type = _base_media_type(observed.headers.get("content-type")) or "application/octet-stream"
        documented = request_body.content.get(media_type)
        if not is_json(media_type):
            return media_type, kinds.VALID if documented is not None else kinds.INVALID, {}, None
        try:
            parsed = orjson.loads(observed.body)
        except orjson.JSONDecodeError:
            return media_type, kinds.INVALID, {}, None
        valid = documented is not None and (
            documented.schema_pointer is None
            or self.facts.spec.validator(documented.schema_pointer).is_valid(parsed))
        example = _masked_body(parsed, self.masker)
        if len(orjson.dumps(example)) > MAX_BODY_EXAMPLE_BYTES:
            example = None
        return media_type, kinds.VALID if valid else kinds.INVALID, body_fields(parsed), example

    def _state(self) -> str | None:
        observed = self.observed
        parts = []
        source, _, fault = observed.source.partition(";fault=")
        if source.startswith("fault:"):
            fault = source.split(":", 1)[1]
        try:
            preferences = parse_preferences(observed.headers.get("prefer"), observed.query)
        except NegotiationError:
            preferences = None
        if observed.scenario:
            parts.append(f"scenario={observed.scenario}")
        if preferences is not None and preferences.example:
            parts.append(f"example={preferences.example}")
        if preferences is not None and preferences.code is not None:
            parts.append(f"status={preferences.code}")
        if fault:
            parts.append(f"fault={fault}")
        if source == "override":  # the test forced this answer (mock_api.override)
            parts.append(f"override={observed.status}")
        return ", ".join(parts) or None


def _documented(operation: Operation) -> list[Parameter]:
    seen: set[tuple[str, str]] = set()
    parameters = []
    for parameter in operation.parameters:
        key = (parameter.location, parameter.name.lower())
        if key not in seen:
            seen.add(key)
            parameters.append(parameter)
    return parameters


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _base_media_type(value: str | None) -> str | None:
    return value.split(";", 1)[0].strip().lower() or None if value else None


def _is_json_body(observed: Observed) -> bool:
    media_type = _base_media_type(observed.media_type)
    return media_type is not None and is_json(media_type) and observed.response_body is not None


def _masked_body(value: Any, masker: Masker, name: str = "") -> Any:
    if isinstance(value, dict):
        return {key: _masked_body(item, masker, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_body(item, masker, name) for item in value]
    if isinstance(value, str):
        return HIDDEN if value and is_sensitive_header(name) else masker.mask(value)
    return value
