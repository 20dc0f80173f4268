"""mockserver: a fast, faithful OpenAPI mock server for contract testing.

Public API: `create_app(spec, fixtures)` builds the ASGI app; `load_spec(path)` loads and merges specs.
Both are imported on first use, so that installing the package (whose pytest plugin pytest loads in
every run) costs nothing to projects that never start a mock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.runtime.app import MockApp, create_app
    from mockserver.spec import load_spec

__all__ = ["MockApp", "create_app", "load_spec"]


def __getattr__(name: str) -> Any:
    if name in ("MockApp", "create_app"):
        from mockserver.runtime import app

        return getattr(app, name)
    if name == "load_spec":
        from mockserver.spec import load_spec

        return load_spec
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
