"""A request's headers with constant-time lookups (the app reads a dozen of them per request)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope


class RequestHeaders(Headers):
    """starlette's `Headers`, read through a dict: the first value of each (case-insensitive) name.

    starlette scans the header list on every lookup, and `get` of a missing name raises and catches
    a KeyError; every other behaviour (`getlist`, `items`, `raw`, equality) is starlette's. The dict
    holds the raw bytes (values are decoded when read): servers give lower-case names, so it is built in
    C; names in another case are lowered first.
    """

    def __init__(self, scope: Scope) -> None:
        raw = scope["headers"]
        self._list = raw if type(raw) is list else list(raw)  # (starlette copies it: nothing changes it)
        first = dict(reversed(self._list))  # reversed: the first of repeated names wins
        names = b"".join(first)
        if names != names.lower():
            first = {name.lower(): value for name, value in reversed(self._list)}
        self._first = first

    def __getitem__(self, key: str) -> str:
        value = self._first.get(_RAW_NAMES.get(key) or _raw_name(key))
        if value is None:
            raise KeyError(key)
        return value.decode("latin-1")

    def get(self, key: str, default: Any = None) -> Any:
        value = self._first.get(_RAW_NAMES.get(key) or _raw_name(key))  # (a call less for a known name)
        return default if value is None else value.decode("latin-1")

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and (_RAW_NAMES.get(key) or _raw_name(key)) in self._first


_RAW_NAMES: dict[str, bytes] = {}  # the names the app asks for, a dozen, as the dict's keys
_MAX_RAW_NAMES = 256
_NO_NAME = b"\n"  # what no header name can be: the key of a name no request can carry


def _raw_name(name: str) -> bytes:
    """A header name as the lookup dict holds it: lower case, latin-1 bytes (remembered for the names
    asked for, which are few)."""
    raw = _RAW_NAMES.get(name)
    if raw is None:
        try:
            raw = name.lower().encode("latin-1")
        except UnicodeEncodeError:
            raw = _NO_NAME
        if len(_RAW_NAMES) < _MAX_RAW_NAMES:
            _RAW_NAMES[name] = raw
    return raw
