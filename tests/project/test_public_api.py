"""The public surface: what users import from `mockserver`, pinned so that it changes only on purpose."""

from __future__ import annotations

import subprocess
import sys

import mockserver

PUBLIC = [
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


def test_the_package_exports_exactly_the_public_names() -> None:
    assert mockserver.__all__ == PUBLIC
    assert sorted(dir(mockserver)) == PUBLIC
    for name in PUBLIC:
        assert getattr(mockserver, name).__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        mockserver.Answer  # noqa: B018
    except AttributeError as error:
        assert "Answer" in str(error)
    else:
        raise AssertionError("mockserver.Answer should not be public")


def test_importing_the_package_loads_nothing_heavy() -> None:
    """pytest loads the plugin (and so the package) in every run of every project that installs it."""
    code = ("import sys, mockserver, mockserver.testing.plugin; "
            "print(sorted(m for m in ('starlette', 'pydantic', 'hypothesis', 'uvicorn', 'httpx') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
