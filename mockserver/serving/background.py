"""openapi-spec-validator's findings on a served spec, looked for after start-up by a low-priority process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

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

    def __init__(self, spec: Path, printed: set[str], allow_ref_outside: bool = False) -> None:
        self.spec = spec
        self.printed = printed
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
                self._process.stdin.write(json.dumps(sorted(self.printed)).encode() + b"\n")
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
    line of stdin). Ends when stdin does: the server stopped."""
    printed = set(json.loads(sys.stdin.readline() or "[]"))
    threading.Thread(target=_exit_at_end_of_input, name="mockserver-server-gone", daemon=True).start()

    try:
        spec = load_spec(sys.argv[1], validate=True, strict=False,
                         allow_ref_outside="--allow-ref-outside" in sys.argv)
    except Exception:  # the served spec loaded a moment ago: a problem now is a file being edited
        return
    for warning in map(str, spec.warnings):
        if warning not in printed:
            print(f"mockserver: warning: {warning}", file=sys.stderr, flush=True)


def _exit_at_end_of_input() -> None:
    sys.stdin.read()  # nothing more comes: this returns when the server closes its end, or exits
    os._exit(0)

