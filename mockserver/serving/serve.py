"""`mockserver serve` put together: the mock, then live reload, the admin API and CORS in front of it.

    request -> CORS -> admin (/__mock__/...) -> LiveApp -> MockApp (latency, faults, request log)

Each layer is a small ASGI wrapper in its own module; this one reads the options, stacks them and serves:
the banner is printed once the server listens, and what only openapi-spec-validator finds in the spec
after that, by a low-priority process (seconds of CPU on a large spec, out of the way of start-up).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

    from mockserver.consumers.recorder import ConsumerRecorder
    from mockserver.runtime.app import MockApp
    from mockserver.runtime.faults import DelayRange
    from mockserver.serving.admin import AdminApi
    from mockserver.serving.reload import LiveApp, Watcher
    from mockserver.serving.request_log import LogFormat

# The modules behind each layer are imported when a mock is built, so `mockserver --help` stays fast.

# How `serve --workers N` hands its options to the worker processes (uvicorn imports the app by name).
OPTIONS_VARIABLE = "MOCKSERVER_SERVE_OPTIONS"
WORKERS_FACTORY = "mockserver.serving.serve:app_from_environment"


@dataclass
class ServeOptions:
    """Everything `mockserver serve` is told; the defaults are those of the command line."""

    spec: Path
    fixtures: Path | None = None
    seed: int = 0
    mode: str = "auto"
    scenario: str | None = None
    strict: bool = False
    delay: DelayRange | None = None
    cors: bool = True
    cors_origins: tuple[str, ...] = ()  # empty: every origin
    admin: bool = True
    admin_prefix: str | None = None  # None: the default, /__mock__
    journal_size: int | None = None  # None: the mock's default (1000)
    log_format: LogFormat | None = "text"  # None: no request log
    log_stream: IO[str] | None = None  # default: stdout
    consumer_out: Path | None = None  # record consumer contracts into this folder
    consumer: str | None = None  # the consumer a request without an X-Mock-Consumer header is recorded as
    recorder: ConsumerRecorder | None = field(default=None, repr=False)  # made by `serve` for consumer_out


@dataclass
class Stack:
    """The served ASGI app and handles on its layers."""

    asgi: ASGIApp
    live: LiveApp
    admin: AdminApi | None


def build_mock(options: ServeOptions, *, validate: bool = True) -> MockApp:
    """One mock app as the options describe it (called again on every reload).

    `validate=False` leaves out openapi-spec-validator (unless strict): `serve` runs it after start-up,
    in the background, since it takes seconds on a large spec.
    """
    from mockserver.runtime.app import create_app
    from mockserver.runtime.faults import FaultSettings
    from mockserver.serving.request_log import RequestLog
    from mockserver.spec import load_spec

    sizing = {} if options.journal_size is None else {"journal_size": options.journal_size}
    # Validated even when not strict: what openapi-spec-validator finds is printed as warnings.
    spec = load_spec(options.spec, validate=validate or options.strict, strict=options.strict)
    app = create_app(spec, options.fixtures, seed=options.seed, mode=options.mode,
                     scenario=options.scenario, strict=options.strict, **sizing)
    app.faults = FaultSettings(delay=options.delay)
    if options.log_format is not None:
        app.observers.append(RequestLog(app.spec, options.log_stream, options.log_format))
    if options.recorder is not None:
        from mockserver.consumers.observe import attach

        attach(app, options.recorder)
    return app


def build_stack(options: ServeOptions, app: MockApp | None = None) -> Stack:
    """The served app: `app` (or a new mock) behind live reload, the admin API and CORS."""
    from mockserver.serving.admin import DEFAULT_ADMIN_PREFIX, AdminApi
    from mockserver.serving.cors import CorsMiddleware
    from mockserver.serving.reload import LiveApp

    live = LiveApp(lambda: build_mock(options), app)
    entry: ASGIApp = live
    admin = None
    if options.admin:
        admin = AdminApi(live, lambda: live.current, options.admin_prefix or DEFAULT_ADMIN_PREFIX,
                         status=live.status)
        entry = admin

    def allowed_methods(scope: Scope) -> set[str] | None:
        if admin is not None and admin.owns(scope):
            return admin.allowed_methods(scope)
        raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        match = live.current.router.match(raw, scope["method"])
        return None if match is None else set(match.allowed)

    if options.cors:
        entry = CorsMiddleware(entry, allowed_methods, options.cors_origins)
    return Stack(entry, live, admin)


def serve(options: ServeOptions, host: str, port: int, *, watch: bool = False, workers: int = 1) -> int:
    """Build, serve until interrupted, and print the banner once the server listens. Raises LoadError when
    the mock cannot load.

    With several `workers`, each process builds its own mock from the same options (this one builds it
    first, to report problems and print the banner): answers are identical, state is per process.
    What only openapi-spec-validator finds is printed later: a low-priority process looks for it once
    the server listens (not with `--strict`, which validates before serving).
    """
    import uvicorn

    if watch and workers > 1:
        print("mockserver: error: --watch reloads one process; it cannot be combined with --workers",
              file=sys.stderr)
        return 2
    if options.consumer is not None and options.consumer_out is None:
        print("mockserver: error: --consumer names the consumer recorded with --consumer-out DIR",
              file=sys.stderr)
        return 2
    if options.consumer_out is not None:
        if workers > 1:
            print("mockserver: error: --consumer-out records in one process; it cannot be combined with "
                  "--workers", file=sys.stderr)
            return 2
        from mockserver.consumers.recorder import ConsumerRecorder

        options = replace(options, recorder=ConsumerRecorder(options.consumer_out, options.consumer).start())
        _finish_on_sigterm()  # uvicorn ends a SIGTERM'd process without returning: the files would be lost

    stack = build_stack(options, build_mock(options, validate=False))
    app = stack.live.current
    printed = _warnings(app, stack)
    for warning in printed:
        print(f"mockserver: warning: {warning}", file=sys.stderr)
    watcher = None
    if watch:
        from mockserver.serving.reload import Watcher, watched_paths

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
        if options.recorder is not None:
            for path in options.recorder.close():
                print(f"mockserver: consumer contract written: {path}", file=sys.stderr)
    return 0


def _finish_on_sigterm() -> None:
    """After uvicorn's graceful shutdown, a SIGTERM raises SystemExit here, so `serve`'s clean-up runs."""
    if threading.current_thread() is not threading.main_thread():
        return

    def finish(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, finish)


def _print_banner(stack: Stack, options: ServeOptions, host: str, port: int, watcher: Watcher | None) -> None:
    from mockserver.serving.request_log import startup_banner

    app = stack.live.current
    stream = sys.stderr if options.log_format == "json" else sys.stdout  # stdout stays JSON lines
    admin_prefix = stack.admin.prefix if stack.admin is not None else None
    banner = startup_banner(app, f"http://{host}:{port}", admin_prefix, options.fixtures)
    print(banner, file=stream, flush=True)
    if watcher is not None:
        print(f"mockserver: watching {', '.join(map(str, watcher.paths))}", file=stream, flush=True)


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


def app_from_environment() -> ASGIApp:
    """The app of one `serve --workers N` process, from the options the parent put in the environment."""
    options = options_from_json(os.environ[OPTIONS_VARIABLE])
    return build_stack(options, build_mock(options, validate=False)).asgi  # the parent validates


def options_to_json(options: ServeOptions) -> str:
    """`options` for another process (a worker); the log stream is not passed: workers log to stdout."""
    return json.dumps({
        "spec": str(options.spec), "fixtures": None if options.fixtures is None else str(options.fixtures),
        "seed": options.seed, "mode": options.mode, "scenario": options.scenario, "strict": options.strict,
        "delay": None if options.delay is None else str(options.delay), "cors": options.cors,
        "cors_origins": list(options.cors_origins), "admin": options.admin,
        "admin_prefix": options.admin_prefix, "journal_size": options.journal_size,
        "log_format": options.log_format,
    })


def options_from_json(text: str) -> ServeOptions:
    from mockserver.runtime.faults import parse_delay

    fields = json.loads(text)
    return ServeOptions(**{
        **fields,
        "spec": Path(fields["spec"]),
        "fixtures": None if fields["fixtures"] is None else Path(fields["fixtures"]),
        "delay": None if fields["delay"] is None else parse_delay(fields["delay"]),
        "cors_origins": tuple(fields["cors_origins"]),
    })


class BackgroundValidation:
    """openapi-spec-validator's findings on the spec, printed as warnings (those not printed already) by a
    low-priority process: seconds of CPU on a large spec, while the mock answers at full speed."""

    def __init__(self, spec: Path, printed: set[str]) -> None:
        self.spec = spec
        self.printed = printed
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        code = "from mockserver.serving.serve import report_validation; report_validation()"
        command = [sys.executable, "-c", code, str(self.spec)]
        with self._lock:
            if self._stopped or self._process is not None:
                return
            try:
                self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                assert self._process.stdin is not None
                # Its stdin stays open: it closes when this process ends (however), and that one then ends.
                self._process.stdin.write(json.dumps(sorted(self.printed)).encode() + b"\n")
                self._process.stdin.flush()
            except OSError:
                return  # only warnings are lost

    def stop(self) -> None:
        """End the validation if it still runs (the server stopped first)."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report_validation() -> None:
    """The background validation of `serve`: the spec (argv), minus the warnings printed already (the first
    line of stdin). Ends when stdin does: the server stopped."""
    _yield_to_everything_else()
    printed = set(json.loads(sys.stdin.readline() or "[]"))
    threading.Thread(target=_exit_at_end_of_input, name="mockserver-server-gone", daemon=True).start()
    from mockserver.spec import load_spec

    try:
        spec = load_spec(sys.argv[1], validate=True, strict=False)
    except Exception:  # the served spec loaded a moment ago: a problem now is a file being edited
        return
    for warning in map(str, spec.warnings):
        if warning not in printed:
            print(f"mockserver: warning: {warning}", file=sys.stderr, flush=True)


def _exit_at_end_of_input() -> None:
    sys.stdin.read()  # nothing more comes: this returns when the server closes its end, or exits
    os._exit(0)


def _yield_to_everything_else() -> None:
    """The lowest priority a process can take without privileges: on a busy CPU (a benchmark pins the mock
    to one) it gets a sliver of the time, so the mock's requests come first."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(19)


def _warnings(app: MockApp, stack: Stack) -> list[str]:
    warnings = [str(problem) for problem in app.spec.warnings]
    if stack.admin is not None:
        warnings += [f"the spec serves {path}, so the admin endpoint there is unreachable; "
                     "move the admin with --admin-prefix" for path in stack.admin.shadowed(app)]
    return warnings


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The `serve` options this module handles: latency, CORS, admin, journal, request log, reload."""
    parser.add_argument("--watch", action="store_true",
                        help="reload the spec and fixtures when their files change")
    parser.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                        help="serve from N processes (default: 1); each keeps its own journal and state")
    parser.add_argument("--delay", type=_delay_argument, default=None, metavar="MS|MIN-MAX",
                        help="delay every answer by MS milliseconds, or by a random time in MIN-MAX")
    parser.add_argument("--no-cors", dest="cors", action="store_false", help="do not answer CORS at all")
    parser.add_argument("--cors-origin", dest="cors_origins", action="append", default=[], metavar="ORIGIN",
                        help="allow only this origin (repeatable; default: every origin)")
    parser.add_argument("--admin-prefix", type=_prefix_argument, default=None, metavar="PREFIX",
                        help="where the admin API and page live (default: /__mock__)")
    parser.add_argument("--no-admin", dest="admin", action="store_false", help="serve no admin API")
    parser.add_argument("--journal-size", type=_positive_int, default=None, metavar="N",
                        help="keep the newest N requests in the journal (default: 1000)")
    parser.add_argument("--log-format", choices=["text", "json", "off"], default="text",
                        help="one line per request, as text (default) or JSON; off: no request log")
    parser.add_argument("--consumer-out", type=Path, default=None, metavar="DIR",
                        help="write a consumer contract per consumer into DIR (see `mockserver consumer`)")
    parser.add_argument("--consumer", default=None, metavar="NAME",
                        help="with --consumer-out: the consumer of requests without an X-Mock-Consumer "
                             "header (default: default)")


def options_from_arguments(args: argparse.Namespace, fixtures: Path | None) -> ServeOptions:
    return ServeOptions(
        spec=Path(args.spec), fixtures=fixtures, seed=args.seed, mode=args.mode, scenario=args.scenario,
        strict=args.strict, delay=args.delay, cors=args.cors, cors_origins=tuple(args.cors_origins),
        admin=args.admin, admin_prefix=args.admin_prefix, journal_size=args.journal_size,
        log_format=None if args.log_format == "off" else args.log_format,
        consumer_out=args.consumer_out, consumer=args.consumer,
    )


def _delay_argument(text: str) -> DelayRange:
    from mockserver.runtime.faults import parse_delay

    try:
        return parse_delay(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _prefix_argument(text: str) -> str:
    from mockserver.serving.admin import normalize_prefix

    try:
        return normalize_prefix(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value
