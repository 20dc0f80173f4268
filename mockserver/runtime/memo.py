"""Answers already given, kept by everything their request was made of: a repeated request skips the work.

The mock's answers are pure functions of the request and the active scenario: routing, auth,
validation, fixtures, datasets and generation (seeded by the request) all are. So a request made of
exactly the same bytes as an earlier one (method, path, query string, every header, body) under the same
scenario gets the same answer, already encoded, with no work but a lookup. Frontends and test suites
repeat requests all the time. What is not pure is left out by the app: requests while overrides are
set (they are counted down per call), operations answered by Python hooks (user code), and the writes
of stateful resources (a POST creates a record each time).

Reads of stateful resources are pure *given the session's records*: the key holds the version of the
request's session (`X-Mock-Session`), which every write changes and which never repeats, so a read after
a write is never answered from before it, and repeated reads between writes still skip the work.

A kept answer is given as it is to every request it answers (an answer is never changed once given:
faults and latency make new ones). An answer is kept the second time its request comes (most requests
made once are made only once), bounded by entries and by encoded bytes, the least recently used going
first; requests with a large body are not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from mockserver.http.answer import Answer
from mockserver.http.encoding import encode_body
from mockserver.runtime.asgi import wire_headers

if TYPE_CHECKING:
    from mockserver.spec.model import Operation

MEMO_ENTRIES = 1024
MEMO_BYTES = 32 * 1024 * 1024
SEEN_ENTRIES = 4 * MEMO_ENTRIES
MAX_REQUEST_BODY = 4096  # bigger request bodies are rarely sent twice: not worth a key


# What a request is made of, and its hash, computed once per request (hashing every header is not free).
MemoKey = tuple[int, tuple[Any, ...]]


class AnswerMemo:
    """A thread-safe LRU of (operation, answer with its body encoded) by request."""

    def __init__(self, entries: int = MEMO_ENTRIES, max_bytes: int = MEMO_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        # By hash; each entry holds the whole key, compared on a hit.
        self._answers: OrderedDict[int, tuple[tuple[Any, ...], Operation | None, Answer, int]] = OrderedDict()
        self._bytes = 0
        self._seen: dict[int, None] = {}  # hashes of requests seen once, not kept yet
        self._lock = threading.Lock()

    @staticmethod
    def key(scope: Scope, body: bytes, too_large: bool, scenario: str | None,
            version: int = 0) -> MemoKey | None:
        """What the answer to this request depends on (`version`: of its session's records); None when the
        request is not worth keeping."""
        if too_large or len(body) > MAX_REQUEST_BODY:
            return None
        parts = (scope["method"], scope.get("raw_path") or scope["path"], scope.get("query_string", b""),
                 tuple(scope["headers"]), body, scenario, version)
        return hash(parts), parts

    def get(self, key: MemoKey) -> tuple[Operation | None, Answer] | None:
        fingerprint, parts = key
        with self._lock:
            found = self._answers.get(fingerprint)
            if found is None or found[0] != parts:
                return None
            self._answers.move_to_end(fingerprint)
        _, operation, answer, _ = found
        return operation, answer

    def put(self, key: MemoKey, operation: Operation | None, answer: Answer) -> Answer:
        """Keep `answer` (as a copy whose body is encoded) if its request was seen before; returns the
        answer to send now. Requests made once (a new request id each time) are not worth the copy."""
        fingerprint, parts = key
        seen = self._seen  # (no lock: each of its operations is one step under the GIL)
        if fingerprint not in seen:
            if len(seen) >= SEEN_ENTRIES:  # a bound, not an order: most requests made once stay so
                seen.clear()
            seen[fingerprint] = None
            return answer
        payload = encode_body(answer.body, answer.media_type) if answer.body is not None else None
        size = len(payload or b"") + 512  # the key and the answer's own objects
        if size > self.max_bytes // 8:
            return answer
        kept = answer.copy(body=payload)
        kept.wire_headers = tuple(wire_headers(kept, payload or b""))  # encoded once, sent as it is
        with self._lock:
            previous = self._answers.pop(fingerprint, None)
            if previous is not None:
                self._bytes -= previous[3]
            self._answers[fingerprint] = (parts, operation, kept, size)
            self._bytes += size
            while len(self._answers) > self.entries or self._bytes > self.max_bytes:
                _, (_, _, _, dropped) = self._answers.popitem(last=False)
                self._bytes -= dropped
        return kept

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._seen.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._answers)
