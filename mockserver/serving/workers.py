"""`serve --workers N`: how each worker process builds its app from the options the parent passed on."""

from __future__ import annotations

import os

from starlette.types import ASGIApp

from mockserver.serving.options import options_from_json
from mockserver.serving.stack import build_mock, build_stack
from mockserver.serving.warmup import WarmUp, settle_heap

# How `serve --workers N` hands its options to the worker processes (uvicorn imports the app by name).
OPTIONS_VARIABLE = "MOCKSERVER_SERVE_OPTIONS"
WORKERS_FACTORY = "mockserver.serving.workers:app_from_environment"


def app_from_environment() -> ASGIApp:
    """The app of one `serve --workers N` process, from the options the parent put in the environment."""
    options = options_from_json(os.environ[OPTIONS_VARIABLE])
    app = build_mock(options, validate=False)  # the parent validates
    stack = build_stack(options, app)
    settle_heap()
    WarmUp(app, settle=True).start()  # the socket listens already (the parent's)
    return stack.asgi
