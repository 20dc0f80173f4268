"""Encoded bodies the mock keeps take their own length in memory (mockserver.foundation.jsonbytes)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from mockserver.foundation.jsonbytes import json_bytes
from mockserver.generation.cache import freeze
from mockserver.http.encoding import encode_body

PAGE = {"data": [{"id": f"cm_{index}", "amount": 12345, "status": "open", "memo": "x" * 40}
                 for index in range(50)]}
ERROR = {"detail": "Not enough permissions"}


def held(make: Callable[[], bytes]) -> tuple[bytes, int]:
    """What `make()` returns and the memory it still holds once made."""
    tracemalloc.start()
    try:
        made = make()
        return made, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("value", [PAGE, ERROR], ids=["page", "error body"])
@pytest.mark.parametrize("encode", [json_bytes, freeze, lambda value: encode_body(value, "application/json")],
                         ids=["json_bytes", "generated-body cache", "answer encoding"])
def test_a_kept_body_takes_about_its_own_length(value: Any, encode: Callable[[Any], bytes]) -> None:
    made, size = held(lambda: encode(value))
    assert made == orjson.dumps(value)
    assert size <= len(made) + 1024  # the object's header and small change, not orjson's 4 KiB or more
