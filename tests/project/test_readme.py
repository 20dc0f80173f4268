"""The README's examples, run as written: its shell commands against a served mock, its pytest example in a
user's project, and its command-line claims against `--help`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from helpers import FIXTURES_DIR, OPENAPI_DIR, ROOT

from mockserver import create_app
from mockserver.cli import build_parser
from mockserver.testing.handles import MockServer

ROOT = ROOT
README = (ROOT / "README.md").read_text()
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()
SERVED_ORIGIN = "http://127.0.0.1:4010"


def code_blocks(section: str, language: str) -> list[str]:
    """The `language` code blocks of one README section (from its `## ` heading to the next)."""
    start = README.index(f"\n## {section}\n")
    end = README.find("\n## ", start + 1)
    text = README[start : end if end != -1 else None]
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with MockServer(create_app(OPENAPI_DIR, FIXTURES_DIR)) as server:
        yield server.url


def run_bash(script: str, origin: str) -> str:
    completed = subprocess.run(["bash", "-e", "-c", script.replace(SERVED_ORIGIN, origin)],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl, not installed here")
def test_the_first_request_answers_a_page_of_two(served: str) -> None:
    first, _ = code_blocks("First requests", "bash")
    page = json.loads(run_bash(first, served))
    assert len(page["items"]) == 2 and page["has_next"] is True


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl, not installed here")
def test_the_paging_example_runs_as_pasted_and_gets_the_second_page(served: str) -> None:
    _, paging = code_blocks("First requests", "bash")
    second = json.loads(run_bash(paging, served))
    assert len(second["items"]) == 10 and second["has_prev"] is True


def test_the_pytest_example_runs_as_written(pytester: pytest.Pytester) -> None:
    """Copied from the README into a user's project configured as the README says."""
    for folder in (OPENAPI_DIR, FIXTURES_DIR):
        shutil.copytree(folder, pytester.path / folder.name)
    settings = re.findall(r"`(mockserver_\w+ = \"\w+\")`", README)
    assert settings == ['mockserver_spec = "openapi"', 'mockserver_fixtures = "fixtures"']
    pytester.makepyprojecttoml("[tool.pytest.ini_options]\n" + "\n".join(settings) + "\n")
    [example] = code_blocks("In pytest", "python")
    pytester.makepyfile(test_readme_example=example)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def _options(parser_help: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", parser_help)) - {"--help"}


def test_docs_cli_lists_every_option_help_shows() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        missing = sorted(option for option in _options(command.format_help()) if option not in CLI_DOC)
        assert not missing, f"docs/cli.md does not mention `mockserver {name}` {missing}"
