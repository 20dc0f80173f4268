"""Keeping secrets out of every output: values under secret-sounding names, and known secret values.

Two ways, used together by every output (request log, journal, admin page, contract reports,
recordings):

- By name: a header, query parameter, cookie or body field whose name says it is secret (auth, key,
  token, secret, signature, sig, password, passwd, credential, session, cookie), or that the spec's
  `securitySchemes` declare, has its whole value replaced by `***` (`Bearer ***` keeps the scheme).
- By value (`Masker`): a secret the tool knows (a token from the environment, what a client sent as a
  credential) is replaced wherever it appears, by the environment variable it can come from
  (`${MOCKSERVER_TOKEN}`), so a printed curl command still runs once that variable is exported.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import orjson

TOKEN_VARIABLE = "MOCKSERVER_TOKEN"
TENANT_VARIABLE = "MOCKSERVER_TENANT"
OTHER_TENANT_VARIABLE = "MOCKSERVER_OTHER_TENANT"
HIDDEN = "***"
NO_NAMES: frozenset[str] = frozenset()

# Secret wherever it appears in a name: `X-Auth-Token`, `client_secret`, `sessionId`, `Set-Cookie`, ...
_SECRET_TEXT = re.compile(r"token|secret|passw(?:or)?d|credential|session|cookie|signature|authori[sz]|"
                          r"authentic", re.IGNORECASE)
# Secret as a whole word of a name (`X-Auth`, `api_key`, `apiKey`, `sig`), not inside one (`author`,
# `monkey`, `design`).
_SECRET_WORDS = frozenset({"auth", "oauth", "xauth", "sig", "key", "keys", "apikey", "accesskey", "authkey",
                           "privatekey", "clientkey", "signingkey", "masterkey"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SCHEME_PREFIX = re.compile(r"^([A-Za-z][\w-]*)\s+\S")
# In text that is not parseable (a truncated JSON body, a plain-text one): `"name": value` and `name=value`.
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^\s,}\]]*)')
_FORM_PAIR = re.compile(r"(?<![^\s&?;])([^\s=&;]+)=([^\s&;]*)")
_FORM_TYPE = "application/x-www-form-urlencoded"


def _never(value: str) -> bool:
    return False


Keep = Callable[[str], bool]
"""Says which values to leave alone although their name is secret (a Masker shows those as variables)."""


@lru_cache(maxsize=4096)
def is_secret_name(name: str, declared: frozenset[str] = NO_NAMES) -> bool:
    """True when a field called `name` holds a secret: its name says so, or `declared` (lower-case names
    the spec's security schemes use) holds it."""
    if not name:
        return False
    if name.lower() in declared or _SECRET_TEXT.search(name):
        return True
    return any(word.lower() in _SECRET_WORDS for word in _WORDS.findall(name))


def is_sensitive_header(name: str) -> bool:
    """The name-only test (kept for callers that know no spec)."""
    return is_secret_name(name)


def mask_header_value(value: str) -> str:
    """`Bearer <token>` -> `Bearer ***`; anything else -> `***`."""
    scheme = _SCHEME_PREFIX.match(value)
    return f"{scheme.group(1)} {HIDDEN}" if scheme else HIDDEN


def mask_headers(headers: Mapping[str, str], declared: frozenset[str] = NO_NAMES,
                 keep: Keep = _never) -> dict[str, str]:
    """Headers with the values of secret ones masked."""
    return {name: mask_header_value(value) if is_secret_name(name, declared) and not keep(value) else value
            for name, value in headers.items()}


def mask_pairs(pairs: Iterable[tuple[str, str]], declared: frozenset[str] = NO_NAMES,
               keep: Keep = _never) -> list[tuple[str, str]]:
    """(name, value) pairs (a query, a form) with the values of secret names masked."""
    return [(name, HIDDEN if value and is_secret_name(name, declared) and not keep(value) else value)
            for name, value in pairs]


def mask_query(query: Sequence[tuple[str, str]], declared: frozenset[str] = NO_NAMES) -> str:
    """The query string of `query` with the values of secret parameters masked."""
    return urlencode(mask_pairs(query, declared), safe="*/:,")


def mask_url(url: str, declared: frozenset[str] = NO_NAMES, keep: Keep = _never) -> str:
    """`url` with the values of its secret query parameters masked (unchanged when it has none)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = mask_pairs(pairs, declared, keep)
    if masked == pairs:
        return url
    return urlunsplit(parts._replace(query=urlencode(masked, safe="*/:,$")))


def mask_data(value: Any, declared: frozenset[str] = NO_NAMES, keep: Keep = _never) -> Any:
    """JSON data with the whole value of every secret-named field masked, at any depth."""
    if isinstance(value, dict):
        return {key: HIDDEN if _hides(key, item, declared, keep) else mask_data(item, declared, keep)
                for key, item in value.items()}
    if isinstance(value, list):
        return [mask_data(item, declared, keep) for item in value]
    return value


def _hides(key: Any, value: Any, declared: frozenset[str], keep: Keep) -> bool:
    if value is None or value == "" or not isinstance(key, str) or not is_secret_name(key, declared):
        return False
    return not (isinstance(value, str) and keep(value))


def mask_body(body: bytes | str, content_type: str | None = None, declared: frozenset[str] = NO_NAMES,
              keep: Keep = _never) -> str:
    """A request body as text, the values of its secret fields masked: JSON and form bodies field by
    field; anything else (a truncated body, plain text) wherever it reads `"name": value` or `name=value`."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return text
    media = (content_type or "").split(";")[0].strip().lower()
    if media == _FORM_TYPE:
        pairs = parse_qsl(text, keep_blank_values=True)
        masked_pairs = mask_pairs(pairs, declared, keep)
        return text if masked_pairs == pairs else urlencode(masked_pairs, safe="*/:,")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _mask_text(text, declared, keep)
    masked = mask_data(data, declared, keep)
    return text if masked == data else json.dumps(masked, ensure_ascii=False)


def _mask_text(text: str, declared: frozenset[str], keep: Keep) -> str:
    def json_pair(match: re.Match[str]) -> str:
        name, colon, value = match.groups()
        if not is_secret_name(name, declared) or value in ("", "null") or keep(value):
            return match.group(0)
        return f'"{name}"{colon}"{HIDDEN}"'

    def form_pair(match: re.Match[str]) -> str:
        name, value = match.groups()
        if not value or not is_secret_name(name, declared) or keep(value):
            return match.group(0)
        return f"{name}={HIDDEN}"

    return _FORM_PAIR.sub(form_pair, _JSON_PAIR.sub(json_pair, text))


@dataclass
class Masker:
    """Replaces every known secret value in text by its placeholder."""

    # secret value -> placeholder, longest secrets first so a secret inside another is not half-masked
    _secrets: dict[str, str] = field(default_factory=dict)

    def add(self, value: str | None, placeholder: str = HIDDEN) -> None:
        """Mask `value`, as written and as it appears percent-encoded in a URL."""
        if not value or not value.strip():
            return
        for form in (value, quote(value, safe=""), quote_plus(value, safe="")):
            self._secrets.setdefault(form, placeholder)
        self._secrets = dict(sorted(self._secrets.items(), key=lambda item: -len(item[0])))

    def add_variable(self, value: str | None, variable: str) -> None:
        self.add(value, "${" + variable + "}")

    def add_headers(self, headers: Mapping[str, str]) -> None:
        """Mask the values of configured headers whose names say they are secret."""
        for name, value in headers.items():
            if is_secret_name(name):
                self.add(value)

    @property
    def secrets(self) -> Iterable[str]:
        return self._secrets.keys()

    def holds_secret(self, text: str) -> bool:
        """True when `text` contains a known secret (`mask` shows it as its placeholder)."""
        return any(secret in text for secret in self._secrets)

    def mask(self, text: str) -> str:
        for secret, placeholder in self._secrets.items():
            text = text.replace(secret, placeholder)
        return text

    def shell_word(self, value: str) -> str:
        """`value` quoted for a POSIX shell, each secret replaced by its variable (or by `***`)."""
        pieces: list[str] = []
        rest = value
        while rest:
            found = self._first_secret(rest)
            if found is None:
                pieces.append(shlex.quote(rest))
                break
            start, secret = found
            if start:
                pieces.append(shlex.quote(rest[:start]))
            placeholder = self._secrets[secret]
            pieces.append(f'"{placeholder}"' if placeholder.startswith("${") else shlex.quote(placeholder))
            rest = rest[start + len(secret):]
        return "".join(pieces) or "''"

    def _first_secret(self, text: str) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for secret in self._secrets:
            index = text.find(secret)
            if index >= 0 and (best is None or index < best[0]):
                best = (index, secret)
        return best
