"""The request as validation receives it (raw strings and bytes) and as it hands it on (typed values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class RequestData:
    """The raw request, as the HTTP app has it."""

    path_params: dict[str, str]  # percent-decoded raw strings from the router
    query: Sequence[tuple[str, str]]  # every key/value in order (duplicates kept)
    headers: Mapping[str, str]  # case-insensitive (starlette Headers); a plain dict is accepted too
    cookies: dict[str, str]
    body: bytes
    content_type: str | None


@dataclass
class ValidRequest:
    """Typed values after coercion, keyed by parameter name as the spec spells it.

    Parameters that were sent, or that were absent but have a schema `default`, are present; other absent
    optional parameters are left out. Values are what pydantic makes of them in a FastAPI app (int, float,
    bool, str, `datetime.date`, `datetime.datetime`, `uuid.UUID`, lists, dicts; enums as their plain
    values). `body` is the parsed JSON document as sent (no coercion), the value an XML body stands for
    under its schema, the decoded text of a `text/*` body, for form bodies the document their fields
    write, typed along the schema (nested objects and arrays, files as bytes), raw bytes for other media
    types, or None when there is no body.
    """

    path: dict[str, Any]
    query: dict[str, Any]
    headers: dict[str, Any]
    cookies: dict[str, Any]
    body: Any
    media_type: str | None  # the documented media type the body matched, or None without a body
