"""The building blocks of datasets: predicates, cursors and template formats, on their own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.datasets.cursors import Cursor, decode_cursor, encode_cursor
from mockserver.datasets.predicates import PredicateError, parse_predicate
from mockserver.datasets.templates import RenderValues, compile_template, decimal_text

RECORD = {"amount": 1500, "status": "issued", "voided_at": None, "line_items": {"total": 20}, "ok": True}


@pytest.mark.parametrize(
    ("source", "holds"),
    [
        ("amount > 0", True),
        ("amount >= 1500", True),
        ("amount < 1500", False),
        ("status == issued", True),
        ('status == "issued"', True),
        ("status != void", True),
        ("status in [issued, partially_applied]", True),
        ("status not in [issued]", False),
        ("voided_at == null", True),
        ("ok == true", True),
        ("line_items.total <= 20", True),
        ("missing > 0", False),  # absent fields compare as null: never ordered
        ("status > 5", False),  # a string and a number are never ordered
    ],
)
def test_predicates_read_like_they_are_written(source, holds):
    assert parse_predicate(source)(RECORD) is holds


@pytest.mark.parametrize("source", ["amount is positive", "amount >", "> 3", "status in issued",
                                    "amount > [1]"])
def test_unreadable_predicates_say_so(source):
    with pytest.raises(PredicateError):
        parse_predicate(source)


@given(st.integers(min_value=-1, max_value=10**12), st.booleans())
def test_cursors_round_trip(position, forward):
    cursor = Cursor(position, forward)
    assert decode_cursor(encode_cursor(cursor)) == cursor


@given(st.text(max_size=40))
def test_any_text_decodes_to_a_cursor_or_none(text):
    assert decode_cursor(text) is None or isinstance(decode_cursor(text), Cursor)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=6))
def test_decimal_format_is_the_integer_scaled(value, places):
    rendered = decimal_text(value, places)
    assert Decimal(rendered) == Decimal(value).scaleb(-places)
    assert len(rendered.partition(".")[2]) == places


def test_cents_render_as_dollars():
    template, errors = compile_template({"d": {"$sum": "amount", "as": "decimal:2"}, "n": {"$count": True}})
    assert errors == []
    rendered = template.render(RenderValues(selected=[{"amount": 15000}, {"amount": 5}], answered=[]))
    assert rendered == {"d": "150.05", "n": 2}


@pytest.mark.parametrize(
    ("template", "pointer"),
    [
        ({"a": {"$nope": 1}}, "/a/$nope"),
        ({"a": [{"$page": "pages"}]}, "/a/0/$page"),
        ({"a": {"$sum": "x", "as": "money"}}, "/a/as"),
        ({"a": {"$sum": "x", "extra": 1}}, "/a"),
        ({"a": {"$param": ""}}, "/a/$param"),
    ],
)
def test_template_mistakes_are_located(template, pointer):
    _, errors = compile_template(template)
    assert [error.pointer for error in errors] == [pointer]
