"""Live reload (`mockserver serve --watch`): rebuild the mock when its files change, without a restart.

`LiveApp` is the stable ASGI entry point; it hands each request to the mock serving at that moment,
so a request in flight finishes on the app it started on while a rebuilt app takes the next ones.
A rebuild that fails (a broken spec or fixture) keeps the last good app serving and prints every
problem (file, pointer, reason); the next save that fixes it swaps the new app in. The journal,
the overrides and the scenario switch carry over to the rebuilt app.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mockserver.foundation.problems import LoadError, Problem

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from mockserver.runtime.app import MockApp

WATCHED_SUFFIXES = (".json", ".yaml", ".yml", ".py")
DEBOUNCE_MS = 300  # the longest a burst of changes is gathered before rebuilding
STEP_MS = 50  # a burst ends after this long without a change
STOP_TIMEOUT_SECONDS = 5.0


class LiveApp:
    """An ASGI app forwarding to the current `MockApp`, which `reload()` replaces atomically."""

    def __init__(self, build: Callable[[], MockApp], app: MockApp | None = None,
                 report: IO[str] | None = None) -> None:
        self.build = build
        self.current: MockApp = app if app is not None else build()
        self.report = report
        self.reloads = 0
        self.problems: list[Problem] = []  # of the last failed rebuild; empty once a rebuild succeeds
        self.swapped: list[Callable[[MockApp], None]] = []  # called with each rebuilt app once it serves
        self._building = threading.Lock()
        self._changed = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.current  # read once: this request finishes on this app whatever happens meanwhile
        await app(scope, receive, send)

    def reload(self) -> bool:
        """Rebuild the mock and swap it in; on failure keep the current one and print the problems."""
        with self._building:
            started = time.perf_counter()
            try:
                fresh = self.build()
            except LoadError as error:
                self._failed(error.problems)
                return False
            except Exception as error:  # a fixture hook or rules file can raise anything
                self._failed([Problem("(reload)", "", f"{type(error).__name__}: {error}")])
                return False
            carry_state(self.current, fresh)
            with self._changed:
                self.current = fresh
                self.reloads += 1
                self.problems = []
                self._changed.notify_all()
            elapsed = (time.perf_counter() - started) * 1000
            for warning in fresh.spec.warnings:
                self._print(f"mockserver: warning: {warning}")
            self._print(f"mockserver: reloaded: {len(fresh.spec.operations)} operation(s) ({elapsed:.0f} ms)")
            for listener in self.swapped:
                listener(fresh)
            return True

    def wait_for_reload(self, count: int, timeout: float) -> bool:
        """Block until `count` reloads have happened (True) or `timeout` seconds have passed (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.reloads >= count, timeout)

    def status(self) -> dict[str, Any]:
        """What the admin's health endpoint adds: how many reloads, and the last failure's problems."""
        return {"reloads": self.reloads, "reload_problems": [str(problem) for problem in self.problems]}

    def _failed(self, problems: list[Problem]) -> None:
        with self._changed:
            self.problems = list(problems)
            self._changed.notify_all()
        lines = ["mockserver: reload failed; still serving the last good version:"]
        lines += [f"  {problem}" for problem in problems]
        self._print("\n".join(lines))

    def _print(self, text: str) -> None:
        stream = self.report or sys.stderr
        stream.write(text + "\n")
        stream.flush()


def carry_state(old: MockApp, new: MockApp) -> None:
    """The rebuilt app continues the old one's journal, overrides and scenario switches."""
    new.state.carry_over(old.state)
    if new.state.backend.shared:
        return  # the shared state is the same for every process: not this one's to change
    for session, scenario in new.state.control.switched().items():
        if scenario not in new.scenario_names:
            new.state.control.switch(session, None)  # the switched-to scenario was removed


def watched_paths(spec: Path, spec_files: Iterable[str], fixtures: Path | None) -> list[Path]:
    """The folders to watch: the spec folder (or the spec file's), those of `$ref`ed files, the fixtures.

    Folders rather than files, because editors often save by replacing a file with a new one.
    """
    folders = {spec if spec.is_dir() else spec.parent}
    folders.update(Path(name).parent for name in spec_files)
    if fixtures is not None:
        folders.add(fixtures)
    resolved = {folder.resolve() for folder in folders if folder.is_dir()}
    # A folder inside another watched one is covered already (watching is recursive).
    return sorted(folder for folder in resolved if not any(p in folder.parents for p in resolved))


class Watcher:
    """Watches folders in a background thread and reloads a `LiveApp` after each burst of changes."""

    def __init__(self, live: LiveApp, paths: Iterable[Path]) -> None:
        self.live = live
        self.paths = list(paths)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, name="mockserver-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_SECONDS)
            self._thread = None

    def __enter__(self) -> Watcher:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        from watchfiles import DefaultFilter, watch

        default_filter = DefaultFilter()

        def relevant(change: Any, path: str) -> bool:
            return default_filter(change, path) and path.endswith(WATCHED_SUFFIXES)

        for _changes in watch(*self.paths, watch_filter=relevant, debounce=DEBOUNCE_MS, step=STEP_MS,
                              stop_event=self._stop, rust_timeout=200, yield_on_timeout=False):
            self.live.reload()
