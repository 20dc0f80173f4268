"""Schemathesis (every check, positive and negative data) against the mock serving the bundled slices."""

from __future__ import annotations

import schemathesis
from helpers import FIXTURES_DIR, OPENAPI_DIR, auth_headers
from hypothesis import HealthCheck, settings

from mockserver import create_app

APP = create_app(OPENAPI_DIR, FIXTURES_DIR)
schema = schemathesis.openapi.from_dict(APP.spec.document)
schema.app = APP


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_mock_conforms_with_credentials(case):
    case.call_and_validate(headers=auth_headers())


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_mock_conforms_without_credentials(case):
    case.call_and_validate()
