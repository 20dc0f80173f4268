"""Real ids for path parameters: given on the command line or harvested from earlier responses.

Names are matched generically: a path parameter `customer_id` (or `customerId`) takes values of
response fields named `customer_id`, and of the `id` of items listed under a related name, e.g.
the items of `GET /customers` or of a `customers` array. A parameter named just `id` is related to
the path segment before it (`/invoices/{id}` takes invoice ids).
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Iterable
from typing import Any

MAX_VALUES_PER_NAME = 50
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_LIST_KEYS = ("items", "data", "results", "records")


def normalize(name: str) -> str:
    """`customerId`, `Customer-ID` and `customer_id` all become `customer_id`."""
    snake = _CAMEL_BOUNDARY.sub("_", name).replace("-", "_").replace(" ", "_")
    return snake.lower().strip("_")


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def id_name_for(collection: str) -> str:
    """The id field name that items of `collection` are known by: `line-items` -> `line_item_id`."""
    return f"{singular(normalize(collection))}_id"


def static_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment and not segment.startswith("{")]


def parameter_keys(path: str, name: str) -> list[str]:
    """The pool names a path parameter can take values from, best first."""
    key = normalize(name)
    if key != "id":
        return [key]
    segments = path.split("/")
    position = next((i for i, segment in enumerate(segments) if segment == "{" + name + "}"), len(segments))
    before = [s for s in segments[:position] if s and not s.startswith("{")]
    return [id_name_for(before[-1]), "id"] if before else ["id"]


def _is_id_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and 0 < len(value) <= 200 and value.strip() == value


class IdPool:
    """Thread-safe store of id values by normalized field name, in the order they were first seen."""

    def __init__(self) -> None:
        self._values: dict[str, list[str]] = {}
        self._given: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def give(self, name: str, value: str) -> None:
        """A value from the command line: always offered first."""
        with self._lock:
            values = self._given.setdefault(normalize(name), [])
            if value not in values:
                values.append(value)

    def add(self, name: str, value: Any) -> None:
        if not _is_id_value(value):
            return
        text = str(value)
        with self._lock:
            values = self._values.setdefault(normalize(name), [])
            if text not in values and len(values) < MAX_VALUES_PER_NAME:
                values.append(text)

    def _lookup(self, store: dict[str, list[str]], keys: Iterable[str]) -> list[str]:
        with self._lock:
            result: list[str] = []
            for key in keys:
                for value in store.get(key, ()):
                    if value not in result:
                        result.append(value)
            return result

    def choose(self, path: str, name: str, generated: Any) -> str | None:
        """A real id to send instead of a generated value, or None to keep the generated one.

        Deterministic: the same generated value always maps to the same choice. A value given on the
        command line is always used; harvested ones leave one generated value in (count + 1) as it is,
        so the operation's 404 path is exercised too.
        """
        keys = parameter_keys(path, name)
        digest = zlib.crc32(repr(generated).encode("utf-8", "replace"))
        given = self._lookup(self._given, keys)
        if given:
            return given[digest % len(given)]
        harvested = self._lookup(self._values, keys)
        index = digest % (len(harvested) + 1)
        return harvested[index] if index < len(harvested) else None

    def has_values(self, path: str, name: str) -> bool:
        keys = parameter_keys(path, name)
        return bool(self._lookup(self._given, keys) or self._lookup(self._values, keys))

    def first(self, path: str, name: str) -> str | None:
        keys = parameter_keys(path, name)
        values = self._lookup(self._given, keys) or self._lookup(self._values, keys)
        return values[0] if values else None

    def _known(self, path: str, name: str) -> list[str]:
        keys = parameter_keys(path, name)
        given = self._lookup(self._given, keys)
        return given + [value for value in self._lookup(self._values, keys) if value not in given]

    def position(self, path: str, name: str, value: Any) -> int | None:
        """Where `value` stands among the ids known for the parameter (given first), or None."""
        known = self._known(path, name)
        return known.index(str(value)) if str(value) in known else None

    def at(self, path: str, name: str, position: int) -> str | None:
        """The id at `position` among those known for the parameter (wrapping round), or None."""
        known = self._known(path, name)
        return known[position % len(known)] if known else None

    def harvest(self, path: str, body: Any) -> None:
        """Record every id in a response body of the operation at `path`."""
        segments = static_segments(path)
        collection = segments[-1] if segments and not path.rstrip("/").endswith("}") else None
        self._walk(body, collection)

    def _walk(self, node: Any, collection: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                if isinstance(item, dict) and collection is not None:
                    self.add(id_name_for(collection), item.get("id"))
                self._walk(item, None)
        elif isinstance(node, dict):
            for key, value in node.items():
                name = normalize(str(key))
                if name == "id" or name.endswith("_id"):
                    self.add(name, value)
                if isinstance(value, list):
                    self._walk(value, collection if key in _LIST_KEYS else str(key))
                elif isinstance(value, dict):
                    self._walk(value, None)
