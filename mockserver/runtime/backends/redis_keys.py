"""Where the Redis state keeps what: every key under `mockserver:<deployment>:`, a session's under
`mockserver:<deployment>:session:<session>:` (names percent-encoded where they hold `:` or `%`, so no
two names make the same key).

    generation                  counter: every change to overrides or scenarios (and journal barrier)
    changes                     pub/sub channel: {"g": generation, "kind": ..., "session": ...}
    workers                     set of live worker ids; worker:<id> their acknowledged generation (PX lease)
    controls                    zset: sessions with overrides or a scenario switch (score: last change, ms)
    session:<s>:overrides       hash: override number -> override (JSON)
    session:<s>:uses            hash: override number -> times used (counted overrides)
    session:<s>:control         hash: scenario -> name
    journal                     stream (capped): every session's requests
    session:<s>:journal         stream (capped): one session's requests (not the default session's)
    journals                    zset: sessions with a journal stream (score: last entry, ms)
    records-version             counter: session versions (never repeat)
    sessions                    zset: sessions with records (score: last change, ms; least recent evicted)
    session:<s>:meta            hash: version, seq
    session:<s>:records         hash: JSON [resource, scope, id] -> "<seq>|<record JSON or null>"
    session:<s>:numbers         hash: JSON [resource, scope] -> the last number given
    session:<s>:order:<r>       zset: one resource's changed records, by first change (for the bound)
"""

from __future__ import annotations

from urllib.parse import quote, unquote

KEY_ROOT = "mockserver"


def quoted(name: str) -> str:
    """A name as a key part: `:` and `%` encoded (and nothing else, so keys stay readable)."""
    return name.replace("%", "%25").replace(":", "%3A")


def unquoted(part: str) -> str:
    return unquote(part)


class Keys:
    """The key names of one deployment."""

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment
        self.prefix = f"{KEY_ROOT}:{quoted(deployment)}:"
        p = self.prefix
        self.generation = p + "generation"
        self.channel = p + "changes"
        self.workers = p + "workers"
        self.controls = p + "controls"
        self.journal = p + "journal"
        self.journals = p + "journals"
        self.records_version = p + "records-version"
        self.sessions = p + "sessions"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}worker:{worker_id}"

    def session(self, session: str, kind: str) -> str:
        return f"{self.prefix}session:{quoted(session)}:{kind}"

    def order(self, session: str, resource: str) -> str:
        return f"{self.prefix}session:{quoted(session)}:order:{quote(resource, safe='/{}')}"

    def order_suffix(self, resource: str) -> str:
        """What follows `session:<s>:` in a resource's order key (for scripts naming other sessions' keys)."""
        return "order:" + quote(resource, safe="/{}")
