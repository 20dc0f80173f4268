"""What `mockserver serve` is told: its options, and their form for another process (a worker)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from mockserver.consumers.recorder import ConsumerRecorder
from mockserver.http.faults import DelayRange, parse_delay
from mockserver.serving.request_log import LogFormat


@dataclass
class ServeOptions:
    """Everything `mockserver serve` is told; the defaults are those of the command line."""

    spec: Path
    fixtures: Path | None = None
    seed: int = 0
    mode: str = "auto"
    scenario: str | None = None
    strict: bool = False
    allow_ref_outside: bool = False  # may the spec's `$ref`s read files outside its folder
    delay: DelayRange | None = None
    cors: bool = True
    cors_origins: tuple[str, ...] = ()  # empty: every origin for the API, none for the admin API
    admin: bool = True
    admin_prefix: str | None = None  # None: the default, /__mock__
    admin_token: str | None = None  # needed by the admin API when given; required off loopback
    allowed_hosts: tuple[str, ...] = ()  # Host names the admin API answers besides loopback ones
    host: str = "127.0.0.1"  # the interface served on
    journal_size: int | None = None  # None: the mock's default (1000)
    journal_body_limit: int | None = None  # None: the mock's default (64 KiB of each request body)
    journal_bytes: int | None = None  # None: the mock's default (64 MiB in all)
    log_format: LogFormat | None = "text"  # None: no request log
    log_stream: IO[str] | None = None  # default: stdout
    consumer_out: Path | None = None  # record consumer contracts into this folder
    consumer: str | None = None  # the consumer a request without an X-Mock-Consumer header is recorded as
    stateful: bool = True  # writes to inferred resources change what later reads answer
    strict_ids: bool = False  # 404 for record ids never created nor listed
    max_sessions: int | None = None  # None: the mock's default (100)
    max_records: int | None = None  # None: the mock's default (1000 per resource and session)
    state_url: str | None = None  # None: in the process; redis://...: shared (docs/scaling.md)
    deployment: str | None = None  # the namespace of a shared state's keys (None: "default")
    session_ttl: int | None = None  # seconds a shared session outlives its last change (None: 24 h)
    recorder: ConsumerRecorder | None = field(default=None, repr=False)  # made by `serve` for consumer_out


def options_to_json(options: ServeOptions) -> str:
    """`options` for another process (a worker, through its environment); the log stream is not passed:
    workers log to stdout."""
    return json.dumps({
        "spec": str(options.spec), "fixtures": None if options.fixtures is None else str(options.fixtures),
        "seed": options.seed, "mode": options.mode, "scenario": options.scenario, "strict": options.strict,
        "allow_ref_outside": options.allow_ref_outside,
        "delay": None if options.delay is None else str(options.delay), "cors": options.cors,
        "cors_origins": list(options.cors_origins), "admin": options.admin,
        "admin_prefix": options.admin_prefix, "admin_token": options.admin_token,
        "allowed_hosts": list(options.allowed_hosts), "host": options.host,
        "journal_size": options.journal_size, "journal_body_limit": options.journal_body_limit,
        "journal_bytes": options.journal_bytes, "log_format": options.log_format,
        "stateful": options.stateful, "strict_ids": options.strict_ids,
        "max_sessions": options.max_sessions, "max_records": options.max_records,
        "state_url": options.state_url, "deployment": options.deployment, "session_ttl": options.session_ttl,
    })


def options_from_json(text: str) -> ServeOptions:

    fields = json.loads(text)
    return ServeOptions(**{
        **fields,
        "spec": Path(fields["spec"]),
        "fixtures": None if fields["fixtures"] is None else Path(fields["fixtures"]),
        "delay": None if fields["delay"] is None else parse_delay(fields["delay"]),
        "cors_origins": tuple(fields["cors_origins"]),
        "allowed_hosts": tuple(fields["allowed_hosts"]),
    })
