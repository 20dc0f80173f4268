"""The command line: `mockserver serve`, `mockserver check` (and the commands other modules register)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from mockserver.compat.cli import add_commands as add_compat_commands
from mockserver.consumers.cli import add_commands as add_consumer_commands
from mockserver.contract.cli import add_commands as add_contract_commands
from mockserver.foundation.problems import LoadError, Problem
from mockserver.record import add_commands as add_record_commands
from mockserver.serving.arguments import add_serve_arguments, options_from_arguments, port_number
from mockserver.serving.listening import StartupError

DEFAULT_SPEC = "openapi"
DEFAULT_FIXTURES = "fixtures"
START_HINT = ("Start with `mockserver serve` (serves ./openapi with ./fixtures on http://127.0.0.1:4010), "
              "or `mockserver COMMAND --help`.")


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what to do instead."""


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors are one `mockserver: error: ...` line pointing at the command's --help."""

    def error(self, message: str) -> NoReturn:
        print(f"mockserver: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(2)


def _add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        nargs="?",
        default=None,
        help="a spec file or a folder of OpenAPI slices (default: ./openapi)",
    )
    parser.add_argument(
        "--fixtures", default=None, help="the fixtures folder (default: ./fixtures when it exists)"
    )
    parser.add_argument(
        "--allow-ref-outside", action="store_true",
        help="let the spec's $refs read files outside its folder (refused by default)",
    )


def spec_path(value: str | None, command: str) -> Path:
    """The spec to load: the one given, else ./openapi; a missing one is a usage error saying what to do."""
    if value is None:
        if not Path(DEFAULT_SPEC).exists():
            raise UsageError(f"no spec given and no ./{DEFAULT_SPEC} folder here; pass a spec file or "
                             f"folder, e.g. `mockserver {command} petstore.yaml`")
        return Path(DEFAULT_SPEC)
    path = Path(value)
    if not path.exists():
        raise UsageError(f"{value}: no such file or folder; pass a spec file (.yaml, .json) or a folder "
                         "of them")
    return path


def fixtures_dir(value: str | None) -> Path | None:
    """The fixtures folder: the one given (which must exist), else ./fixtures when it exists."""
    if value is not None:
        path = Path(value)
        if not path.is_dir():
            raise UsageError(f"--fixtures {value}: no such folder; give the folder holding mockserver.yaml "
                             "and the fixture files, or leave --fixtures out")
        return path
    default = Path(DEFAULT_FIXTURES)
    return default if default.is_dir() else None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mockserver", description="A fast, faithful OpenAPI mock server.",
                     epilog=START_HINT)
    parser.add_argument("--version", action="version", version=f"mockserver {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="serve the mock over HTTP", description="Serve a spec (and its fixtures) over HTTP."
    )
    _add_spec_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=4010,
                       help="port to listen on, 1-65535 (default: 4010; 0: any free port)")
    serve.add_argument("--seed", type=int, default=0, help="seed of generated data (default: 0)")
    serve.add_argument(
        "--mode",
        choices=["auto", "generate"],
        default="auto",
        help="auto: fixtures, then examples, then generated; generate: always generate",
    )
    serve.add_argument("--scenario", default=None, help="the scenario served when a request names none")
    serve.add_argument("--strict", action="store_true", help="treat every spec problem as fatal")
    add_serve_arguments(serve)
    serve.set_defaults(run=run_serve)

    check = commands.add_parser(
        "check",
        help="validate the spec and fixtures without serving",
        description="Validate the spec and fixtures; exit 0 when clean, 2 otherwise.",
    )
    _add_spec_arguments(check)
    check.set_defaults(run=run_check)

    add_contract_commands(commands)
    add_consumer_commands(commands)
    add_compat_commands(commands)
    add_record_commands(commands)
    return parser


def report_problems(problems: Sequence[Problem], *, label: str = "error") -> None:
    for problem in problems:
        print(f"mockserver: {label}: {problem}", file=sys.stderr)


def run_check(args: argparse.Namespace) -> int:
    from mockserver.runtime.app import create_app
    from mockserver.spec import load_spec

    try:
        spec = load_spec(spec_path(args.spec, "check"), validate=True, strict=True,
                         allow_ref_outside=args.allow_ref_outside)
        app = create_app(spec, fixtures_dir(args.fixtures))
    except LoadError as error:
        report_problems(error.problems)
        return 2
    report_problems(spec.notes, label="note")
    for line in app.resources.lines():  # what the stateful mock inferred, and why; what it could not
        print(line)
    print(f"OK: {len(spec.operations)} operations in {len(spec.files)} file(s)")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from mockserver.serving.serve import serve

    options = options_from_arguments(args, spec_path(args.spec, "serve"), fixtures_dir(args.fixtures))
    try:
        return serve(options, args.host, args.port, watch=args.watch, workers=args.workers)
    except LoadError as error:
        report_problems(error.problems)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.run(args))
    except (UsageError, StartupError) as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _version() -> str:
    try:
        return version("mockserver")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
