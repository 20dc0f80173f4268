"""What OpenAPI says about values beyond JSON Schema: discriminators and the integer formats.

jsonschema_rs treats `discriminator` as an annotation and applies `format` to strings only, so a value it
accepts may still break the spec: a discriminator value that names no branch of its `oneOf`/`anyOf`
(`kind: "cow"` where the mapping knows `cat` and `dog`), an object valid against another branch than the
one its discriminator selects, or an `int64` beyond 64 bits. A value JSON Schema accepts is walked along
its schema here, and each such problem reported as pydantic reports it.

A discriminator on a schema without `oneOf`/`anyOf` (a base schema its subtypes extend with `allOf`) only
selects the schema its mapping names for a tag; other tags are left to the tag property's own schema. A
`oneOf`/`anyOf` that a discriminator does not decide is walked branch by branch: the value is valid when
a branch that JSON Schema accepts also passes these checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from mockserver.foundation.problems import escape_pointer_token
from mockserver.spec.pointers import fragment_pointer, split_pointer
from mockserver.validation.errors import ErrorItem, Loc, expected_values, from_schema_errors, known_error
from mockserver.validation.pydantic_types import INTEGER_FORMAT_BOUNDS
from mockserver.validation.refs import schema_validator

if TYPE_CHECKING:
    from mockserver.spec.model import Spec

_MEMBER_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_MEMBER = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "unevaluatedProperties")
_MEMBER_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_UNIONS = ("oneOf", "anyOf")

# A schema, its JSON pointer in the spec (None when unknown), the part of the value it applies to, its loc.
_Step = tuple[Any, "str | None", Any, Loc]


class OpenApiSemantics:
    """The discriminator and integer-format checks of one schema (which lives at `pointer` in the spec)."""

    def __init__(self, spec: Spec, schema: Any, pointer: str | None, *, lax: bool = True) -> None:
        self._spec = spec
        self._lax = lax
        self._schema = schema
        self._pointer = pointer
        self._uses: dict[int, bool] = {}  # id of a schema -> whether it, or what it reaches, needs checks
        self.needed = self._needs_checks(schema)

    def errors(self, value: Any, loc: Loc) -> list[ErrorItem]:
        """The problems of a value that JSON Schema found valid (none when the schema needs no checks)."""
        if not self.needed:
            return []
        return self._walk(self._schema, self._pointer, value, loc)

    def _walk(self, schema: Any, pointer: str | None, value: Any, loc: Loc) -> list[ErrorItem]:
        errors: list[ErrorItem] = []
        pending: list[_Step] = [(schema, pointer, value, loc)]
        seen: set[tuple[int, int]] = set()
        while pending:
            schema, pointer, instance, where = pending.pop()
            schema, pointer = self._resolved(schema, pointer)
            if not isinstance(schema, dict) or (id(schema), id(instance)) in seen:
                continue
            seen.add((id(schema), id(instance)))
            errors.extend(_integer_format_errors(schema, instance, where))
            decided = False
            if isinstance(instance, dict) and isinstance(schema.get("discriminator"), dict):
                selected, problems, decided = self._discriminated(schema, pointer, instance, where)
                errors.extend(problems)
                if selected is not None:
                    pending.append((selected, None, instance, where))
            if not decided:
                errors.extend(self._union_errors(schema, pointer, instance, where))
            pending.extend(_applicable_subschemas(schema, pointer, instance, where))
        return errors

    def _resolved(self, schema: Any, pointer: str | None) -> tuple[Any, str | None]:
        for _ in range(32):
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if not (isinstance(ref, str) and ref.startswith("#/")):
                break
            pointer = fragment_pointer(ref[1:])
            try:
                schema = self._spec.resolve_pointer(pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                return None, pointer
        return schema, pointer

    def _discriminated(
        self, schema: dict[str, Any], pointer: str | None, instance: dict[str, Any], loc: Loc
    ) -> tuple[Any, list[ErrorItem], bool]:
        """The schema the discriminator selects (to walk on), the problems of the value's tag, and whether
        the discriminator decided the schema's `oneOf`/`anyOf` (so its branches need no other walk)."""
        discriminator = schema["discriminator"]
        name = discriminator.get("propertyName")
        tag = instance.get(name) if isinstance(name, str) else None
        if not isinstance(tag, str):
            return None, [], False  # a missing or non-string tag is JSON Schema's to report, if it cares
        targets = _discriminator_targets(schema, discriminator)
        if not targets:
            return None, [], False
        closed = any(isinstance(schema.get(keyword), list) for keyword in _UNIONS)
        if tag not in targets:
            if not closed:  # a base schema: other tags are for the tag property's own schema to judge
                return None, [], False
            ctx = {"discriminator": repr(name), "tag": tag, "expected_tags": expected_values(targets)}
            return None, [known_error("union_tag_invalid", (*loc, name), tag, ctx)], True
        target_pointer = targets[tag]
        if target_pointer == pointer:
            return None, [], closed
        try:
            validator = schema_validator(self._spec, target_pointer)
        except ValueError:
            return None, [], False
        problems = from_schema_errors(validator.iter_errors(instance), loc, lax=self._lax)
        selected = None if problems else {"$ref": "#" + target_pointer}
        return selected, problems, closed

    def _union_errors(
        self, schema: dict[str, Any], pointer: str | None, instance: Any, loc: Loc
    ) -> list[ErrorItem]:
        """The problems of a value under each `oneOf`/`anyOf` of `schema` whose branches need these checks."""
        errors: list[ErrorItem] = []
        for keyword in _UNIONS:
            members = schema.get(keyword)
            if pointer is not None and isinstance(members, list) and any(map(self._needs_checks, members)):
                errors.extend(self._branch_errors(members, f"{pointer}/{keyword}", instance, loc))
        return errors

    def _branch_errors(self, members: list[Any], pointer: str, instance: Any, loc: Loc) -> list[ErrorItem]:
        """None when a branch that JSON Schema accepts passes these checks, else the problems of the first
        branch JSON Schema accepts."""
        first: list[ErrorItem] | None = None
        for index, member in enumerate(members):
            member, member_pointer = self._resolved(member, f"{pointer}/{index}")
            if member_pointer is None or not self._accepts(member_pointer, instance):
                continue
            if not self._needs_checks(member):
                return []
            problems = self._walk(member, member_pointer, instance, loc)
            if not problems:
                return []
            first = first if first is not None else problems
        return first or []

    def _accepts(self, pointer: str, instance: Any) -> bool:
        try:
            return schema_validator(self._spec, pointer).is_valid(instance)
        except ValueError:
            return False

    def _needs_checks(self, schema: Any) -> bool:
        key = id(schema)
        known = self._uses.get(key)
        if known is None:
            known = self._uses[key] = _uses_openapi_semantics(self._spec.resolve_pointer, schema)
        return known


def _discriminator_targets(schema: dict[str, Any], discriminator: dict[str, Any]) -> dict[str, str]:
    """Discriminator value -> pointer of the schema it selects: the mapping, else the branches' names."""
    targets: dict[str, str] = {}
    mapping = discriminator.get("mapping")
    for value, target in (mapping.items() if isinstance(mapping, dict) else ()):
        if isinstance(target, str):
            targets[str(value)] = fragment_pointer(target[1:]) if target.startswith("#") else (
                f"/components/schemas/{target}"
            )
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword) or ():
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if isinstance(ref, str) and ref.startswith("#/"):
                branch_pointer = fragment_pointer(ref[1:])
                name = split_pointer(branch_pointer)[-1]
                if branch_pointer not in targets.values():
                    targets.setdefault(name, branch_pointer)
    return targets


def _integer_format_errors(schema: dict[str, Any], instance: Any, loc: Loc) -> Iterator[ErrorItem]:
    bounds = INTEGER_FORMAT_BOUNDS.get(schema.get("format"))  # type: ignore[arg-type]
    if bounds is None or not isinstance(instance, int) or isinstance(instance, bool):
        return
    low, high = bounds
    if instance < low:
        yield known_error("greater_than_equal", loc, instance, {"ge": low})
    elif instance > high:
        yield known_error("less_than_equal", loc, instance, {"le": high})


def _applicable_subschemas(
    schema: dict[str, Any], pointer: str | None, instance: Any, loc: Loc
) -> Iterator[_Step]:
    """The (subschema, its pointer, the part of the value it applies to, that part's loc) steps to walk.

    Branches of `oneOf`/`anyOf` are not among them: which branch a value took is decided elsewhere.
    """
    for index, member in enumerate(schema.get("allOf") or ()):
        yield member, _child(pointer, "allOf", index), instance, loc
    if isinstance(instance, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        extra = schema.get("additionalProperties")
        for key, item in instance.items():
            if key in properties:
                yield properties[key], _child(pointer, "properties", key), item, (*loc, key)
            elif isinstance(extra, dict):
                yield extra, _child(pointer, "additionalProperties"), item, (*loc, key)
    elif isinstance(instance, list):
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items")
        for index, item in enumerate(instance):
            if index < len(prefix):
                yield prefix[index], _child(pointer, "prefixItems", index), item, (*loc, index)
            elif isinstance(items, dict):
                yield items, _child(pointer, "items"), item, (*loc, index)


def _child(pointer: str | None, *tokens: str | int) -> str | None:
    if pointer is None:
        return None
    return pointer + "".join(f"/{escape_pointer_token(token)}" for token in tokens)


def _uses_openapi_semantics(resolve_pointer: Callable[[str], Any], schema: Any) -> bool:
    """True when the schema, or one it reaches, has a discriminator or an int32/int64 format."""
    pending = [schema]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if "discriminator" in node or node.get("format") in INTEGER_FORMAT_BOUNDS:
            return True
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            with suppress(KeyError, IndexError, ValueError, TypeError):
                pending.append(resolve_pointer(fragment_pointer(ref[1:])))
        for keyword in _MEMBER:
            pending.append(node.get(keyword))
        for keyword in _MEMBER_LISTS:
            members = node.get(keyword)
            pending.extend(members if isinstance(members, list) else ())
        for keyword in _MEMBER_MAPS:
            members = node.get(keyword)
            pending.extend(members.values() if isinstance(members, dict) else ())
    return False
