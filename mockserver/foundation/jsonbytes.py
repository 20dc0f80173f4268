"""JSON as bytes that take only their own length in memory, for the encoded bodies a mock keeps."""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_bytes(value: Any) -> bytes:
    """`orjson.dumps(value)`, copied to a buffer of its length (raises what orjson raises).

    orjson returns its whole working buffer, which since 3.12 starts at 4 KiB and grows by doubling
    after reserving room per container: a 7 KB page held 16 KB, a 100-byte error body 4 KB. The mock
    keeps thousands of encoded bodies (the generated-body cache, remembered answers, the journal,
    dataset records); the copy costs nothing measurable next to the encoding itself.
    """
    return bytes(memoryview(orjson.dumps(value)))


def dumps_json(value: Any) -> bytes:
    """`value` as compact JSON: `json_bytes`, or the standard library's text for what orjson refuses but a
    request can put in an echoed value (integers beyond 64 bits, lone surrogates such as `"\\ud800"` in a
    JSON body), written as valid JSON."""
    try:
        return json_bytes(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), default=str).encode()
