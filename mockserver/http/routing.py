"""Path templates -> operations: a segment trie where literal segments win over parameters.

Matches are remembered per (path, method), a bounded number of them: clients request the same paths
again and again, and walking the trie (percent-decoding, regular expressions) is most of routing's cost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from mockserver.spec.model import Operation

_PARAM = re.compile(r"\{([^{}]+)\}")
MATCH_CACHE_SIZE = 4096  # remembered matches; the cache starts afresh when full
MATCH_CACHE_PATH = 512  # longer paths are matched every time (the cache stays small)
_UNKNOWN: Any = object()


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    # Segments holding parameters, e.g. "{id}" or "{name}.{format}", most literal characters first.
    # Templates that differ only in parameter names (`/users/{username}`, `/users/{user_id}/repos`) share
    # a node: its values are captured by position and named by the template of the operation matched.
    patterns: list[tuple[re.Pattern[str], _Node]] = field(default_factory=list)
    operations: dict[str, Operation] = field(default_factory=dict)  # by upper-case method
    parameter_names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by method, template order


@dataclass(frozen=True)
class RouteMatch:
    """The methods a path allows; `operation` is None when the method is not one of them."""

    operation: Operation | None
    path_params: dict[str, str]
    allowed: tuple[str, ...]


def _segment_pattern(segment: str) -> re.Pattern[str]:
    regex = ""
    last = 0
    for found in _PARAM.finditer(segment):
        regex += re.escape(segment[last : found.start()]) + "(.+?)"
        last = found.end()
    regex += re.escape(segment[last:])
    return re.compile(regex, re.DOTALL)


def _split(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def _decoded(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment


class Router:
    """Finds the operation for a raw request path; built once from the spec's operations."""

    def __init__(self, operations: tuple[Operation, ...], base_path: str = "") -> None:
        self._root = _Node()
        self._base = _split(base_path)
        self._matches: dict[tuple[str, str], RouteMatch | None] = {}
        for operation in operations:
            self._add(operation)

    def _add(self, operation: Operation) -> None:
        node = self._root
        names: list[str] = []
        for segment in _split(operation.path):
            if "{" not in segment:
                node = node.literals.setdefault(segment, _Node())
                continue
            pattern = _segment_pattern(segment)
            names += _PARAM.findall(segment)
            existing = next((child for known, child in node.patterns if known.pattern == pattern.pattern),
                            None)
            if existing is None:
                existing = _Node()
                node.patterns.append((pattern, existing))
                node.patterns.sort(key=lambda entry: -len(_PARAM.sub("", entry[0].pattern)))
            node = existing
        node.operations[operation.method] = operation
        node.parameter_names[operation.method] = tuple(names)

    def match(self, raw_path: str, method: str) -> RouteMatch | None:
        """Match a raw (still percent-encoded) path; None when no path template fits.

        The match's `path_params` is shared by every request of that path: read it, do not change it.
        """
        key = (raw_path, method)
        found = self._matches.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found
        found = self._match(raw_path, method)
        if len(raw_path) <= MATCH_CACHE_PATH:
            if len(self._matches) >= MATCH_CACHE_SIZE:
                self._matches.clear()
            self._matches[key] = found
        return found

    def _match(self, raw_path: str, method: str) -> RouteMatch | None:
        segments = [_decoded(segment) for segment in _split(raw_path)]
        if segments[: len(self._base)] != self._base:
            return None
        found = self._walk(self._root, segments[len(self._base) :], ())
        if found is None:
            return None
        node, values = found
        operation = node.operations.get(method.upper())
        names = node.parameter_names[operation.method] if operation is not None else ()
        return RouteMatch(operation, dict(zip(names, values, strict=False)), tuple(node.operations))

    def _walk(
        self, node: _Node, segments: list[str], values: tuple[str, ...]
    ) -> tuple[_Node, tuple[str, ...]] | None:
        """The node `segments` lead to from `node`, and the parameter values captured on the way."""
        if not segments:
            return (node, values) if node.operations else None
        head, rest = segments[0], segments[1:]
        child = node.literals.get(head)
        if child is not None:
            found = self._walk(child, rest, values)
            if found is not None:
                return found
        for pattern, child in node.patterns:
            matched = pattern.fullmatch(head)
            if matched is None or any(value == "" for value in matched.groups()):
                continue
            found = self._walk(child, rest, values + matched.groups())
            if found is not None:
                return found
        return None
