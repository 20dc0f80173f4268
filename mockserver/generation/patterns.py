"""Strings matching a `pattern`, drawn from a `random.Random`: the common regular expressions, fast.

Hypothesis' `from_regex` costs about a millisecond a draw, and a record of a large spec can hold dozens
of patterned fields (currency and country codes, slugs). A pattern made of literals, character classes,
repeats, groups, alternatives and the `^`/`$` anchors is compiled here into a function drawing from a
`random.Random`; any other construct (lookarounds, backreferences, word boundaries...) gives no sampler
and the draw stays with hypothesis. Callers check what a sampler draws (`re.search`, the length window),
since Python's and ECMA 262's regular expressions differ at the edges.

Characters come from ordered sequences (never from sets, whose order varies between processes), so a
draw is a pure function of the random source.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache
from random import Random
from re import _constants as sre  # the parser's opcodes (private, stable since Python 3.11)
from re import _parser as parser
from typing import Any

Sampler = Callable[[Random], str]

# What a class of characters draws from: printable ASCII (where the pattern says "any" or "not these").
_PRINTABLE = "".join(chr(code) for code in range(0x20, 0x7F))
_CATEGORIES = {
    sre.CATEGORY_DIGIT: string.digits,
    sre.CATEGORY_NOT_DIGIT: "".join(char for char in _PRINTABLE if not char.isdigit()),
    sre.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre.CATEGORY_NOT_WORD: "".join(char for char in _PRINTABLE if not (char.isalnum() or char == "_")),
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: _PRINTABLE.replace(" ", ""),
}
_ANCHORS = (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING, sre.AT_END, sre.AT_END_STRING)
_OPEN_REPEAT = 8  # at most this many more repeats than the minimum, for `*`, `+` and `{n,}`


class _Unsupported(Exception):
    """A construct the sampler leaves to hypothesis."""


@lru_cache(maxsize=1024)
def pattern_sampler(pattern: str) -> Sampler | None:
    """A function drawing strings that (nearly always) match `pattern`; None for patterns it cannot do."""
    try:
        return _sequence(parser.parse(pattern))
    except (_Unsupported, re.error, RecursionError, OverflowError):
        return None


def _sequence(items: Any) -> Sampler:
    parts = [_item(op, arg) for op, arg in items]
    if len(parts) == 1:
        return parts[0]
    return lambda rng: "".join(part(rng) for part in parts)


def _item(op: Any, arg: Any) -> Sampler:
    if op is sre.LITERAL:
        char = chr(arg)
        return lambda rng: char
    if op is sre.AT:
        if arg not in _ANCHORS:
            raise _Unsupported(str(arg))
        return lambda rng: ""
    if op is sre.ANY:
        return _choice(_PRINTABLE)
    if op is sre.NOT_LITERAL:
        return _choice(_PRINTABLE.replace(chr(arg), ""))
    if op is sre.IN:
        return _choice(_class(arg))
    if op is sre.SUBPATTERN:
        return _sequence(arg[-1])
    if op is sre.BRANCH:
        branches = [_sequence(branch) for branch in arg[1]]
        return lambda rng: rng.choice(branches)(rng)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, items = arg
        high = low + _OPEN_REPEAT if high is sre.MAXREPEAT else high
        body = _sequence(items)
        return lambda rng: "".join(body(rng) for _ in range(rng.randint(low, high)))
    if op is sre.ATOMIC_GROUP:
        return _sequence(arg)
    raise _Unsupported(str(op))


def _class(items: Any) -> str:
    """The characters of a `[...]` class, in a fixed order."""
    negated = bool(items) and items[0][0] is sre.NEGATE
    chars: list[str] = []
    for op, arg in items[1:] if negated else items:
        if op is sre.LITERAL:
            chars.append(chr(arg))
        elif op is sre.RANGE:
            if arg[1] - arg[0] > 0xFFFF:
                raise _Unsupported("a range too wide")
            chars.extend(chr(code) for code in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg in _CATEGORIES:
            chars.extend(_CATEGORIES[arg])
        else:
            raise _Unsupported(str(op))
    if negated:
        barred = set(chars)
        chars = [char for char in _PRINTABLE if char not in barred]
    if not chars:
        raise _Unsupported("an empty class")
    return "".join(dict.fromkeys(chars))


def _choice(chars: str) -> Sampler:
    if not chars:
        raise _Unsupported("no character to draw")
    return lambda rng: rng.choice(chars)
