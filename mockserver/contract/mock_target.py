"""The mock as a contract target (`contract --self`) or as the reference of `diff`, served in-process.

The mock knows its data: the tenants its fixtures declare and the ids of their records. `--self` tests
with the first two tenants (unless given) and starts with those ids, so every operation's 200 path
is reached, including summaries that no list operation leads to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemathesis.python.asgi import HOST as ASGI_HOST

from mockserver.contract.ids import IdPool, id_name_for
from mockserver.contract.tenancy import same_tenant
from mockserver.fixture_files import FixtureFile, read_fixture_files
from mockserver.http.credentials import DEFAULT_TOKEN
from mockserver.runtime.app import MockApp, create_app
from mockserver.spec.model import Spec
from mockserver.testing.handles import default_credentials

IN_PROCESS_ORIGIN = "http://mockserver.test"
SUITE_ORIGIN = f"http://{ASGI_HOST}"  # where schemathesis sends the requests of `--self`, in-process


@dataclass
class MockData:
    """What the mock's base fixture set holds: tenant ids, and records by collection name."""

    tenants: list[str] = field(default_factory=list)
    collections: dict[str, tuple[str, str | None, list[dict[str, Any]]]] = field(default_factory=dict)

    def seed(self, pool: IdPool, tenant: str | None) -> None:
        """Offer the ids of the records `tenant` can see (its own and shared ones)."""
        for name, (key, tenant_field, records) in self.collections.items():
            for record in records:
                owner = record.get(tenant_field) if tenant_field else None
                if tenant is not None and owner is not None and not same_tenant(owner, tenant):
                    continue
                pool.add(id_name_for(name), record.get(key))
                pool.harvest("", record)


def build_mock(spec: Spec, fixtures: Path | None, *, seed: int = 0) -> MockApp:
    return create_app(spec, fixtures, seed=seed)


def mock_base_url(app: MockApp) -> str:
    return IN_PROCESS_ORIGIN + app.spec.base_path


def mock_data(fixtures: Path | None) -> MockData:
    data = MockData()
    if fixtures is None or not fixtures.is_dir():
        return data
    files, _ = read_fixture_files(fixtures)
    base = [loaded.content for loaded in files if loaded.content.scenario is None]
    for content in base:
        for name, collection in content.collections.items():
            records = [record for record in collection.records if isinstance(record, dict)]
            data.collections[name] = (collection.key, collection.tenant, records)
    data.tenants = _tenants(base, data)
    return data


def _tenants(files: list[FixtureFile], data: MockData) -> list[str]:
    tenants: list[str] = []
    for content in files:
        if content.tenants is None:
            continue
        if content.tenants.ids is not None:
            tenants += content.tenants.ids
        elif content.tenants.collection in data.collections:
            key, _, records = data.collections[content.tenants.collection]
            tenants += [str(record[key]) for record in records if record.get(key) is not None]
    return list(dict.fromkeys(tenants))


def mock_headers(app: MockApp, token: str | None, tenant: str | None) -> dict[str, str]:
    """Headers the mock accepts: its default credentials, with the token and tenant put in."""
    headers = dict(default_credentials(app, token or DEFAULT_TOKEN).headers)
    header = app.config.tenant_header
    if header and tenant:
        headers = {name: value for name, value in headers.items() if name.lower() != header.lower()}
        headers[header] = tenant
    return headers
