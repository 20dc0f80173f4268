"""A small thread-safe LRU cache for generated bodies (stored as JSON, so callers get fresh copies)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import orjson

Frozen = bytes | str
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # hundreds of large pages (a record of a huge spec: dozens)


def freeze(body: Any) -> Frozen:
    """`body` as JSON: orjson's bytes when they read back exactly, else the standard library's text.

    Raises ValueError for NaN or infinities, as the standard library does. orjson decodes several
    times faster, which is most of the cost of a cached answer; values it cannot write exactly
    (integers beyond 64 bits, lone surrogates) stay in the standard library's text.
    """
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)  # the check: plain JSON, finite numbers
    try:
        return orjson.dumps(body)
    except TypeError:
        return text


def thaw(frozen: Frozen) -> Any:
    """A fresh copy of a frozen body."""
    return orjson.loads(frozen) if isinstance(frozen, bytes) else json.loads(frozen)


class BodyCache:
    """At most `size` entries and `max_bytes` of JSON; the least recently used one goes first."""

    def __init__(self, size: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = max(0, size)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Frozen] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Frozen | None:
        with self._lock:
            text = self._entries.get(key)
            if text is not None:
                self._entries.move_to_end(key)
            return text

    def put(self, key: str, text: Frozen) -> None:
        if self.size == 0:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous)
            self._entries[key] = text
            self._bytes += len(text)
            while len(self._entries) > self.size or (self._bytes > self.max_bytes and len(self._entries) > 1):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
