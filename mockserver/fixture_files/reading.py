"""Finding fixture files under a fixtures folder and reading them into models, with clear problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from mockserver.fixture_files.models import FixtureFile
from mockserver.foundation.config import CONFIG_FILE_NAMES
from mockserver.foundation.documents import DOCUMENT_SUFFIXES, FileReadError, read_source
from mockserver.foundation.problems import Problem, display_name, join_pointer


@dataclass(frozen=True)
class LoadedFile:
    """One fixture file: its name in messages, where it is, and its validated content."""

    display: str
    path: Path
    content: FixtureFile


def fixture_paths(fixtures_dir: Path) -> list[Path]:
    """Every fixture file under `fixtures_dir`, sorted by relative path (this is "file order")."""
    found = []
    for path in fixtures_dir.rglob("*"):
        relative = path.relative_to(fixtures_dir)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in DOCUMENT_SUFFIXES:
            continue
        if len(relative.parts) == 1 and path.name in CONFIG_FILE_NAMES:
            continue
        found.append(path)
    return sorted(found, key=lambda path: path.relative_to(fixtures_dir).as_posix())


def read_fixture_files(fixtures_dir: Path) -> tuple[list[LoadedFile], list[Problem]]:
    """Read and validate the structure of every fixture file; returns the good files and every problem."""
    files: list[LoadedFile] = []
    problems: list[Problem] = []
    for path in fixture_paths(fixtures_dir):
        display = display_name(path)
        try:
            source = read_source(path, display)
        except FileReadError as error:
            problems.append(error.problem)
            continue
        if not isinstance(source.data, dict):
            kind = "a list" if isinstance(source.data, list) else f"a {type(source.data).__name__}"
            problems.append(Problem(display, "", f"a fixture file must be a mapping of sections (responses, "
                                    f"scenario, tenants, collections, bindings), not {kind}"))
            continue
        try:
            files.append(LoadedFile(display, path, FixtureFile.model_validate(source.data)))
        except ValidationError as error:
            problems.extend(_structure_problems(display, error))
    return files, problems


def _structure_problems(display: str, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(Problem(display, join_pointer(*item["loc"]), message))
    return problems
