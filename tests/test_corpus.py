"""The spec corpus (`tests/corpus/`): specs covering what real specs do, each loaded and mocked faithfully.

An entry is a spec file, or a folder whose `openapi.yaml` refers to the other files in it. Every entry
passes `mockserver check`, and schemathesis (every check, positive and negative data) finds no failure
against the mock serving it, with credentials and without. Schemathesis reads the spec files itself
(not the mock's merged, converted document), so a loader bug cannot hide behind its own output.

Checks left out, each where its premise does not hold for a mock:

- `ignored_auth` expects the server to know which credentials are valid; a mock accepts any well-formed
  ones (it checks their presence and shape), so it always "accepts invalid authentication";
- `status_code_conformance` on an operation that documents no responses: no status conforms;
- `negative_data_rejection` on multipart bodies: schemathesis counts `null` or a number sent as a form
  field as invalid for a string field, but a multipart field is text, so the server sees a valid string.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    status_code_conformance,
)

from mockserver import create_app
from mockserver.cli import main
from mockserver.spec import load_spec

CORPUS = Path(__file__).parent / "corpus"
ENTRIES = {
    path.stem: path / "openapi.yaml" if path.is_dir() else path
    for path in sorted(CORPUS.iterdir())
    if path.is_dir() or path.suffix in (".yaml", ".yml", ".json")
}
# Valid credentials for every scheme the corpus declares (a bearer token also satisfies oauth2).
CREDENTIALS: dict[str, dict[str, str]] = {
    "security": {"Authorization": "Bearer corpus-token", "X-API-Key": "corpus-key", "Cookie": "session=s1"},
}
MULTIPART = "multipart/form-data"


def test_the_corpus_has_at_least_15_specs() -> None:
    assert len(ENTRIES) >= 15


@pytest.mark.parametrize("name", ENTRIES)
def test_mockserver_check_accepts_every_corpus_spec(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # away from the project's own ./fixtures
    assert main(["check", str(ENTRIES[name])]) == 0, capsys.readouterr().err
    assert "OK:" in capsys.readouterr().out


# --- schemathesis against the mock ---------------------------------------------------------------------


@cache
def _schema(name: str) -> Any:
    schema = schemathesis.openapi.from_path(ENTRIES[name])
    schema.app = create_app(ENTRIES[name])
    return schema


def _fuzz_cases(names: Iterable[str]) -> list[Any]:
    """(spec, operation, mode) for every operation of the named specs, in both generation modes."""
    return [
        pytest.param(name, operation.method, operation.path, mode, id=f"{name}-{operation.key}-{mode.value}")
        for name in names
        for operation in load_spec(ENTRIES[name]).operations
        for mode in GenerationMode
    ]


def _fuzz(name: str, method: str, path: str, mode: GenerationMode, headers: dict[str, str] | None) -> None:
    operation = _schema(name)[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.explicit, Phase.generate])
    def conforms(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=_excluded_checks(case))

    try:
        conforms()
    except Unsatisfiable:
        pytest.skip("the operation takes nothing that negative data could break")


def _excluded_checks(case: Any) -> list[Any]:
    excluded = [ignored_auth]
    if not case.operation.definition.raw.get("responses"):
        excluded.append(status_code_conformance)
    if case.media_type == MULTIPART and case.meta is not None and case.meta.generation.mode.is_negative:
        excluded.append(negative_data_rejection)
    return excluded


@pytest.mark.parametrize(("name", "method", "path", "mode"), _fuzz_cases(ENTRIES))
def test_mock_conforms_to_every_corpus_spec(name: str, method: str, path: str, mode: GenerationMode) -> None:
    _fuzz(name, method, path, mode, CREDENTIALS.get(name))


@pytest.mark.parametrize(("name", "method", "path", "mode"), _fuzz_cases(CREDENTIALS))
def test_mock_conforms_to_secured_corpus_specs_without_credentials(
    name: str, method: str, path: str, mode: GenerationMode
) -> None:
    _fuzz(name, method, path, mode, None)
