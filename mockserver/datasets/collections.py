"""Collections indexed for serving: records by tenant and by key, and which tenants exist.

Tenant ids that parse as UUIDs are compared in canonical form, so `3F6C...` and `3f6c...` are one tenant.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.datasets.predicates import text

Record = Mapping[str, Any]
TENANT_ANSWERS = 1024


class _EveryTenant:
    """The tenant key of a mock that does not scope records: every record is visible."""

    def __repr__(self) -> str:
        return "EVERY_TENANT"


EVERY_TENANT: Any = _EveryTenant()


def canonical_tenant(value: Any) -> str:
    return _canonical_text(text(value).strip())


@functools.lru_cache(maxsize=4096)
def _canonical_text(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return raw


@dataclass(frozen=True)
class RecordSource:
    """Where a record was written: for messages about it."""

    file: str
    pointer: str


@dataclass
class IndexedCollection:
    name: str
    key: str
    tenant_field: str | None
    records: list[dict[str, Any]]
    sources: list[RecordSource]
    _by_tenant: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_key: dict[tuple[Any, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for record in self.records:
            tenant = self.tenant_of(record)
            record_key = text(record.get(self.key))
            self._by_key.setdefault((EVERY_TENANT, record_key), record)
            if tenant is not None:
                self._by_tenant.setdefault(tenant, []).append(record)
                self._by_key.setdefault((tenant, record_key), record)

    def tenant_of(self, record: Record) -> str | None:
        if self.tenant_field is None or record.get(self.tenant_field) is None:
            return None
        return canonical_tenant(record[self.tenant_field])

    @property
    def tenants(self) -> list[str]:
        return list(self._by_tenant)

    def visible_to(self, tenant: Any) -> Sequence[dict[str, Any]]:
        """The records a tenant sees: its own, or all of them for shared collections and unscoped mocks."""
        if self.tenant_field is None or tenant is EVERY_TENANT:
            return self.records
        return self._by_tenant.get(tenant, ())

    def find(self, tenant: Any, key: Any) -> dict[str, Any] | None:
        """The tenant's record with this key, or None."""
        scope = EVERY_TENANT if self.tenant_field is None else tenant
        return self._by_key.get((scope, text(key)))


@dataclass(frozen=True)
class TenantScope:
    """How requests map to tenants: the header carrying the id and, when declared, the ids that exist."""

    header: str | None  # None: records are not scoped
    known: frozenset[str] | None  # None: any id is accepted (it simply has no records)
    declared: tuple[str, ...] = ()  # the tenant ids as the fixtures list them, in file order
    # Answers by header value, a bounded number of them: a client sends the same tenant id every time.
    _answers: dict[str, tuple[Any, bool]] = field(default_factory=dict, compare=False, repr=False)

    def tenant_for(self, value: str | None) -> tuple[Any, bool]:
        """(tenant key, known) for the header's value."""
        if self.header is None:
            return EVERY_TENANT, True
        if type(value) is not str or len(value) > 128:
            return self._tenant_for(value)
        found = self._answers.get(value)
        if found is None:
            found = self._tenant_for(value)
            if len(self._answers) >= TENANT_ANSWERS:
                self._answers.clear()
            self._answers[value] = found
        return found

    def _tenant_for(self, value: Any) -> tuple[Any, bool]:
        if value is None or not str(value).strip():
            return None, self.known is None
        tenant = canonical_tenant(value)
        return tenant, self.known is None or tenant in self.known
