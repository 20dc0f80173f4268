"""Credentials: where a security scheme or a header rule expects one, and what a client sends there.

The one mapping from the spec's `securitySchemes` and the config's header rules to the header, query
parameter or cookie a client sends, used by the pytest plugin, `contract`, generation and masking.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mockserver.foundation.config import HeaderRule, MockConfig
from mockserver.spec.model import Operation, Spec

Location = Literal["header", "query", "cookie"]
AUTHORIZATION = "Authorization"
DEFAULT_TOKEN = "mockserver-token"
DEFAULT_BASIC_CREDENTIALS = "mockserver:mockserver"
_LOCATIONS: tuple[Location, ...] = ("header", "query", "cookie")


@dataclass(frozen=True)
class Credential:
    """One credential as a client sends it."""

    location: Location
    name: str
    value: str


def scheme_carrier(scheme: Mapping[str, Any]) -> tuple[Location, str] | None:
    """Where a security scheme's credential travels: (location, name); None for schemes the mock cannot
    check (mutualTLS, unknown types)."""
    kind = str(scheme.get("type", "")).lower()
    if kind in ("http", "oauth2", "openidconnect"):
        return "header", AUTHORIZATION
    if kind == "apikey":
        location = str(scheme.get("in", "header")).lower()
        name = str(scheme.get("name", ""))
        if location in _LOCATIONS and name:
            return location, name
    return None


def scheme_credential(scheme: Mapping[str, Any], token: str) -> Credential | None:
    """What a client sends to satisfy `scheme` with `token` (Basic: `token` if it is `user:password`)."""
    carrier = scheme_carrier(scheme)
    if carrier is None:
        return None
    location, name = carrier
    if str(scheme.get("type", "")).lower() != "http":
        prefix = "Bearer " if name == AUTHORIZATION and location == "header" else ""
        return Credential(location, name, prefix + token)
    kind = str(scheme.get("scheme", "bearer")).lower()
    if kind == "basic":
        pair = token if ":" in token else DEFAULT_BASIC_CREDENTIALS
        return Credential("header", AUTHORIZATION, "Basic " + base64.b64encode(pair.encode()).decode())
    return Credential("header", AUTHORIZATION, f"{kind.capitalize()} {token}")


def rule_credential(rule: HeaderRule, token: str) -> Credential | None:
    """A value that passes a configured header rule; None when only the user can say (a bare pattern)."""
    if rule.scheme:
        return Credential("header", rule.header, f"{rule.scheme.capitalize()} {token}")
    if rule.format == "uuid":
        # Stable across runs, so a failing test replays with the same value.
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"mockserver:{rule.header.lower()}")
        return Credential("header", rule.header, str(stable))
    if rule.pattern:
        return None
    return Credential("header", rule.header, token)


def required_schemes(spec: Spec) -> list[Mapping[str, Any]]:
    """The schemes of each operation's first security alternative, each once, in spec order."""
    names: dict[str, None] = {}
    for operation in spec.operations:
        requirements = operation.security
        if requirements and all(requirements):
            names.update(dict.fromkeys(requirements[0]))
    schemes = spec.security_schemes
    return [schemes[name] for name in names if name in schemes]


def client_credentials(config: MockConfig, spec: Spec, token: str = DEFAULT_TOKEN,
                       tenant: str | None = None) -> list[Credential]:
    """Credentials that satisfy the config's header rules and the spec's security schemes: the tenant id
    in the config's tenant header (when given), then the rules, then the schemes; one per place (the
    first wins), header names compared case-insensitively."""
    found: list[Credential | None] = []
    if tenant and config.tenant_header:
        found.append(Credential("header", config.tenant_header, tenant))
    found += [rule_credential(rule, token) for rule in config.auth]
    found += [scheme_credential(scheme, token) for scheme in required_schemes(spec)]
    return _one_per_place(credential for credential in found if credential is not None)


def token_credential(config: MockConfig, spec: Spec, token: str) -> Credential:
    """Where a user's token goes: the first header rule with a scheme, else the first declared scheme,
    else `Authorization: Bearer`."""
    for rule in config.auth:
        if rule.scheme:
            found = rule_credential(rule, token)
            assert found is not None  # a rule with a scheme always takes the token
            return found
    for scheme in spec.security_schemes.values():
        credential = scheme_credential(scheme, token)
        if credential is not None:
            return credential
    return Credential("header", AUTHORIZATION, f"Bearer {token}")


def credential_headers(
    config: MockConfig, spec: Spec, token: str | None, tenant: str | None
) -> dict[str, str]:
    """The headers that authenticate a contract request: the token where it goes (when that is a header)
    and the tenant id in the config's tenant header."""
    headers: dict[str, str] = {}
    if token:
        credential = token_credential(config, spec, token)
        if credential.location == "header":
            headers[credential.name] = credential.value
    if tenant and config.tenant_header:
        headers[config.tenant_header] = tenant
    return headers


def credential_names(spec: Spec, location: Location, operation: Operation | None = None) -> frozenset[str]:
    """Lower-case names of the `location` credentials the spec's schemes declare (those an operation's
    requirements name, when given)."""
    if operation is None:
        schemes: Iterable[Mapping[str, Any]] = spec.security_schemes.values()
    else:
        wanted = {name for requirement in operation.security or () for name in requirement}
        schemes = [scheme for name, scheme in spec.security_schemes.items() if name in wanted]
    names = set()
    for scheme in schemes:
        carrier = scheme_carrier(scheme)
        if carrier is not None and carrier[0] == location:
            names.add(carrier[1].lower())
    return frozenset(names)


def _one_per_place(credentials: Iterable[Credential]) -> list[Credential]:
    kept: dict[tuple[str, str], Credential] = {}
    for credential in credentials:
        name = credential.name.lower() if credential.location == "header" else credential.name
        kept.setdefault((credential.location, name), credential)
    return list(kept.values())


def merge_headers(*layers: Mapping[str, Any]) -> dict[str, str]:
    """Later layers win; names compare case-insensitively and keep the spelling of the last layer."""
    merged: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            for existing in [key for key in merged if key.lower() == name.lower()]:
                del merged[existing]
            merged[name] = str(value)
    return merged
