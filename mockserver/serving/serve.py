"""`mockserver serve`: build the stack, print the warnings and the banner once it listens, run uvicorn.

What only openapi-spec-validator finds in the spec is looked for after that, by a low-priority process
(seconds of CPU on a large spec, out of the way of start-up), while a thread warms the mock (`warmup`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from dataclasses import replace

import uvicorn
from uvicorn.supervisors import Multiprocess

from mockserver.consumers.recorder import ConsumerRecorder
from mockserver.foundation.documents import cache_folder
from mockserver.runtime.app import MockApp
from mockserver.runtime.backends import (
    STATE_VARIABLE,
    StateUnavailable,
    StateUrlError,
    check_state_url,
    probe,
)
from mockserver.serving.admin_access import is_loopback
from mockserver.serving.background import BackgroundValidation
from mockserver.serving.listening import StartupError, bind_listening
from mockserver.serving.options import ServeOptions, options_to_json
from mockserver.serving.reload import Watcher, watched_paths
from mockserver.serving.request_log import startup_banner
from mockserver.serving.stack import Stack, build_mock, build_stack
from mockserver.serving.warmup import Warming, settle_heap
from mockserver.serving.workers import OPTIONS_VARIABLE, WORKERS_FACTORY

HYPOTHESIS_STORAGE_VARIABLE = "HYPOTHESIS_STORAGE_DIRECTORY"  # hypothesis' own


def serve(options: ServeOptions, host: str, port: int, *, watch: bool = False, workers: int = 1) -> int:
    """Listen, build, print the banner, serve until interrupted. Raises StartupError when the address
    cannot be listened on and LoadError when the mock cannot load: both before any banner.

    With several `workers`, each process builds its own mock from the same options (this one builds it
    first, to report problems and print the banner): answers are identical, state is per process unless
    `options.state_url` names a shared one (Redis), which must answer before anything starts.
    What only openapi-spec-validator finds is printed later: a low-priority process looks for it once
    the server listens (not with `--strict`, which validates before serving).
    """
    _refuse_impossible(options, watch, workers)
    options = _checked_state(options)
    _hypothesis_files_in_the_cache()
    with contextlib.ExitStack() as cleanup:
        sock = bind_listening(host, port)
        cleanup.callback(sock.close)
        if options.consumer_out is not None:
            recorder = ConsumerRecorder(options.consumer_out, options.consumer).start()
            cleanup.callback(_close_recorder, recorder)
            options = replace(options, recorder=recorder)
        _finish_on_sigterm()  # uvicorn ends a SIGTERM'd process without returning: clean-up would not run
        options = replace(options, host=host)
        stack = build_stack(options, build_mock(options, validate=False))
        printed = _print_warnings(stack, host)
        watcher = None
        if watch:
            paths = watched_paths(options.spec, stack.live.current.spec.files, options.fixtures)
            watcher = Watcher(stack.live, paths).start()
            cleanup.callback(watcher.stop)
        _print_banner(stack, options, host, sock.getsockname()[1], watcher)
        if workers == 1:  # each worker process warms its own app (see workers)
            warming = Warming(settle=not watch)
            warming.start(stack.live.current)
            stack.live.swapped.append(warming.start)
            cleanup.callback(warming.stop)
        if not options.strict:
            validation = BackgroundValidation(options.spec, printed, options.allow_ref_outside,
                                              stack.live.current.spec.files)
            validation.start()
            cleanup.callback(validation.stop)
        _run(stack, options, sock, workers, watch)
    return 0


def _hypothesis_files_in_the_cache() -> None:
    """hypothesis keeps what it works out once per machine (its Unicode tables) under `.hypothesis/` in
    the current directory, as a test run would: a served mock keeps it in mockserver's cache folder
    instead, and leaves the folder it runs in as it found it (unless HYPOTHESIS_STORAGE_DIRECTORY says
    where; worker processes inherit it)."""
    folder = cache_folder()
    if folder is not None and not os.environ.get(HYPOTHESIS_STORAGE_VARIABLE):
        os.environ[HYPOTHESIS_STORAGE_VARIABLE] = str(folder / "hypothesis")


def _refuse_impossible(options: ServeOptions, watch: bool, workers: int) -> None:
    if watch and workers > 1:
        raise StartupError("--watch reloads one process; it cannot be combined with --workers")
    if options.consumer is not None and options.consumer_out is None:
        raise StartupError("--consumer names the consumer recorded with --consumer-out DIR")
    if options.consumer_out is not None and workers > 1:
        raise StartupError("--consumer-out records in one process; it cannot be combined with --workers")


def _checked_state(options: ServeOptions) -> ServeOptions:
    """The options with their state URL checked (None: in the process); a shared state must answer."""
    try:
        url = check_state_url(options.state_url)
    except StateUrlError as error:
        raise StartupError(f"{error} (--state, or ${STATE_VARIABLE})") from None
    if url is not None:
        try:
            probe(url)
        except StateUnavailable as error:
            raise StartupError(f"{error}; start it, or serve without --state and ${STATE_VARIABLE}") from None
    return replace(options, state_url=url)


def _print_warnings(stack: Stack, host: str) -> set[str]:
    """Print the spec's warnings and notes (before the banner); returns the warnings printed."""
    app = stack.live.current
    printed = _warnings(app, stack, host)
    for warning in printed:
        print(f"mockserver: warning: {warning}", file=sys.stderr)
    for note in app.spec.notes:
        print(f"mockserver: note: {note}", file=sys.stderr)
    return set(printed)


def _close_recorder(recorder: ConsumerRecorder) -> None:
    for path in recorder.close():
        print(f"mockserver: consumer contract written: {path}", file=sys.stderr)


def _finish_on_sigterm() -> None:
    """After uvicorn's graceful shutdown, a SIGTERM raises SystemExit here, so `serve`'s clean-up runs."""
    if threading.current_thread() is not threading.main_thread():
        return

    def finish(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, finish)


def _run(stack: Stack, options: ServeOptions, sock: socket.socket, workers: int, watch: bool) -> None:
    """uvicorn on the bound socket: in this process, or in `workers` processes each building its app."""
    if workers > 1:
        os.environ[OPTIONS_VARIABLE] = options_to_json(options)
        config = uvicorn.Config(WORKERS_FACTORY, factory=True, workers=workers, log_level="warning",
                                access_log=False)
        Multiprocess(config, sockets=[sock]).run()
    else:
        config = uvicorn.Config(stack.asgi, log_level="warning", access_log=False)
        if not watch:  # (`--watch` replaces the app: see settle_heap)
            settle_heap()
        uvicorn.Server(config).run(sockets=[sock])


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
    banner = startup_banner(app, origin, admin_prefix, admin_note)
    print(banner, file=stream, flush=True)
    backend = app.state.backend
    if backend.shared:
        print(f"mockserver: state: {backend.description}, shared by every worker and replica", file=stream,
              flush=True)
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
