"""JSON pointers (RFC 6901) and `$ref` fragments: splitting, resolving, and writing them as URI fragments."""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import quote, unquote

from mockserver.foundation.problems import join_pointer


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
# Characters a URI fragment may hold as they are (RFC 3986); anything else, like `{` or a space, must be
# percent-encoded or jsonschema_rs rejects the reference.
_NOT_FRAGMENT_SAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?]")
_FRAGMENT_SAFE_CHARACTERS = "-._~!$&'()*+,;=:@/?"


def split_pointer(pointer: str) -> list[str]:
    """The unescaped reference tokens of a JSON pointer: `/a~1b/c` -> ["a/b", "c"]."""
    if not pointer:
        return []
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer.split("/")[1:]]


def resolve(root: Any, pointer: str) -> Any:
    """The value at `pointer` inside `root`, or MISSING."""
    node = root
    for token in split_pointer(pointer):
        if isinstance(node, dict):
            node = node.get(token, MISSING)
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node


def fragment_pointer(fragment: str) -> str:
    """The JSON pointer written in a `$ref` fragment, percent-decoded."""
    if "%" not in fragment:
        return fragment
    return join_pointer(*split_pointer(unquote(fragment)))


def as_fragment(pointer: str) -> str:
    """A decoded `pointer` written as a valid URI fragment (percent-encoding `{`, `}`, `%`, spaces, ...)."""
    if not _NOT_FRAGMENT_SAFE.search(pointer):
        return pointer
    return quote(pointer, safe=_FRAGMENT_SAFE_CHARACTERS)


def is_pointer_fragment(fragment: str) -> bool:
    """True for `` (the whole document) and `/...`; False for plain-name anchors such as `#node`."""
    return fragment == "" or fragment.startswith("/")
