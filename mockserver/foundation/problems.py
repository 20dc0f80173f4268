"""Problems found in user input (specs, fixtures, config): one clear message each, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TAB_REASON = "a tab character where YAML expects spaces (YAML indents with spaces, never tabs)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in one file."""

    file: str
    pointer: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.pointer}: {self.message}" if self.pointer else f"{where}: {self.message}"


class LoadError(Exception):
    """Raised when user input cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


def escape_pointer_token(token: str | int) -> str:
    """Escape one JSON pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(*tokens: str | int) -> str:
    """Build a JSON pointer such as `/paths/~1users/get` from raw tokens."""
    return "".join("/" + escape_pointer_token(token) for token in tokens)


def display_name(path: Path) -> str:
    """A path as messages show it: relative to the working directory when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def is_tab_at(text: str, line: int, column: int) -> bool:
    """Whether the character a YAML error points at (0-based line and column) is a tab."""
    lines = text.splitlines()
    return line < len(lines) and column < len(lines[line]) and lines[line][column] == "\t"
