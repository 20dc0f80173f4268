"""What many test modules share: where things are, and ready-made credentials for the bundled API."""

from __future__ import annotations

from pathlib import Path

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
