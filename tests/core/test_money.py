"""Money: Decimal end to end, half up to cents per line, the document total is the sum of lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.core.money import (
    format_comma,
    format_eur,
    line_amount,
    round_money,
    to_decimal,
    total,
)

D = Decimal


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.005", "0.01"),  # half a cent goes up, not to even
        ("0.015", "0.02"),
        ("0.025", "0.03"),  # banker's rounding would give 0.02
        ("2.675", "2.68"),  # the classic float trap: as a float this is 2.67499999...
        ("0.004999", "0.00"),
        ("12.344", "12.34"),
        ("12.345", "12.35"),
        ("-0.005", "-0.01"),  # half up means away from zero for negatives (credit notes)
        ("-0.025", "-0.03"),
        ("-12.344", "-12.34"),
        ("-12.345", "-12.35"),
        ("100", "100.00"),
        ("0", "0.00"),
    ],
)
def test_round_money_rounds_half_up_away_from_zero(amount: str, rounded: str) -> None:
    result = round_money(D(amount))
    assert result == D(rounded)
    assert result.as_tuple().exponent == -2, "always exactly two decimals"


def test_round_money_refuses_float_and_int() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        round_money(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_money(1)  # type: ignore[arg-type]


def test_a_credit_line_is_the_mirror_of_its_invoice_line() -> None:
    for text in ("0.005", "1.115", "25.505", "33.333"):
        assert round_money(-D(text)) == -round_money(D(text))


# -- lines and totals ------------------------------------------------------------------------


def test_one_and_a_half_hours_at_45_euros_is_67_50() -> None:
    assert line_amount(D("1.5"), D("45.00")) == D("67.50")


def test_line_amount_rounds_the_product_half_up() -> None:
    # 0.25 h x 12.34 €/h = 3.085 € -> 3.09 € (not 3.08)
    assert line_amount(D("0.25"), D("12.34")) == D("3.09")
    # 3 x 0.335 € = 1.005 € -> 1.01 €
    assert line_amount(D("3"), D("0.335")) == D("1.01")


def test_a_negative_quantity_gives_a_credit_line() -> None:
    assert line_amount(D("-0.25"), D("12.34")) == D("-3.09")


def test_document_total_is_the_sum_of_rounded_lines_not_the_rounded_sum() -> None:
    # Three lines of 1/3 hour at 10 €/h: each 3.333... -> 3.33; total 9.99, not 10.00.
    lines = [line_amount(D(1) / D(3), D("10.00")) for _ in range(3)]
    assert lines == [D("3.33")] * 3
    assert total(lines) == D("9.99")


def test_total_of_no_lines_is_zero_euros_with_cents() -> None:
    result = total([])
    assert result == 0
    assert str(result) == "0.00"


def test_total_accepts_a_generator_and_mixed_signs() -> None:
    assert total(x for x in [D("25.00"), D("-15.00"), D("0.50")]) == D("10.50")


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.50", "12.50"),
        ("12,50", "12.50"),  # Finnish decimal comma
        ("  12,50 ", "12.50"),
        ("1 234,50", "1234.50"),  # thousands separated by a space
        ("1\u00a0234,50", "1234.50"),  # ... or by a no-break space
        ("-3,09", "-3.09"),
        ("0", "0"),
    ],
)
def test_to_decimal_reads_dot_and_comma_forms(text: str, value: str) -> None:
    result = to_decimal(text)
    assert isinstance(result, Decimal)
    assert result == D(value)


def test_to_decimal_keeps_the_written_precision() -> None:
    assert str(to_decimal("12,50")) == "12.50"


def test_to_decimal_passes_int_and_decimal_through() -> None:
    assert to_decimal(7) == D(7)
    assert isinstance(to_decimal(7), Decimal)
    d = D("1.005")
    assert to_decimal(d) is d


@pytest.mark.parametrize("bad", [12.5, 0.1, True, False])
def test_to_decimal_refuses_floats_and_bools(bad: object) -> None:
    with pytest.raises(TypeError, match="float"):
        to_decimal(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "abc", "12,50 €", "1.234,50", "NaN", "Infinity", "-inf"])
def test_to_decimal_refuses_text_that_is_not_a_finite_number(bad: str) -> None:
    with pytest.raises(ValueError, match="decimal"):
        to_decimal(bad)


# -- formatting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "places", "text"),
    [
        ("1234.5", 2, "1234,50"),  # no thousands separator for Netvisor
        ("0.005", 2, "0,01"),
        ("-3.085", 2, "-3,09"),
        ("-0.004", 2, "0,00"),  # never "-0,00"
        ("-0", 2, "0,00"),
        ("1.5", None, "1,5"),  # quantities keep their own exponent
        ("2", None, "2"),
        ("0.125", 1, "0,1"),
        ("0.15", 1, "0,2"),
        ("25.5", 0, "26"),
    ],
)
def test_format_comma(amount: str, places: int | None, text: str) -> None:
    assert format_comma(D(amount), places) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "0,00 €"),
        ("0.5", "0,50 €"),
        ("25", "25,00 €"),
        ("999.994", "999,99 €"),
        ("999.995", "1 000,00 €"),
        ("1234.5", "1 234,50 €"),
        ("1234567.891", "1 234 567,89 €"),
        ("-15", "-15,00 €"),
        ("-1234.5", "-1 234,50 €"),
    ],
)
def test_format_eur_for_people(amount: str, text: str) -> None:
    assert format_eur(D(amount)) == text


def test_format_eur_never_prints_minus_zero() -> None:
    # -0.004 € rounds to zero: a person must not see "-0,00 €".
    assert format_eur(D("-0.004")) == "0,00 €"
    assert format_eur(D("-0")) == "0,00 €"


# -- properties ------------------------------------------------------------------------------

cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: D(n).scaleb(-2))
amounts = st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=6, allow_nan=False)


@given(amounts)
def test_rounding_moves_an_amount_by_at_most_half_a_cent(amount: Decimal) -> None:
    rounded = round_money(amount)
    assert abs(rounded - amount) <= D("0.005")
    assert rounded.as_tuple().exponent == -2
    assert round_money(rounded) == rounded  # idempotent


@given(amounts)
def test_rounding_is_symmetric_around_zero(amount: Decimal) -> None:
    assert round_money(-amount) == -round_money(amount)


@given(st.lists(cents, max_size=30))
def test_total_of_whole_cents_is_exact(lines: list[Decimal]) -> None:
    assert total(lines) == sum(lines, D(0))


@given(cents)
def test_format_comma_round_trips_through_to_decimal(amount: Decimal) -> None:
    text = format_comma(amount)
    assert "." not in text
    assert to_decimal(text) == amount


@given(cents)
def test_format_eur_round_trips_through_to_decimal(amount: Decimal) -> None:
    text = format_eur(amount)
    assert text.endswith(" €")
    assert to_decimal(text.removesuffix(" €")) == amount
