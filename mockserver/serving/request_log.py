"""What a running mock prints: the start-up banner and one line per request (text or JSON).

A request line says when, what (method, path, operation), how it ended (status), where the answer
came from (`fixture:<name>`, `dataset`, `example:<name>`, `generated`, `validation`, `auth`, ...) and
how long it took. Credentials never reach the output: query values whose names look secret (or that the
spec's security schemes name) are masked (`mockserver.foundation.masking`).
"""

from __future__ import annotations

import asyncio
import atexit
import io
import json
import shlex
import sys
import time
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from mockserver.foundation.masking import mask_query
from mockserver.http.credentials import DEFAULT_TOKEN, client_credentials, credential_names

if TYPE_CHECKING:
    from mockserver.runtime.app import MockApp
    from mockserver.runtime.journal import Exchange
    from mockserver.spec.model import Operation, Parameter, Spec

LogFormat = Literal["text", "json"]


def secret_names(spec: Spec) -> frozenset[str]:
    """Lower-case names of every credential the spec's security schemes declare, wherever it travels:
    masked as a header, a query parameter, a cookie or a body field alike."""
    return frozenset().union(*(credential_names(spec, where) for where in ("header", "query", "cookie")))


MAX_SHOWN_VALUE = 100  # characters of one query parameter (name=value, encoded) in a text line
MAX_SHOWN_PATH = 200


@lru_cache(maxsize=256)
def _line_middle(method: str, path: str, query: tuple[tuple[str, str], ...], operation: str | None,
                 status: int, source: str, secret_names: frozenset[str]) -> str:
    """A text line but for its time and duration, remembered: clients repeat their requests, and masking
    and encoding a query is not free."""
    masked = "&".join(_cut(pair) for pair in mask_query(query, secret_names).split("&")) if query else ""
    target = f"{_cut(path, MAX_SHOWN_PATH)}?{masked}" if masked else _cut(path, MAX_SHOWN_PATH)
    return f"{method:<6} {target}  {operation or '-'}  {status}  {source}"


def _cut(text: str, limit: int = MAX_SHOWN_VALUE) -> str:
    """`text`, or its start and how long it was when longer than `limit` (a person reads the text log; the
    JSON log keeps every value whole)."""
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"


_MILLISECONDS = tuple(f".{ms:03d}" for ms in range(1000))


FLUSH_DELAY_S = 0.02  # lines wait at most this long before they are written


class RequestLog:
    """An observer of the mock (see `MockApp.observers`) writing one line per request.

    A buffered stream (a file, a pipe, a StringIO) gets each line at once, in its buffer; a stream that
    writes every line through to the system (PYTHONUNBUFFERED, as many containers set it, or a terminal's
    line buffering) would cost a system call per request, so its lines are gathered here instead. Either
    way the stream is written and flushed FLUSH_DELAY_S later, once for all the lines of that time: prompt
    for a person reading along, one write under load. Lines still gathered when the event loop that would
    write them is gone are written by the next line, by `flush()`, or when the process exits.
    """

    def __init__(self, spec: Spec, stream: IO[str] | None = None, log_format: LogFormat = "text") -> None:
        self.stream = stream
        self.log_format = log_format
        self.secret_names = secret_names(spec)
        self._unflushed: IO[str] | None = None  # the stream a flush is scheduled for
        self._flush_loop: asyncio.AbstractEventLoop | None = None  # the loop it is scheduled on
        self._gather = False  # whether lines for `_unflushed` are gathered here (it writes through)
        self._gathered: list[str] = []
        self._clock_second = -1
        self._clock_text = ""
        _OPEN_LOGS.add(self)

    def __call__(self, exchange: Exchange) -> None:
        line = self.json_line(exchange) if self.log_format == "json" else self.text_line(exchange)
        stream = self.stream or sys.stdout
        scheduled = self._flush_loop
        # (Asking for the running loop on every request would cost a getpid() system call each time.)
        if self._unflushed is not stream or scheduled is None or not scheduled.is_running():
            self.flush()  # what an earlier stream, or a loop that is gone, still holds
            loop = _running_loop()
            if loop is None:  # called outside a server: written and flushed now
                _write(stream, [line])
                return
            self._unflushed, self._flush_loop, self._gather = stream, loop, _writes_through(stream)
            loop.call_later(FLUSH_DELAY_S, self._flush_scheduled, loop)
        if self._gather:
            self._gathered.append(line)
        else:
            stream.write(line + "\n")

    def flush(self) -> None:
        """Write the lines gathered so far and flush the stream."""
        stream, self._unflushed, self._flush_loop = self._unflushed, None, None
        lines, self._gathered = self._gathered, []
        if stream is not None:
            _write(stream, lines)

    def _flush_scheduled(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._flush_loop is loop:  # else flushed already, and maybe scheduled again elsewhere
            self.flush()

    def json_line(self, exchange: Exchange) -> str:
        return json.dumps(self.record(exchange))

    def record(self, exchange: Exchange) -> dict[str, Any]:
        """The facts of one request, as the JSON format writes them."""
        query = mask_query(exchange.query, self.secret_names)
        return {
            "time": datetime.fromtimestamp(exchange.time, UTC).isoformat(timespec="milliseconds"),
            "method": exchange.method,
            "path": exchange.path + (f"?{query}" if query else ""),
            "operation": exchange.operation_id or exchange.operation,
            "status": exchange.answer.status,
            "source": exchange.answer.source,
            "duration_ms": round(exchange.duration_ms, 1),
        }

    def text_line(self, exchange: Exchange) -> str:
        """`text(record(exchange))`, without the round trip through an ISO timestamp (it runs per request)."""
        now = exchange.time
        query = exchange.query if type(exchange.query) is tuple else tuple(exchange.query)
        answer = exchange.answer
        name = exchange.operation_id or exchange.operation
        middle = _line_middle(exchange.method, exchange.path, query, name, answer.status, answer.source,
                              self.secret_names)
        if int(now) != self._clock_second:  # HH:MM:SS, local time: formatted once a second
            self._clock_text = time.strftime("%H:%M:%S", time.localtime(int(now)))
            self._clock_second = int(now)
        milliseconds = _MILLISECONDS[int(now * 1000) % 1000]
        return f"{self._clock_text}{milliseconds} {middle}  {exchange.duration_ms:.1f}ms"

    @staticmethod
    def text(record: Mapping[str, Any]) -> str:
        clock = datetime.fromisoformat(record["time"]).astimezone().strftime("%H:%M:%S.%f")[:-3]
        return (f"{clock} {record['method']:<6} {record['path']}  {record['operation'] or '-'}  "
                f"{record['status']}  {record['source']}  {record['duration_ms']:.1f}ms")


def startup_banner(app: MockApp, origin: str, admin_prefix: str | None, admin_note: str | None = None) -> str:
    """What `mockserver serve` prints once: the URL, the operations, those that cannot be served, the admin
    page (and `admin_note`: whether it needs a token, or why it is off) and a curl line."""
    spec = app.spec
    url = origin + spec.base_path
    lines = [f"mockserver: serving {len(spec.operations)} operation(s) on {url}"]
    lines += [f"  {op.method:<7} {op.url_path}  ({op.operation_id or '-'})" for op in spec.operations]
    if spec.unservable:
        lines.append(f"  {len(spec.unservable)} operation(s) cannot be served (they answer 501; "
                     "see the warnings above)")
    scenarios = [name for name in app.scenario_names if name != "default"]
    if scenarios:
        lines.append(f"  scenarios (X-Mock-Scenario): {', '.join(scenarios)}")
    if admin_prefix is not None:
        lines.append(f"  admin: {origin}{admin_prefix}/" + (f" ({admin_note})" if admin_note else ""))
    elif admin_note is not None:
        lines.append(f"  admin: {admin_note}")
    example = curl_example(app, origin)
    if example:
        lines.append(f"  try:   {example}")
    return "\n".join(lines)


def curl_example(app: MockApp, origin: str) -> str | None:
    """A curl command the mock answers with success: a GET with the credentials it expects (and a tenant
    its fixtures declare, when they declare tenants)."""
    operation = _example_operation(app.spec.operations)
    if operation is None:
        return None
    path = operation.route
    for parameter in operation.parameters:
        if parameter.location == "path":
            path = path.replace("{" + parameter.name + "}", _example_value(parameter))
    query = [(p.name, _example_value(p)) for p in operation.parameters
             if p.location == "query" and p.required]
    words = ["curl", "-s"]
    tenant = app.tenants[0] if app.tenants else None
    for credential in client_credentials(app.config, app.spec, DEFAULT_TOKEN, tenant):
        if credential.location == "query":
            query.append((credential.name, credential.value))
        elif credential.location == "header":
            words += ["-H", shlex.quote(f"{credential.name}: {credential.value}")]
        else:
            words += ["-b", shlex.quote(f"{credential.name}={credential.value}")]
    url = origin + operation.base_path + path + (f"?{urlencode(query)}" if query else "")
    return " ".join([*words[:2], shlex.quote(url), *words[2:]])


def _example_operation(operations: Sequence[Operation]) -> Operation | None:
    gets = [op for op in operations if op.method == "GET"]
    plain = [op for op in gets if not any(p.location == "path" for p in op.parameters)]
    chosen = plain or gets
    return chosen[0] if chosen else None


def _example_value(parameter: Parameter) -> str:
    schema = parameter.schema
    for candidate in (schema.get("example"), *(schema.get("examples") or [None])[:1], schema.get("default"),
                      *(schema.get("enum") or [None])[:1]):
        if candidate is not None:
            return str(candidate)
    if schema.get("type") in ("integer", "number"):
        return "1"
    if schema.get("format") == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    return "example"


_OPEN_LOGS: weakref.WeakSet[RequestLog] = weakref.WeakSet()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _write(stream: IO[str], lines: list[str]) -> None:
    """Write `lines` in one call and flush."""
    try:
        if lines:
            stream.write("\n".join(lines) + "\n")
        stream.flush()
    except (OSError, ValueError):  # closed meanwhile: nothing to show it on
        pass


def _writes_through(stream: IO[str]) -> bool:
    """True for a text stream that hands every line to the system at once."""
    return isinstance(stream, io.TextIOWrapper) and (stream.write_through or stream.line_buffering)


@atexit.register
def _flush_open_logs() -> None:
    for log in list(_OPEN_LOGS):
        log.flush()
