"""Overrides and scenario switches by session, as this process knows them.

Two layers: what is set for the default session applies to every request (the deployment's own
overrides and scenario), and what is set for a session (`X-Mock-Session`) applies to that session's
requests only, before the default session's. With the in-memory state this is the state itself; with a
shared state (Redis) it is the worker's copy, replaced whenever the store says it changed, so that the
request path reads it without a round trip.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from mockserver.resources.store import DEFAULT_SESSION

# The counted override this request claimed in a shared store, set by the backend before the answer is
# computed: with several workers, a counted override answers only the requests that won a use of it (and
# the one that won its last use even when the worker's copy has dropped it meanwhile).
CLAIMED: ContextVar[Override | None] = ContextVar("mockserver_claimed_override", default=None)


@dataclass
class Override:
    operation_key: str
    status: int
    json: Any
    headers: dict[str, str]
    media_type: str | None
    times: int | None  # None: until reset
    used: int = 0
    session: str = DEFAULT_SESSION
    id: int = 0  # its number in a shared store (0 in memory)

    def as_data(self) -> dict[str, Any]:
        """What a shared store keeps of it (its use count is kept apart: it changes)."""
        return {"operation": self.operation_key, "status": self.status, "body": self.json,
                "headers": self.headers, "media_type": self.media_type, "times": self.times}

    @classmethod
    def from_data(cls, data: dict[str, Any], session: str, number: int, used: int = 0) -> Override:
        return cls(data["operation"], data["status"], data["body"], dict(data["headers"]), data["media_type"],
                   data["times"], used, session, number)


@dataclass
class SessionControl:
    """One session's overrides (oldest first) and scenario switch (None: not switched)."""

    overrides: list[Override] = field(default_factory=list)
    scenario: str | None = None

    def __bool__(self) -> bool:
        return bool(self.overrides) or self.scenario is not None


class Control:
    """Every session's overrides and scenario switch; thread-safe. `shared`: counted overrides are claimed
    in a shared store (see CLAIMED) instead of being counted here."""

    def __init__(self, shared: bool = False) -> None:
        self.shared = shared
        self.busy = False  # an override somewhere, or a session's own scenario: requests look closer
        self._sessions: dict[str, SessionControl] = {}
        self._lock = threading.Lock()

    # What a request reads (no lock: one dict lookup each).

    def scenario(self, session: str | None, default: str | None) -> str | None:
        """The scenario `session` is served: its own switch, else the default session's, else `default`."""
        sessions = self._sessions
        if self.busy and session is not None and session != DEFAULT_SESSION:
            own = sessions.get(session)
            if own is not None and own.scenario is not None:
                return own.scenario
        base = sessions.get(DEFAULT_SESSION)
        return base.scenario if base is not None and base.scenario is not None else default

    def has_overrides(self, session: str | None) -> bool:
        if not self.busy:
            return False
        return bool(self.applicable(session))

    def applicable(self, session: str | None) -> list[Override]:
        """The overrides a request of `session` may get, the first that matches winning: the session's own,
        newest first, then the default session's, newest first."""
        sessions = self._sessions
        found: list[Override] = []
        if session is not None and session != DEFAULT_SESSION:
            own = sessions.get(session)
            if own is not None:
                found.extend(reversed(own.overrides))
        base = sessions.get(DEFAULT_SESSION)
        if base is not None:
            found.extend(reversed(base.overrides))
        return found

    def take(self, operation_key: str, session: str | None) -> Override | None:
        """The override answering a request of `session` to the operation, counted as used (and dropped once
        used up); None when none applies."""
        if self.shared:
            claimed = CLAIMED.get()
            if claimed is not None and claimed.operation_key == operation_key:
                return claimed  # counted in the shared store, which drops it when used up
        with self._lock:
            for override in self.applicable(session):
                if override.operation_key != operation_key:
                    continue
                if override.times is not None and self.shared:
                    continue  # used up elsewhere, or not won by this request
                override.used += 1
                if override.times is not None and override.used >= override.times:
                    self._sessions[override.session].overrides.remove(override)
                    self._settle()
                return override
        return None

    # What changes it (the admin API, the pytest plugin, the shared store's loads).

    def overrides(self, session: str | None = None) -> list[Override]:
        """The overrides of one session (None: of every session), oldest first."""
        with self._lock:
            if session is not None:
                found = self._sessions.get(session)
                return list(found.overrides) if found is not None else []
            return [override for own in self._sessions.values() for override in own.overrides]

    def switched(self) -> dict[str, str]:
        """The sessions whose scenario is switched, and to what."""
        return {name: own.scenario for name, own in self._sessions.items() if own.scenario is not None}

    def add(self, override: Override) -> None:
        with self._lock:
            self._sessions.setdefault(override.session, SessionControl()).overrides.append(override)
            self._settle()

    def clear_overrides(self, session: str | None = None) -> None:
        with self._lock:
            for name, own in self._sessions.items():
                if session is None or name == session:
                    own.overrides = []
            self._settle()

    def switch(self, session: str, scenario: str | None) -> None:
        """Serve `scenario` to `session` (None: remove its switch; the default session then serves the
        mock's default scenario, any other the default session's)."""
        with self._lock:
            self._sessions.setdefault(session, SessionControl()).scenario = scenario
            self._settle()

    def reset(self, session: str | None = None) -> None:
        """Forget one session's overrides and switch (None: every session's)."""
        with self._lock:
            if session is None:
                self._sessions.clear()
            else:
                self._sessions.pop(session, None)
            self._settle()

    def replace(self, sessions: dict[str, SessionControl], only: str | None = None) -> None:
        """Take what a shared store holds: for one session (`only`), or for every session."""
        with self._lock:
            if only is None:
                self._sessions = {name: own for name, own in sessions.items() if own}
            else:
                found = sessions.get(only)
                if found:
                    self._sessions[only] = found
                else:
                    self._sessions.pop(only, None)
            self._settle()

    def _settle(self) -> None:
        """Drop empty sessions and say whether requests need to look closer (the caller holds the lock)."""
        self._sessions = {name: own for name, own in self._sessions.items() if own}
        self.busy = any(own.overrides or name != DEFAULT_SESSION for name, own in self._sessions.items())
