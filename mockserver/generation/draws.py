"""The vocabulary shared by plans: what a draw function is, what it is told, how it may be steered, and
what a plan builder may ask of the compiler it builds for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from random import Random
from typing import Any, Protocol

import jsonschema_rs
from jsonschema_rs.canonical import CanonicalKind

from mockserver.generation.errors import RetryDraw
from mockserver.generation.realism import Provider, Realism

UNSET: Any = object()


@dataclass
class Override:
    """What the request pins in a body: a value at some place, or how many items an array holds."""

    value: Any = UNSET
    size: int | None = None
    children: dict[str, Override] = field(default_factory=dict)

    @property
    def pins_value(self) -> bool:
        return self.value is not UNSET

    def child(self, name: str) -> Override | None:
        return self.children.get(name)


def with_fewest_items(override: Override | None, path: tuple[str, ...]) -> Override:
    """`override` (a request's own tree, changed in place; None: a new one) also asking the array at
    `path` for as few items as its schema allows."""
    root = Override() if override is None else override
    node = root
    for name in path:
        node = node.children.setdefault(name, Override())
    node.size = 0  # an array's plan takes at least its minItems
    return root


@dataclass
class DrawState:
    """What a draw carries down the body: the world records are seeded in, and how deep it is."""

    seed: int  # record seeds derive from it (see `records`)
    depth: int = 0
    containers: int = 0  # objects and arrays drawn so far in this body

    def deep(self, options: PlanOptions) -> bool:
        """Whether containers get their smallest valid shape here: too deep, or the body is already large."""
        return self.depth >= options.max_depth or self.containers >= options.max_containers


@dataclass(frozen=True)
class PlanOptions:
    """How realistic bodies are shaped where the schema leaves room."""

    array_size: tuple[int, int] = (0, 4)  # items in an array whose schema does not fix it
    optional_rate: float = 0.85  # how often an optional property is present
    null_rate: float = 0.15  # how often a nullable value is null
    container_rate: float = 0.95  # how often an optional or nullable array/object is there (and not null)
    free_properties: tuple[int, int] = (1, 3)  # entries of a free-form object
    max_depth: int = 10  # containers deeper than this get their smallest valid shape
    # ... and so do those after this many in one body: records that embed other records, which embed
    # others (a large interlinked spec), would otherwise make bodies of millions of values. A page of
    # most real APIs' records stays below it (50 records of a few objects and arrays each); on a spec
    # whose every record reaches the whole document, it keeps a page's first draw under ~100 ms.
    max_containers: int = 1000


# A compiled plan: draws one value from the random source, steered by an optional override.
Draw = Callable[[Random, DrawState, Override | None], Any]


def unsatisfiable(rng: Random, state: DrawState, override: Override | None) -> Any:
    raise RetryDraw("no value satisfies this part of the schema")


def child_of(override: Override | None, name: str) -> Override | None:
    return override.children.get(name) if override is not None else None


class Compiler(Protocol):
    """What the plan builders (`scalars`, `records`) use of `plans.PlanCompiler`, which calls them."""

    realism: Realism
    options: PlanOptions
    words: Provider  # the provider of strings no format or name shapes
    key_orders: Mapping[frozenset[str], tuple[str, ...]]  # the spec's property orders (by their key sets)

    @property
    def definition_count(self) -> int: ...

    def compile(self, node: jsonschema_rs.CanonicalSchema) -> Draw: ...

    def when_drawn(self, node: jsonschema_rs.CanonicalSchema) -> Draw: ...

    def hard(self, node: jsonschema_rs.CanonicalSchema) -> Draw: ...

    def draw_hard(self, node: jsonschema_rs.CanonicalSchema, seed: int) -> Any: ...

    def resolved(self, node: jsonschema_rs.CanonicalSchema) -> jsonschema_rs.CanonicalSchema: ...

    def resolved_kind(self, node: jsonschema_rs.CanonicalSchema) -> CanonicalKind: ...

    def is_null(self, node: jsonschema_rs.CanonicalSchema) -> bool: ...

    def validator(self, node: jsonschema_rs.CanonicalSchema) -> jsonschema_rs.Validator: ...
