"""The ASGI side of the app: reading a request's target and body, sending an answer, the lifespan."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from mockserver.http.answer import Answer
from mockserver.http.encoding import content_type_header, encode_body

MAX_BODY_BYTES = 10 * 1024 * 1024
SOURCE_HEADER = "X-Mock-Source"
_SOURCE_HEADER_NAME = SOURCE_HEADER.lower().encode()


@lru_cache(maxsize=1024)
def request_target(raw_path: bytes, query_string: bytes) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path and the query parameters of a request (remembered: clients repeat their requests)."""
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return raw_path.decode("latin-1").split("?", 1)[0], tuple(query)


_NO_BODY = (b"", False)
_HTTP1 = frozenset({"1.0", "1.1"})


async def read_body(scope: Scope, headers: Headers, receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it was larger than MAX_BODY_BYTES (then it is dropped).

    An HTTP/1 request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3):
    there is nothing to wait for, as most requests (GETs) show."""
    if scope.get("http_version") in _HTTP1 and "content-length" not in headers \
            and "transfer-encoding" not in headers:
        return _NO_BODY
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):  # the usual: one message
        body = message.get("body", b"")
        return (b"", True) if len(body) > MAX_BODY_BYTES else (body, False)
    return await _read_more_body(receive, message)


async def _read_more_body(receive: Receive, message: Message) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    too_large = False
    while True:
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            too_large = True
        elif chunk:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
        message = await receive()
    return b"".join(chunks), too_large


async def send_answer(send: Send, answer: Answer, head: bool = False) -> None:
    """Encode `answer` and send it (only its head for a HEAD request)."""
    payload = encode_body(answer.body, answer.media_type)
    kept = answer.wire_headers
    # A list of its own each time: a middleware may add to the headers it is sent.
    raw_headers = list(kept) if kept is not None else wire_headers(answer, payload)
    await send({"type": "http.response.start", "status": answer.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})


def wire_headers(answer: Answer, payload: bytes) -> list[tuple[bytes, bytes]]:
    """The header pairs `answer` is sent with, its body encoded as `payload`."""
    raw_headers = [(b"content-length", str(len(payload)).encode())]
    if answer.media_type is not None and answer.body is not None:
        raw_headers.append((b"content-type", _content_type(answer.media_type)))
    raw_headers.append((_SOURCE_HEADER_NAME, answer.source.encode("latin-1", "replace")))
    for name, value in answer.headers.items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1", "replace")))
    return raw_headers


@lru_cache(maxsize=256)
def _content_type(media_type: str) -> bytes:
    return content_type_header(media_type).encode("latin-1", "replace")


async def lifespan(receive: Receive, send: Send, startup: Callable[[], Awaitable[None]] | None = None,
                   shutdown: Callable[[], Awaitable[None]] | None = None) -> None:
    """Answer the server's lifespan messages, starting and stopping what the app holds (its state's
    connection), neither of which may fail."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if startup is not None:
                await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if shutdown is not None:
                await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
