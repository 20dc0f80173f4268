"""Request values as fixture files and records write them: plain JSON values, and the text compared."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def condition_text(value: Any) -> str:
    """The text form both sides of an exact match are compared in (`true`, `10`, `2024-01-31`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def plain(value: Any) -> Any:
    """A request value as records hold it: dates and times as ISO strings, UUIDs and enums as text."""
    if type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
