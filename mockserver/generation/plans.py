"""Plans: canonical schemas compiled into fast generators that draw from one `random.Random`.

Hypothesis draws cost tens of microseconds each, and a 50-item page of 30-field objects needs a few
thousand of them, far over the budget of a mock that answers in milliseconds. So the common shapes
(objects, arrays, `anyOf`/`oneOf`, enums, bounded numbers, formatted and realistic strings) are compiled
into plain functions over a `random.Random` (`scalars`, `records`), and every other node (a pattern no
provider matches, `not`, `if`/`then`/`else`, `contains`, an unmerged `allOf`, ...) is drawn by
hypothesis through `HypothesisDraws`. The generator validates every body afterwards, so a plan only has
to be right almost always; when it is not, the draw is retried and finally left to hypothesis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cached_property
from random import Random
from typing import Any

import jsonschema_rs
from jsonschema_rs.canonical import (
    AnyOfView,
    ArrayView,
    CanonicalKind,
    ConstView,
    EnumView,
    IntegerView,
    MultiTypeView,
    NumberView,
    ObjectView,
    OneOfView,
    ReferenceView,
    StringView,
)

from mockserver.generation.draws import Draw, DrawState, Override, PlanOptions, unsatisfiable
from mockserver.generation.errors import RetryDraw
from mockserver.generation.realism import Provider, Realism, realistic_scalar
from mockserver.generation.records import array_plan, object_plan
from mockserver.generation.scalars import integer_plan, multi_type_plan, number_plan, string_plan
from mockserver.generation.strategies import HypothesisDraws
from mockserver.generation.views import json_schema_of, view_of

_CONTAINERS = (CanonicalKind.ARRAY, CanonicalKind.OBJECT)
_PUT_OFF = (*_CONTAINERS, CanonicalKind.ANY_OF, CanonicalKind.ONE_OF)  # compiled when first drawn
_MAX_NESTED_COMPILATIONS = 40


class PlanCompiler:
    """Compiles the nodes of one canonical schema into `Draw` functions (memoized, cycles allowed).

    The builders of `scalars` and `records` see it as a `draws.Compiler`.
    """

    def __init__(
        self,
        root: jsonschema_rs.CanonicalSchema,
        realism: Realism,
        hypothesis: HypothesisDraws,
        options: PlanOptions,
        key_orders: Mapping[frozenset[str], tuple[str, ...]],
    ) -> None:
        self.root = root
        self.realism = realism
        self.hypothesis = hypothesis
        self.options = options
        self.key_orders = key_orders
        self.words: Provider = realism.kind_provider("words")
        self._plans: dict[jsonschema_rs.CanonicalSchema, Draw] = {}
        self._cells: list[list[Draw]] = []  # see release
        self._nesting = 0  # compilations in progress, one inside the other
        self._validators: dict[jsonschema_rs.CanonicalSchema, jsonschema_rs.Validator] = {}

    @property
    def size(self) -> int:
        """How many plans are compiled so far (drawing compiles more): what its memory grows with."""
        return len(self._plans)

    def release(self) -> None:
        """Forget every plan compiled so far (a later `compile` builds them again), for a compiler no draw
        is using. Plans refer to their compiler and to one another (references, recursion): cycles that only
        a full garbage collection would free, and a served mock runs those rarely (see
        `serving.warmup.settle_heap`)."""
        for cell in self._cells:
            cell.clear()
        self._cells.clear()
        self._plans.clear()
        self._validators.clear()

    def compile(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        plan = self._plans.get(node)
        if plan is not None:
            return plan
        if self._nesting >= _MAX_NESTED_COMPILATIONS:
            return self._on_first_draw(node)
        cell: list[Draw] = []
        self._cells.append(cell)

        def pending(rng: Random, state: DrawState, override: Override | None) -> Any:
            return cell[0](rng, state, override)

        self._plans[node] = pending  # what a reference back into this node gets while it is compiled
        builder = _BUILDERS.get(node.kind, PlanCompiler.hard)
        self._nesting += 1
        try:
            built = builder(self, node)
        finally:
            self._nesting -= 1
        cell.append(built)
        self._plans[node] = built
        return built

    def when_drawn(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        """`compile(node)`, put off to the node's first draw when it holds objects or arrays: most of a
        large record schema's containers are never drawn (optional ones, those past the size budget, the
        items of a page drawn empty), and compiling them was half the cost of such a schema's first body."""
        plan = self._plans.get(node)
        if plan is not None:
            return plan
        if self.resolved_kind(node) in _PUT_OFF:
            return self._on_first_draw(node)
        return self.compile(node)

    def _on_first_draw(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        """A plan compiled when first drawn from: the schemas of a large interlinked spec form chains of
        thousands of references, deeper than Python's stack, and a draw only ever reaches a few levels."""
        cell: list[Draw] = []
        self._cells.append(cell)

        def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
            if not cell:
                cell.append(self.compile(node))
            return cell[0](rng, state, override)

        return draw

    @cached_property
    def definition_count(self) -> int:
        """How many definitions the root schema carries (a measure of how much of a document it holds)."""
        return len(self.root.definitions())

    def hard(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        """A plan that leaves the node to hypothesis."""
        return lambda rng, state, override: self.draw_hard(node, rng.getrandbits(63))

    def draw_hard(self, node: jsonschema_rs.CanonicalSchema, seed: int) -> Any:
        """The node's value hypothesis draws with `seed`."""
        return self.hypothesis.draw(node, seed)

    # -- what plans ask about nodes --------------------------------------------------------

    def target(self, node: jsonschema_rs.CanonicalSchema) -> jsonschema_rs.CanonicalSchema:
        """The node a reference points to."""
        uri = view_of(node, ReferenceView).uri
        if uri == "#":
            return self.root
        target = node.definition(uri)
        if target is None:
            raise RetryDraw(f"unresolvable reference {uri}")
        return target

    def resolved(self, node: jsonschema_rs.CanonicalSchema) -> jsonschema_rs.CanonicalSchema:
        """The node, with references followed."""
        for _ in range(32):
            if node.kind is not CanonicalKind.REFERENCE:
                break
            node = self.target(node)
        return node

    def resolved_kind(self, node: jsonschema_rs.CanonicalSchema) -> CanonicalKind:
        return self.resolved(node).kind

    @staticmethod
    def is_null(node: jsonschema_rs.CanonicalSchema) -> bool:
        if node.kind is CanonicalKind.CONST:
            return view_of(node, ConstView).value is None
        return node.kind is CanonicalKind.MULTI_TYPE and view_of(node, MultiTypeView).types == ["null"]

    def validator(self, node: jsonschema_rs.CanonicalSchema) -> jsonschema_rs.Validator:
        compiled = self._validators.get(node)
        if compiled is None:
            compiled = jsonschema_rs.validator_for(json_schema_of(node), validate_formats=True)
            self._validators[node] = compiled
        return compiled

    # -- constants and combinations --------------------------------------------------------

    def _const(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        value = view_of(node, ConstView).value
        return lambda rng, state, override: _copy(value)

    def _enum(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        values = view_of(node, EnumView).values
        return lambda rng, state, override: _copy(rng.choice(values))

    def _any_of(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        """A branch: nulls now and then (containers rarely), what an override needs, small when deep."""
        branches = [
            branch
            for branch in view_of(node, AnyOfView).branches
            if self.resolved_kind(branch) is not CanonicalKind.FALSE
        ]
        if not branches:
            return unsatisfiable
        plans = [self.when_drawn(branch) for branch in branches]
        kinds = [self.resolved_kind(branch) for branch in branches]
        nulls = [index for index, branch in enumerate(branches) if self.is_null(branch)]
        values = [index for index in range(len(branches)) if index not in nulls]
        arrays = [index for index, kind in enumerate(kinds) if kind is CanonicalKind.ARRAY]
        objects = [index for index, kind in enumerate(kinds) if kind is CanonicalKind.OBJECT]
        small = nulls or [index for index, kind in enumerate(kinds) if kind not in _CONTAINERS] or values
        containers = any(kinds[index] in _CONTAINERS for index in values)
        null_rate = 1 - self.options.container_rate if containers else self.options.null_rate
        options = self.options

        def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
            if override is not None and override.size is not None and arrays:
                index = arrays[0]
            elif override is not None and override.children and objects:
                index = objects[0]
            elif state.deep(options):
                index = rng.choice(small)
            elif not values or (nulls and rng.random() < null_rate):
                index = nulls[0]
            else:
                index = rng.choice(values)
            return plans[index](rng, state, override)

        return draw

    def _one_of(self, node: jsonschema_rs.CanonicalSchema) -> Draw:
        """A branch whose value no other branch admits (checked; hypothesis when none is found)."""
        plans = [self.when_drawn(branch) for branch in view_of(node, OneOfView).branches]
        hard = self.hard(node)

        def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
            order = list(range(len(plans)))
            rng.shuffle(order)
            for index in order + order:
                try:
                    value = plans[index](rng, state, override)
                except RetryDraw:
                    continue
                if self.validator(node).is_valid(value):
                    return value
            return hard(rng, state, override)

        return draw


def _any_scalar(rng: Random, state: DrawState, override: Override | None) -> Any:
    return realistic_scalar(rng)


# What compiles each kind of node (a table of the class's functions, so that a compiler holds no
# reference to itself); every other kind (NOT, ALL_OF, TYPED_GROUP, RAW) is drawn by hypothesis.
_BUILDERS: dict[CanonicalKind, Callable[[PlanCompiler, jsonschema_rs.CanonicalSchema], Draw]] = {
    CanonicalKind.TRUE: lambda compiler, node: _any_scalar,
    CanonicalKind.FALSE: lambda compiler, node: unsatisfiable,
    CanonicalKind.CONST: PlanCompiler._const,
    CanonicalKind.ENUM: PlanCompiler._enum,
    CanonicalKind.MULTI_TYPE: lambda compiler, node: multi_type_plan(
        compiler, view_of(node, MultiTypeView).types),
    CanonicalKind.STRING: lambda compiler, node: string_plan(compiler, node, view_of(node, StringView)),
    CanonicalKind.INTEGER: lambda compiler, node: integer_plan(compiler, node, view_of(node, IntegerView)),
    CanonicalKind.NUMBER: lambda compiler, node: number_plan(compiler, node, view_of(node, NumberView)),
    CanonicalKind.OBJECT: lambda compiler, node: object_plan(compiler, node, view_of(node, ObjectView)),
    CanonicalKind.ARRAY: lambda compiler, node: array_plan(compiler, node, view_of(node, ArrayView)),
    CanonicalKind.REFERENCE: lambda compiler, node: compiler.compile(compiler.target(node)),
    CanonicalKind.ANY_OF: PlanCompiler._any_of,
    CanonicalKind.ONE_OF: PlanCompiler._one_of,
}


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value
