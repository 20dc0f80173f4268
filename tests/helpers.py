"""What many test modules share: where things are, ready-made credentials for the bundled API, and what a
`mockserver contract` run ended with."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
OPENAPI_DIR = ROOT / "openapi"
FIXTURES_DIR = ROOT / "fixtures"

# The bundled dataset's businesses (fixtures/datasets): every request to the bundled API names one.
BUSINESS_A = "3f6c2a9e-8d41-4b7a-9c15-2e7f0a1b4d83"
BUSINESS_B = "9b1e4d27-6c3a-4f85-a0d2-7e5b8c9f1a64"
TOKEN = "dz_test_token"


def auth_headers(business_id: str = BUSINESS_A) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "x-business-id": business_id}


@dataclass
class ContractOutcome:
    """A `mockserver contract` run: its exit code, what it printed and its JUnit report."""

    code: int
    stdout: str
    stderr: str
    junit: ET.Element

    @classmethod
    def of(cls, code: int, captured: pytest.CaptureResult[str], junit: Path) -> ContractOutcome:
        return cls(code, captured.out, captured.err, ET.parse(junit).getroot())

    @property
    def failing_checks(self) -> set[str]:
        cases = self.junit.iter("testcase")
        return {case.get("name", "") for case in cases if case.find("failure") is not None}

    @property
    def checks_run(self) -> set[str]:
        return {case.get("name", "") for case in self.junit.iter("testcase")}

    def passed(self, check: str) -> int:
        """How many times `check` passed, over every operation."""
        total = 0
        for case in self.junit.iter("testcase"):
            found = re.search(r"passed: (\d+)", case.findtext("system-out") or "")
            total += int(found.group(1)) if case.get("name") == check and found else 0
        return total

    def failure(self, check: str) -> ET.Element:
        return next(element for element in self.junit.iter("failure") if element.get("type") == check)
