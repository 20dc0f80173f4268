"""The `compat` command; `mockserver.cli` adds it with `add_commands(subparsers)`."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_BREAKING = 1
EXIT_ERROR = 2

_EPILOG = """\
OLD and NEW are each a spec file, a folder of slices, or git:REV:path (e.g. git:origin/main:openapi).
Exit status: 0 no breaking change, 1 at least one breaking change (with --consumer: one some consumer is
affected by), 2 usage error or a spec or consumer file that cannot be read."""


def add_commands(subparsers: Any) -> None:
    compat = subparsers.add_parser(
        "compat", help="list the changes between two spec versions, breaking or safe for clients",
        description="Compare two versions of a spec and list every change, marked breaking or safe for\n"
                    "clients, with JSON pointers on both sides. With consumer contracts, only changes some\n"
                    "consumer uses count as breaking.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compat.add_argument("old", metavar="OLD", help="the version clients use today")
    compat.add_argument("new", metavar="NEW", help="the version to deploy")
    compat.add_argument("--consumer", dest="consumers", action="append", default=[], type=Path,
                        metavar="FILE", help="a consumer contract file, or a folder of them (repeatable)")
    compat.add_argument("--json", action="store_true", help="print the changes as JSON")
    compat.set_defaults(run=_run_compat)


def _run_compat(args: argparse.Namespace) -> int:
    from mockserver.compat.changes import compare
    from mockserver.compat.report import as_json, render
    from mockserver.compat.sources import load_version
    from mockserver.compat.usage import affected_consumers
    from mockserver.consumers.model import contract_files, load
    from mockserver.foundation.problems import LoadError

    try:
        contracts = [load(path) for path in contract_files(args.consumers)]
        with tempfile.TemporaryDirectory(prefix="mockserver-compat-") as scratch:
            old = load_version(args.old, Path(scratch))
            new = load_version(args.new, Path(scratch))
    except LoadError as error:
        for problem in error.problems:
            print(f"mockserver: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    changes = compare(old, new)
    with_consumers = bool(args.consumers)
    if with_consumers:
        for change in changes:
            change.consumers = affected_consumers(change, contracts)
    print(as_json(changes, with_consumers=with_consumers) if args.json
          else render(changes, with_consumers=with_consumers))
    breaking = any(change.breaking and (change.consumers or not with_consumers) for change in changes)
    return EXIT_BREAKING if breaking else EXIT_OK
