"""Where the mock's state lives: in this process (the default) or in Redis (`--state redis://...`).

`open_backend` makes one from a state URL; `probe` checks that a Redis state answers (at start-up).
The interface, `StateBackend`, and what it covers are in `base`.
"""

from __future__ import annotations

from mockserver.runtime.backends.base import (
    WARNING_HEADER,
    JournalPage,
    Propagation,
    Route,
    StateBackend,
    StateUnavailable,
    propagation_headers,
)
from mockserver.runtime.backends.memory import MemoryBackend

STATE_VARIABLE = "MOCKSERVER_STATE_URL"
DEFAULT_DEPLOYMENT = "default"
DEFAULT_SESSION_TTL_S = 24 * 3600
MEMORY = "memory"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
PROBE_TIMEOUT_S = 2.0


class StateUrlError(ValueError):
    """A state URL that names no backend this mock has."""


def check_state_url(url: str | None) -> str | None:
    """A Redis URL as given, or None for the in-process state (`memory`, or nothing)."""
    if url is None or url.strip() in ("", MEMORY, MEMORY + "://"):
        return None
    url = url.strip()
    if not url.startswith(_REDIS_SCHEMES):
        raise StateUrlError(f"{url!r} is not a state URL: redis://HOST:PORT/DB (rediss:// with TLS, "
                            f"unix:///path.sock) or {MEMORY}")
    return url


def check_deployment(name: str) -> str:
    """A deployment name: the namespace of every key (several mocks can share one Redis)."""
    if not name or len(name) > 100 or not name.isprintable():
        raise StateUrlError(f"{name!r} is not a deployment name: printable text of 1 to 100 characters")
    return name


def open_backend(url: str | None, *, deployment: str = DEFAULT_DEPLOYMENT,
                 session_ttl_s: int = DEFAULT_SESSION_TTL_S, journal_size: int,
                 journal_body_limit: int) -> StateBackend:
    """The backend a state URL names (None: the in-process one). Connects later, in the event loop."""
    url = check_state_url(url)
    if url is None:
        return MemoryBackend()
    from mockserver.runtime.backends.redis_state import RedisBackend  # the redis client only when asked for

    return RedisBackend(url, check_deployment(deployment), session_ttl_s=session_ttl_s,
                        journal_size=journal_size, journal_body_limit=journal_body_limit)


def probe(url: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise StateUnavailable, saying why, unless the Redis at `url` answers."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from mockserver.runtime.backends.redis_state import redacted

    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
    except ValueError as error:
        raise StateUnavailable(f"cannot use the state URL {redacted(url)}: {error}") from None
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        raise StateUnavailable(f"cannot reach the shared state at {redacted(url)}: {error}") from None
    finally:
        client.close()


__all__ = ["DEFAULT_DEPLOYMENT", "DEFAULT_SESSION_TTL_S", "STATE_VARIABLE", "WARNING_HEADER", "JournalPage",
           "MemoryBackend", "Propagation", "Route", "StateBackend", "StateUnavailable", "StateUrlError",
           "check_deployment", "check_state_url", "open_backend", "probe", "propagation_headers"]
