"""What our schemathesis checks know about the API under test, beyond the spec schemathesis reads.

One `ContractContext` per run: the loaded spec, the mock config (auth rules, tenant header), the
domain rules of the fixtures folder, the tenants to test with and the ids for path parameters.
Checks receive it through schemathesis' check configuration, so concurrent runs never share state.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemathesis import Case

from mockserver.contract.ids import IdPool
from mockserver.contract.tenancy import Tenancy, tenancy_of
from mockserver.foundation.config import MockConfig
from mockserver.spec.model import Operation, Spec

# How many accepted requests per operation each probing check re-sends with changed credentials.
DEFAULT_PROBES_PER_OPERATION = 2


@dataclass
class MockTarget:
    """The mock, reached in-process, that `diff` compares the server under test with, and the mock's own
    identities: its credentials in place of the server's, and its ids in place of the server's (the id at
    the same position in what each side listed)."""

    app: Any
    base_url: str
    pool: IdPool = field(default_factory=IdPool)
    credentials: dict[str, str] = field(default_factory=dict)  # header -> the mock's value
    replaced: dict[str, str] = field(default_factory=dict)  # lower-case header -> the server's value

    def headers_for(self, sent: dict[str, str]) -> dict[str, str]:
        """The headers of a request to the server, with the server's credentials swapped for the mock's."""
        headers = {}
        for name, value in sent.items():
            mine = next((own for header, own in self.credentials.items() if header.lower() == name.lower()),
                        None)
            swap = mine is not None and self.replaced.get(name.lower()) == value
            headers[name] = mine if swap and mine is not None else value
        return headers

    def path_value(self, server: IdPool, path: str, name: str, value: Any) -> Any:
        """The mock's id for a path parameter the server got `value` for: the same position in each list."""
        position = server.position(path, name, value)
        if position is None:
            return value  # a generated value: it means as little to one side as to the other
        mine = self.pool.at(path, name, position)
        return value if mine is None else mine


@dataclass
class ContractContext:
    spec: Spec
    config: MockConfig
    rules: Any = None  # mockserver.generation.rules.RuleSet, or None when the fixtures folder has no rules
    tenant: str | None = None
    other_tenant: str | None = None
    pool: IdPool = field(default_factory=IdPool)
    mock: MockTarget | None = None
    harvest_ids: bool = True  # False: path parameters get only the values given on the command line
    probes_per_operation: int = DEFAULT_PROBES_PER_OPERATION
    fail_on_data_dependent: bool = False  # diff: data-dependent differences fail the run too
    set_aside: list[Any] = field(default_factory=list)  # diff: data-dependent differences (FailureRecords)
    _probes: Counter[tuple[str, str]] = field(default_factory=Counter)
    _operations: dict[str, Operation | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tenancy(self) -> Tenancy | None:
        return tenancy_of(self.config)

    def operation_for(self, case: Case) -> Operation | None:
        """Our model of the operation a schemathesis case belongs to."""
        key = f"{case.operation.method.upper()} {case.operation.path}"
        with self._lock:
            if key not in self._operations:
                self._operations[key] = self.spec.find_operation(key)
            return self._operations[key]

    def set_aside_difference(self, record: Any) -> None:
        """Keep a data-dependent difference (a FailureRecord) for the report, apart from the failures."""
        with self._lock:
            self.set_aside.append(record)

    def take_probe(self, check: str, operation: Operation) -> bool:
        """True while `check` may still send probes for `operation` (a few per operation suffice)."""
        with self._lock:
            slot = (check, operation.key)
            if self._probes[slot] >= self.probes_per_operation:
                return False
            self._probes[slot] += 1
            return True
