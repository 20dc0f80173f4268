"""`mockserver serve`: build the stack, print the warnings and the banner once it listens, run uvicorn.

What only openapi-spec-validator finds in the spec is looked for after that, by a low-priority process
(seconds of CPU on a large spec, out of the way of start-up).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import uvicorn

from mockserver.runtime.app import MockApp
from mockserver.serving.admin_access import is_loopback
from mockserver.serving.background import BackgroundValidation
from mockserver.serving.listening import WhenListening
from mockserver.serving.options import ServeOptions, options_to_json
from mockserver.serving.reload import Watcher, watched_paths
from mockserver.serving.request_log import startup_banner
from mockserver.serving.stack import Stack, build_mock, build_stack
from mockserver.serving.workers import OPTIONS_VARIABLE, WORKERS_FACTORY


def serve(options: ServeOptions, host: str, port: int, *, watch: bool = False, workers: int = 1) -> int:
    """Build, serve until interrupted, and print the banner once the server listens. Raises LoadError when
    the mock cannot load.

    With several `workers`, each process builds its own mock from the same options (this one builds it
    first, to report problems and print the banner): answers are identical, state is per process.
    What only openapi-spec-validator finds is printed later: a low-priority process looks for it once
    the server listens (not with `--strict`, which validates before serving).
    """
    if watch and workers > 1:
        print("mockserver: error: --watch reloads one process; it cannot be combined with --workers",
              file=sys.stderr)
        return 2

    options = replace(options, host=host)
    stack = build_stack(options, build_mock(options, validate=False))
    app = stack.live.current
    printed = _warnings(app, stack, host)
    for warning in printed:
        print(f"mockserver: warning: {warning}", file=sys.stderr)
    watcher = None
    if watch:
        watcher = Watcher(stack.live, watched_paths(options.spec, app.spec.files, options.fixtures)).start()
    validation = BackgroundValidation(options.spec, set(printed)) if not options.strict else None
    shown = [stack]  # the banner's, dropped once printed (with --workers, this process serves no app)

    def listening() -> None:
        _print_banner(shown.pop(), options, host, port, watcher)
        if validation is not None:
            validation.start()

    started = WhenListening(host, port, listening).start()
    try:
        if workers > 1:
            del stack, app  # each worker builds its own
            os.environ[OPTIONS_VARIABLE] = options_to_json(options)
            uvicorn.run(WORKERS_FACTORY, factory=True, workers=workers, host=host, port=port,
                        log_level="warning", access_log=False)
        else:
            uvicorn.run(stack.asgi, host=host, port=port, log_level="warning", access_log=False)
    finally:
        started.stop()
        if watcher is not None:
            watcher.stop()
        if validation is not None:
            validation.stop()
    return 0


def _print_banner(stack: Stack, options: ServeOptions, host: str, port: int, watcher: Watcher | None) -> None:
    app = stack.live.current
    stream = sys.stderr if options.log_format == "json" else sys.stdout  # stdout stays JSON lines
    admin_prefix = stack.admin.prefix if stack.admin is not None else None
    origin = f"http://{_url_host(host)}:{port}"
    if stack.admin_off is not None:
        admin_note = f"off ({stack.admin_off})"
    elif stack.admin is not None and stack.admin.access.token is not None:
        admin_note = f"needs the admin token; the page: {origin}{stack.admin.prefix}/#token=<token>"
    else:
        admin_note = None
    banner = startup_banner(app, origin, admin_prefix, options.fixtures, admin_note)
    print(banner, file=stream, flush=True)
    if watcher is not None:
        print(f"mockserver: watching {', '.join(map(str, watcher.paths))}", file=stream, flush=True)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _warnings(app: MockApp, stack: Stack, host: str) -> list[str]:
    warnings = [str(problem) for problem in app.spec.warnings]
    if not is_loopback(host):
        admin = "is off (no --admin-token)" if stack.admin_off is not None else \
            "needs its token" if stack.admin is not None else "is off (--no-admin)"
        warnings.append(f"serving on {host}, which other machines can reach: anyone on the network can call "
                        f"the mock; its admin API {admin}")
    if stack.admin is not None:
        warnings += [f"the spec serves {path}, so the admin endpoint there is unreachable; "
                     "move the admin with --admin-prefix" for path in stack.admin.shadowed(app)]
    return warnings
