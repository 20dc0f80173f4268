"""What observers see of each request and the journal keeps: one Exchange per request, the newest kept."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from mockserver.http.answer import Answer

DEFAULT_JOURNAL_SIZE = 1000


@dataclass(eq=False)
class Exchange:
    """One request and what the mock answered. Made for every request, so it keeps the raw headers;
    `headers` decodes them when first read."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    raw_headers: tuple[tuple[bytes, bytes], ...]  # as the server received them (ASGI: lower-case names)
    body: bytes
    operation: str | None  # "METHOD /path" of the operation, None when no route matched
    operation_id: str | None
    answer: Answer
    duration_ms: float
    time: float  # when it was answered, seconds since the epoch

    @property
    def status(self) -> int:
        return self.answer.status

    @property
    def source(self) -> str:
        return self.answer.source

    @cached_property
    def headers(self) -> dict[str, str]:
        """The request headers by name (of a repeated name, the last value)."""
        return {name.decode("latin-1"): value.decode("latin-1") for name, value in self.raw_headers}

    def json(self) -> Any:
        """The request body, parsed as JSON (None when there is none)."""
        return orjson.loads(self.body) if self.body else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(pair) for pair in self.query],
            "headers": self.headers,
            "body": self.body.decode("utf-8", "replace"),
            "operation": self.operation,
            "operation_id": self.operation_id,
            "status": self.status,
            "source": self.source,
            "duration_ms": round(self.duration_ms, 3),
            "time": self.time,
        }


Observer = Callable[[Exchange], None]


class Journal:
    """The newest `size` exchanges, oldest first."""

    def __init__(self, size: int = DEFAULT_JOURNAL_SIZE) -> None:
        self.capacity = size
        self._entries: deque[Exchange] = deque(maxlen=size)

    def record(self, exchange: Exchange) -> None:
        self._entries.append(exchange)

    def clear(self) -> None:
        self._entries.clear()

    def __iter__(self) -> Iterator[Exchange]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)
