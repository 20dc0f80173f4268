"""The requests that prove auth is enforced, derived from the same rules the mock enforces.

For every header rule of the mock config that applies to an operation (e.g. a bearer token, a tenant
id), two probes: the header left out, and the header present but malformed. For operations that
declare security schemes, one more: every declared credential left out. Each probe names the status
the server must answer with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mockserver.foundation.config import HeaderRule
from mockserver.http.auth import Credentials, header_rule_check
from mockserver.http.credentials import scheme_carrier
from mockserver.spec.model import Operation, Spec

# Tried in order; the first one the rule itself rejects is the malformed value.
_MALFORMED_CANDIDATES = ("not-a-valid-value", "%%%", "0", "x" * 300)
DECLARED_SCHEME_STATUS = 401


@dataclass(frozen=True)
class AuthProbe:
    """One request variant: the headers to send and the status the server must answer with."""

    description: str
    headers: dict[str, str]
    expected_status: int


def applicable_rules(operation: Operation, rules: list[HeaderRule]) -> list[HeaderRule]:
    """The header rules the mock applies to `operation`, in the order it applies them."""
    return [
        rule
        for rule in rules
        if rule.operations is None or any(operation.matches_name(name) for name in rule.operations)
    ]


def _rejected(rule: HeaderRule, value: str) -> bool:
    check = header_rule_check(rule)
    return check(Credentials(headers={rule.header: value}, query={}, cookies={})) is not None


def malformed_value(rule: HeaderRule, current: str) -> str | None:
    """A value for the rule's header that the rule rejects, or None when every value is accepted."""
    candidates: list[str] = []
    if rule.scheme and current:
        # The credentials without their scheme, the most common client mistake.
        candidates.append(current.strip().partition(" ")[2].strip() or current)
    candidates.extend(_MALFORMED_CANDIDATES)
    return next((value for value in candidates if value.strip() and _rejected(rule, value)), None)


def _without(headers: Mapping[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in headers.items() if key.lower() != name.lower()}


def _label(rule: HeaderRule) -> str:
    return rule.name or rule.header


def rule_probes(rule: HeaderRule, headers: Mapping[str, str]) -> list[AuthProbe]:
    """Probes for one rule, built from the headers of a request the server accepted."""
    current = next((value for key, value in headers.items() if key.lower() == rule.header.lower()), None)
    if current is None:
        return []  # the accepted request did not carry it, so there is nothing to take away
    probes = [AuthProbe(f"no {_label(rule)} ({rule.header} header left out)", _without(headers, rule.header),
                        rule.status)]
    malformed = malformed_value(rule, current)
    if malformed is not None:
        changed = {**_without(headers, rule.header), rule.header: malformed}
        description = f"malformed {_label(rule)} ({rule.header} header malformed)"
        probes.append(AuthProbe(description, changed, rule.status))
    return probes


def _declared_credential_headers(spec: Spec, operation: Operation) -> list[str]:
    """Headers that carry the credentials of the operation's declared security schemes."""
    requirements = operation.security or ()
    if not requirements or any(not requirement for requirement in requirements):
        return []
    names: list[str] = []
    for requirement in requirements:
        for scheme_name in requirement:
            carrier = scheme_carrier(spec.security_schemes.get(scheme_name, {}))
            if carrier is not None and carrier[0] == "header":
                names.append(carrier[1])
    return list(dict.fromkeys(names))


def declared_scheme_probe(spec: Spec, operation: Operation, headers: Mapping[str, str]) -> AuthProbe | None:
    names = _declared_credential_headers(spec, operation)
    sent = {key.lower() for key in headers}
    if not names or not any(name.lower() in sent for name in names):
        return None
    remaining = dict(headers)
    for name in names:
        remaining = _without(remaining, name)
    return AuthProbe(f"no credentials ({', '.join(names)} left out)", remaining, DECLARED_SCHEME_STATUS)


def auth_probes(
    spec: Spec, operation: Operation, rules: list[HeaderRule], headers: Mapping[str, str]
) -> list[AuthProbe]:
    """Every probe for an operation, given the headers of a request the server accepted."""
    probes = [probe for rule in applicable_rules(operation, rules) for probe in rule_probes(rule, headers)]
    declared = declared_scheme_probe(spec, operation, headers)
    covered = {rule.header.lower() for rule in rules}
    if declared is not None and not all(
        name.lower() in covered for name in _declared_credential_headers(spec, operation)
    ):
        probes.append(declared)
    return probes
