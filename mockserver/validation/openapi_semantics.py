"""What OpenAPI says about values beyond JSON Schema: discriminators and the integer formats.

jsonschema_rs treats `discriminator` as an annotation and applies `format` to strings only, so a value it
accepts may still break the spec: a discriminator value that names no schema (`kind: "cow"` where the
mapping knows `cat` and `dog`), an object valid against another branch than the one its discriminator
selects, or an `int64` beyond 64 bits. A value JSON Schema accepts is walked along its schema here, and
each such problem reported as pydantic reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from mockserver.spec.pointers import fragment_pointer, split_pointer
from mockserver.validation.errors import ErrorItem, Loc, expected_values, from_schema_errors, known_error
from mockserver.validation.pydantic_types import INTEGER_FORMAT_BOUNDS
from mockserver.validation.refs import schema_validator

if TYPE_CHECKING:
    from mockserver.spec.model import Spec

_MEMBER_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_MEMBER = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "unevaluatedProperties")
_MEMBER_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


class OpenApiSemantics:
    """The discriminator and integer-format checks of one schema (which lives at `pointer` in the spec)."""

    def __init__(self, spec: Spec, schema: Any, pointer: str | None, *, lax: bool = True) -> None:
        self._spec = spec
        self._lax = lax
        self._schema = schema
        self._pointer = pointer or ""
        self.needed = _uses_openapi_semantics(spec.resolve_pointer, schema)

    def errors(self, value: Any, loc: Loc) -> list[ErrorItem]:
        """The problems of a value that JSON Schema found valid (none when the schema needs no checks)."""
        if not self.needed:
            return []
        errors: list[ErrorItem] = []
        pending: list[tuple[Any, str, Any, Loc]] = [(self._schema, self._pointer, value, loc)]
        seen: set[tuple[int, int]] = set()
        while pending:
            schema, pointer, instance, where = pending.pop()
            schema, pointer = self._resolved(schema, pointer)
            if not isinstance(schema, dict) or (id(schema), id(instance)) in seen:
                continue
            seen.add((id(schema), id(instance)))
            errors.extend(_integer_format_errors(schema, instance, where))
            if isinstance(instance, dict) and isinstance(schema.get("discriminator"), dict):
                selected, problems = self._discriminated(schema, pointer, instance, where)
                errors.extend(problems)
                if selected is not None:
                    pending.append((selected, "", instance, where))
            pending.extend(_applicable_subschemas(schema, pointer, instance, where))
        return errors

    def _resolved(self, schema: Any, pointer: str) -> tuple[Any, str]:
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
        self, schema: dict[str, Any], pointer: str, instance: dict[str, Any], loc: Loc
    ) -> tuple[Any, list[ErrorItem]]:
        """The schema the discriminator selects (to walk on), and the problems of the value's tag."""
        discriminator = schema["discriminator"]
        name = discriminator.get("propertyName")
        tag = instance.get(name) if isinstance(name, str) else None
        if not isinstance(tag, str):
            return None, []  # a missing or non-string tag is JSON Schema's to report, if the schema cares
        targets = _discriminator_targets(schema, discriminator)
        if not targets:
            return None, []
        if tag not in targets:
            ctx = {"discriminator": repr(name), "tag": tag, "expected_tags": expected_values(targets)}
            return None, [known_error("union_tag_invalid", (*loc, name), tag, ctx)]
        target_pointer = targets[tag]
        if target_pointer == pointer:
            return None, []
        try:
            validator = schema_validator(self._spec, target_pointer)
        except ValueError:
            return None, []
        problems = from_schema_errors(validator.iter_errors(instance), loc, lax=self._lax)
        selected = None if problems else {"$ref": "#" + target_pointer}
        return selected, problems


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
    schema: dict[str, Any], pointer: str, instance: Any, loc: Loc
) -> Iterator[tuple[Any, str, Any, Loc]]:
    """The (subschema, its pointer, the part of the value it applies to, that part's loc) pairs to walk.

    Branches of `oneOf`/`anyOf` are only walked through a discriminator: which branch a value took is
    otherwise unknown here.
    """
    for member in schema.get("allOf") or ():
        yield member, "", instance, loc
    if isinstance(instance, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        extra = schema.get("additionalProperties")
        for key, item in instance.items():
            if key in properties:
                yield properties[key], "", item, (*loc, key)
            elif isinstance(extra, dict):
                yield extra, "", item, (*loc, key)
    elif isinstance(instance, list):
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items")
        for index, item in enumerate(instance):
            if index < len(prefix):
                yield prefix[index], "", item, (*loc, index)
            elif isinstance(items, dict):
                yield items, "", item, (*loc, index)


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
