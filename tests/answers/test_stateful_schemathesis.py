"""Schemathesis' stateful phase against the stateful mock of each CRUD spec: 0 failures.

The phase chains operations through the links the spec declares and those schemathesis infers (from the
spec's dependencies and from `Location` headers), and checks every answer with all its response checks
plus the stateful ones (`use_after_free`: a deleted record is gone; `ensure_resource_availability`: a
created record can be read). The mock runs in-process (ASGI), with a fixed seed and few steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from helpers import TESTS
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from mockserver import create_app

CORPUS = TESTS / "corpus"
CRUD_SPECS = sorted(path.stem for path in CORPUS.glob("crud_*.yaml"))
# Every response check, and the stateful ones; `ignored_auth` needs a server that knows valid credentials
# (these specs declare none), `max_response_time` a limit.
CHECKS = ["not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
          "positive_data_acceptance", "missing_required_header", "unsupported_method",
          "use_after_free", "ensure_resource_availability"]


def run_stateful_phase(spec: Path, seed: int = 1) -> tuple[list[str], int]:
    """The failures found (one line each) and the number of requests sent."""
    config = SchemathesisConfig.from_dict({
        "seed": seed,
        "continue-on-failure": True,
        "warnings": False,
        "generation": {"mode": "positive", "database": "none", "max-examples": 12},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False},
                   "fuzzing": {"enabled": False}, "stateful": {"enabled": True, "max-steps": 10}},
        "checks": {name: {"enabled": True} for name in CHECKS},
    })
    schema = schemathesis.openapi.from_path(spec, config=config)
    schema.app = create_app(spec)
    failures: list[str] = []
    sent = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            sent += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                failures += [f"{check.name}: {_message(check)} ({case_id})" for check in checks
                             if check.failure_info is not None]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {getattr(event, 'info', event)}")
    return failures, sent


def _message(check: Any) -> str:
    failure = check.failure_info.failure
    return f"{failure.title} {getattr(failure, 'message', '')}".strip()


@pytest.mark.parametrize("name", CRUD_SPECS)
def test_the_stateful_phase_finds_no_failure(name: str) -> None:
    failures, sent = run_stateful_phase(CORPUS / f"{name}.yaml")
    assert sent > 20  # the phase did chain requests
    assert failures == []
