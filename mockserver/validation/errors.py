"""Validation error items shaped like pydantic v2's (as FastAPI returns them), and their sources.

Pydantic errors are taken as they are. JSON Schema errors (from jsonschema_rs) are translated to the
pydantic error type that the same mistake gets in a FastAPI app, with pydantic's own message for it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from pydantic import ValidationError
from pydantic_core import ErrorType, PydanticKnownError

Loc = tuple[str | int, ...]

# The type of the one item returned when the request's Content-Type is not documented (answered 415).
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


@dataclass(frozen=True)
class ErrorItem:
    """One validation error, as one entry of FastAPI's `detail` list."""

    type: str
    loc: Loc
    msg: str
    input: Any
    ctx: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        item = {"type": self.type, "loc": list(self.loc), "msg": self.msg, "input": self.input}
        if self.ctx is not None:
            item["ctx"] = self.ctx
        return item


def known_error(error_type: ErrorType, loc: Loc, value: Any, ctx: dict[str, Any] | None = None) -> ErrorItem:
    """An item of a pydantic error type, with pydantic's message for it."""
    return ErrorItem(error_type, loc, PydanticKnownError(error_type, ctx).message(), value, ctx)


def missing(loc: Loc, value: Any = None) -> ErrorItem:
    return known_error("missing", loc, value)


def unsupported_media_type(content_type: str | None, supported: Sequence[str]) -> ErrorItem:
    sent = content_type or "no Content-Type"
    return ErrorItem(
        UNSUPPORTED_MEDIA_TYPE,
        ("header", "content-type"),
        f"Unsupported media type {sent!r}; expected one of: {', '.join(supported)}",
        content_type,
        {"supported": list(supported)},
    )


def is_unsupported_media_type(errors: Sequence[ErrorItem]) -> bool:
    """True when `errors` is the answer to an undocumented Content-Type (the app answers 415)."""
    return len(errors) == 1 and errors[0].type == UNSUPPORTED_MEDIA_TYPE


def from_pydantic(error: ValidationError, prefix: Loc) -> list[ErrorItem]:
    """The errors of a pydantic validation, each `loc` prefixed as FastAPI does (`("query", "limit")`)."""
    return [
        ErrorItem(
            item["type"], prefix + tuple(item["loc"]), item["msg"], item["input"], _json_ctx(item.get("ctx"))
        )
        for item in error.errors(include_url=False)
    ]


def _json_ctx(ctx: dict[str, Any] | None) -> dict[str, Any] | None:
    """FastAPI encodes exception objects in `ctx` (from custom validators) as `{}`; do the same."""
    if ctx is None:
        return None
    return {key: {} if isinstance(value, Exception) else value for key, value in ctx.items()}


def expected_values(values: Iterable[Any]) -> str:
    """pydantic's rendering of allowed values: `'a', 'b' or 'c'`."""
    rendered = [repr(value) for value in values]
    if len(rendered) <= 1:
        return "".join(rendered)
    return f"{', '.join(rendered[:-1])} or {rendered[-1]}"


# ---------------------------------------------------------------------------------------------------
# JSON Schema errors

# Decides whether a required property may be absent: called with the keyword location of `required`
# (a JSON pointer into the spec document) and the property name. Used to let readOnly properties out.
RequiredFilter = Callable[[str, str], bool]

# pydantic's errors for the non-scalar JSON types (scalars are checked by pydantic itself).
_TYPE_ERRORS: dict[str, ErrorType] = {"array": "list_type", "object": "dict_type", "null": "none_required"}
# pydantic's errors for every JSON type, for specs checked by their JSON Schema (no lax coercion).
_STRICT_TYPE_ERRORS: dict[str, ErrorType] = {
    "integer": "int_type", "number": "float_type", "boolean": "bool_type", "string": "string_type",
    **_TYPE_ERRORS,
}


def from_schema_errors(
    errors: Iterable[jsonschema_rs.ValidationError],
    prefix: Loc,
    may_be_absent: RequiredFilter | None = None,
    *,
    lax: bool = True,
) -> list[ErrorItem]:
    """jsonschema_rs errors as pydantic-like items with `loc` = `prefix` + the instance path.

    `lax`: drop the type errors pydantic's lax mode would not make (`"5"` for an integer), as FastAPI does.
    """
    items: list[ErrorItem] = []
    for error in errors:
        items.extend(_translate(error, prefix, may_be_absent, lax))
    return items


def _translate(
    error: jsonschema_rs.ValidationError, prefix: Loc, may_be_absent: RequiredFilter | None, lax: bool
) -> Iterator[ErrorItem]:
    kind = error.kind
    loc = prefix + tuple(error.instance_path)
    value = error.instance
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
        if may_be_absent is not None and may_be_absent(_keyword_pointer(error), kind.property):
            return
        yield missing((*loc, kind.property), value)
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        given = value if isinstance(value, dict) else {}
        for name in kind.unexpected:
            yield known_error("extra_forbidden", (*loc, name), given.get(name))
    elif isinstance(
        kind, (jsonschema_rs.ValidationErrorKind.AnyOf, jsonschema_rs.ValidationErrorKind.OneOfNotValid)
    ):
        branch = _only_non_null_branch(kind.context)
        if branch is None:
            yield ErrorItem("value_error", loc, error.message, value)
        else:
            yield from from_schema_errors(branch, prefix, may_be_absent, lax=lax)
    elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Type):
        item = _type_error(kind.types, loc, value) if lax else _strict_type_error(kind.types, loc, value)
        if item is not None:
            yield item
    else:
        yield _translate_simple(kind, loc, value, error.message)


_BOUNDS: dict[type, tuple[ErrorType, str]] = {
    jsonschema_rs.ValidationErrorKind.Minimum: ("greater_than_equal", "ge"),
    jsonschema_rs.ValidationErrorKind.Maximum: ("less_than_equal", "le"),
    jsonschema_rs.ValidationErrorKind.ExclusiveMinimum: ("greater_than", "gt"),
    jsonschema_rs.ValidationErrorKind.ExclusiveMaximum: ("less_than", "lt"),
}


def _translate_simple(kind: Any, loc: Loc, value: Any, message: str) -> ErrorItem:
    kinds = jsonschema_rs.ValidationErrorKind
    if isinstance(kind, kinds.Enum):
        return known_error("enum", loc, value, {"expected": expected_values(kind.options)})
    if isinstance(kind, kinds.Constant):
        return known_error("literal_error", loc, value, {"expected": expected_values([kind.expected_value])})
    if isinstance(kind, kinds.Minimum | kinds.Maximum | kinds.ExclusiveMinimum | kinds.ExclusiveMaximum):
        error_type, name = _BOUNDS[type(kind)]
        return known_error(error_type, loc, value, {name: kind.limit})
    if isinstance(kind, kinds.MultipleOf):
        return known_error("multiple_of", loc, value, {"multiple_of": kind.multiple_of})
    if isinstance(kind, kinds.MinLength):
        return known_error("string_too_short", loc, value, {"min_length": kind.limit})
    if isinstance(kind, kinds.MaxLength):
        return known_error("string_too_long", loc, value, {"max_length": kind.limit})
    if isinstance(kind, kinds.Pattern):
        return known_error("string_pattern_mismatch", loc, value, {"pattern": kind.pattern})
    if isinstance(kind, (kinds.MinItems, kinds.MaxItems)):
        too_short = isinstance(kind, kinds.MinItems)
        bound = "min_length" if too_short else "max_length"
        ctx = {"field_type": "List", bound: kind.limit, "actual_length": len(value)}
        return known_error("too_short" if too_short else "too_long", loc, value, ctx)
    if isinstance(kind, kinds.Format):
        return _format_error(kind.format, loc, value, message)
    return ErrorItem("value_error", loc, message, value)


def _type_error(types: Sequence[str], loc: Loc, value: Any) -> ErrorItem | None:
    """pydantic's error for a value of the wrong JSON type; None when pydantic's lax mode accepts it
    (`"5"` for an integer), as a FastAPI app would."""
    expected = next((name for name in types if name != "null"), types[0] if types else "object")
    from mockserver.validation.pydantic_types import scalar_adapter  # pydantic's types: slow to import

    adapter = scalar_adapter(expected)
    if adapter is None:
        return known_error(_TYPE_ERRORS.get(expected, "value_error"), loc, value)
    try:
        adapter.validate_python(value)
    except ValidationError as error:
        return from_pydantic(error, loc)[0]
    return None


def _strict_type_error(types: Sequence[str], loc: Loc, value: Any) -> ErrorItem:
    expected = next((name for name in types if name != "null"), types[0] if types else "object")
    return known_error(_STRICT_TYPE_ERRORS.get(expected, "value_error"), loc, value)


def _format_error(format_name: str, loc: Loc, value: Any, message: str) -> ErrorItem:
    """pydantic's own error for the format's type when it has one (dates, UUIDs), else a value_error."""
    from mockserver.validation.pydantic_types import format_adapter  # pydantic's types: slow to import

    adapter = format_adapter(format_name)
    if adapter is not None:
        try:
            adapter.validate_python(value)
        except ValidationError as error:
            return from_pydantic(error, loc)[0]
    return ErrorItem("value_error", loc, message, value)


def _only_non_null_branch(
    branches: Sequence[Sequence[jsonschema_rs.ValidationError]],
) -> Sequence[jsonschema_rs.ValidationError] | None:
    """The errors of the single branch that is not `{"type": "null"}` (pydantic reports `X | None` as X)."""
    remaining = [branch for branch in branches if not _is_null_mismatch(branch)]
    return remaining[0] if len(remaining) == 1 and len(branches) == 2 else None


def _is_null_mismatch(branch: Sequence[jsonschema_rs.ValidationError]) -> bool:
    return (
        len(branch) == 1
        and isinstance(branch[0].kind, jsonschema_rs.ValidationErrorKind.Type)
        and list(branch[0].kind.types) == ["null"]
    )


def _keyword_pointer(error: jsonschema_rs.ValidationError) -> str:
    """The JSON pointer (into the spec document) of the keyword that failed."""
    location = error.absolute_keyword_location or ""
    return urllib.parse.unquote(location.partition("#")[2])
