"""CORS for browsers: preflights answered with the methods of the matched path, credentials allowed.

Starlette's CORSMiddleware allows one fixed method list for every path; a mock knows better, so this
small wrapper asks a callback (the router) which methods the requested path has. For the API's paths,
every origin is allowed unless a list is given. The requested headers are echoed back (so
`Authorization`, a tenant header or `Content-Type: application/json` need no configuration) and every
header the mock sends is exposed to scripts, its own `X-Mock-Source` and `X-Mock-Error` included.

Paths a `restricted` callback names (the admin API's) are allowed only to the origins listed, never to
every origin; and `Access-Control-Allow-Private-Network` (a public page reaching the developer's
machine) is only ever sent to a listed origin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFLIGHT_MAX_AGE_SECONDS = 600
# Response headers every script may read without being exposed (the CORS-safelisted ones).
_SAFELISTED = frozenset({"cache-control", "content-language", "content-length", "content-type", "expires",
                         "last-modified", "pragma"})
_CORS_HEADERS = frozenset({"access-control-allow-origin", "access-control-allow-credentials",
                           "access-control-expose-headers", "vary"})

AllowedMethods = Callable[[Scope], Iterable[str] | None]
Restricted = Callable[[Scope], bool]
"""The methods the request's path answers, or None when no path matches (any method is then let through
so that the browser sees the real answer, e.g. a 404, instead of a CORS error)."""


class CorsMiddleware:
    """Adds CORS to an ASGI app; `origins` empty means every origin (but for `restricted` paths)."""

    def __init__(self, app: ASGIApp, allowed_methods: AllowedMethods, origins: Iterable[str] = (),
                 restricted: Restricted | None = None) -> None:
        self.app = app
        self.allowed_methods = allowed_methods
        self.origins = frozenset(origin.rstrip("/") for origin in origins)
        self.restricted = restricted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_origin = _origin(scope["headers"])
        if raw_origin is None:  # not a cross-origin browser request: nothing to add
            await self.app(scope, receive, send)
            return
        origin = raw_origin.decode("latin-1")
        headers = Headers(scope=scope)
        allowed = self.listed(origin) if self.restricted is not None and self.restricted(scope) \
            else self.allows(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(scope, headers, origin, allowed, send)
        elif allowed:
            await self.app(scope, receive, _with_cors_headers(send, origin))
        else:
            await self.app(scope, receive, send)

    def allows(self, origin: str) -> bool:
        return not self.origins or self.listed(origin)

    def listed(self, origin: str) -> bool:
        """True for an origin --cors-origin names (or every origin, with `*`)."""
        return "*" in self.origins or origin in self.origins

    async def _preflight(self, scope: Scope, headers: Headers, origin: str, allowed: bool,
                         send: Send) -> None:
        if not allowed:
            detail = f"origin {origin} is not allowed (mockserver serve --cors-origin)".encode("latin-1")
            shown = bytes(byte if 0x20 <= byte <= 0x7E else 0x3F for byte in detail[:200])
            await _respond(send, 403, [(b"content-type", b"text/plain; charset=utf-8"),
                                       (b"x-mock-error", shown)], detail)
            return
        requested = headers["access-control-request-method"].upper()
        methods = self.allowed_methods(scope)
        methods = [requested] if methods is None else sorted({m.upper() for m in methods} | {"OPTIONS"})
        response_headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-credentials", b"true"),
            (b"access-control-allow-methods", ", ".join(methods).encode()),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ]
        if "access-control-request-headers" in headers:
            response_headers.append(
                (b"access-control-allow-headers", headers["access-control-request-headers"].encode("latin-1"))
            )
        if headers.get("access-control-request-private-network") == "true" and self.listed(origin):
            # Chrome asks before a public page may call a server on the developer's machine.
            response_headers.append((b"access-control-allow-private-network", b"true"))
        await _respond(send, 204, response_headers, b"")


def _origin(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"origin":
            return value
    return None


def _with_cors_headers(send: Send, origin: str) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            exposed = sorted({name for name in headers if name not in _SAFELISTED | _CORS_HEADERS})
            headers["access-control-allow-origin"] = origin
            headers["access-control-allow-credentials"] = "true"
            if exposed:
                headers["access-control-expose-headers"] = ", ".join(exposed)
            headers.add_vary_header("Origin")
        await send(message)

    return send_with_cors


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
