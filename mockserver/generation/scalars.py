"""Plans for scalar schemas: strings (formats, realism, patterns), integers, numbers and bare JSON types.

Where the schema leaves room, values are realistic: strings come from the provider their `format`
names (standard formats, and the `x-mock:` formats shaping writes), fitted to the length window;
numbers fall in the window shaping narrowed them to (or 0..1000), with two decimals. A string the
provider cannot produce is drawn from its `pattern` (`patterns`), and what neither can (barred values,
a pattern `patterns` cannot do) is left to hypothesis.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from random import Random
from typing import Any

import jsonschema_rs
from jsonschema_rs.canonical import IntegerView, NumberView, StringView

from mockserver.generation.draws import Compiler, Draw, DrawState, Override
from mockserver.generation.patterns import pattern_sampler
from mockserver.generation.realism import (
    MOCK_FORMAT_PREFIX,
    NUMBER_SPAN,
    fit_length,
    plausible_window,
    realistic_key,
    realistic_scalar,
)

_PATTERN_ATTEMPTS = 4


def string_plan(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: StringView) -> Draw:
    if view.content_media_types or view.content_encodings:
        return compiler.hard(node)
    known = [(name, provider) for name in view.formats if (provider := compiler.realism.provider(name))]
    standard = bool(known) and not known[0][0].startswith(MOCK_FORMAT_PREFIX)
    provider = known[0][1] if known else compiler.words
    low, high = view.min_length, view.max_length
    try:
        patterns = [re.compile(pattern) for pattern in view.patterns]
    except re.error:
        return compiler.hard(node)
    checked = bool(view.excluded or view.excluded_patterns or view.excluded_formats or len(known) > 1)
    if not standard and not patterns and not checked:
        if low is None and high is None:
            return lambda rng, state, override: provider(rng)
        return lambda rng, state, override: fit_length(provider(rng), low, high, rng)
    validator = compiler.validator(node) if checked else None
    hard = compiler.hard(node) if not patterns else _patterned(compiler, node, view, patterns, validator)

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        for _ in range(3):
            value = provider(rng)
            if not standard:
                value = fit_length(value, low, high, rng)
            elif (low is not None and len(value) < low) or (high is not None and len(value) > high):
                continue  # a format cannot be cut to length: draw another
            if patterns and not all(pattern.search(value) for pattern in patterns):
                break  # realism cannot be steered into a pattern: the pattern itself is drawn from
            if validator is None or validator.is_valid(value):
                return value
        return hard(rng, state, override)

    return draw


def _patterned(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: StringView,
               patterns: list[re.Pattern[str]], validator: jsonschema_rs.Validator | None) -> Draw:
    """A string drawn from the first pattern (checked against them all), else by hypothesis with the
    same seed: either way the draw takes one number from the random source."""
    sampler = pattern_sampler(view.patterns[0])
    low, high = view.min_length, view.max_length

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        seed = rng.getrandbits(63)
        if sampler is not None:
            local = Random(seed)
            for _ in range(_PATTERN_ATTEMPTS):
                value = sampler(local)
                if (low is None or len(value) >= low) and (high is None or len(value) <= high) \
                        and all(pattern.search(value) for pattern in patterns) \
                        and (validator is None or validator.is_valid(value)):
                    return value
        return compiler.draw_hard(node, seed)

    return draw


def integer_plan(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: IntegerView) -> Draw:
    low, high = plausible_window(view.minimum, view.maximum)  # whole numbers, kept exact (int64 bounds)
    step = 1
    for divisor in view.multiple_of:
        if Decimal(str(divisor)) != int(divisor):
            return compiler.hard(node)
        step = math.lcm(step, int(divisor))
    first, last = -(-int(low) // step), int(high) // step
    if first > last:
        return compiler.hard(node)
    barred = [Decimal(str(divisor)) for divisor in view.not_multiple_of]
    hard = compiler.hard(node)

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        for _ in range(5):
            value = rng.randint(first, last) * step
            if not any(Decimal(value) % divisor == 0 for divisor in barred):
                return value
        return hard(rng, state, override)

    return draw


def number_plan(compiler: Compiler, node: jsonschema_rs.CanonicalSchema, view: NumberView) -> Draw:
    if len(view.multiple_of) > 1:
        return compiler.hard(node)
    low, high = plausible_window(_float(view.minimum), _float(view.maximum))
    low_open, high_open = view.exclusive_minimum, view.exclusive_maximum
    barred = [Decimal(str(divisor)) for divisor in view.not_multiple_of]
    no_integers = view.excludes_integers
    hard = compiler.hard(node)

    def acceptable(value: float) -> bool:
        if (value <= low if low_open else value < low) or (value >= high if high_open else value > high):
            return False
        if no_integers and float(value).is_integer():
            return False
        return not any(Decimal(str(value)) % divisor == 0 for divisor in barred)

    if view.multiple_of:
        step = Decimal(str(view.multiple_of[0]))
        first, last = math.ceil(Decimal(str(low)) / step), math.floor(Decimal(str(high)) / step)
        if first > last:
            return hard

        def draw_multiple(rng: Random, state: DrawState, override: Override | None) -> Any:
            for _ in range(5):
                value = float(rng.randint(first, last) * step)
                if acceptable(value):
                    return value
            return hard(rng, state, override)

        return draw_multiple

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        for _ in range(5):
            value = rng.uniform(low, high)
            if acceptable(round(value, 2)):
                return round(value, 2)  # prices and measures have two decimals
            if acceptable(value):
                return value
        return hard(rng, state, override)

    return draw


def bare_plan(compiler: Compiler, type_name: str) -> Draw:
    """A plausible value of a JSON type the schema says nothing more about."""
    words = compiler.words
    if type_name == "string":
        return lambda rng, state, override: words(rng)
    if type_name == "integer":
        return lambda rng, state, override: rng.randint(0, NUMBER_SPAN)
    if type_name == "number":
        return lambda rng, state, override: round(rng.uniform(0, NUMBER_SPAN), 2)
    if type_name == "boolean":
        return lambda rng, state, override: rng.random() < 0.5
    if type_name == "null":
        return lambda rng, state, override: None
    if type_name == "array":
        return lambda rng, state, override: [words(rng) for _ in range(rng.randint(0, 3))]
    low, high = compiler.options.free_properties
    return lambda rng, state, override: {
        realistic_key(rng): realistic_scalar(rng) for _ in range(rng.randint(low, high))
    }


def multi_type_plan(compiler: Compiler, types: list[str]) -> Draw:
    """`type: [a, b, ...]`: one of the types, null only now and then."""
    nullable = "null" in types and len(types) > 1
    others = [name for name in types if name != "null"] or types
    null_rate = compiler.options.null_rate
    plans = {name: bare_plan(compiler, name) for name in others}

    def draw(rng: Random, state: DrawState, override: Override | None) -> Any:
        if nullable and rng.random() < null_rate:
            return None
        return plans[rng.choice(others)](rng, state, override)

    return draw


def _float(value: int | float | Decimal | None) -> float | None:
    return None if value is None else float(value)
