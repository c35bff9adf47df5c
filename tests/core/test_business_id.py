"""The Y-tunnus check, held to python-stdnum's ``fi.ytunnus`` (the tests' oracle)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fi import ytunnus

from connector.core.business_id import business_id, check_digit, is_valid


def _stdnum(value: str) -> str | None:
    try:
        return ytunnus.format(ytunnus.validate(value))
    except Exception:  # stdnum's ValidationError family
        return None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2077474-0", "2077474-0"),
        ("20774740", "2077474-0"),
        (" 2077474 - 0 ", "2077474-0"),
        ("FI20774740", "2077474-0"),  # the VAT number's form
        ("2077474\u20130", "2077474-0"),  # an en dash from a word processor
        ("2077474\xa0-\xa00", "2077474-0"),
        ("2077474-1", None),  # wrong check digit
        ("207747-40", "2077474-0"),  # dashes are dropped anywhere, as stdnum does
        ("2077474", None),
        ("20774740 x", None),
        ("", None),
    ],
)
def test_the_forms_people_write(written, expected):
    assert business_id(written) == expected == _stdnum(written)
    assert is_valid(written) is (expected is not None)


def test_every_base_has_the_check_digit_stdnum_accepts_or_none_at_all():
    for n in range(0, 10_000_000, 7_919):
        base = f"{n:07d}"
        digit = check_digit(base)
        valid = [d for d in range(10) if ytunnus.is_valid(f"{base}-{d}")]
        assert valid == ([] if digit is None else [digit]), base


_PIECES = st.sampled_from(
    [*"0123456789", " ", "-", "\u2013", "\u2212", "\xa0", "\t", "FI", "fi", "\uff11", "x"]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, min_size=6, max_size=12).map("".join))
def test_any_text_gets_the_same_answer_as_stdnum(text):
    assert business_id(text) == _stdnum(text)


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 9_999_999), st.sampled_from(["-", "", " - ", "\u2013"]))
def test_any_valid_number_in_any_spelling_is_taken(n, dash):
    base = f"{n:07d}"
    digit = check_digit(base)
    written = f"{base}{dash}{0 if digit is None else digit}"
    assert business_id(written) == _stdnum(written)
