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
    if prefer_header:
        return _header_preferences(prefer_header)
    if not any(key in PREFER_QUERY_KEYS for key, _ in query):
        return NO_PREFERENCES  # most requests: nothing to read
    return _preferences({PREFER_QUERY_KEYS[key]: value for key, value in query if key in PREFER_QUERY_KEYS})


@lru_cache(maxsize=256)
def _header_preferences(prefer_header: str) -> Preferences:
    """A `Prefer` header's preferences, remembered: clients send the same few again and again (a
    malformed one raises each time)."""
    pairs = [item.partition("=") for item in prefer_header.replace(";", ",").split(",")]
    raw = {key.strip().lower(): value.strip().strip('"') for key, _, value in pairs if key.strip()}
    return _preferences(raw)


def _preferences(raw: dict[str, str]) -> Preferences:
    return Preferences(
        code=_parse_int(raw, "code"),
        example=raw.get("example") or None,
        dynamic=_parse_bool(raw, "dynamic"),
        seed=_parse_int(raw, "seed"),
        raw=MappingProxyType(raw),
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
    """What a valid request gets when nothing is forced (see `Operation.default_response_key`)."""
    return operation.default_response_key


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


@lru_cache(maxsize=256)
def _accepted(accept: str) -> tuple[tuple[str, float], ...]:
    """The media ranges of an `Accept` header with their weights (remembered: clients repeat theirs)."""
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
    return tuple(ranges)


# How specifically a media range names a media type (RFC 9110 section 12.5.1: the most specific range that
# matches a type gives its weight, and at equal weight the more specific match is preferred).
EXACT, SUFFIX, SUBTYPE_WILDCARD, WILDCARD = 3, 2, 1, 0


def _specificity(media_range: str, media_type: str) -> int | None:
    """How `media_range` (from Accept) matches the documented `media_type`; None when it does not.

    A structured suffix matches both ways: `application/json` accepts `application/vnd.api+json`, and
    `application/vnd.api+json` is served by `application/json` when nothing more exact is documented.
    """
    documented = media_type.lower().split(";")[0].strip()
    if media_range in ("*/*", "*"):
        return WILDCARD
    wanted_type, _, wanted_sub = media_range.partition("/")
    kind, _, sub = documented.partition("/")
    if "*" in documented:  # a documented range (`*/*`, `text/*`) serves whatever falls in it
        if kind == "*" or (sub == "*" and kind == wanted_type):
            return WILDCARD if kind == "*" else SUBTYPE_WILDCARD
        return None
    if wanted_type != kind:
        return None
    if wanted_sub == "*":
        return SUBTYPE_WILDCARD
    if wanted_sub == sub:
        return EXACT
    if _suffix(wanted_sub) == sub or _suffix(sub) == wanted_sub:
        return SUFFIX
    return None


def _suffix(subtype: str) -> str | None:
    """The structured syntax of a subtype: `vnd.api+json` -> `json`; None without a suffix."""
    return subtype.rpartition("+")[2] if "+" in subtype else None


def choose_media_type(response: Response, accept: str | None) -> MediaType | None:
    """The documented media type best fitting `Accept` (RFC 9110: by weight, then by how specifically the
    client named it, then JSON first and in document order); None when bodiless."""
    if not response.content:
        return None
    candidates = sorted(response.content.values(), key=lambda media: not _is_json(media.media_type))
    if not accept or not accept.strip():
        return candidates[0]
    ranges = _accepted(accept)
    best: tuple[float, int, MediaType] | None = None
    for media in candidates:
        matched: tuple[int, float] | None = None
        for media_range, quality in ranges:
            specificity = _specificity(media_range, media.media_type)
            if specificity is not None and (matched is None or specificity > matched[0]):
                matched = (specificity, quality)
        if matched is None or matched[1] <= 0:
            continue
        specificity, quality = matched
        if best is None or (quality, specificity) > (best[0], best[1]):
            best = (quality, specificity, media)
    if best is None:
        raise NegotiationError(
            406, f"none of the documented media types fits Accept: {accept}", list(response.content)
        )
    return best[2]


@lru_cache(maxsize=256)
def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def is_json(media_type: str) -> bool:
    return _is_json(media_type)
