"""Response body templates of dataset bindings: literal JSON with `$` placeholders, compiled once.

A placeholder is a mapping with one `$` key (and optionally `as`):

| placeholder         | renders                                                                  |
| ------------------- | ------------------------------------------------------------------------ |
| `{$records: true}`  | the answered records: the page when paginated, else every selected one   |
| `{$page: items}`    | the page's records; also `total`, `limit`, `count`, `next_cursor`,       |
|                     | `prev_cursor`, `has_next`, `has_prev`                                    |
| `{$count: true}`    | how many records are selected (all pages)                                |
| `{$sum: field}`     | the sum of `field` over the selected records (all pages)                 |
| `{$param: name}`    | a request parameter's value                                              |
| `{$owner: field}`   | a field of the owner record                                              |
| `{$tenant: true}`   | the request's tenant id                                                  |
| `{$literal: value}` | `value` as written, even if it holds `$` keys                            |

`as: "decimal:2"` renders an integer as a decimal string with that many places (15000 -> "150.00");
`as: string` renders any scalar as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockserver.datasets.predicates import field_getter, text
from mockserver.foundation.problems import join_pointer

PAGE_VALUES = ("items", "total", "limit", "count", "next_cursor", "prev_cursor", "has_next", "has_prev")
PLACEHOLDERS = ("$records", "$page", "$count", "$sum", "$param", "$owner", "$tenant", "$literal")


@dataclass
class RenderValues:
    """What a template may refer to, for one answer."""

    selected: Sequence[Mapping[str, Any]]  # every selected record (all pages)
    answered: Any  # what `$records` and `$page: items` render to: a list, or pre-encoded JSON
    page: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    owner: Mapping[str, Any] | None = None
    tenant: str | None = None


Renderer = Callable[[RenderValues], Any]


@dataclass
class Template:
    """A compiled template; `record_paths` are where the answered records go (for error messages)."""

    render: Renderer
    record_paths: list[tuple[str | int, ...]]
    uses: set[str]  # the placeholders used, e.g. {"$page", "$owner"}
    params: set[str]  # the request parameters `$param` reads


class TemplateError(ValueError):
    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


def compile_template(source: Any) -> tuple[Template, list[TemplateError]]:
    """Compile a body template; returns it and every problem found (pointers relative to the template)."""
    compiler = _Compiler()
    render = compiler.node(source, ())
    return Template(render, compiler.record_paths, compiler.uses, compiler.params), compiler.errors


class _Compiler:
    def __init__(self) -> None:
        self.errors: list[TemplateError] = []
        self.record_paths: list[tuple[str | int, ...]] = []
        self.uses: set[str] = set()
        self.params: set[str] = set()

    def node(self, source: Any, path: tuple[str | int, ...]) -> Renderer:
        if isinstance(source, dict):
            if any(isinstance(key, str) and key.startswith("$") for key in source):
                return self.placeholder(source, path)
            children = [(key, self.node(value, (*path, key))) for key, value in source.items()]
            if all(isinstance(child, _Constant) for _, child in children):
                return _Constant(source)
            return lambda values: {key: child(values) for key, child in children}
        if isinstance(source, list):
            items = [self.node(value, (*path, index)) for index, value in enumerate(source)]
            if all(isinstance(item, _Constant) for item in items):
                return _Constant(source)
            return lambda values: [item(values) for item in items]
        return _Constant(source)

    def fail(self, path: tuple[str | int, ...], message: str) -> Renderer:
        self.errors.append(TemplateError(join_pointer(*path), message))
        return _Constant(None)

    def placeholder(self, source: dict[str, Any], path: tuple[str | int, ...]) -> Renderer:
        keys = [key for key in source if key.startswith("$")]
        others = [key for key in source if not key.startswith("$") and key != "as"]
        if len(keys) != 1 or others:
            return self.fail(path, f"a placeholder has one `$` key and optionally `as`, not {sorted(source)}")
        kind = keys[0]
        if kind not in PLACEHOLDERS:
            known = ", ".join(PLACEHOLDERS)
            return self.fail((*path, kind), f"unknown placeholder {kind!r} (known: {known})")
        self.uses.add(kind)
        argument = source[kind]
        if kind == "$literal":
            return _Constant(argument)
        render = self.value(kind, argument, path)
        if "as" not in source:
            return render
        formatter = _formatter(source["as"])
        if formatter is None:
            return self.fail((*path, "as"),
                             f"unknown format {source['as']!r} (known: decimal:<places>, string)")
        return lambda values: formatter(render(values))

    def value(self, kind: str, argument: Any, path: tuple[str | int, ...]) -> Renderer:
        if kind == "$records":
            self.record_paths.append(path)
            return lambda values: values.answered
        if kind == "$page":
            if argument not in PAGE_VALUES:
                known = ", ".join(PAGE_VALUES)
                return self.fail((*path, kind), f"unknown page value {argument!r} (known: {known})")
            if argument == "items":
                self.record_paths.append(path)
                return lambda values: values.answered
            return lambda values: values.page.get(argument)
        if kind == "$count":
            return lambda values: len(values.selected)
        if kind == "$tenant":
            return lambda values: values.tenant
        if not isinstance(argument, str) or not argument:
            return self.fail((*path, kind), f"{kind} needs a field or parameter name")
        if kind == "$sum":
            get = field_getter(argument)
            return lambda values: sum(_number(get(record)) for record in values.selected)
        if kind == "$param":
            self.params.add(argument)
            return lambda values: values.params.get(argument)
        get = field_getter(argument)
        return lambda values: None if values.owner is None else get(values.owner)


class _Constant:
    """A part of a template without placeholders: rendered as written."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, values: RenderValues) -> Any:
        return self.value


def _number(value: Any) -> int | float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _formatter(name: Any) -> Callable[[Any], Any] | None:
    if name == "string":
        return lambda value: value if value is None else text(value)
    if isinstance(name, str) and name.startswith("decimal:") and name[8:].isdigit():
        places = int(name[8:])
        return lambda value: decimal_text(value, places)
    return None


def decimal_text(value: Any, places: int) -> Any:
    """An integer count of 10^-places units as a decimal string: (15000, 2) -> "150.00"."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    if places == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, fraction = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d}"
