"""Finding, in a JSON value, the objects that instantiate given schemas of the spec document.

`InstanceWalker.walk(value, schema_pointer, visit)` follows the value and its schema together
(`$ref`, `allOf`, the `anyOf`/`oneOf` branches the value matches, properties, items) and calls
`visit(component_pointer, sub_value, json_pointer)` for every sub-value reached through a `$ref` to
one of the wanted pointers, innermost first. `visit` may return a replacement value.

Each schema is compiled once into a `_Route` that keeps only the subschemas that can lead to a wanted
schema, so a walk looks at just the parts of a body that some rule is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from mockserver.foundation.problems import escape_pointer_token
from mockserver.generation.shaping import shape
from mockserver.spec.model import Spec
from mockserver.spec.pointers import MISSING, fragment_pointer, resolve

Visit = Callable[[str, Any, str], Any]

_SINGLE_SUBSCHEMAS = (
    "items",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "contentSchema",
)
_LIST_SUBSCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP_SUBSCHEMAS = ("properties", "patternProperties", "dependentSchemas", "$defs", "definitions")
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "string": lambda value: isinstance(value, str),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
}


@dataclass
class _Route:
    """The parts of one schema that lead to wanted schemas."""

    ref: str | None = None  # the `$ref` target
    all_of: list[str] = field(default_factory=list)
    # keyword -> every branch: (index, pointer, does a value's JSON type fit it?, does it lead anywhere?)
    branches: dict[str, list[tuple[int, str, Callable[[Any], bool], bool]]] = field(default_factory=dict)
    discriminator: dict[str, Any] | None = None
    properties: dict[str, str] = field(default_factory=dict)
    patterns: list[tuple[str, str]] = field(default_factory=list)
    additional: str | None = None
    prefix: list[str | None] = field(default_factory=list)
    items: str | None = None


class InstanceWalker:
    """Walks values along their schemas, reporting instances of the wanted schemas (see module doc)."""

    def __init__(self, spec: Spec, wanted: Iterable[str]) -> None:
        self.spec = spec
        self.wanted = frozenset(wanted)
        self._reaches: dict[str, bool] = {}
        self._routes: dict[str, _Route | None] = {}
        self._validators: dict[str, jsonschema_rs.Validator] = {}

    def walk(self, value: Any, pointer: str, visit: Visit, where: str = "") -> Any:
        value = self._walk(value, pointer, visit, where)
        if pointer in self.wanted:
            value = _visited(visit, pointer, value, where)
        return value

    def _walk(self, value: Any, pointer: str, visit: Visit, where: str) -> Any:
        route = self._route(pointer)
        if route is None:
            return value
        if route.ref is not None:
            value = self._walk(value, route.ref, visit, where)
            if route.ref in self.wanted:
                value = _visited(visit, route.ref, value, where)
        for sub in route.all_of:
            value = self._walk(value, sub, visit, where)
        for keyword, branches in route.branches.items():
            for sub in self._matching(route, keyword, branches, value):
                value = self._walk(value, sub, visit, where)
        if isinstance(value, dict):
            self._walk_properties(value, route, visit, where)
        elif isinstance(value, list) and (route.prefix or route.items):
            for index, item in enumerate(value):
                item_pointer = route.prefix[index] if index < len(route.prefix) else route.items
                if item_pointer is not None:
                    value[index] = self._walk(item, item_pointer, visit, f"{where}/{index}")
        return value

    def _walk_properties(self, value: dict[str, Any], route: _Route, visit: Visit, where: str) -> None:
        if not route.patterns and route.additional is None:
            for key, sub in route.properties.items():
                if key in value:
                    value[key] = self._walk(value[key], sub, visit, f"{where}/{escape_pointer_token(key)}")
            return
        for key in list(value):
            if key in route.properties:
                subs = [route.properties[key]]
            else:
                subs = [sub for pattern, sub in route.patterns if _search(pattern, key)]
                if not subs and route.additional is not None:
                    subs = [route.additional]
            for sub in subs:
                value[key] = self._walk(value[key], sub, visit, f"{where}/{escape_pointer_token(key)}")

    def _matching(
        self,
        route: _Route,
        keyword: str,
        branches: list[tuple[int, str, Callable[[Any], bool], bool]],
        value: Any,
    ) -> list[str]:
        """The branches of `anyOf`/`oneOf` that `value` matches and that lead to a wanted schema."""
        candidates = [(index, sub, leads) for index, sub, fits, leads in branches if fits(value)]
        if len(candidates) > 1:
            chosen = _discriminated(route.discriminator, value)
            if chosen is not None:
                candidates = [entry for entry in candidates if entry[0] == chosen]
            else:
                candidates = [entry for entry in candidates if self._validator(entry[1]).is_valid(value)]
                candidates = candidates[:1] if keyword == "oneOf" else candidates
        return [sub for _, sub, leads in candidates if leads]

    # -- compiling routes ------------------------------------------------------------------

    def _route(self, pointer: str) -> _Route | None:
        if pointer in self._routes:
            return self._routes[pointer]
        self._routes[pointer] = None  # a schema that refers back to itself adds nothing new
        node = self._node(pointer)
        route = (
            self._compile_route(pointer, node) if isinstance(node, dict) and self.reaches(pointer) else None
        )
        self._routes[pointer] = route
        return route

    def _compile_route(self, pointer: str, node: dict[str, Any]) -> _Route:
        route = _Route()
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target = fragment_pointer(ref[1:])
            if target in self.wanted or self.reaches(target):
                route.ref = target
        route.all_of = self._reaching(pointer, "allOf", range(len(node.get("allOf") or ())))
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword)
            if isinstance(branches, list):
                subs = [f"{pointer}/{keyword}/{index}" for index in range(len(branches))]
                route.branches[keyword] = [
                    (index, sub, self._type_check(branch), self._leads(sub))
                    for index, (sub, branch) in enumerate(zip(subs, branches, strict=True))
                ]
        if isinstance(node.get("discriminator"), dict):
            route.discriminator = {
                **node["discriminator"],
                "branches": node.get("oneOf") or node.get("anyOf") or [],
            }
        if isinstance(node.get("properties"), dict):
            for name in node["properties"]:
                sub = f"{pointer}/properties/{escape_pointer_token(name)}"
                if self._leads(sub):
                    route.properties[name] = sub
        if isinstance(node.get("patternProperties"), dict):
            for pattern in node["patternProperties"]:
                sub = f"{pointer}/patternProperties/{escape_pointer_token(pattern)}"
                if self._leads(sub):
                    route.patterns.append((pattern, sub))
        if isinstance(node.get("additionalProperties"), dict) and self._leads(
            f"{pointer}/additionalProperties"
        ):
            route.additional = f"{pointer}/additionalProperties"
        if isinstance(node.get("prefixItems"), list):
            route.prefix = [
                sub if self._leads(sub) else None
                for sub in (f"{pointer}/prefixItems/{index}" for index in range(len(node["prefixItems"])))
            ]
        if isinstance(node.get("items"), dict) and self._leads(f"{pointer}/items"):
            route.items = f"{pointer}/items"
        return route

    def _reaching(self, pointer: str, keyword: str, indexes: Iterable[int]) -> list[str]:
        return [sub for sub in (f"{pointer}/{keyword}/{index}" for index in indexes) if self._leads(sub)]

    def _leads(self, pointer: str) -> bool:
        return pointer in self.wanted or self.reaches(pointer)

    def _type_check(self, branch: Any) -> Callable[[Any], bool]:
        for _ in range(8):
            if not isinstance(branch, dict):
                return (lambda value: False) if branch is False else (lambda value: True)
            declared = branch.get("type")
            if declared is not None:
                names = [declared] if isinstance(declared, str) else list(declared)
                checks = [_JSON_TYPES[name] for name in names if name in _JSON_TYPES]
                return lambda value: any(check(value) for check in checks)
            ref = branch.get("$ref")
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            branch = self._node(fragment_pointer(ref[1:]))
        return lambda value: True

    def reaches(self, pointer: str) -> bool:
        """Whether the schema at `pointer` can lead (through subschemas and `$ref`s) to a wanted one."""
        known = self._reaches.get(pointer)
        if known is not None:
            return known
        found = False
        seen = {pointer}
        todo = [pointer]
        while todo and not found:
            current = todo.pop()
            for sub in self._children(current):
                if sub in self.wanted:
                    found = True
                    break
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        self._reaches[pointer] = found
        return found

    def _children(self, pointer: str) -> list[str]:
        node = self._node(pointer)
        if not isinstance(node, dict):
            return []
        children = []
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            children.append(fragment_pointer(ref[1:]))
        for keyword in _SINGLE_SUBSCHEMAS:
            if isinstance(node.get(keyword), dict):
                children.append(f"{pointer}/{keyword}")
        for keyword in _LIST_SUBSCHEMAS:
            if isinstance(node.get(keyword), list):
                children.extend(f"{pointer}/{keyword}/{index}" for index in range(len(node[keyword])))
        for keyword in _MAP_SUBSCHEMAS:
            if isinstance(node.get(keyword), dict):
                children.extend(f"{pointer}/{keyword}/{escape_pointer_token(name)}" for name in node[keyword])
        return children

    def _validator(self, pointer: str) -> jsonschema_rs.Validator:
        compiled = self._validators.get(pointer)
        if compiled is None:
            compiled = jsonschema_rs.validator_for(
                shape(self.spec.document, pointer, None).schema, validate_formats=True
            )
            self._validators[pointer] = compiled
        return compiled

    def _node(self, pointer: str) -> Any:
        node = resolve(self.spec.document, pointer)
        return None if node is MISSING else node


def _discriminated(discriminator: dict[str, Any] | None, value: Any) -> int | None:
    """The index of the branch a discriminator property selects, if the schema declares one."""
    if discriminator is None or not isinstance(value, dict):
        return None
    selected = value.get(discriminator.get("propertyName"))
    if not isinstance(selected, str):
        return None
    mapping = discriminator.get("mapping")
    target = mapping.get(selected, selected) if isinstance(mapping, dict) else selected
    for index, branch in enumerate(discriminator["branches"]):
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and (ref == target or ref.rsplit("/", 1)[-1] == target):
            return index
    return None


def _visited(visit: Visit, pointer: str, value: Any, where: str) -> Any:
    replacement = visit(pointer, value, where)
    return value if replacement is None else replacement


def _search(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False
