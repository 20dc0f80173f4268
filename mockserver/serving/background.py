"""openapi-spec-validator's findings on a served spec, looked for after start-up by a low-priority process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from mockserver.foundation.documents import cache_entry, read_cache, write_cache
from mockserver.spec import load_spec

# The child takes the lowest priority a process can take without privileges before it imports anything:
# importing mockserver and its libraries is a quarter of a second of CPU, which at normal priority a
# server pinned to one CPU (as a benchmark pins it) shared with its very first answer.
_CHILD_CODE = """\
import os
try:
    os.nice(19)
except (AttributeError, OSError):
    pass
from mockserver.serving.background import report_validation
report_validation()
"""


class BackgroundValidation:
    """openapi-spec-validator's findings on the spec, printed as warnings (those not printed already) by a
    low-priority process: seconds of CPU on a large spec, while the mock answers at full speed."""

    def __init__(self, spec: Path, printed: set[str], allow_ref_outside: bool = False,
                 files: Sequence[str] = ()) -> None:
        self.spec = spec
        self.printed = printed
        self.files = files  # what the spec was loaded from: its findings are kept for these bytes
        self.allow_ref_outside = allow_ref_outside
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        command = [sys.executable, "-c", _CHILD_CODE, str(self.spec)]
        if self.allow_ref_outside:
            command.append("--allow-ref-outside")
        with self._lock:
            if self._stopped or self._process is not None:
                return
            try:
                self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
                assert self._process.stdin is not None
                # Its stdin stays open: it closes when this process ends (however), and that one then ends.
                given = {"printed": sorted(self.printed), "files": list(self.files)}
                self._process.stdin.write(json.dumps(given).encode() + b"\n")
                self._process.stdin.flush()
            except OSError:
                return  # only warnings are lost

    def stop(self) -> None:
        """End the validation if it still runs (the server stopped first)."""
        with self._lock:
            self._stopped = True
            process = self._process
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def report_validation() -> None:
    """The background validation of `serve`: the spec (argv), minus the warnings printed already (the first
    line of stdin, with the files the spec was loaded from). Ends when stdin does: the server stopped.
    The findings are kept in the cache folder for the bytes of those files: the next start on the same
    spec prints them without validating again (seconds of CPU on a large spec)."""
    given = json.loads(sys.stdin.readline() or "{}")
    threading.Thread(target=_exit_at_end_of_input, name="mockserver-server-gone", daemon=True).start()
    allow_ref_outside = "--allow-ref-outside" in sys.argv
    entry = _findings_entry(sys.argv[1], given.get("files", []), allow_ref_outside)
    warnings = read_cache(entry) if entry is not None else None
    if not (isinstance(warnings, list) and all(isinstance(warning, str) for warning in warnings)):
        try:
            spec = load_spec(sys.argv[1], validate=True, strict=False, allow_ref_outside=allow_ref_outside)
        except Exception:  # the served spec loaded a moment ago: a problem now is a file being edited
            return
        warnings = [str(warning) for warning in spec.warnings]
        if entry is not None:
            write_cache(entry, warnings)
    printed = set(given.get("printed", []))
    for warning in warnings:
        if warning not in printed:
            print(f"mockserver: warning: {warning}", file=sys.stderr, flush=True)


# Bump when what the validation finds changes for the same files (mockserver's own checks).
_FINDINGS_VERSION = 1


def _findings_entry(spec: str, files: list[str], allow_ref_outside: bool) -> Path | None:
    """Where the findings on these files are kept (None: not kept, when none is named or one cannot be
    read)."""
    if not files:
        return None
    versions = [f"{name} {_version(name)}" for name in ("mockserver", "openapi-spec-validator")]
    parts = [f"findings {_FINDINGS_VERSION} {' '.join(versions)} {allow_ref_outside} {spec} {os.getcwd()}"
             .encode()]
    try:
        for name in sorted(files):
            parts += [name.encode(), Path(name).read_bytes()]
    except OSError:
        return None
    return cache_entry("findings", *parts)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def _exit_at_end_of_input() -> None:
    sys.stdin.read()  # nothing more comes: this returns when the server closes its end, or exits
    os._exit(0)

