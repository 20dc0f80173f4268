"""Keeping secrets out of every output: tokens, tenant ids and sensitive headers are masked.

A masked secret is shown as the environment variable it can come from (`${MOCKSERVER_TOKEN}`), so a
printed curl command still runs once that variable is exported, and nothing secret is ever printed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

TOKEN_VARIABLE = "MOCKSERVER_TOKEN"
TENANT_VARIABLE = "MOCKSERVER_TENANT"
OTHER_TENANT_VARIABLE = "MOCKSERVER_OTHER_TENANT"
HIDDEN = "***"

# Header names whose values are secret whatever they hold.
_SENSITIVE_NAME = re.compile(r"authorization|cookie|token|secret|password|api[-_]?key|session", re.IGNORECASE)


def is_sensitive_header(name: str) -> bool:
    return _SENSITIVE_NAME.search(name) is not None


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

    def add_headers(self, headers: dict[str, str]) -> None:
        """Mask the values of configured headers whose names say they are secret."""
        for name, value in headers.items():
            if is_sensitive_header(name):
                self.add(value)

    @property
    def secrets(self) -> Iterable[str]:
        return self._secrets.keys()

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
