"""Tenant isolation: which records of a response belong to a tenant other than the one that asked.

The config's `tenant_header` names the header that selects the tenant (e.g. `x-tenant-id`); records
carry the tenant in a field, `tenant_field` in the config, else the header's name without an `x-`
prefix in snake case (`x-tenant-id` -> `tenant_id`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mockserver.contract.ids import normalize
from mockserver.foundation.config import MockConfig
from mockserver.foundation.problems import join_pointer


@dataclass(frozen=True)
class Tenancy:
    header: str
    field: str


def default_tenant_field(header: str) -> str:
    name = header.strip()
    if name.lower().startswith("x-"):
        name = name[2:]
    return normalize(name)


def tenancy_of(config: MockConfig) -> Tenancy | None:
    if not config.tenant_header:
        return None
    field = config.tenant_field or default_tenant_field(config.tenant_header)
    return Tenancy(config.tenant_header, field)


def same_tenant(value: Any, tenant: str) -> bool:
    return str(value).strip().lower() == tenant.strip().lower()


def foreign_records(body: Any, field: str, tenant: str, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, tenant value) of every record in `body` whose `field` names another tenant."""
    if isinstance(body, dict):
        value = body.get(field)
        if value is not None and not isinstance(value, dict | list) and not same_tenant(value, tenant):
            yield pointer or "/", value
        for key, child in body.items():
            yield from foreign_records(child, field, tenant, pointer + join_pointer(key))
    elif isinstance(body, list):
        for index, child in enumerate(body):
            yield from foreign_records(child, field, tenant, pointer + join_pointer(index))
