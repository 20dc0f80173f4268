"""Helpers of the developer-experience tests (test_dx_*): a small generic API and a threaded server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx

from mockserver.testing.handles import MockServer

WAIT_SECONDS = 20.0  # generous: only a failing test waits this long

WIDGETS_SPEC = textwrap.dedent("""\
    openapi: 3.1.0
    info: {title: Widgets, version: "1"}
    components:
      securitySchemes:
        key: {type: apiKey, in: query, name: api_key}
      schemas:
        Widget:
          type: object
          required: [id, name]
          properties:
            id: {type: integer}
            name: {type: string}
        Problem:
          type: object
          required: [detail]
          properties: {detail: {type: string}}
    paths:
      /widgets:
        get:
          operationId: listWidgets
          parameters:
            - {name: limit, in: query, schema: {type: integer}}
            - {name: x-shop, in: header, schema: {type: string}}
          responses:
            "200":
              description: the widgets
              headers:
                X-Total: {schema: {type: integer}}
              content:
                application/json:
                  schema: {type: array, items: {$ref: "#/components/schemas/Widget"}}
                  example: [{id: 1, name: sprocket}]
            "503":
              description: down
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
                  example: {detail: try later}
        post:
          operationId: createWidget
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Widget"}
          responses:
            "201":
              description: created
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Widget"}
      /widgets/{id}:
        get:
          operationId: getWidget
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: one widget
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Widget"}
                  example: {id: 1, name: sprocket}
            "404":
              description: no such widget
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
                  example: {detail: not found}
        delete:
          operationId: deleteWidget
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "204": {description: deleted}
      /secure:
        get:
          operationId: getSecure
          security: [{key: []}]
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema: {type: object}
                  example: {ok: true}
    """)

WIDGET_FIXTURES = textwrap.dedent("""\
    responses:
      - name: gadget
        operation: getWidget
        match: {path: {id: 2}}
        response: {status: 200, body: {id: 2, name: gadget}}
      - name: slow-gadget
        operation: getWidget
        match: {path: {id: 3}}
        delay_ms: 150
        response: {status: 200, body: {id: 3, name: slow gadget}}
    """)

EMPTY_SCENARIO = textwrap.dedent("""\
    scenario: empty
    description: no widgets at all
    responses:
      - name: no-widgets
        operation: listWidgets
        response: {status: 200, body: []}
    """)


def write_api(root: Path, fixtures: dict[str, str] | None = None) -> tuple[Path, Path]:
    """The widgets spec in `root/openapi/widgets.yaml` and fixture files in `root/fixtures`."""
    spec_dir = root / "openapi"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "widgets.yaml").write_text(WIDGETS_SPEC)
    fixtures_dir = root / "fixtures"
    fixtures_dir.mkdir(exist_ok=True)
    files = {"widgets.yaml": WIDGET_FIXTURES, "scenarios/empty.yaml": EMPTY_SCENARIO} if fixtures is None \
        else fixtures
    for name, text in files.items():
        (fixtures_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (fixtures_dir / name).write_text(text)
    return spec_dir, fixtures_dir


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """Serve any ASGI app with uvicorn on a free loopback port; yields its origin."""
    server = MockServer(app)
    with server:
        yield server.origin


class ServeProcess:
    """`mockserver serve ...` in a subprocess on a free port, its output gathered line by line."""

    def __init__(self, *arguments: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", *arguments, "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, lines in ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr)):
            threading.Thread(target=_gather, args=(stream, lines), daemon=True).start()

    def __enter__(self) -> ServeProcess:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                httpx.get(self.origin + "/__mock__/health")
                return self
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("mockserver serve did not start: " + "".join(self.stderr)) from None
                time.sleep(0.05)

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def wait_for(self, lines: list[str], text: str, seconds: float = WAIT_SECONDS) -> str:
        """The first line of `lines` (self.stdout or self.stderr) containing `text`, waiting for it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = next((line for line in list(lines) if text in line), None)
            if found is not None:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no line with {text!r} in {''.join(lines)!r}")


def niceness(proc: Path) -> int:
    """The niceness of the process or thread whose /proc folder is `proc` (`/proc/PID`, or a task of it);
    raises FileNotFoundError or ProcessLookupError once it has ended."""
    stat = (proc / "stat").read_text()
    return int(stat.rpartition(")")[2].split()[16])  # field 19 of stat (after the bracketed name)


def _gather(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line)
