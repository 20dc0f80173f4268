"""Fixture files: their models, reading them, checking them against the spec, and the sets they form.

`mockserver.answers.fixture_sets.load_fixture_sets` is the entry point: it reads every fixture file of a
folder, groups them into the base set and scenarios, compiles named responses and datasets, and raises
`LoadError` listing every problem (file, JSON pointer, reason).
"""

from mockserver.fixture_files.models import (
    BASE_SET_NAME,
    Binding,
    Collection,
    FixtureFile,
    Match,
    NamedResponse,
    RegexCondition,
    ResponseSpec,
    Tenants,
    condition_text,
)
from mockserver.fixture_files.reading import LoadedFile, read_fixture_files

__all__ = [
    "BASE_SET_NAME",
    "Binding",
    "Collection",
    "FixtureFile",
    "LoadedFile",
    "Match",
    "NamedResponse",
    "RegexCondition",
    "ResponseSpec",
    "Tenants",
    "condition_text",
    "read_fixture_files",
]
