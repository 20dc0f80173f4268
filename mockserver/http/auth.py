"""Authentication as the real server does it: configured header rules and declared securitySchemes.

Both are checked before parameter validation. A failure names the answer (status, headers, and a body
when the config gives one); the app fills in a documented body when it does not.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mockserver.foundation.config import HeaderRule
from mockserver.spec.model import Operation, Spec


@dataclass(frozen=True)
class AuthFailure:
    status: int
    reason: str
    body: Any = None  # None: use the body the spec documents for `status`
    headers: dict[str, str] = field(default_factory=dict)


class Credentials(NamedTuple):
    """The parts of a request that carry credentials."""

    headers: Mapping[str, str]  # case-insensitive
    query: Mapping[str, str]
    cookies: Mapping[str, str]


Check = Callable[[Credentials], AuthFailure | None]


def has_scheme(value: str | None, scheme: str) -> bool:
    """True when `value` is "<scheme> <credentials>" with non-empty credentials (scheme case-insensitive)."""
    if not value:
        return False
    given, _, credentials = value.strip().partition(" ")
    return given.lower() == scheme.lower() and bool(credentials.strip())


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


KnownTenant = Callable[[str], bool]


def header_rule_check(rule: HeaderRule, known_tenant: KnownTenant | None = None) -> Check:
    """A check enforcing one configured header rule; `known_tenant` says whether a value names a tenant
    the mock's data has (for rules with `known_tenant: true`; None: every tenant is known)."""
    pattern = re.compile(rule.pattern) if rule.pattern else None
    tenant_known = known_tenant if rule.known_tenant and known_tenant is not None else None

    def valid(value: str) -> bool:
        if not value.strip():
            return False
        if rule.scheme and not has_scheme(value, rule.scheme):
            return False
        if rule.format == "uuid" and not is_uuid(value.strip()):
            return False
        if pattern is not None and pattern.fullmatch(value) is None:
            return False
        return tenant_known is None or tenant_known(value)

    remembered = remembering(valid)
    header = rule.header

    def check(credentials: Credentials) -> AuthFailure | None:
        value = credentials.headers.get(header)
        if value is not None and remembered(value):
            return None
        reason = f"{rule.name or rule.header}: header {rule.header!r} missing or malformed"
        return AuthFailure(rule.status, reason, rule.body, dict(rule.headers))

    return check


def remembering(predicate: Callable[[str], bool], size: int = 256) -> Callable[[str], bool]:
    """`predicate`, remembering its verdicts on short values (a bounded number of them): a client sends
    the same token and tenant id with every request."""
    verdicts: dict[str, bool] = {}

    def remembered(value: str) -> bool:
        verdict = verdicts.get(value)
        if verdict is None:
            verdict = predicate(value)
            if len(value) <= 512:
                if len(verdicts) >= size:
                    verdicts.clear()
                verdicts[value] = verdict
        return verdict

    return remembered


SchemeCheck = Callable[[Credentials], bool]
_CREDENTIAL_SOURCES: dict[str, Callable[[Credentials], Mapping[str, str]]] = {
    "header": lambda credentials: credentials.headers,
    "query": lambda credentials: credentials.query,
    "cookie": lambda credentials: credentials.cookies,
}


def scheme_check(scheme: Mapping[str, Any]) -> SchemeCheck:
    """Whether a request carries what one security scheme asks for (read once, checked per request)."""
    kind = str(scheme.get("type", "")).lower()
    if kind == "apikey":
        name = str(scheme.get("name", ""))
        values_in = _CREDENTIAL_SOURCES.get(str(scheme.get("in", "")).lower())
        if values_in is None:
            return lambda credentials: False
        return lambda credentials: bool(values_in(credentials).get(name))
    if kind in ("http", "oauth2", "openidconnect"):
        http_scheme = str(scheme.get("scheme", "bearer")).lower() if kind == "http" else "bearer"
        if http_scheme == "basic":
            valid = remembering(_is_basic)
        else:
            valid = remembering(lambda value: has_scheme(value, http_scheme))

        def authorized(credentials: Credentials) -> bool:
            value = credentials.headers.get("authorization")
            return value is not None and valid(value)

        return authorized
    return lambda credentials: True  # mutualTLS and unknown types cannot be checked over plain HTTP


def _is_basic(value: str | None) -> bool:
    if not has_scheme(value, "basic"):
        return False
    encoded = str(value).strip().partition(" ")[2].strip()
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded


REALM = "mockserver"
# HTTP authentication schemes as the IANA registry spells them (OpenAPI writes them in any case).
_SCHEME_SPELLING = {name.lower(): name for name in ("Basic", "Bearer", "Digest", "HOBA", "Mutual", "OAuth",
                                                    "SCRAM-SHA-1", "SCRAM-SHA-256", "DPoP", "GNAP")}


def _challenge(scheme: Mapping[str, Any]) -> str:
    """The `WWW-Authenticate` challenge for a scheme (RFC 7235: `<scheme> <auth-param>, ...`)."""
    kind = str(scheme.get("type", "")).lower()
    realm = f"realm={_quoted(REALM)}"
    if kind == "http":
        name = str(scheme.get("scheme", "bearer")).strip() or "bearer"
        if name.lower() == "digest":  # RFC 7616: realm and nonce required, qop offered
            nonce = hashlib.sha256(f"{REALM}:digest".encode()).hexdigest()[:32]
            return f'Digest {realm}, qop="auth", algorithm=SHA-256, nonce="{nonce}"'
        if name.lower() == "negotiate":  # RFC 4559: the bare scheme
            return "Negotiate"
        return f"{_SCHEME_SPELLING.get(name.lower(), name)} {realm}"
    if kind == "apikey":
        name = _quoted(str(scheme.get("name", "")))
        where = _quoted(str(scheme.get("in", "")))
        return f"ApiKey {realm}, name={name}, in={where}"
    return f"Bearer {realm}"  # oauth2 and openIdConnect send bearer tokens (RFC 6750)


def _quoted(text: str) -> str:
    """`text` as an RFC 9110 quoted-string."""
    safe = "".join(char if char == "\t" or " " <= char <= "~" else "?" for char in text)
    return '"' + safe.replace("\\", "\\\\").replace('"', '\\"') + '"'


def security_check(spec: Spec, operation: Operation) -> Check | None:
    """A check for the operation's security requirements (alternatives OR-ed, schemes in one AND-ed)."""
    requirements = operation.security
    if not requirements or any(not requirement for requirement in requirements):
        return None
    schemes = spec.security_schemes
    alternatives = [[schemes.get(name, {}) for name in requirement] for requirement in requirements]
    challenge = ", ".join(dict.fromkeys(_challenge(s) for group in alternatives for s in group))
    groups = tuple(tuple(scheme_check(scheme) for scheme in group) for group in alternatives)

    def check(credentials: Credentials) -> AuthFailure | None:
        for group in groups:
            if all(satisfied(credentials) for satisfied in group):
                return None
        return AuthFailure(401, "missing or invalid credentials", None, {"WWW-Authenticate": challenge})

    return check


def operation_checks(spec: Spec, operation: Operation, rules: list[HeaderRule],
                     known_tenant: KnownTenant | None = None) -> tuple[Check, ...]:
    """Every auth check of an operation, in the order the server applies them."""
    checks: list[Check] = [
        header_rule_check(rule, known_tenant)
        for rule in rules
        if rule.operations is None or any(operation.matches_name(name) for name in rule.operations)
    ]
    declared = security_check(spec, operation)
    if declared is not None:
        checks.append(declared)
    return tuple(checks)


def authenticate(checks: tuple[Check, ...], credentials: Credentials) -> AuthFailure | None:
    for check in checks:
        failure = check(credentials)
        if failure is not None:
            return failure
    return None
