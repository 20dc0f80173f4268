"""Schemathesis against the mock in each bundled scenario: fixture and dataset answers conform to the slices.

`slow` serves the base data late (too slow to fuzz); `paging-errors` deliberately answers a valid cursor
with 422, which schemathesis's positive-data check rightly flags, so neither is fuzzed here.
"""

from __future__ import annotations

import pytest
import schemathesis
from helpers import FIXTURES_DIR, OPENAPI_DIR, auth_headers
from hypothesis import HealthCheck, settings

from mockserver import create_app

APP = create_app(OPENAPI_DIR, FIXTURES_DIR)
schema = schemathesis.openapi.from_dict(APP.spec.document)
schema.app = APP


@pytest.mark.parametrize("scenario", ["empty", "errors", "signed-out"])
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_scenario_conforms_to_the_spec(case, scenario):
    case.call_and_validate(headers={**auth_headers(), "X-Mock-Scenario": scenario})
