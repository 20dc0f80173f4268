"""Serving test apps on a loopback port from a background thread (uvicorn), for the CLI to reach."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

STARTUP_TIMEOUT = 10.0


class ThreadedServer:
    """`with ThreadedServer(app) as url: ...` serves `app` at `url` for the duration of the block."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        daemon=True)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> str:
        self._thread.start()
        for _ in range(int(STARTUP_TIMEOUT / 0.01)):
            if self._server.started:
                return self.url
            self._thread.join(0.01)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(STARTUP_TIMEOUT)
        self._socket.close()
