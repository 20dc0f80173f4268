"""Opaque page cursors: a position in a binding's ordered records and a direction, as URL-safe text.

Cursors are keyset positions, not offsets: "the records after position 41" stays right when the
client changes filters or page size between requests. Anything that does not decode is reported as
None, never as an exception.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    position: int
    forward: bool  # True: the records after `position`; False: the records before it


def encode_cursor(cursor: Cursor) -> str:
    payload = orjson.dumps([_VERSION, cursor.position, "n" if cursor.forward else "p"])
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> Cursor | None:
    """The cursor `text` encodes, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, position, direction = orjson.loads(raw)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        return None
    if version != _VERSION or type(position) is not int or position < -1 or direction not in ("n", "p"):
        return None
    return Cursor(position, direction == "n")
