"""Where the recorder forwards a request: its upstream, at the request's path and query, and nowhere else.

The upstream URL is the `--base-url` with the request's path and query put in its path, never text
glued to it: a request target that is not a plain path (absolute-form `http://elsewhere/`,
authority-form `elsewhere:443`, `@elsewhere`, `//elsewhere`, a backslash) is refused. uvicorn's
httptools parser keeps only the path of an absolute-form target, so the recorder serves with
`TargetKeepingHttpTools`, which hands the app the target as the client wrote it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from starlette.types import Scope

TARGET_EXTENSION = "mockserver.request_target"
# A plain origin-form path: a slash first (not two), then no backslash (raw or %5C) and no whitespace
# or control character.
_ORIGIN_FORM = re.compile(rb"/(?!/)[^\\\x00-\x20\x7f]*")
_ENCODED_BACKSLASH = re.compile(rb"%5c", re.IGNORECASE)


class TargetRefused(ValueError):
    """A request target the recorder does not forward."""


def request_target(scope: Scope) -> bytes:
    """The request target as the client sent it (as far as the server tells): path and query."""
    kept = (scope.get("extensions") or {}).get(TARGET_EXTENSION, {}).get("target")
    if isinstance(kept, bytes):
        return kept
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return raw_path + (b"?" + query if query else b"")


def upstream_url(base_url: str, scope: Scope) -> httpx.URL:
    """`base_url` with the request's path and query; TargetRefused for a target that is not a path."""
    target = request_target(scope)
    path, _, query = target.partition(b"?")
    if not _ORIGIN_FORM.fullmatch(path) or _ENCODED_BACKSLASH.search(path) or re.search(rb"[\x00-\x20\x7f]",
                                                                                          query):
        shown = target[:100].decode("latin-1").encode("unicode_escape").decode("ascii")
        raise TargetRefused(f"request target {shown!r} is not a path: the recorder forwards paths to "
                            "its --base-url only")
    base = httpx.URL(base_url)
    url = base.copy_with(raw_path=base.raw_path.rstrip(b"/") + target)
    if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):  # defence in depth
        raise TargetRefused("the request would leave the recorder's --base-url")
    return url


def http_protocol(name: str = "auto") -> Any:
    """What to give uvicorn as `http`: h11 (which keeps the whole target in `raw_path`), or httptools made
    to keep it too."""
    if name == "h11":
        return "h11"
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is not installed
        if name == "httptools":
            raise
        return "h11"

    class TargetKeepingHttpTools(HttpToolsProtocol):
        """uvicorn's httptools protocol, handing the app the raw request target (see the module)."""

        def on_headers_complete(self) -> None:
            self.scope.setdefault("extensions", {})[TARGET_EXTENSION] = {"target": bytes(self.url)}
            super().on_headers_complete()

    return TargetKeepingHttpTools
