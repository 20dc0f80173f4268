"""Path templates -> operations: a segment trie where literal segments win over parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from mockserver.spec.model import Operation

_PARAM = re.compile(r"\{([^{}]+)\}")


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    # Segments holding parameters, e.g. "{id}" or "{name}.{format}", most literal characters first.
    patterns: list[tuple[re.Pattern[str], tuple[str, ...], _Node]] = field(default_factory=list)
    operations: dict[str, Operation] = field(default_factory=dict)  # by upper-case method


@dataclass(frozen=True)
class RouteMatch:
    """The methods a path allows; `operation` is None when the method is not one of them."""

    operation: Operation | None
    path_params: dict[str, str]
    allowed: tuple[str, ...]


def _segment_pattern(segment: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    regex = ""
    last = 0
    for found in _PARAM.finditer(segment):
        regex += re.escape(segment[last : found.start()]) + "(.+?)"
        names.append(found.group(1))
        last = found.end()
    regex += re.escape(segment[last:])
    return re.compile(regex, re.DOTALL), tuple(names)


def _split(path: str) -> list[str]:
    return [segment for segment in path.strip("/").split("/")] if path.strip("/") else []


class Router:
    """Finds the operation for a raw request path; built once from the spec's operations."""

    def __init__(self, operations: tuple[Operation, ...], base_path: str = "") -> None:
        self._root = _Node()
        self._base = _split(base_path)
        for operation in operations:
            self._add(operation)

    def _add(self, operation: Operation) -> None:
        node = self._root
        for segment in _split(operation.path):
            if "{" not in segment:
                node = node.literals.setdefault(segment, _Node())
                continue
            pattern, names = _segment_pattern(segment)
            existing = next((child for p, _, child in node.patterns if p.pattern == pattern.pattern), None)
            if existing is None:
                existing = _Node()
                node.patterns.append((pattern, names, existing))
                node.patterns.sort(key=lambda entry: -len(_PARAM.sub("", entry[0].pattern)))
            node = existing
        node.operations[operation.method] = operation

    def match(self, raw_path: str, method: str) -> RouteMatch | None:
        """Match a raw (still percent-encoded) path; None when no path template fits."""
        segments = [unquote(segment) for segment in _split(raw_path)]
        if segments[: len(self._base)] != self._base:
            return None
        found = self._walk(self._root, segments[len(self._base) :], {})
        if found is None:
            return None
        node, params = found
        allowed = tuple(node.operations)
        return RouteMatch(node.operations.get(method.upper()), params, allowed)

    def _walk(
        self, node: _Node, segments: list[str], params: dict[str, str]
    ) -> tuple[_Node, dict[str, str]] | None:
        if not segments:
            return (node, params) if node.operations else None
        head, rest = segments[0], segments[1:]
        child = node.literals.get(head)
        if child is not None:
            found = self._walk(child, rest, params)
            if found is not None:
                return found
        for pattern, names, child in node.patterns:
            matched = pattern.fullmatch(head)
            if matched is None or any(value == "" for value in matched.groups()):
                continue
            found = self._walk(child, rest, {**params, **dict(zip(names, matched.groups(), strict=True))})
            if found is not None:
                return found
        return None
