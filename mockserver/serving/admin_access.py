"""Who may use the admin API: the Host it is reached by, the page a browser request comes from, the token.

A mock left running on a developer's machine is reachable by every page their browser opens. So:

- the `Host` of an admin request must be a loopback name or address (or `0.0.0.0`, or a name allowed
  with `--allowed-host`): a page on a rebound DNS name (`evil.test` resolving to 127.0.0.1) is refused;
- a request from another origin (its `Origin`, or `Sec-Fetch-Site: cross-site`) may not change the
  mock, nor read it with `fetch`, unless that origin is allowed with `--cors-origin`;
- a request changing the mock must say `Content-Type: application/json`, which an HTML form cannot
  send and a cross-origin `fetch` cannot send without a preflight;
- with a token (`--admin-token`, required when serving on a non-loopback address) every admin
  endpoint but the page needs it, as `Authorization: Bearer <token>` or `X-Mock-Admin-Token`.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import Scope

TOKEN_HEADER = "x-mock-admin-token"
TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
# "This machine" as a browser reaches it (the banner prints it for --host 0.0.0.0); an address, so no
# DNS answer can stand behind it.
_THIS_MACHINE = frozenset({"0.0.0.0", "::"})


@dataclass(frozen=True)
class Refusal:
    """Why an admin request is refused: the status and a message for the problem body."""

    status: int
    detail: str
    challenge: bool = False  # a 401: say how to authenticate (WWW-Authenticate)


def is_loopback(host: str) -> bool:
    """True for a loopback name (`localhost`, `*.localhost`) or address (`127.0.0.1`, `::1`)."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name or address of a `Host` header, without its port (`[::1]:4010` -> `::1`)."""
    value = host_header.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


@dataclass(frozen=True)
class AdminAccess:
    """The rules above for one served mock."""

    allowed_origins: frozenset[str] = frozenset()  # as given to --cors-origin ("*": every origin)
    allowed_hosts: frozenset[str] = frozenset()  # lower-case names or addresses besides loopback ones
    token: str | None = None

    @classmethod
    def of(cls, origins: Iterable[str], hosts: Iterable[str], token: str | None) -> AdminAccess:
        return cls(frozenset(origin.rstrip("/") for origin in origins),
                   frozenset(host_name(host) for host in hosts), token or None)

    def allows_origin(self, origin: str | None) -> bool:
        """True for an origin allowed with --cors-origin (the admin allows none by default)."""
        return origin is not None and ("*" in self.allowed_origins or origin in self.allowed_origins)

    def refusal(self, scope: Scope, *, page: bool = False) -> Refusal | None:
        """Why this admin request may not go on (None when it may). The page itself needs no token: it
        holds nothing, and sends the token the user gives it with every request it makes."""
        headers = Headers(scope=scope)
        host = headers.get("host")
        if host is not None and not self._allows_host(host_name(host)):
            return Refusal(403, f"the admin API is not served to host {host!r}: only to loopback names and "
                                "addresses (protection against DNS rebinding); allow a name with "
                                "mockserver serve --allowed-host NAME")
        changing = scope["method"] in CHANGING_METHODS
        origin = headers.get("origin")
        if self._cross_site(scope, headers, origin, changing) and not self.allows_origin(origin):
            shown = origin or "another site"
            action = "change" if changing else "read"
            return Refusal(403, f"a page on {shown} may not {action} the mock through the admin API; "
                                "allow its origin with mockserver serve --cors-origin ORIGIN")
        if self.token is not None and not page and not self._has_token(headers):
            return Refusal(401, "the admin API needs its token: send it as `Authorization: Bearer <token>` "
                                "or `X-Mock-Admin-Token: <token>`", challenge=True)
        if changing and _media_type(headers.get("content-type")) != "application/json":
            return Refusal(415, "admin requests that change the mock must be sent with "
                                "Content-Type: application/json")
        return None

    def _allows_host(self, name: str) -> bool:
        return is_loopback(name) or name in _THIS_MACHINE or name in self.allowed_hosts

    @staticmethod
    def _cross_site(scope: Scope, headers: Headers, origin: str | None, changing: bool) -> bool:
        if origin is not None and origin != _own_origin(scope, headers):
            return True
        fetched_by = headers.get("sec-fetch-site")
        if fetched_by != "cross-site":
            return False
        # Following a link to the admin page from another site is fine; reading or changing is not.
        return changing or headers.get("sec-fetch-mode") != "navigate"

    def _has_token(self, headers: Headers) -> bool:
        assert self.token is not None
        given = headers.get(TOKEN_HEADER)
        if given is None:
            scheme, _, credentials = headers.get("authorization", "").partition(" ")
            given = credentials.strip() if scheme.lower() == "bearer" else ""
        return hmac.compare_digest(given.encode("latin-1", "replace"), self.token.encode("utf-8"))


def _own_origin(scope: Scope, headers: Headers) -> str:
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    return f"{scheme}://{headers.get('host', '').lower()}"


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()
