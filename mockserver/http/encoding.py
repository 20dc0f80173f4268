"""Turning an answer's body into bytes for its media type (JSON via orjson, XML, text, binary)."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any, Literal

from mockserver.foundation.jsonbytes import dumps_json
from mockserver.http.negotiation import is_json
from mockserver.http.xml import XmlCodec, is_xml

_SCHEMALESS_XML = XmlCodec()


BodyFormat = Literal["json", "xml", "text", "binary"]


@lru_cache(maxsize=256)
def body_format(media_type: str) -> BodyFormat:
    """How a body of `media_type` is written: JSON, XML, text (`text/*`), or bytes as they are."""
    if is_json(media_type):
        return "json"
    if is_xml(media_type):
        return "xml"
    return "text" if media_type.strip().lower().startswith("text/") else "binary"


def encode_body(body: Any, media_type: str | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if media_type is None or is_json(media_type):
        return dumps_json(body)
    if isinstance(body, str):
        if media_type.startswith("application/octet-stream"):
            return _maybe_base64(body)
        return body.encode("utf-8")
    if is_xml(media_type):  # a body no schema shaped (the spec answers write XML with the schema's `xml`)
        return _SCHEMALESS_XML.write(body).encode("utf-8")
    return dumps_json(body)  # under a text media type too: JSON text, never a Python repr


def _maybe_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return text.encode("utf-8")


def content_type_header(media_type: str) -> str:
    base = media_type.split(";")[0].strip()
    if "*" in base:
        base = "application/json" if "json" in base or base in ("*/*", "application/*") else "text/plain"
    if base.startswith("text/") and "charset" not in media_type:
        return f"{base}; charset=utf-8"
    return base if base == media_type.strip() else media_type.strip()
