"""Error bodies that agree with their status: the integer `status` or `code` of a 401 body says 401."""

from __future__ import annotations

from typing import Any

from mockserver.spec.model import Validator

# Field names that carry the HTTP status in error bodies (RFC 9457 `status`, and the usual others).
STATUS_FIELDS = ("status", "code", "statusCode", "status_code", "httpStatus", "http_status")
_DEPTH = 2  # the body itself and the objects it holds (`{"error": {"code": 401, ...}}`)


def with_status(body: Any, status: int, validator: Validator) -> Any:
    """`body` with each integer status field set to `status`, when the body stays valid; else `body`."""
    pinned = _pinned(body, status, _DEPTH)
    if pinned is body or not validator.is_valid(pinned):
        return body
    return pinned


def _pinned(value: Any, status: int, depth: int) -> Any:
    """A copy of `value` with its status fields set (`value` itself when it has none to set)."""
    if not isinstance(value, dict) or depth == 0:
        return value
    changed: dict[str, Any] = {}
    for key, item in value.items():
        if key in STATUS_FIELDS and type(item) is int and item != status:
            changed[key] = status
        elif isinstance(item, dict):
            inner = _pinned(item, status, depth - 1)
            if inner is not item:
                changed[key] = inner
    return {**value, **changed} if changed else value
