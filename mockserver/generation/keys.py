"""Request keys and seeds: what a generated body is a pure function of, hashed the same in every process.

A body depends on the seed, the operation, the documented status and media type, the path parameters,
the query parameters (in any order) and the headers that select behaviour. Credentials (`Authorization`,
cookies, API-key headers) and `Prefer` (apart from its `seed=N`) are left out: a new token must not
change the data, and `Prefer: dynamic=true` only says *that* a body is generated, not which one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

ALWAYS_IGNORED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "prefer"})
_PREFER_SEED = re.compile(r"(?:^|[,;\s])seed\s*=\s*\"?(-?\d+)\"?", re.IGNORECASE)


def stable_hash(*parts: Any) -> int:
    """A 64-bit integer from JSON-able parts (their `request_key`), the same in every process (unlike
    `hash()`)."""
    return int.from_bytes(hashlib.sha256(request_key(*parts).encode()).digest()[:8], "big")


def entity_seed(world: int, identity: int, record_id: Any) -> int:
    """The seed of the record with this id, of this schema, in this world (cheaper than `stable_hash`)."""
    text = f"{world}|{identity}|{type(record_id).__name__}|{record_id}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


# orjson writes dates and dataclasses its own way: they go to `default` (str), as with the standard library.
_KEY_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Where orjson's text may differ from the standard library's: floats under 1e-4 (`0.00001`, `2.5e-7`
# against `1e-05`, `2.5e-07`). Also found inside some strings: those take the slower way, to the same text.
_SMALL_FLOAT = re.compile(rb"[:,\[]-?(?:0\.0000|[0-9][0-9.]*e-)")


def request_key(*parts: Any) -> str:
    """A canonical text of the parts (mappings with sorted keys), usable as a cache key and a seed source:
    the standard library's, written by orjson where that gives the same text (it runs per request)."""
    try:
        text = orjson.dumps(parts, default=str, option=_KEY_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):  # keys that are not strings, integers past 64 bits, ...
        text = None
    if text is None or _SMALL_FLOAT.search(text):
        return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return text.decode()


def behaviour_headers(headers: Mapping[str, str], ignored: Iterable[str] = ()) -> dict[str, str]:
    """The headers a body may depend on: lower-cased names, credentials and `Prefer` left out."""
    skip = ALWAYS_IGNORED_HEADERS | {name.lower() for name in ignored}
    return {name.lower(): value for name, value in headers.items() if name.lower() not in skip}


def prefer_seed(headers: Mapping[str, str]) -> int | None:
    """The `seed=N` of a `Prefer` header, if the headers carry one."""
    for name, value in headers.items():
        if name.lower() == "prefer" and isinstance(value, str):
            match = _PREFER_SEED.search(value)
            if match:
                return int(match.group(1))
    return None
