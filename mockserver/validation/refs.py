"""Following local `$ref`s (`#/...`) of the merged spec document."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.spec.model import Spec, Validator

MAX_REF_CHAIN = 32  # a longer chain of $refs to $refs is a loop
FRAGMENT_SAFE = "/~!$&'()*+,;=:@"  # characters a URI fragment may hold as they are (RFC 3986)


def follow_refs(
    resolve_pointer: Callable[[str], Any], schema: Any, pointer: str | None = None
) -> tuple[Any, str | None]:
    """The schema a chain of `$ref`s leads to, and its JSON pointer (`pointer` if `schema` is no `$ref`)."""
    for _ in range(MAX_REF_CHAIN):
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        pointer = ref[1:]
        try:
            schema = resolve_pointer(pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            return None, None
    return schema, pointer


def resolver(resolve_pointer: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A function from a schema to the schema its `$ref`s lead to."""
    return lambda schema: follow_refs(resolve_pointer, schema)[0]


def schema_validator(spec: Spec, pointer: str) -> Validator:
    """`spec.validator(pointer)`, retried with the pointer percent-encoded as a URI fragment needs
    (`{`, `}`, spaces... in path templates) in case `Spec.validator` passes it on raw."""
    try:
        return spec.validator(pointer)
    except ValueError:
        encoded = urllib.parse.quote(pointer, safe=FRAGMENT_SAFE)
        if encoded == pointer:
            raise
        return spec.validator(encoded)


def combined_schemas(resolve: Callable[[Any], Any], schema: Any) -> list[dict[str, Any]]:
    """`schema` and every schema its `$ref`s and `anyOf`/`oneOf`/`allOf` members lead to, each once."""
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    pending = [schema]
    while pending:
        current = resolve(pending.pop(0))
        if not isinstance(current, dict) or id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        for combinator in ("anyOf", "oneOf", "allOf"):
            members = current.get(combinator)
            if isinstance(members, list):
                pending.extend(members)
    return found
