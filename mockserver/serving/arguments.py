"""The options of `mockserver serve` on the command line, and the ServeOptions they make."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mockserver.http.faults import DelayRange, parse_delay
from mockserver.runtime.backends import STATE_VARIABLE, StateUrlError, check_deployment, check_state_url
from mockserver.serving.admin import normalize_prefix
from mockserver.serving.admin_access import TOKEN_VARIABLE
from mockserver.serving.listening import MAX_PORT
from mockserver.serving.options import ServeOptions


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The `serve` options this module handles: latency, CORS, admin, journal, request log, reload, state."""
    parser.add_argument("--watch", action="store_true",
                        help="reload the spec and fixtures when their files change")
    parser.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                        help="serve from N processes (default: 1); each keeps its own journal and state "
                             "unless --state names a shared one")
    parser.add_argument("--state", default=None, metavar="URL", type=_state_argument,
                        help="where overrides, scenarios, records and the journal live: memory (default: in "
                             f"each process) or redis://HOST:PORT/DB, shared by every worker and replica "
                             f"(default: ${STATE_VARIABLE})")
    parser.add_argument("--deployment", default=None, metavar="NAME", type=_deployment_argument,
                        help="with --state redis://...: the namespace of this mock's keys, so several mocks "
                             "can share one Redis (default: default)")
    parser.add_argument("--session-ttl", type=_duration, default=None, metavar="DURATION",
                        help="with --state redis://...: a session other than the default one is forgotten "
                             "this long after its last change (e.g. 3600, 90m, 24h; default: 24h)")
    parser.add_argument("--delay", type=_delay_argument, default=None, metavar="MS|MIN-MAX",
                        help="delay every answer by MS milliseconds, or by a random time in MIN-MAX")
    parser.add_argument("--no-cors", dest="cors", action="store_false", help="do not answer CORS at all")
    parser.add_argument("--cors-origin", dest="cors_origins", action="append", default=[], metavar="ORIGIN",
                        help="allow only this origin (repeatable; default: every origin for the API, none "
                             "for the admin API)")
    parser.add_argument("--admin-prefix", type=_prefix_argument, default=None, metavar="PREFIX",
                        help="where the admin API and page live (default: /__mock__)")
    parser.add_argument("--no-admin", dest="admin", action="store_false", help="serve no admin API")
    parser.add_argument("--admin-token", default=None, metavar="TOKEN",
                        help=f"the admin API needs this token (default: ${TOKEN_VARIABLE}); required for the "
                             "admin API when --host is not a loopback address")
    parser.add_argument("--allowed-host", dest="allowed_hosts", action="append", default=[], metavar="NAME",
                        help="answer admin requests sent to this Host name too (repeatable; default: "
                             "loopback names and addresses only)")
    parser.add_argument("--journal-size", type=_positive_int, default=None, metavar="N",
                        help="keep the newest N requests in the journal (default: 1000)")
    parser.add_argument("--journal-body-limit", type=_byte_size, default=None, metavar="BYTES",
                        help="keep the first BYTES of each request body in the journal (default: 64KiB)")
    parser.add_argument("--journal-bytes", type=_byte_size, default=None, metavar="BYTES",
                        help="keep at most BYTES in the journal, the oldest requests going first "
                             "(default: 64MiB)")
    parser.add_argument("--log-format", choices=["text", "json", "off"], default="text",
                        help="one line per request, as text (default) or JSON; off: no request log")
    parser.add_argument("--consumer-out", type=Path, default=None, metavar="DIR",
                        help="write a consumer contract per consumer into DIR (see `mockserver consumer`)")
    parser.add_argument("--stateless", dest="stateful", action="store_false",
                        help="writes change nothing: answers come from fixtures, examples or generation")
    parser.add_argument("--strict-ids", action="store_true",
                        help="answer 404 for a record id that was never created nor listed (default: a "
                             "generated record)")
    parser.add_argument("--max-sessions", type=_positive_int, default=None, metavar="N",
                        help="keep the records of at most N sessions, the least recently used going first "
                             "(default: 100)")
    parser.add_argument("--max-records", type=_positive_int, default=None, metavar="N",
                        help="keep at most N changed records per resource in each session, the oldest "
                             "going first (default: 1000)")
    parser.add_argument("--consumer", default=None, metavar="NAME",
                        help="with --consumer-out: the consumer of requests without an X-Mock-Consumer "
                             "header (default: default)")


def options_from_arguments(args: argparse.Namespace, spec: Path, fixtures: Path | None) -> ServeOptions:
    return ServeOptions(
        spec=spec, fixtures=fixtures, seed=args.seed, mode=args.mode, scenario=args.scenario,
        strict=args.strict, allow_ref_outside=args.allow_ref_outside, delay=args.delay, cors=args.cors,
        cors_origins=tuple(args.cors_origins), admin=args.admin, admin_prefix=args.admin_prefix,
        admin_token=args.admin_token or os.environ.get(TOKEN_VARIABLE) or None,
        allowed_hosts=tuple(args.allowed_hosts), host=args.host, journal_size=args.journal_size,
        journal_body_limit=args.journal_body_limit, journal_bytes=args.journal_bytes,
        log_format=None if args.log_format == "off" else args.log_format,
        consumer_out=args.consumer_out, consumer=args.consumer, stateful=args.stateful,
        strict_ids=args.strict_ids, max_sessions=args.max_sessions, max_records=args.max_records,
        state_url=args.state if args.state is not None else os.environ.get(STATE_VARIABLE) or None,
        deployment=args.deployment, session_ttl=args.session_ttl,
    )


def _delay_argument(text: str) -> DelayRange:

    try:
        return parse_delay(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _state_argument(text: str) -> str:
    try:
        return check_state_url(text) or "memory"
    except StateUrlError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _deployment_argument(text: str) -> str:
    try:
        return check_deployment(text)
    except StateUrlError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


_DURATION = re.compile(r"(\d+)\s*(s|m|h|d)?", re.IGNORECASE)
_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> int:
    """`3600`, `90m`, `24h`, `7d`: a number of seconds (at least one)."""
    found = _DURATION.fullmatch(text.strip())
    seconds = int(found.group(1)) * _SECONDS[(found.group(2) or "s").lower()] if found else 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 3600, 90m or 24h")
    return seconds


def _prefix_argument(text: str) -> str:

    try:
        return normalize_prefix(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def port_number(text: str) -> int:
    """A TCP port, 1-65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-{MAX_PORT})")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


_SIZE = re.compile(r"(\d+)\s*(k|m|g)?(?:i?b)?", re.IGNORECASE)
_UNITS = {None: 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def _byte_size(text: str) -> int:
    """`65536`, `64KiB`, `64k`, `64MB`: a number of bytes (units of 1024)."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 65536, 64KiB or 64MiB")
    unit = found.group(2).lower() if found.group(2) else None
    return int(found.group(1)) * _UNITS[unit]
