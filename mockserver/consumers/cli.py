"""The `consumer` command (`mockserver consumer show FILE`); `mockserver.cli` adds it with `add_commands`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    consumer = subparsers.add_parser(
        "consumer", help="read consumer contracts recorded by the mock",
        description="Consumer contracts are recorded by `mockserver serve --consumer-out DIR`.",
    )
    actions = consumer.add_subparsers(dest="consumer_command", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print a consumer contract for a person",
                              description="Print a consumer contract file as a person reads it. "
                                          "Exit status: 0, or 2 when the file cannot be read.")
    show.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a consumer contract file")
    show.set_defaults(run=_run_show)


def _run_show(args: argparse.Namespace) -> int:
    from mockserver.consumers.model import load
    from mockserver.consumers.show import render
    from mockserver.foundation.problems import LoadError

    texts = []
    for path in args.files:
        try:
            texts.append(render(load(path)))
        except LoadError as error:
            for problem in error.problems:
                print(f"mockserver: error: {problem}", file=sys.stderr)
            return 2
    print("\n\n".join(texts))
    return 0
