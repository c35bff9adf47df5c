"""The one content hash: its text is the canonical rendering, character for character."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connector.core.hashing import canonical, canonical_text, content_hash


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Empty:
    pass


@dataclass(frozen=True)
class One:
    value: Any


@dataclass(frozen=True, slots=True)
class Two:
    left: Any
    right: Any


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.dates(),
    st.datetimes(),
    st.just(Colour.RED),
    st.just(Empty()),
)
payloads = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
        inner.map(One),
        st.tuples(inner, inner).map(lambda t: Two(*t)),
    ),
    max_leaves=20,
)


@given(payloads)
def test_the_hashed_text_is_the_canonical_rendering_whatever_the_payload(payload):
    assert canonical_text(payload) == repr(canonical(payload))


def test_one_element_and_empty_sequences_render_as_python_tuples():
    assert canonical_text([]) == "()"
    assert canonical_text(("a",)) == "('a',)"
    assert canonical_text(Empty()) == "('Empty',)"
    assert canonical_text([Decimal("1.0"), date(2026, 5, 1), datetime(2026, 5, 1, 8)]) == (
        "('1.0', '2026-05-01', '2026-05-01 08:00:00')"
    )


def test_equal_content_gives_an_equal_hash_and_any_change_a_different_one():
    assert content_hash(Two(Decimal("1.00"), "x")) == content_hash(Two(Decimal("1.00"), "x"))
    assert content_hash(Two(Decimal("1.00"), "x")) != content_hash(Two(Decimal("1.0"), "x"))
