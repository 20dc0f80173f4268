"""Python hooks: functions in the fixtures folder that compute an answer the declarative form cannot.

A binding with `hook: "hooks.py:customer_summary"` calls `customer_summary(request)` with a
`HookRequest` after tenant and owner checks, filters and ordering. The function returns the body
(answered with the binding's success status), a `HookResponse` for another status or headers, or None
to let the next source answer. Records are shared: read them, never change them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockserver.spec.model import Operation

Record = Mapping[str, Any]


@dataclass(frozen=True)
class HookRequest:
    """What a hook sees of one request."""

    operation: Operation
    params: Mapping[str, Any]  # typed path, query and header parameters by name (dates as ISO text)
    tenant: str | None
    scenario: str | None
    records: Sequence[Record]  # the binding's selected records (owner, `where`, filters, order applied)
    owner: Record | None
    collections: Mapping[str, Sequence[Record]] = field(default_factory=dict)  # all, scoped to the tenant

    def collection(self, name: str) -> Sequence[Record]:
        """The tenant's records of any collection (empty for an unknown name)."""
        return self.collections.get(name, ())


@dataclass(frozen=True)
class HookResponse:
    """A hook's answer when the status or headers differ from the binding's defaults."""

    body: Any = None
    status: int | None = None  # None: the binding's success status
    headers: dict[str, str] = field(default_factory=dict)


Hook = Callable[[HookRequest], Any]


class HookLoadError(ValueError):
    """The hook reference cannot be followed; the message says why."""


class HookLoader:
    """Imports hook files of one fixtures folder, each once per load."""

    def __init__(self, fixtures_dir: Path) -> None:
        self.fixtures_dir = fixtures_dir.resolve()
        self._modules: dict[Path, Any] = {}

    def load(self, reference: str) -> Hook:
        """The function `reference` ("file.py:function") names, its file relative to the fixtures folder."""
        file_name, separator, function_name = reference.partition(":")
        if not separator or not file_name.endswith(".py") or not function_name.isidentifier():
            raise HookLoadError(f"write the hook as <file>.py:<function>, not {reference!r}")
        path = (self.fixtures_dir / file_name).resolve()
        if not path.is_relative_to(self.fixtures_dir):
            raise HookLoadError(f"the hook file {file_name!r} must be inside the fixtures folder")
        if not path.is_file():
            raise HookLoadError(f"no hook file {file_name!r} in the fixtures folder")
        function = getattr(self._module(path), function_name, None)
        if not callable(function):
            raise HookLoadError(f"{file_name} defines no function {function_name!r}")
        return function

    def _module(self, path: Path) -> Any:
        if path not in self._modules:
            self._modules[path] = _import(path)
        return self._modules[path]


def _import(path: Path) -> Any:
    name = f"mockserver_fixture_hooks_{abs(hash(path))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HookLoadError(f"cannot import {path.name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    # Whatever the user's file raises on import is a problem to report, not a crash.
    except Exception as exc:
        del sys.modules[name]
        raise HookLoadError(f"importing {path.name} failed: {type(exc).__name__}: {exc}") from None
    return module
