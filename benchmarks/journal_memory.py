"""Memory of a served mock under large request bodies: RSS growth after 40 bodies of 9 MB (issue 15 §4).

    python benchmarks/journal_memory.py [--bodies 40] [--megabytes 9] [--target-mb 80] [-- SERVE OPTIONS]

It starts `mockserver serve openapi --fixtures fixtures --log-format off` (the bundled API, default
journal limits unless serve options follow `--`, e.g. `-- --journal-body-limit 10MiB` to keep whole
bodies as the journal did before), sends a few small requests, reads the server's RSS, then POSTs the
large bodies one after the other (half to an operation, half to a path outside the spec: both are
journaled) and reads the RSS again. Exit status 1 when the growth reaches the target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from servers import fetch, free_port, mockserver_command, rss_mb, start

ROOT = Path(__file__).resolve().parents[1]
LIST = "/api/v1/credit-memos"
HEADERS = {"Authorization": "Bearer benchmark", "x-business-id": "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bodies", type=int, default=40)
    parser.add_argument("--megabytes", type=float, default=9.0)
    parser.add_argument("--target-mb", type=float, default=80.0)
    parser.add_argument("serve_options", nargs="*", help="options given to `mockserver serve` (after --)")
    args = parser.parse_args(argv)

    port = free_port()
    command = [*mockserver_command(), "serve", "openapi", "--fixtures", "fixtures", "--port", str(port),
               "--log-format", "off", *args.serve_options]
    server = start("mockserver", command, port, cpu=None, cwd=ROOT)
    try:
        for _ in range(20):  # warm up: imports, the first answers, the memo
            fetch(port, LIST, HEADERS)
        before = rss_mb(server.process.pid)
        body = b'{"note": "' + b"x" * int(args.megabytes * 1024 * 1024) + b'"}'
        statuses = set()
        for number in range(args.bodies):
            path = LIST if number % 2 == 0 else f"/nowhere/{number}"
            statuses.add(fetch(port, path, {**HEADERS, "Content-Type": "application/json"}, "POST",
                               body).status)
        after = rss_mb(server.process.pid)
    finally:
        server.stop()

    growth = after - before
    total_mb = args.bodies * len(body) / 1024 / 1024
    verdict = "OK" if growth < args.target_mb else "OVER TARGET"
    print(f"serve options: {' '.join(args.serve_options) or '(defaults)'}")
    print(f"sent {args.bodies} bodies of {len(body) / 1024 / 1024:.1f} MB ({total_mb:.0f} MB), "
          f"statuses {sorted(statuses)}")
    print(f"RSS before {before:.1f} MB, after {after:.1f} MB: growth {growth:.1f} MB "
          f"(target < {args.target_mb:.0f} MB): {verdict}")
    return 0 if growth < args.target_mb else 1


if __name__ == "__main__":
    sys.exit(main())
