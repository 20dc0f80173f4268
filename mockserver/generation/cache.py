"""A small thread-safe LRU cache for generated bodies (stored as JSON, so callers get fresh copies)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import orjson

Frozen = bytes | str


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
    """At most `size` entries; the least recently used one goes first."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._entries: OrderedDict[str, Frozen] = OrderedDict()
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
            self._entries[key] = text
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
