"""JSON as bytes that take only their own length in memory, for the encoded bodies a mock keeps."""

from __future__ import annotations

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
