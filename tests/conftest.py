"""Fixtures every test module may use (helpers to import live in helpers.py), and imports that must outlive
pytester's in-process runs."""

from __future__ import annotations

import os
from collections.abc import Iterator

# httpx imports httpcore on its first request and keeps httpcore's exception classes from then on. The
# plugin's pytester tests run pytest in this process and afterwards drop every module the inner run
# imported: were httpcore first imported there, a later request would raise a *new* httpcore's errors,
# which httpx no longer recognizes (a connection refused escapes as httpcore.ConnectError). Imported
# here, httpcore outlives every inner run. The same holds for schemathesis, which generation imports on
# first use and the contract runner matches events of by class: imported here, they outlive the inner runs.
import httpcore  # noqa: F401
import pytest

# And for uvicorn's protocols (an inner run serving a mock imports them): a server started afterwards with
# a dropped-and-reimported httptools protocol answers raw targets with nothing at all.
import uvicorn.protocols.http.h11_impl
import uvicorn.protocols.http.httptools_impl  # noqa: F401
from helpers import FIXTURES_DIR, OPENAPI_DIR
from starlette.testclient import TestClient

# The same for schemathesis' engine: when an inner run is the first to import parts of it (pytest loads
# schemathesis' own plugin), a contract run in this process afterwards counts no request at all (exit 2).
# Imported here, through the contract runner, it outlives every inner run.
import mockserver.contract.runner  # noqa: F401
from mockserver import create_app
from mockserver.foundation.documents import CACHE_ENVIRONMENT_VARIABLE


@pytest.fixture(scope="session")
def bundled_app():
    return create_app(OPENAPI_DIR, FIXTURES_DIR)


@pytest.fixture
def client(bundled_app) -> TestClient:
    return TestClient(bundled_app)


@pytest.fixture(scope="session", autouse=True)
def _parse_cache_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The mock's YAML parse cache in a folder of this test run (servers started as subprocesses inherit
    it), not in the user's cache folder."""
    previous = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    os.environ[CACHE_ENVIRONMENT_VARIABLE] = str(tmp_path_factory.mktemp("parse-cache"))
    yield
    if previous is None:
        os.environ.pop(CACHE_ENVIRONMENT_VARIABLE, None)
    else:
        os.environ[CACHE_ENVIRONMENT_VARIABLE] = previous
