"""The pydantic models of fixture files: what each section may hold (structure only, not spec agreement).

A fixture file is YAML or JSON anywhere under the fixtures folder (the config file `mockserver.yaml`
excepted). Every file has the same shape; each section is optional:

```yaml
scenario: empty        # the file belongs to this scenario; without it, to the base set served always
description: ...
delay_ms: 0            # scenario files only: added to every fixture or dataset answer of the scenario
responses: [...]       # named responses (NamedResponse)
tenants: {...}         # which tenant ids exist (Tenants)
collections: {...}     # records by collection name (Collection)
bindings: [...]        # operations answered from collections (Binding)
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mockserver.fixture_files.values import condition_text
from mockserver.http.faults import parse_fault

MAX_DELAY_MS = 600_000
BASE_SET_NAME = "default"  # the name a client uses to ask for the base set explicitly


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class RegexCondition:
    """A condition met when the request's value matches `regex` in full."""

    regex: str


def _condition(value: Any) -> str | RegexCondition:
    if isinstance(value, dict):
        if set(value) != {"regex"} or not isinstance(value["regex"], str):
            raise ValueError("expected a value or {regex: <pattern>}")
        try:
            re.compile(value["regex"])
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return RegexCondition(value["regex"])
    if isinstance(value, list):
        raise ValueError("expected a value or {regex: <pattern>}, not a list")
    return condition_text(value)


Condition = Annotated[Any, AfterValidator(_condition)]


class Match(_Strict):
    """Conditions on the request: an exact value (compared as text) or `{regex: ...}` (full match)."""

    path: dict[str, Condition] = Field(default_factory=dict)
    query: dict[str, Condition] = Field(default_factory=dict)
    headers: dict[str, Condition] = Field(default_factory=dict)

    def conditions(self) -> list[tuple[str, str, str | RegexCondition]]:
        """(location, parameter name, condition) for every condition, in a stable order."""
        located = (("path", self.path), ("query", self.query), ("header", self.headers))
        return [(where, name, cond) for where, conditions in located for name, cond in conditions.items()]


class ResponseSpec(_Strict):
    """What a named response answers. Without `body` the spec's example (or a generated body) is used."""

    status: int = Field(ge=100, le=599)
    headers: dict[str, str | int | float | bool] = Field(default_factory=dict)
    body: Any = None
    media_type: str | None = None

    @property
    def has_body(self) -> bool:
        return "body" in self.model_fields_set


def _known_fault(value: str | None) -> str | None:
    if value is not None:
        parse_fault(value)  # raises ValueError naming the valid faults
    return value


FaultName = Annotated[str | None, AfterValidator(_known_fault)]


class NamedResponse(_Strict):
    name: str = Field(min_length=1)
    operation: str = Field(min_length=1)  # operationId or "METHOD /path"
    match: Match = Field(default_factory=Match)
    on_demand: bool = False  # answers only when named by `Prefer: example=<name>`
    response: ResponseSpec
    delay_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    fault: FaultName = None  # e.g. "reset", "trickle:200": see mockserver.http.faults


class ErrorAnswer(_Strict):
    """A status (and optional body) the dataset answers with; without `body` the spec's example is used."""

    status: int = Field(ge=400, le=599)
    body: Any = None


class Tenants(_Strict):
    """The tenants that exist: listed `ids`, or the keys of a `collection`. Others get `unknown`."""

    ids: list[str] | None = None
    collection: str | None = None
    unknown: ErrorAnswer = Field(default_factory=lambda: ErrorAnswer(status=403))

    @model_validator(mode="after")
    def _one_source(self) -> Tenants:
        if (self.ids is None) == (self.collection is None):
            raise ValueError("give exactly one of `ids` or `collection`")
        return self


class Collection(_Strict):
    """Records of one kind. `tenant` names the field holding a record's tenant (omit for shared records)."""

    key: str = "id"
    tenant: str | None = None
    records: list[Any] = Field(default_factory=list)


class Filter(_Strict):
    """How one request parameter narrows a list: give exactly one of `field`, `search` or `where`."""

    field: str | None = None  # compare the record's field with the parameter's value
    op: Literal["==", "!=", ">", ">=", "<", "<="] = "=="
    search: list[str] | None = None  # case-insensitive substring of any of these fields
    where: list[str] | None = None  # predicates applied when the parameter equals `when`
    when: Any = True

    @model_validator(mode="after")
    def _one_kind(self) -> Filter:
        kinds = [kind for kind in ("field", "search", "where") if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError("give exactly one of `field`, `search` or `where`")
        return self


class Owner(_Strict):
    """The record a request is about, named by a request parameter; `missing` when the tenant has none."""

    collection: str
    param: str
    link: str  # the field of each listed record that holds the owner's key
    missing: ErrorAnswer = Field(default_factory=lambda: ErrorAnswer(status=404))


class Page(_Strict):
    """Cursor pagination: the parameters carrying the cursor and the page size, and size bounds."""

    cursor_param: str = "cursor"
    limit_param: str = "limit"
    default_limit: int | None = Field(None, ge=1)  # else the spec's default, else 50
    min_limit: int | None = Field(None, ge=1)  # else the spec's minimum, else 1
    max_limit: int | None = Field(None, ge=1)  # else the spec's maximum, else unbounded


class Binding(_Strict):
    """Answers an operation's success response from a collection (or from a Python hook)."""

    operation: str = Field(min_length=1)
    collection: str | None = None
    owner: Owner | None = None
    where: list[str] = Field(default_factory=list)
    filters: dict[str, Filter] = Field(default_factory=dict)
    order_by: list[str] = Field(default_factory=list)
    page: Page | None = None
    body: Any = None
    hook: str | None = None  # "file.py:function" in the fixtures folder
    status: int | None = Field(None, ge=200, le=299)

    @model_validator(mode="after")
    def _has_an_answer(self) -> Binding:
        if self.hook is None and ("body" not in self.model_fields_set or self.collection is None):
            raise ValueError("a binding needs `collection` and `body`, or a `hook`")
        return self


class FixtureFile(_Strict):
    scenario: str | None = Field(None, min_length=1)
    description: str = ""
    delay_ms: int = Field(0, ge=0, le=MAX_DELAY_MS)
    fault: FaultName = None  # scenario files only: every fixture or dataset answer of the scenario
    responses: list[NamedResponse] = Field(default_factory=list)
    tenants: Tenants | None = None
    collections: dict[str, Collection] = Field(default_factory=dict)
    bindings: list[Binding] = Field(default_factory=list)

    @model_validator(mode="after")
    def _scenario_settings(self) -> FixtureFile:
        if self.scenario is None and self.delay_ms:
            raise ValueError("`delay_ms` at the top of a file needs `scenario`: it sets the scenario's delay")
        if self.scenario is None and self.fault:
            raise ValueError("`fault` at the top of a file needs `scenario`: it sets the scenario's fault")
        if self.scenario == BASE_SET_NAME:
            raise ValueError(f"{BASE_SET_NAME!r} names the base set; choose another scenario name")
        return self
