"""The cache of parsed YAML files: the same data and warnings as parsing, never stale, never in the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.foundation.documents import CACHE_ENVIRONMENT_VARIABLE, read_source

PADDING = "x" * 600  # small files are not worth an entry: these are large enough to get one
DOCUMENT = f"""\
shared: &shared {{kind: widget, sizes: [1, 2]}}
first: *shared
second: *shared
separate: {{kind: widget, sizes: [1, 2]}}
twice: 1
twice: 2
when: 2024-01-01
padding: {PADDING}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENVIRONMENT_VARIABLE, str(folder))
    return folder


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "yaml").glob("*.marshal")) if (cache / "yaml").is_dir() else []


def _write(folder: Path, text: str) -> Path:
    path = folder / "api.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_read_again_gives_the_same_data_warnings_and_shared_nodes(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path, DOCUMENT)
    parsed = read_source(path, "api.yaml")
    assert len(_entries(cache)) == 1
    cached = read_source(path, "api.yaml")
    assert cached.data == parsed.data
    assert cached.data["when"] == "2024-01-01"  # YAML 1.2 core schema: still text
    assert [str(warning) for warning in cached.warnings] == [str(warning) for warning in parsed.warnings]
    assert "duplicate key 'twice'" in str(cached.warnings[0])
    assert cached.may_share_nodes
    assert cached.data["first"] is cached.data["second"]  # an alias is one object, as parsed
    assert cached.data["first"] is not cached.data["separate"]


def test_an_edited_file_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path, DOCUMENT)
    read_source(path, "api.yaml")
    _write(tmp_path, DOCUMENT.replace("kind: widget", "kind: gadget"))
    assert read_source(path, "api.yaml").data["first"]["kind"] == "gadget"
    assert len(_entries(cache)) == 2


def test_a_damaged_entry_is_ignored(tmp_path: Path, cache: Path) -> None:
    path = _write(tmp_path, DOCUMENT)
    expected = read_source(path, "api.yaml").data
    [entry] = _entries(cache)
    entry.write_bytes(b"not what marshal wrote")
    assert read_source(path, "api.yaml").data == expected


def test_a_cache_folder_that_cannot_be_written_is_ignored(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENVIRONMENT_VARIABLE, str(blocker / "cache"))
    path = _write(tmp_path, DOCUMENT)
    assert read_source(path, "api.yaml").data == read_source(path, "api.yaml").data


def test_an_empty_variable_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENVIRONMENT_VARIABLE, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    read_source(_write(tmp_path, DOCUMENT), "api.yaml")
    assert not (tmp_path / "xdg").exists()


def test_without_the_variable_the_cache_is_in_the_user_cache_folder(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    read_source(_write(tmp_path, DOCUMENT), "api.yaml")
    assert _entries(tmp_path / "xdg" / "mockserver")


def test_broken_yaml_is_reported_as_before_and_not_cached(tmp_path: Path, cache: Path) -> None:
    from mockserver.foundation.documents import FileReadError

    path = _write(tmp_path, DOCUMENT + "broken: [unclosed\n")
    for _ in range(2):
        with pytest.raises(FileReadError) as raised:
            read_source(path, "api.yaml")
        assert "invalid YAML" in raised.value.problem.message
    assert not _entries(cache)
