"""Settings of a running mock and the per-API mock config file (`<fixtures>/mockserver.yaml`).

The config file holds what a spec cannot say, e.g. the header rules that a server enforces itself:

```yaml
auth:
  - name: bearer token
    header: Authorization
    scheme: bearer            # the value must be "Bearer <token>"
    status: 401
    body: {detail: Not authenticated}
    headers: {WWW-Authenticate: Bearer}
  - name: tenant
    header: x-tenant-id
    format: uuid              # or `pattern: <regex>`
    status: 403
    body: {detail: Not enough permissions}
tenant_header: x-tenant-id    # the header that scopes records (datasets, contract isolation checks)
tenant_field: tenant_id       # the field of a record that holds its tenant
resources:                    # stateful resources, where inference from the spec is wrong or ambiguous
  - collection: /pets         # the collection path as the spec writes it
    item: /pets/{petId}       # its item path (default: the collection path plus one parameter segment)
    id_field: id              # the field holding a record's id
    list_field: items         # the field of the collection's GET answer holding the records
    initial_records: 25       # records a session starts with (default: 10)
  - collection: /reports
    stateful: false           # leave it as it is: answered from fixtures, examples and generation
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mockserver.foundation.documents import FileReadError, read_source
from mockserver.foundation.problems import LoadError, Problem, display_name, join_pointer

CONFIG_FILE_NAMES = ("mockserver.yaml", "mockserver.yml", "mockserver.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeaderRule(_Strict):
    """A header every request (or the listed operations) must carry, and the answer when it does not."""

    name: str = ""
    header: str
    scheme: str | None = None  # e.g. "bearer": value must be "<Scheme> <credentials>"
    format: Literal["uuid"] | None = None
    pattern: str | None = None
    status: int = Field(ge=400, le=499)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    operations: list[str] | None = None  # operationIds or "METHOD /path"; None means every operation
    # The value must also name a tenant the fixtures declare: checked before the request's parameters,
    # as a server does whose tenant check is a dependency run before validation (FastAPI's order).
    known_tenant: bool = False

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:  # not a ValueError: pydantic would let it escape as a traceback
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


class ResourceSetting(_Strict):
    """One stateful resource as the config file says it, where inference from the spec is wrong or ambiguous;
    what it leaves out is still inferred."""

    collection: str = Field(min_length=1)  # the collection path as the spec writes it: /pets
    item: str | None = None  # the item path: /pets/{petId}
    id_field: str | None = Field(None, min_length=1)
    list_field: str | None = Field(None, min_length=1)
    initial_records: int | None = Field(None, ge=0, le=1000)
    stateful: bool = True  # false: the resource is left to fixtures, examples and generation


class MockConfig(_Strict):
    """The optional per-API config file that sits beside the fixtures."""

    auth: list[HeaderRule] = Field(default_factory=list)
    tenant_header: str | None = None
    tenant_field: str | None = None  # the record field holding the tenant (e.g. the header's value)
    resources: list[ResourceSetting] = Field(default_factory=list)


def load_config(fixtures_dir: Path | None) -> tuple[MockConfig, str | None]:
    """Read the config file of a fixtures folder; returns the config and the file it came from."""
    if fixtures_dir is None:
        return MockConfig(), None
    for name in CONFIG_FILE_NAMES:
        path = fixtures_dir / name
        if path.is_file():
            return _parse_config(path), str(path)
    return MockConfig(), None


def _parse_config(path: Path) -> MockConfig:
    display = display_name(path)
    try:
        raw = read_source(path, display).data
    except FileReadError as error:
        raise LoadError([error.problem]) from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise LoadError([Problem(display, "", f"the config file must be a mapping of settings (auth, "
                                 f"tenant_header, ...), not {_kind(raw)}")])
    try:
        return MockConfig.model_validate(raw)
    except ValidationError as exc:
        raise LoadError(
            Problem(display, join_pointer(*error["loc"]), error["msg"]) for error in exc.errors()
        ) from None


def _kind(value: object) -> str:
    """What a YAML document turned out to be, in words."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
