"""People read Finnish by default: d.M.yyyy dates, ``1 234,56 €`` amounts, decimal commas,
Helsinki time; ``language = "en"`` keeps English. Wire formats are not touched here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.texts.i18n import MESSAGES, Texts, message, texts

NBSP = "\u00a0"


def test_an_amount_in_finnish_has_a_decimal_comma_and_no_break_spaces() -> None:
    assert Texts("fi").money(Decimal("1234.56")) == f"1{NBSP}234,56{NBSP}€"


def test_an_amount_is_rounded_half_up_to_cents_and_never_shows_minus_zero() -> None:
    fi = Texts("fi")
    assert fi.money(Decimal("0.005")) == f"0,01{NBSP}€"
    assert fi.money(Decimal("-0.001")) == f"0,00{NBSP}€"
    assert fi.money(Decimal("-1234.5")) == f"-1{NBSP}234,50{NBSP}€"


def test_english_keeps_english_amounts_and_iso_dates() -> None:
    en = Texts("en")
    assert en.money(Decimal("1234.56")) == "€1,234.56"
    assert en.date(date(2026, 1, 5)) == "2026-01-05"
    assert en("plan.nothing").startswith("Nothing to do")


def test_a_finnish_date_is_day_month_year_without_leading_zeros() -> None:
    assert Texts("fi").date(date(2026, 1, 5)) == "5.1.2026"


def test_a_quantity_keeps_its_own_decimals_with_a_comma() -> None:
    fi = Texts("fi")
    assert fi.quantity(Decimal("1.5")) == "1,5"
    assert fi.quantity(Decimal("2.25")) == "2,25"
    assert fi.quantity(Decimal("3")) == "3"


def test_a_utc_moment_is_shown_in_helsinki_time() -> None:
    # 22:30 UTC on 5 January is 00:30 on 6 January in Helsinki (UTC+2 in winter)
    assert Texts("fi").datetime("2026-01-05T22:30:00+00:00") == "6.1.2026 0.30"
    assert Texts("en").datetime("2026-07-01T09:00:00") == "2026-07-01 12:00"  # summer: UTC+3


def test_every_message_has_finnish_and_english() -> None:
    for key, by_language in MESSAGES.items():
        assert set(by_language) == {"fi", "en"}, key


def test_a_message_fills_its_fields() -> None:
    assert message("report.title", "fi", run=7) == "Ajoraportti 7"


@pytest.mark.parametrize("configured", [None, "sv", ""])
def test_an_unknown_language_falls_back_to_finnish(configured) -> None:
    assert texts(configured).language == "fi"


@settings(max_examples=400, deadline=None)
@given(
    amount=st.decimals(min_value=-(10**10), max_value=10**10, places=3, allow_nan=False),
    language=st.sampled_from(["fi", "en"]),
)
def test_money_is_babels_text_character_for_character(amount, language) -> None:
    from babel.numbers import format_currency

    from connector.core.money import round_money
    from connector.texts.i18n import _LOCALE

    rounded = round_money(amount)
    expected = format_currency(
        abs(rounded) if rounded == 0 else rounded, "EUR", locale=_LOCALE[language]
    )
    assert Texts(language).money(amount) == expected
