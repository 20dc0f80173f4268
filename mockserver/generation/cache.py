"""The cache of generated bodies (stored as JSON, so callers get fresh copies): a bounded LRU by bytes."""

from __future__ import annotations

import json
from typing import Any

import orjson

from mockserver.foundation.bounded import BoundedCache
from mockserver.foundation.jsonbytes import json_bytes

Frozen = bytes | str
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # hundreds of large pages (a record of a huge spec: dozens)


def freeze(body: Any) -> Frozen:
    """`body` as JSON: orjson's bytes when they read back exactly, else the standard library's text.

    Raises ValueError for NaN or infinities, as the standard library does. orjson decodes several
    times faster, which is most of the cost of a cached answer; values it cannot write exactly
    (integers beyond 64 bits, lone surrogates) stay in the standard library's text.
    """
    try:
        frozen = json_bytes(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, allow_nan=False)
    if b"null" in frozen:  # orjson writes NaN and infinities as null; the standard library refuses them
        json.dumps(body, ensure_ascii=False, allow_nan=False, check_circular=False)
    return frozen


def thaw(frozen: Frozen) -> Any:
    """A fresh copy of a frozen body."""
    return orjson.loads(frozen) if isinstance(frozen, bytes) else json.loads(frozen)


class BodyCache(BoundedCache[str, Frozen]):
    """At most `size` entries (0: none) and `max_bytes` of JSON; the least recently used one goes first."""

    def __init__(self, size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(size, max_bytes)

    def put(self, key: str, value: Frozen, weight: int | None = None) -> None:
        """Keep `value`, weighed by its length unless told otherwise."""
        super().put(key, value, len(value) if weight is None else weight)
