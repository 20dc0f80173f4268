"""`mockserver record --base-url URL`: a proxy that saves real traffic as named fixtures.

Each request is forwarded to the real server and answered with its real response. When the request
is one of the spec's operations, the response is checked against the spec and saved as a named
response in `<out>/<operationId>.yaml`, matching the request's parameters (path, query and declared
headers). Credentials never reach a fixture: credential headers and query values are not matched on,
body fields with secret-sounding names (token, password, secret, api key, ...) and any value the
client sent as a credential are replaced, whole, with `***`. A fixture that would not load once masked
is saved apart like a contract break. Requests are only ever forwarded to `--base-url`
(`mockserver.record.target`).

A response that breaks the spec is a contract break of the real server: it is reported, and saved
(with a comment naming each violation) in `<out>/<operationId>.yaml.broken`, which the mock does not
load (it would refuse the fixture) until it is fixed and renamed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mockserver.serving.arguments import port_number

DEFAULT_OUT = "fixtures/recorded"


def add_commands(subparsers: Any) -> None:
    """Register `mockserver record`."""
    parser = subparsers.add_parser(
        "record", help="proxy a real server and save its responses as fixtures",
        description="Forward every request to the real server, answer with its response, and save each "
                    "response of a spec operation as a named fixture (credentials scrubbed). Responses that "
                    "break the spec are reported and saved apart, marked.")
    parser.add_argument("spec", nargs="?", default="openapi",
                        help="a spec file or a folder of OpenAPI slices (default: ./openapi)")
    parser.add_argument("--base-url", required=True, help="the real server, e.g. https://api.example.com")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"where fixtures are written (default: {DEFAULT_OUT})")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=4010,
                        help="port to listen on, 1-65535 (default: 4010; 0: any free port)")
    parser.set_defaults(run=run_record)


def run_record(args: argparse.Namespace) -> int:
    import uvicorn

    from mockserver.foundation.problems import LoadError
    from mockserver.record.proxy import Recorder
    from mockserver.record.target import http_protocol
    from mockserver.serving.listening import StartupError, bind_listening
    from mockserver.spec import load_spec

    if not args.base_url.startswith(("http://", "https://")):
        print(f"mockserver: error: --base-url {args.base_url!r} must start with http:// or https://",
              file=sys.stderr)
        return 2
    try:
        spec = load_spec(Path(args.spec))
    except LoadError as error:
        for problem in error.problems:
            print(f"mockserver: error: {problem}", file=sys.stderr)
        return 2
    try:
        sock = bind_listening(args.host, args.port)
    except StartupError as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    recorder = Recorder(spec, args.base_url, Path(args.out))
    print(f"mockserver record: http://{args.host}:{sock.getsockname()[1]} -> {recorder.base_url}; "
          f"fixtures go to {args.out}", flush=True)
    config = uvicorn.Config(recorder, log_level="warning", access_log=False, http=http_protocol())
    with sock:
        uvicorn.Server(config).run(sockets=[sock])
    return 0
