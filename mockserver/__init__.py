"""mockserver: a fast, faithful OpenAPI mock server for contract testing.

What users import, and only that (everything else may move): `create_app` builds the ASGI app and
`load_spec` loads a spec; `MockServer`, `InProcessMock` and `MockAPI` drive a mock from tests; `RuleSet`,
`RuleContext` and `RuleError` declare domain rules (a fixtures folder's `rules.py`); `HookRequest` and
`HookResponse` are what a dataset hook receives and may return. Each is imported on first use, so that
installing the package (whose pytest plugin pytest loads in every run) costs nothing to projects that
never start a mock.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.datasets.hooks import HookRequest, HookResponse
    from mockserver.generation.rules import RuleContext, RuleError, RuleSet
    from mockserver.runtime.app import MockApp, create_app
    from mockserver.spec import load_spec
    from mockserver.testing.handles import InProcessMock, MockAPI, MockServer

_HOMES = {
    "create_app": "mockserver.runtime.app",
    "MockApp": "mockserver.runtime.app",
    "load_spec": "mockserver.spec",
    "MockServer": "mockserver.testing.handles",
    "InProcessMock": "mockserver.testing.handles",
    "MockAPI": "mockserver.testing.handles",
    "RuleSet": "mockserver.generation.rules",
    "RuleContext": "mockserver.generation.rules",
    "RuleError": "mockserver.generation.rules",
    "HookRequest": "mockserver.datasets.hooks",
    "HookResponse": "mockserver.datasets.hooks",
}

__all__ = [
    "HookRequest",
    "HookResponse",
    "InProcessMock",
    "MockAPI",
    "MockApp",
    "MockServer",
    "RuleContext",
    "RuleError",
    "RuleSet",
    "create_app",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
    return getattr(import_module(home), name)


def __dir__() -> list[str]:
    return __all__
