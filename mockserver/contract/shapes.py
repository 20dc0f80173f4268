"""Response shapes (keys and JSON types) and the differences between two of them, for `diff`.

Values never matter, only structure: `{"a": 1}` and `{"a": 2}` agree, `{"a": 1}` and `{"a": "1"}`
do not. A `null` agrees with anything (optional fields are null in one dataset and set in another)
and so does an empty array (one side simply has no items).
"""

from __future__ import annotations

from typing import Any

from mockserver.foundation.problems import join_pointer
from mockserver.validation.checkers import json_type

MAX_DIFFERENCES = 20
PRESENT_VS_MISSING = "present vs missing"
MISSING_VS_PRESENT = "missing vs present"


def shape_differences(left: Any, right: Any, pointer: str = "") -> list[str]:
    """Where `left` and `right` differ in keys or types, as `pointer: left vs right` lines."""
    return [f"{where or '/'}: {detail}" for where, detail in shape_difference_items(left, right, pointer)]


def shape_difference_items(left: Any, right: Any, pointer: str = "") -> list[tuple[str, str]]:
    """Where `left` and `right` differ, as (pointer, "left vs right") pairs; items of arrays are `*`."""
    differences: list[tuple[str, str]] = []
    _compare(left, right, pointer, differences)
    return differences[:MAX_DIFFERENCES]


def _compare(left: Any, right: Any, pointer: str, out: list[tuple[str, str]]) -> None:
    if len(out) >= MAX_DIFFERENCES or left is None or right is None:
        return
    left_type, right_type = json_type(left), json_type(right)
    if left_type != right_type:
        out.append((pointer, f"{left_type} vs {right_type}"))
    elif left_type == "object":
        _compare_objects(left, right, pointer, out)
    elif left_type == "array" and left and right:
        # Items of one array share a shape; the union of what each side shows is compared.
        _compare(_merged(left), _merged(right), pointer + "/*", out)


def _compare_objects(left: dict[str, Any], right: dict[str, Any], pointer: str,
                     out: list[tuple[str, str]]) -> None:
    for key in sorted(left.keys() - right.keys()):
        out.append((pointer + join_pointer(key), PRESENT_VS_MISSING))
    for key in sorted(right.keys() - left.keys()):
        out.append((pointer + join_pointer(key), MISSING_VS_PRESENT))
    for key in sorted(left.keys() & right.keys()):
        _compare(left[key], right[key], pointer + join_pointer(key), out)


def _merged(items: list[Any]) -> Any:
    """One item standing for all: objects merged key by key, else the first non-null item."""
    objects = [item for item in items if isinstance(item, dict)]
    if objects and len(objects) == len([item for item in items if item is not None]):
        merged: dict[str, Any] = {}
        for item in objects:
            for key, value in item.items():
                if merged.get(key) is None:
                    merged[key] = value
        return merged
    return next((item for item in items if item is not None), None)
