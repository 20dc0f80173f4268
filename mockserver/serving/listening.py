"""Knowing when a server listens: a thread polling its address, then calling back once."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class WhenListening:
    """Calls `then`, in a thread, as soon as a server accepts connections on host:port (at once for port
    0, whose real port is not known here); never when stopped first."""

    POLL_SECONDS = 0.01

    def __init__(self, host: str, port: int, then: Callable[[], None]) -> None:
        self.address = (_local_address(host), port)
        self.then = then
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> WhenListening:
        if self.address[1] == 0:
            self.then()
        else:
            self._thread = threading.Thread(target=self._wait, name="mockserver-listening", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _wait(self) -> None:
        while not self._stopped.is_set():
            try:
                socket.create_connection(self.address, timeout=1).close()
            except OSError:
                self._stopped.wait(self.POLL_SECONDS)
                continue
            if not self._stopped.is_set():
                self.then()
            return


def _local_address(host: str) -> str:
    """Where to reach a server bound to `host` from this machine (wildcard addresses: loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host.strip("[]")
