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


# ------------------------------------------------------------------ the catalogue itself


def _fields(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_has_finnish_and_english_with_the_same_fields() -> None:
    for key, forms in MESSAGES.items():
        assert set(forms) == {"fi", "en"}, key
        assert forms["fi"].strip() and forms["en"].strip(), key
        assert _fields(forms["fi"]) == _fields(forms["en"]), key
        if key.endswith("#one"):
            assert key.removesuffix("#one") in MESSAGES, f"{key}: a singular with no plural"


def test_every_reason_worded_in_english_is_recognised_and_shown_in_finnish() -> None:
    """A reason is stored in English (the ledger, JSON, logs); a person reads it in the
    configured language: every template must be recognised from its own rendering."""
    from connector.core.reasons import REASONS
    from connector.texts.i18n import _recognise

    for key, forms in REASONS.items():
        fields = {name: f"<{name}>" for name in _fields(forms["en"])}
        if "count" in fields:
            fields["count"] = "1" if key.endswith("#one") else "7"
        found = _recognise(forms["en"].format(**fields))
        assert found is not None, key
        assert found[0] == key.removesuffix("#one"), (key, found)
        assert found[1] == fields, key
        shown = Texts("fi").text(forms["en"].format(**fields))
        assert shown != forms["en"].format(**fields) or forms["fi"] == forms["en"], key


def test_a_quarantine_reason_is_shown_with_finnish_numbers_dates_and_words() -> None:
    from connector.core.reasons import reason

    fi, en = Texts("fi"), Texts("en")
    over = reason(
        "over_grant",
        excess=Decimal("2.5"),
        unit="h",
        task="T9203",
        voucher="VK-1",
        grant=reason("whole_validity"),
    )
    assert over.startswith("2.5 h of task T9203 exceed the quantity granted")  # as stored
    assert fi.text(over) == (
        "tehtävän T9203 2,5 h ylittää palvelusetelin VK-1 myöntämän määrän "
        "(koko voimassaoloaika): pidätetty järjestäjän tarkastettavaksi"
    )
    assert en.text(over) == over
    outside = reason("outside_validity_ended", task="T1", day=date(2026, 4, 3), vouchers="V1")
    assert fi.text(outside).startswith("tehtävän T1 työ päivänä 3.4.2026 on")
    assert "(asiakkuus on päättynyt)" in fi.text(outside)
    # an older ledger's wording, or Netvisor's own message, is shown as stored
    assert fi.text("Asiakasta ei löydy") == "Asiakasta ei löydy"
    assert fi.text(None) == ""


def test_a_problem_nests_a_reason_and_each_is_translated() -> None:
    from connector.core.reasons import reason

    problem = reason(
        "held_for_person", key="inv:2026-04:C1", why=reason("edit_unclear"), netvisor_key="7"
    )
    assert Texts("fi").text(problem) == (
        "inv:2026-04:C1: Netvisorin lasku ei vastaa lähetettyä eikä sitä edeltänyttä versiota "
        "(NetvisorKey 7); pidätetty ihmisen ratkaistavaksi"
    )


def test_one_is_singular_and_more_is_plural() -> None:
    fi, en = Texts("fi"), Texts("en")
    assert fi.n("record", 1) == "1 tietue" and fi.n("record", 2) == "2 tietuetta"
    assert fi.n("request", 1) == "1 pyyntö" and fi.n("request", 0) == "0 pyyntöä"
    assert en.n("record", 1) == "1 record" and en.n("record", 3) == "3 records"
    assert fi("withheld.review", count=1) == "1 rivi järjestäjän tarkastettavana"
    assert fi("withheld.review", count=4) == "4 riviä järjestäjän tarkastettavana"


def test_codes_are_words_for_people_and_unknown_codes_stay() -> None:
    fi = Texts("fi")
    assert fi.code("state", "sent") == "lähetetty"
    assert fi.code("status", "partial") == "osittain"
    assert fi.code("kind", "task") == "tehtävä"
    assert fi.code("state", "something-new") == "something-new"
    assert Texts("en").code("state", "sent") == "sent"


def test_no_rule_words_its_reason_outside_the_catalogue() -> None:
    """Every ``Quarantined(kind, id, rule, reason)`` in the connector gets its reason from the
    catalogue (connector/core/reasons.py), never from a literal or an f-string."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "connector"
    literal = []
    for path in root.rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Quarantined"
                and len(node.args) >= 4
                and isinstance(node.args[3], ast.JoinedStr | ast.Constant)
            ):
                literal.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not literal, literal


def test_the_run_summary_prints_each_problem_once_in_the_configured_language() -> None:
    import io

    from connector.core.reasons import reason
    from connector.sync.report import RunReport, print_summary

    problem = reason(
        "held_for_person", key="inv:2026-04:C1", why=reason("edit_unclear"), netvisor_key="7"
    )
    report = RunReport(command="sync", language="fi", today=date(2026, 5, 2))
    report.problems += [problem, problem]
    out = io.StringIO()
    print_summary(report, out=out)
    text = out.getvalue()
    assert text.count("pidätetty ihmisen ratkaistavaksi") == 1
    assert "held for a person" not in text and "päivämäärä 2.5.2026" in text
    assert "(0 pyyntöä, 0 kirjoitusta)" in text


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(
        min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=3, allow_nan=False
    ),
    st.sampled_from(["fi", "en"]),
)
def test_a_quantity_is_babels_text_character_for_character(value: Decimal, language: str) -> None:
    from babel.numbers import format_decimal

    t = Texts(language)  # type: ignore[arg-type]
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    fmt = "#,##0" + ("." + "0" * places if places else "")
    expected = format_decimal(value, format=fmt, locale=t.locale, decimal_quantization=False)
    assert t.quantity(value) == expected
