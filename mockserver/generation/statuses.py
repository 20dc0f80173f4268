"""Error bodies that agree with their status: the integer `status` or `code` of a 401 body says 401, and a
problem document's `title` is the status' phrase (RFC 9457 for `about:blank` problems)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mockserver.spec.model import Validator

# Field names that carry the HTTP status in error bodies (RFC 9457 `status`, and the usual others).
STATUS_FIELDS = ("status", "code", "statusCode", "status_code", "httpStatus", "http_status")
_DEPTH = 2  # the body itself and the objects it holds (`{"error": {"code": 401, ...}}`)


def with_status(body: Any, status: int, validator: Validator) -> Any:
    """`body` with each integer status field set to `status` (and a problem's `title` to its phrase), when
    the body stays valid; else `body`."""
    pinned = _pinned(body, status, _DEPTH)
    for candidate in (_titled(pinned, status), pinned):
        if candidate is body:
            return body
        if validator.is_valid(candidate):
            return candidate
    return body


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


def _titled(body: Any, status: int) -> Any:
    """A problem document (a top-level integer `status`) with its string `title` the status' phrase."""
    if not isinstance(body, dict) or body.get("status") != status or not isinstance(body.get("title"), str):
        return body
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status Python has no phrase for
        return body
    return {**body, "title": phrase}
