"""The command line: `mockserver serve`, `mockserver check` (and the commands other modules register)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mockserver.compat.cli import add_commands as add_compat_commands
from mockserver.consumers.cli import add_commands as add_consumer_commands
from mockserver.contract.cli import add_commands as add_contract_commands
from mockserver.foundation.problems import LoadError, Problem
from mockserver.record import add_commands as add_record_commands
from mockserver.serving.serve import add_serve_arguments, options_from_arguments

DEFAULT_SPEC = "openapi"
DEFAULT_FIXTURES = "fixtures"


def _add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        nargs="?",
        default=DEFAULT_SPEC,
        help="a spec file or a folder of OpenAPI slices (default: ./openapi)",
    )
    parser.add_argument(
        "--fixtures", default=None, help="the fixtures folder (default: ./fixtures when it exists)"
    )


def _fixtures_dir(value: str | None) -> Path | None:
    if value is not None:
        return Path(value)
    default = Path(DEFAULT_FIXTURES)
    return default if default.is_dir() else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description="A fast, faithful OpenAPI mock server.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve", help="serve the mock over HTTP", description="Serve a spec (and its fixtures) over HTTP."
    )
    _add_spec_arguments(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4010, help="port to listen on (default: 4010)")
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
        spec = load_spec(Path(args.spec), validate=True, strict=True)
        create_app(spec, _fixtures_dir(args.fixtures))
    except LoadError as error:
        report_problems(error.problems)
        return 2
    print(f"OK: {len(spec.operations)} operations in {len(spec.files)} file(s)")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from mockserver.serving.serve import serve

    try:
        return serve(options_from_arguments(args, _fixtures_dir(args.fixtures)), args.host, args.port,
                     watch=args.watch, workers=args.workers)
    except LoadError as error:
        report_problems(error.problems)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
