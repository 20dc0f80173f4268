"""`mockserver serve`: build the stack, print the warnings and the banner once it listens, run uvicorn.

What only openapi-spec-validator finds in the spec is looked for after that, by a low-priority process
(seconds of CPU on a large spec, out of the way of start-up).
"""

from __future__ import annotations

import os
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from mockserver.runtime.app import MockApp
from mockserver.serving.background import BackgroundValidation
from mockserver.serving.listening import StartupError, bind_listening
from mockserver.serving.options import ServeOptions, options_to_json
from mockserver.serving.reload import Watcher, watched_paths
from mockserver.serving.request_log import startup_banner
from mockserver.serving.stack import Stack, build_mock, build_stack
from mockserver.serving.workers import OPTIONS_VARIABLE, WORKERS_FACTORY


def serve(options: ServeOptions, host: str, port: int, *, watch: bool = False, workers: int = 1) -> int:
    """Listen, build, print the banner, serve until interrupted. Raises StartupError when the address
    cannot be listened on and LoadError when the mock cannot load: both before any banner.

    With several `workers`, each process builds its own mock from the same options (this one builds it
    first, to report problems and print the banner): answers are identical, state is per process.
    What only openapi-spec-validator finds is printed later: a low-priority process looks for it once
    the server listens (not with `--strict`, which validates before serving).
    """
    if watch and workers > 1:
        raise StartupError("--watch reloads one process; it cannot be combined with --workers")
    sock = bind_listening(host, port)
    try:
        stack = build_stack(options, build_mock(options, validate=False))
    except BaseException:
        sock.close()
        raise
    app = stack.live.current
    printed = _warnings(app, stack)
    for warning in printed:
        print(f"mockserver: warning: {warning}", file=sys.stderr)
    for note in app.spec.notes:
        print(f"mockserver: note: {note}", file=sys.stderr)
    watcher = None
    if watch:
        watcher = Watcher(stack.live, watched_paths(options.spec, app.spec.files, options.fixtures)).start()
    _print_banner(stack, options, host, sock.getsockname()[1], watcher)
    validation = None if options.strict else BackgroundValidation(options.spec, set(printed),
                                                                  options.allow_ref_outside)
    if validation is not None:
        validation.start()
    try:
        _run(stack, options, sock, workers)
    finally:
        sock.close()
        if watcher is not None:
            watcher.stop()
        if validation is not None:
            validation.stop()
    return 0


def _run(stack: Stack, options: ServeOptions, sock: socket.socket, workers: int) -> None:
    """uvicorn on the bound socket: in this process, or in `workers` processes each building its app."""
    if workers > 1:
        os.environ[OPTIONS_VARIABLE] = options_to_json(options)
        config = uvicorn.Config(WORKERS_FACTORY, factory=True, workers=workers, log_level="warning",
                                access_log=False)
        Multiprocess(config, sockets=[sock]).run()
    else:
        config = uvicorn.Config(stack.asgi, log_level="warning", access_log=False)
        uvicorn.Server(config).run(sockets=[sock])


def _print_banner(stack: Stack, options: ServeOptions, host: str, port: int, watcher: Watcher | None) -> None:
    app = stack.live.current
    stream = sys.stderr if options.log_format == "json" else sys.stdout  # stdout stays JSON lines
    admin_prefix = stack.admin.prefix if stack.admin is not None else None
    banner = startup_banner(app, f"http://{host}:{port}", admin_prefix, options.fixtures)
    print(banner, file=stream, flush=True)
    if watcher is not None:
        print(f"mockserver: watching {', '.join(map(str, watcher.paths))}", file=stream, flush=True)


def _warnings(app: MockApp, stack: Stack) -> list[str]:
    warnings = [str(problem) for problem in app.spec.warnings]
    if stack.admin is not None:
        warnings += [f"the spec serves {path}, so the admin endpoint there is unreachable; "
                     "move the admin with --admin-prefix" for path in stack.admin.shadowed(app)]
    return warnings
