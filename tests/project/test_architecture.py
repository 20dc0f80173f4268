"""The layer rule of docs/architecture.md: modules import only downward, and siblings form no cycle."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT

ROOT = ROOT


def test_imports_follow_the_layers_and_make_no_cycle() -> None:
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
