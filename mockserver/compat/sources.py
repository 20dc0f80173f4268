"""Where a spec version comes from: a file, a folder of slices, or `git:REV:path` (a file or a folder
as it is at a git revision, read with `git` itself into a temporary folder)."""

from __future__ import annotations

import posixpath
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

from mockserver.foundation.problems import LoadError, Problem
from mockserver.spec import load_spec
from mockserver.spec.model import Spec

GIT_PREFIX = "git:"


def load_version(source: str, scratch: Path) -> Spec:
    """The spec `source` names (see the module docstring); `scratch` holds what git gives out."""
    if source.startswith(GIT_PREFIX):
        revision, separator, path = source[len(GIT_PREFIX):].partition(":")
        if not separator or not revision or not path:
            raise LoadError([Problem(source, "", "expected git:REV:path, e.g. git:origin/main:openapi")])
        return load_spec(_checkout(source, revision, path, scratch), validate=False, strict=False)
    if not Path(source).exists():
        raise LoadError([Problem(source, "", "no such file or folder")])
    return load_spec(Path(source), validate=False, strict=False)


def _git(source: str, *arguments: str) -> bytes:
    try:
        done = subprocess.run(["git", *arguments], capture_output=True, check=False)
    except OSError as error:
        raise LoadError([Problem(source, "", f"cannot run git: {error.strerror or error}")]) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise LoadError([Problem(source, "", f"git {arguments[0]}: {message[-1] if message else 'failed'}")])
    return done.stdout


def _checkout(source: str, revision: str, path: str, scratch: Path) -> Path:
    """Write `path` (relative to the current folder) as it is at `revision` under a new folder of `scratch`;
    returns where it went."""
    prefix = _git(source, "rev-parse", "--show-prefix").decode().strip()
    full = posixpath.normpath(posixpath.join(prefix, path.strip("/"))) if prefix else posixpath.normpath(path)
    kind = _git(source, "cat-file", "-t", f"{revision}:{full}").decode().strip()
    target = Path(tempfile.mkdtemp(prefix="compat-", dir=scratch))
    name = PurePosixPath(full).name
    if kind == "blob":
        destination = target / name
        destination.write_bytes(_git(source, "show", f"{revision}:{full}"))
        return destination
    folder = target / name
    listed = _git(source, "ls-tree", "-r", "--name-only", "--full-name", revision, "--", f":/{full}")
    for file in listed.decode().splitlines():
        destination = folder / PurePosixPath(file).relative_to(full)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(_git(source, "show", f"{revision}:{file}"))
    return folder
