"""A minimal headless Chromium driver over the DevTools protocol, for the real-browser tests.

It runs the system's Chromium (Debian's `chromium` package; nothing is downloaded) with the flags a
root user without network needs, and speaks the DevTools protocol over `--remote-debugging-pipe`
(JSON messages ending in NUL, commands on the browser's fd 3, answers on its fd 4), so only the
standard library is needed: open a page, then evaluate JavaScript until the page says it is done.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)
TIMEOUT_SECONDS = 30.0
_LAUNCHER = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); " \
            "os.execv(sys.argv[3], sys.argv[3:])"


class BrowserError(RuntimeError):
    """Chromium stopped answering, or a DevTools command failed."""


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """`with Chromium(binary) as browser: browser.open(url); browser.wait_for("js expression")`."""

    def __init__(self, binary: str, flags: tuple[str, ...] = ()) -> None:
        self.binary = binary
        self.flags = flags  # besides CHROMIUM_FLAGS, e.g. --host-resolver-rules
        self._profile = tempfile.mkdtemp(prefix="mockserver-chromium-")
        self._process: subprocess.Popen[bytes] | None = None
        self._commands = self._answers = -1  # our ends of the two pipes
        self._pending = b""
        self._ids = itertools.count(1)
        self._session: str | None = None

    def __enter__(self) -> Chromium:
        to_browser, self._commands = os.pipe()
        self._answers, from_browser = os.pipe()
        to_browser, from_browser = _above_4(to_browser), _above_4(from_browser)
        # A tiny launcher puts the pipes on the fds Chromium reads and writes, then becomes Chromium.
        command = [sys.executable, "-c", _LAUNCHER, str(to_browser), str(from_browser), self.binary,
                   *CHROMIUM_FLAGS, *self.flags, f"--user-data-dir={self._profile}",
                   "--remote-debugging-pipe", "about:blank"]
        try:
            self._process = subprocess.Popen(command, pass_fds=(to_browser, from_browser),
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.close(to_browser)
            os.close(from_browser)
        try:
            page = next(target for target in self._call("Target.getTargets")["targetInfos"]
                        if target["type"] == "page")
            self._session = self._call("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
                "sessionId"]
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        for fd in (self._commands, self._answers):
            if fd >= 0:
                os.close(fd)
        self._commands = self._answers = -1
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command to the page and return its result."""
        return self._call(method, session=self._session, **params)

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        command_id = next(self._ids)
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") != command_id:
                continue  # an event, or the answer to an earlier command
            if "error" in answer:
                raise BrowserError(f"{method}: {answer['error']}")
            return answer["result"]

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._pending:
            ready, _, _ = select.select([self._answers], [], [], TIMEOUT_SECONDS)
            chunk = os.read(self._answers, 1 << 16) if ready else b""
            if not chunk:
                raise BrowserError("chromium stopped answering")
            self._pending += chunk
        message, _, self._pending = self._pending.partition(b"\0")
        return json.loads(message)

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT_SECONDS) -> Any:
        """Evaluate `expression` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except BrowserError:
                value = None  # e.g. the page is still navigating
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression}")
            time.sleep(0.05)


def _above_4(fd: int) -> int:
    """The same pipe end on a descriptor above 4, so moving it to 3 or 4 cannot clobber the other end."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved
