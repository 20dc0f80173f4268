"""The headers that authenticate contract requests, built from a token and a tenant id.

Where they go is read from the same places the mock reads them: a header rule with a `scheme` takes
the token (`Authorization: Bearer <token>`), the config's `tenant_header` takes the tenant, and
without such a rule the spec's declared security schemes say where the token goes.
"""

from __future__ import annotations

from typing import Any

from mockserver.foundation.config import MockConfig
from mockserver.spec.model import Spec

DEFAULT_TOKEN_HEADER = "Authorization"


def _token_headers_from_schemes(spec: Spec, token: str) -> dict[str, str]:
    for scheme in spec.security_schemes.values():
        kind = str(scheme.get("type", "")).lower()
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return {"Authorization": f"Bearer {token}"}
        if kind == "apikey" and str(scheme.get("in", "")).lower() == "header" and scheme.get("name"):
            return {str(scheme["name"]): token}
        if kind in ("oauth2", "openidconnect"):
            return {"Authorization": f"Bearer {token}"}
    return {}


def token_headers(config: MockConfig, spec: Spec, token: str) -> dict[str, str]:
    for rule in config.auth:
        if rule.scheme:
            return {rule.header: f"{rule.scheme.capitalize()} {token}"}
    return _token_headers_from_schemes(spec, token) or {DEFAULT_TOKEN_HEADER: f"Bearer {token}"}


def credential_headers(
    config: MockConfig, spec: Spec, token: str | None, tenant: str | None
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if token:
        headers.update(token_headers(config, spec, token))
    if tenant and config.tenant_header:
        headers[config.tenant_header] = tenant
    return headers


def merge_headers(*layers: dict[str, Any]) -> dict[str, str]:
    """Later layers win; names compare case-insensitively and keep the spelling of the last layer."""
    merged: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            for existing in [key for key in merged if key.lower() == name.lower()]:
                del merged[existing]
            merged[name] = str(value)
    return merged
