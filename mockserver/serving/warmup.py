"""Warming the mock after start-up: a thread does what the first answers of all operations share.

Started once the server listens (never before the banner), it runs `MockApp.warm_up` one step at a time
at the lowest priority a thread can take, and only while the mock is idle: a step waits until no request
is being answered and none came for a moment. Requests do not wait for the warm-up (what they need and it
did not do yet, they do themselves), and the warm-up does not slow them: Python runs one thread at a time,
so a warm-up step running beside a request made that request up to twice as slow (measured on the
synthetic 1,000-operation spec, first answers asked back to back: the slowest were all among the first
thirty, 140-170 ms). A step that holds the interpreter, such as compiling the shared validator, is work
the first request would have done anyway. A failure only ends the warm-up: answers do the work later.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time

from mockserver.runtime.app import MockApp

logger = logging.getLogger("mockserver")

PAUSE_SECONDS = 0.002  # between two steps: a request waiting for the interpreter gets it
QUIET_SECONDS = 0.05  # a step waits until no request came or was answered for this long
# After the banner, uvicorn starts and the first requests (a readiness probe) come: they are not made to
# share the interpreter with the warm-up (measured: 0.6 s -> 1.0 s to the bundled spec's first answer).
DELAY_SECONDS = 0.5
_DONE = object()


class WarmUp:
    """The warm-up thread of one app (a daemon: it never keeps the process alive)."""

    def __init__(self, app: MockApp, *, settle: bool = False) -> None:
        self.app = app
        self.settle = settle  # `settle_heap` once warm: for the app a server process serves to its end
        self.done = threading.Event()  # set when the warm-up ended, finished or not
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockserver-warm-up", daemon=True)

    def start(self) -> WarmUp:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Leave the remaining steps (the server stops)."""
        self._stopped.set()

    def _run(self) -> None:
        _lowest_priority()
        self._stopped.wait(DELAY_SECONDS)
        try:
            steps = self.app.warm_up()
            while self._until_quiet() and next(steps, _DONE) is not _DONE:
                time.sleep(PAUSE_SECONDS)
        except Exception:  # only the warm-up is lost: the first answers do its work themselves
            logger.debug("mockserver: the warm-up stopped", exc_info=True)
        finally:
            if self.settle:
                settle_heap()
            self.done.set()

    def _until_quiet(self) -> bool:
        """Wait until no request is answered and none came for QUIET_SECONDS; False when stopped meanwhile."""
        while not self._stopped.is_set():
            waited = time.perf_counter() - self.app.last_request
            if self.app.requests_in_flight == 0 and waited >= QUIET_SECONDS:
                return True
            self._stopped.wait(max(PAUSE_SECONDS, QUIET_SECONDS - waited))
        return False


class Warming:
    """The warm-up of whichever app is served: `serve --watch` swaps in a new app at each reload, whose
    first answers would otherwise do the shared work again; its warm-up replaces the previous one."""

    def __init__(self, *, settle: bool) -> None:
        self.settle = settle
        self.current: WarmUp | None = None

    def start(self, app: MockApp) -> None:
        """Warm `app`, leaving the warm-up of the app it replaces."""
        self.stop()
        self.current = WarmUp(app, settle=self.settle).start()

    def stop(self) -> None:
        if self.current is not None:
            self.current.stop()


# Full collections: once per this many collections of the middle generation (Python's default: 10).
OLD_GENERATION_THRESHOLD = 100


def settle_heap() -> None:
    """Leave what the app holds so far out of the garbage collector's rounds (`gc.freeze`): the spec, its
    compiled schemas and the imported libraries live as long as the process, and scanning them again and
    again cost every request about a tenth of its time (measured under wrk). Takes no time itself. Not for
    an app `serve --watch` replaces: the cycles of a frozen app are never collected.

    Full collections also come ten times less often: what a mock builds as it answers (each operation's
    validators and generation plans, generated records) is long-lived and holds no garbage, yet each full
    collection scans all of it. Measured on the synthetic 1,000-operation spec, first answer of each GET:
    13 full collections, 4.2 s in all, up to 0.9 s each, 0 objects freed; p99 583 -> 224 ms."""
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, max(old, OLD_GENERATION_THRESHOLD))


def _lowest_priority() -> None:
    """This thread only, on Linux (where a thread has its own niceness); elsewhere nothing changes."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
