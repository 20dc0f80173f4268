"""Choosing the answer: the client's preferences (Prism-compatible `Prefer`), the status, the media type.

`Prefer: code=404, example=empty, dynamic=true, seed=7` (or, when no `Prefer` header is sent, the
`__code`, `__example`, `__dynamic` and `__seed` query parameters) steer one request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from mockserver.spec.model import MediaType, Operation, Response

PREFER_QUERY_KEYS = {"__code": "code", "__example": "example", "__dynamic": "dynamic", "__seed": "seed"}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class NegotiationError(Exception):
    """The client asked for something the spec or the mock does not have; the mock answers it itself."""

    def __init__(self, status: int, message: str, choices: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.choices = list(choices)


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None
    seed: int | None = None
    raw: Mapping[str, str] | None = None  # every preference given, for features that read their own


NO_PREFERENCES = Preferences(raw=MappingProxyType({}))


def parse_preferences(prefer_header: str | None, query: Sequence[tuple[str, str]]) -> Preferences:
    """Read preferences from the `Prefer` header, else from the `__code`-style query parameters."""
    if not prefer_header and not any(key in PREFER_QUERY_KEYS for key, _ in query):
        return NO_PREFERENCES  # most requests: nothing to read
    if prefer_header:
        pairs = [item.partition("=") for item in prefer_header.replace(";", ",").split(",")]
        raw = {key.strip().lower(): value.strip().strip('"') for key, _, value in pairs if key.strip()}
    else:
        raw = {PREFER_QUERY_KEYS[key]: value for key, value in query if key in PREFER_QUERY_KEYS}
    return Preferences(
        code=_parse_int(raw, "code"),
        example=raw.get("example") or None,
        dynamic=_parse_bool(raw, "dynamic"),
        seed=_parse_int(raw, "seed"),
        raw=raw,
    )


def _parse_int(raw: Mapping[str, str], key: str) -> int | None:
    if key not in raw:
        return None
    try:
        return int(raw[key])
    except ValueError:
        raise NegotiationError(400, f"Prefer {key}={raw[key]!r} is not an integer") from None


def _parse_bool(raw: Mapping[str, str], key: str) -> bool | None:
    value = raw.get(key)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise NegotiationError(400, f"Prefer {key}={value!r} is not a boolean", ["true", "false"])


def response_key_for(operation: Operation, code: int) -> str | None:
    """The documented response key that answers `code`: exact, then range (`4XX`), then `default`."""
    for key in (str(code), f"{code // 100}XX", f"{code // 100}xx", "default"):
        if key in operation.responses:
            return key
    return None


def default_response_key(operation: Operation) -> str | None:
    """What a valid request gets when nothing is forced: the lowest 2xx, else `2XX`, else `default`."""
    keys = list(operation.responses)
    successes = sorted(key for key in keys if key.isdigit() and key.startswith("2"))
    if successes:
        return successes[0]
    for key in ("2XX", "2xx", "default"):
        if key in operation.responses:
            return key
    numeric = sorted(key for key in keys if key.isdigit())
    return numeric[0] if numeric else (keys[0] if keys else None)


def status_code_for(key: str, forced: int | None = None) -> int:
    """The numeric status to send for a response key."""
    if forced is not None:
        return forced
    if key.isdigit():
        return int(key)
    if key.lower() == "default":
        return 200
    return int(key[0]) * 100


def choose_response(operation: Operation, preferences: Preferences) -> tuple[str | None, int]:
    """The response key and status code to answer with, honouring `Prefer: code=N`."""
    if preferences.code is not None:
        key = response_key_for(operation, preferences.code)
        if key is None:
            documented = sorted(operation.responses)
            raise NegotiationError(
                400, f"{operation.key} documents no response for status {preferences.code}", documented
            )
        return key, preferences.code
    key = default_response_key(operation)
    return key, (status_code_for(key) if key is not None else 200)


def _accepted(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _fits(media_range: str, media_type: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    wanted_type, _, wanted_sub = media_range.partition("/")
    kind, _, sub = media_type.lower().split(";")[0].strip().partition("/")
    if wanted_sub == "*":
        return wanted_type == kind
    if wanted_type != kind:
        return False
    return wanted_sub == sub or (wanted_sub == "json" and sub.endswith("+json"))


def choose_media_type(response: Response, accept: str | None) -> MediaType | None:
    """The documented media type best fitting `Accept` (JSON first on a tie); None when bodiless."""
    if not response.content:
        return None
    candidates = sorted(response.content.values(), key=lambda media: not _is_json(media.media_type))
    if not accept or not accept.strip():
        return candidates[0]
    best: tuple[float, MediaType] | None = None
    for media_range, quality in _accepted(accept):
        if quality <= 0:
            continue
        for media in candidates:
            if (_fits(media_range, media.media_type) or _fits(media.media_type.lower(), media_range)) and (
                best is None or quality > best[0]
            ):
                best = (quality, media)
    if best is None:
        raise NegotiationError(
            406, f"none of the documented media types fits Accept: {accept}", list(response.content)
        )
    return best[1]


@lru_cache(maxsize=256)
def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def is_json(media_type: str) -> bool:
    return _is_json(media_type)
