"""A request's headers with constant-time lookups (the app reads a dozen of them per request)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope


class RequestHeaders(Headers):
    """starlette's `Headers`, read through a dict: the first value of each (case-insensitive) name.

    starlette scans the header list on every lookup, and `get` of a missing name raises and catches
    a KeyError; every other behaviour (`getlist`, `items`, `raw`, equality) is starlette's.
    """

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope=scope)
        self._first = {  # reversed: the first of repeated names wins
            key.decode("latin-1").lower(): value.decode("latin-1") for key, value in reversed(self._list)
        }

    def __getitem__(self, key: str) -> str:
        try:
            return self._first[key.lower()]
        except KeyError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return self._first.get(key.lower(), default)

    def __contains__(self, key: Any) -> bool:
        return isinstance(key, str) and key.lower() in self._first
