"""Authentication as the real server does it: configured header rules and declared securitySchemes.

Both are checked before parameter validation. A failure names the answer (status, headers, and a body
when the config gives one); the app fills in a documented body when it does not.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.config import HeaderRule
from mockserver.spec.model import Operation, Spec


@dataclass(frozen=True)
class AuthFailure:
    status: int
    reason: str
    body: Any = None  # None: use the body the spec documents for `status`
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Credentials:
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


def header_rule_check(rule: HeaderRule) -> Check:
    """A check enforcing one configured header rule."""
    pattern = re.compile(rule.pattern) if rule.pattern else None

    def check(credentials: Credentials) -> AuthFailure | None:
        value = credentials.headers.get(rule.header)
        valid = bool(value and value.strip())
        if valid and rule.scheme:
            valid = has_scheme(value, rule.scheme)
        if valid and rule.format == "uuid":
            valid = is_uuid(str(value).strip())
        if valid and pattern:
            valid = pattern.fullmatch(str(value)) is not None
        if valid:
            return None
        reason = f"{rule.name or rule.header}: header {rule.header!r} missing or malformed"
        return AuthFailure(rule.status, reason, rule.body, dict(rule.headers))

    return check


def _scheme_satisfied(scheme: Mapping[str, Any], credentials: Credentials) -> bool:
    kind = str(scheme.get("type", "")).lower()
    if kind == "apikey":
        source = {"header": credentials.headers, "query": credentials.query, "cookie": credentials.cookies}
        values = source.get(str(scheme.get("in", "")).lower())
        return bool(values and values.get(str(scheme.get("name", ""))))
    if kind == "http":
        http_scheme = str(scheme.get("scheme", "bearer")).lower()
        authorization = credentials.headers.get("authorization")
        if http_scheme == "basic":
            return _is_basic(authorization)
        return has_scheme(authorization, http_scheme)
    if kind in ("oauth2", "openidconnect"):
        return has_scheme(credentials.headers.get("authorization"), "bearer")
    return True  # mutualTLS and unknown types cannot be checked over plain HTTP


def _is_basic(value: str | None) -> bool:
    if not has_scheme(value, "basic"):
        return False
    encoded = str(value).strip().partition(" ")[2].strip()
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded


def _challenge(scheme: Mapping[str, Any]) -> str:
    kind = str(scheme.get("type", "")).lower()
    if kind == "http":
        name = str(scheme.get("scheme", "bearer")).capitalize()
        return f'{name} realm="mockserver"' if name == "Basic" else name
    if kind == "apikey":
        return f'ApiKey realm="mockserver", name="{scheme.get("name", "")}", in="{scheme.get("in", "")}"'
    return "Bearer"


def security_check(spec: Spec, operation: Operation) -> Check | None:
    """A check for the operation's security requirements (alternatives OR-ed, schemes in one AND-ed)."""
    requirements = operation.security
    if not requirements or any(not requirement for requirement in requirements):
        return None
    schemes = spec.security_schemes
    alternatives = [[schemes.get(name, {}) for name in requirement] for requirement in requirements]
    challenge = ", ".join(dict.fromkeys(_challenge(s) for group in alternatives for s in group))

    def check(credentials: Credentials) -> AuthFailure | None:
        if any(all(_scheme_satisfied(s, credentials) for s in group) for group in alternatives):
            return None
        return AuthFailure(401, "missing or invalid credentials", None, {"WWW-Authenticate": challenge})

    return check


def operation_checks(spec: Spec, operation: Operation, rules: list[HeaderRule]) -> tuple[Check, ...]:
    """Every auth check of an operation, in the order the server applies them."""
    checks: list[Check] = [
        header_rule_check(rule)
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
