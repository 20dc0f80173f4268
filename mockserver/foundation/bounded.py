"""A thread-safe LRU mapping bounded by entries and by a total weight; the size of a JSON value.

What a mock remembers of each schema, collection or record is cheap on a small spec and large on a big
one (a record of a large interlinked spec holds hundreds of nested objects): counting entries alone
bounds the first, not the second. Each entry is weighed when it is stored; the least recently used
entries go first when either bound is passed (the newest one always stays).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from mockserver.foundation.jsonbytes import dumps_json

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `entries` entries (0: it keeps nothing) and `weight` in all (each entry weighs at least 1)."""

    def __init__(self, entries: int, weight: int | None = None,
                 on_evict: Callable[[K, V], None] | None = None) -> None:
        self.entries = max(0, entries)
        self.max_weight = weight if weight is not None else self.entries
        self.on_evict = on_evict  # told of each entry the bounds push out (not of `clear`), outside the lock
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, weight: int = 1) -> None:
        if self.entries == 0:
            return
        weight = max(1, weight)
        evicted: list[tuple[K, V]] = []
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._weight -= previous[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while len(self._items) > 1 and (
                    len(self._items) > self.entries or self._weight > self.max_weight):
                dropped_key, (dropped, dropped_weight) = self._items.popitem(last=False)
                self._weight -= dropped_weight
                evicted.append((dropped_key, dropped))
        if self.on_evict is not None:
            for dropped_key, dropped in evicted:
                self.on_evict(dropped_key, dropped)

    def setdefault(self, key: K, make: Callable[[], V], weigh: Callable[[V], int] | None = None) -> V:
        """The value kept for `key`, else `make()` kept (weighed by `weigh`, else 1). `make` runs outside
        the lock: two threads may both make it, and the first kept wins."""
        found = self.get(key)
        if found is not None:
            return found
        made = make()
        raced = self.get(key)
        if raced is not None:
            return raced
        self.put(key, made, weigh(made) if weigh is not None else 1)
        return made

    @property
    def weight(self) -> int:
        return self._weight

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def peek(self, key: K) -> V | None:
        """The value kept for `key`, without making it the most recently used."""
        found = self._items.get(key)
        return None if found is None else found[0]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0


def json_size(value: Any) -> int:
    """The length of `value` as compact JSON: what its memory grows with, measured at C speed."""
    return len(dumps_json(value))
