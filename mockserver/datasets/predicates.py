"""Conditions on records: reading a (dotted) field, comparing values, and `"field op value"` predicates.

Predicates are written as text in fixture files, e.g. `amount_remaining > 0`,
`status in [issued, partially_applied]` or `voided_at == null`. The value is JSON (`0`, `"a b"`,
`true`, `null`, `[1, 2]`) or a bare word; a list may hold bare words (`[issued, void]`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from mockserver.fixture_files.values import condition_text as text

Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_PREDICATE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s+(==|!=|>=|<=|>|<|not in|in)\s+(.+?)\s*$")
ORDERING_OPERATORS = (">", ">=", "<", "<=")


class PredicateError(ValueError):
    """A predicate that cannot be read."""


def field_getter(path: str) -> Callable[[Record], Any]:
    """A function reading `path` (`a.b` for nested objects) from a record; None when it is absent."""
    parts = path.split(".")
    if len(parts) == 1:
        name = parts[0]
        return lambda record: record.get(name)

    def get(record: Record) -> Any:
        node: Any = record
        for part in parts:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    return get


def equal(left: Any, right: Any) -> bool:
    return text(left) == text(right)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def ordered(left: Any, operator: str, right: Any) -> bool:
    """`left <op> right` for two numbers or two strings; False for anything else (including None)."""
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return False
    if operator == ">":
        return left > right
    if operator == ">=":
        return left >= right
    if operator == "<":
        return left < right
    return left <= right


def compare(left: Any, operator: str, right: Any) -> bool:
    """Apply one of ==, !=, >, >=, <, <=, in, not in (a list `right` with == means "one of")."""
    if operator in ("in", "==") and isinstance(right, list):
        return any(equal(left, item) for item in right)
    if operator in ("not in", "!=") and isinstance(right, list):
        return not any(equal(left, item) for item in right)
    if operator == "==":
        return equal(left, right)
    if operator == "!=":
        return not equal(left, right)
    return ordered(left, operator, right)


def parse_literal(source: str) -> Any:
    """A predicate's value: JSON, a bare word, or a list of JSON values and bare words."""
    source = source.strip()
    try:
        return json.loads(source)
    except ValueError:
        pass
    if source.startswith("[") and source.endswith("]"):
        inner = source[1:-1].strip()
        return [parse_literal(item) for item in inner.split(",")] if inner else []
    if not source or any(char in source for char in "[]{}\"'"):
        raise PredicateError(f"cannot read the value {source!r}")
    return source


def parse_predicate(source: str) -> Predicate:
    """A function testing records against `field op value`; raises PredicateError when unreadable."""
    matched = _PREDICATE.match(source)
    if matched is None:
        raise PredicateError(
            f"cannot read the predicate {source!r}: write `<field> <op> <value>` with op one of "
            "==, !=, >, >=, <, <=, in, not in"
        )
    field, operator, raw_value = matched.groups()
    value = parse_literal(raw_value)
    if operator in ("in", "not in") and not isinstance(value, list):
        raise PredicateError(f"{operator!r} needs a list, e.g. `{field} {operator} [a, b]`")
    if operator in ORDERING_OPERATORS and not (_is_number(value) or isinstance(value, str)):
        raise PredicateError(f"{operator!r} compares numbers or strings, not {raw_value!r}")
    get = field_getter(field)
    return lambda record: compare(get(record), operator, value)


def predicate_field(source: str) -> str | None:
    """The field a predicate reads (None when it cannot be read)."""
    matched = _PREDICATE.match(source)
    return matched.group(1) if matched else None


def all_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return lambda record: True
    if len(predicates) == 1:
        return predicates[0]
    return lambda record: all(predicate(record) for predicate in predicates)


def sort_key(fields: list[str]) -> Callable[[Record], tuple[Any, ...]]:
    """A key for `sorted` over `order_by` fields (`-field` descending); None sorts last either way."""
    getters = [(field_getter(name.removeprefix("-")), name.startswith("-")) for name in fields]

    def key(record: Record) -> tuple[Any, ...]:
        return tuple(_Sortable(get(record), descending) for get, descending in getters)

    return key


class _Sortable:
    """One sort-key part: compares numbers with numbers and everything else as text, None last."""

    __slots__ = ("descending", "value")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value = value
        self.descending = descending

    def _rank(self) -> tuple[int, Any]:
        if self.value is None:
            return (2, 0)
        if _is_number(self.value):
            return (0, self.value)
        return (1, text(self.value))

    def __lt__(self, other: _Sortable) -> bool:
        mine, theirs = self._rank(), other._rank()
        if mine[0] != theirs[0] or mine[0] == 2:
            return mine[0] < theirs[0]
        return mine[1] > theirs[1] if self.descending else mine[1] < theirs[1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Sortable) and self._rank() == other._rank()

    def __hash__(self) -> int:
        return hash(self._rank())
