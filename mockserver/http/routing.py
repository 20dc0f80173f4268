"""Path templates -> operations: a segment trie where literal segments win over parameters.

Each operation is routed under its own base path (its server URL's path) and without a `#fragment`: some
specs document alternatives of one method as `/files/{id}#add` and `/files/{id}#remove`, which clients
request as `/files/{id}`. Operations that share a route this way are all kept, in document order: the
match names the first and lists every candidate, for the caller to pick by what the request holds.

Matches are remembered per (path, method), a bounded number of them: clients request the same paths
again and again, and walking the trie (percent-decoding, regular expressions) is most of routing's cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
    # By upper-case method: the operations with this route, in document order, each with the names of its
    # path parameters in template order.
    operations: dict[str, list[tuple[Operation, tuple[str, ...]]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RouteMatch:
    """The methods a path allows; `operation` is None when the method is not one of them.

    `candidates` lists every operation of that method and route with its path parameters, the first being
    `operation` (none when it is None); there are several only when path templates differ by a `#fragment`
    alone, or by the names of their parameters.
    """

    operation: Operation | None
    path_params: dict[str, str]
    allowed: tuple[str, ...]
    candidates: tuple[tuple[Operation, dict[str, str]], ...] = ()


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

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._root = _Node()
        self._matches: dict[tuple[str, str], RouteMatch | None] = {}
        for operation in operations:
            self._add(operation)

    def _add(self, operation: Operation) -> None:
        node = self._root
        names: list[str] = []
        for segment in _split(operation.url_path):
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
        node.operations.setdefault(operation.method, []).append((operation, tuple(names)))

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
        found = self._walk(self._root, segments, ())
        if found is None:
            return None
        node, values = found
        allowed = tuple(node.operations)
        routed = node.operations.get(method.upper())
        if routed is None:
            return RouteMatch(None, {}, allowed)
        candidates = tuple((operation, dict(zip(names, values, strict=False))) for operation, names in routed)
        operation, path_params = candidates[0]
        return RouteMatch(operation, path_params, allowed, candidates)

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
