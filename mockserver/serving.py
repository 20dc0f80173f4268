"""`mockserver serve` put together: the mock, then live reload, the admin API and CORS in front of it.

    request -> CORS -> admin (/__mock__/...) -> LiveApp -> MockApp (latency, faults, request log)

Each layer is a small ASGI wrapper in its own module; this one only reads the options and stacks them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

    from mockserver.admin import AdminApi
    from mockserver.app import MockApp
    from mockserver.faults import DelayRange
    from mockserver.reload import LiveApp
    from mockserver.request_log import LogFormat

# The modules behind each layer are imported when a mock is built, so `mockserver --help` stays fast.

# How `serve --workers N` hands its options to the worker processes (uvicorn imports the app by name).
OPTIONS_VARIABLE = "MOCKSERVER_SERVE_OPTIONS"
WORKERS_FACTORY = "mockserver.serving:app_from_environment"


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
    from mockserver.app import create_app
    from mockserver.faults import FaultSettings
    from mockserver.request_log import RequestLog
    from mockserver.spec import load_spec

    sizing = {} if options.journal_size is None else {"journal_size": options.journal_size}
    # Validated even when not strict: what openapi-spec-validator finds is printed as warnings.
    spec = load_spec(options.spec, validate=validate or options.strict, strict=options.strict)
    app = create_app(spec, options.fixtures, seed=options.seed, mode=options.mode,
                     scenario=options.scenario, strict=options.strict, **sizing)
    app.faults = FaultSettings(delay=options.delay)
    if options.log_format is not None:
        app.observers.append(RequestLog(app.spec, options.log_stream, options.log_format))
    return app


def build_stack(options: ServeOptions, app: MockApp | None = None) -> Stack:
    """The served app: `app` (or a new mock) behind live reload, the admin API and CORS."""
    from mockserver.admin import DEFAULT_ADMIN_PREFIX, AdminApi
    from mockserver.cors import CorsMiddleware
    from mockserver.reload import LiveApp

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
    """Build, print the banner, and serve until interrupted. Raises LoadError when the mock cannot load.

    With several `workers`, each process builds its own mock from the same options (this one builds it
    first, to report problems and print the banner): answers are identical, state is per process.
    """
    import uvicorn

    if watch and workers > 1:
        print("mockserver: error: --watch reloads one process; it cannot be combined with --workers",
              file=sys.stderr)
        return 2

    from mockserver.reload import Watcher, watched_paths
    from mockserver.request_log import startup_banner

    stack = build_stack(options, build_mock(options, validate=False))
    app = stack.live.current
    printed = _warnings(app, stack)
    for warning in printed:
        print(f"mockserver: warning: {warning}", file=sys.stderr)
    if not options.strict:  # strict validated before serving
        _validate_in_background(options, set(printed))
    banner_stream = sys.stderr if options.log_format == "json" else sys.stdout  # stdout stays JSON lines
    admin_prefix = stack.admin.prefix if stack.admin is not None else None
    print(startup_banner(app, f"http://{host}:{port}", admin_prefix, options.fixtures), file=banner_stream,
          flush=True)
    watcher = None
    if watch:
        paths = watched_paths(options.spec, app.spec.files, options.fixtures)
        watcher = Watcher(stack.live, paths).start()
        print(f"mockserver: watching {', '.join(map(str, paths))}", file=banner_stream, flush=True)
    try:
        if workers > 1:
            del stack, app  # each worker builds its own
            os.environ[OPTIONS_VARIABLE] = options_to_json(options)
            uvicorn.run(WORKERS_FACTORY, factory=True, workers=workers, host=host, port=port,
                        log_level="warning", access_log=False)
        else:
            uvicorn.run(stack.asgi, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if watcher is not None:
            watcher.stop()
    return 0


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
    from mockserver.faults import parse_delay

    fields = json.loads(text)
    return ServeOptions(**{
        **fields,
        "spec": Path(fields["spec"]),
        "fixtures": None if fields["fixtures"] is None else Path(fields["fixtures"]),
        "delay": None if fields["delay"] is None else parse_delay(fields["delay"]),
        "cors_origins": tuple(fields["cors_origins"]),
    })


def _validate_in_background(options: ServeOptions, printed: set[str]) -> None:
    """Print what openapi-spec-validator finds in the spec, once it has (seconds on a large spec: the mock
    serves meanwhile)."""
    import threading

    def validate() -> None:
        from mockserver.spec import load_spec

        try:
            spec = load_spec(options.spec, validate=True, strict=False)
        except Exception:  # the served spec loaded a moment ago: a problem now is a file being edited
            return
        for warning in map(str, spec.warnings):
            if warning not in printed:
                print(f"mockserver: warning: {warning}", file=sys.stderr, flush=True)

    threading.Thread(target=validate, name="mockserver-validate", daemon=True).start()


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


def options_from_arguments(args: argparse.Namespace, fixtures: Path | None) -> ServeOptions:
    return ServeOptions(
        spec=Path(args.spec), fixtures=fixtures, seed=args.seed, mode=args.mode, scenario=args.scenario,
        strict=args.strict, delay=args.delay, cors=args.cors, cors_origins=tuple(args.cors_origins),
        admin=args.admin, admin_prefix=args.admin_prefix, journal_size=args.journal_size,
        log_format=None if args.log_format == "off" else args.log_format,
    )


def _delay_argument(text: str) -> DelayRange:
    from mockserver.faults import parse_delay

    try:
        return parse_delay(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _prefix_argument(text: str) -> str:
    from mockserver.admin import normalize_prefix

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
