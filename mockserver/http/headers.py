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
        try:
            return self._first[key.lower().encode("latin-1")].decode("latin-1")
        except (KeyError, UnicodeEncodeError):
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        try:
            value = self._first.get(key.lower().encode("latin-1"))
        except UnicodeEncodeError:  # a name no request can carry
            return default
        return default if value is None else value.decode("latin-1")

    def __contains__(self, key: Any) -> bool:
        if not isinstance(key, str):
            return False
        try:
            return key.lower().encode("latin-1") in self._first
        except UnicodeEncodeError:
            return False
