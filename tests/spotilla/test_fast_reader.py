"""The fast reader of ordinary tasks agrees with the general way (clean, then pydantic).

``api.read_task`` either returns the very task the general way builds -- the same texts, the
same Decimals down to their exponent, the same dates and instants with the same offsets -- or
declines (``None``) and leaves the record to the general way, which decides every quarantine,
cut and odd form. These tests feed both ways ordinary, odd and hostile records and compare.
"""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.core.domain import Period, Quarantined
from connector.sandbox.spotilla import SpotillaSandbox
from connector.spotilla import api
from connector.spotilla.api import general

ROW = {"product_code": "MATKA-KM", "quantity": "23", "unit_price": "0.59", "description": "Ajo"}
HOUR = {"product_code": "SIIVOUS-H", "hours": "2.25", "date": "2026-10-12"}
TASK = {
    "id": "T00042",
    "collection_id": "L0007",
    "spot_id": None,
    "title": "Siivous",
    "status": "completed",
    "completed_at": "2026-10-12T10:15:00+03:00",
    "order_number": "TIL-2026-0042",
    "rows": [ROW],
    "hours": [HOUR],
    "updated_at": "2026-10-12T11:15:00+03:00",
}

TEXTS = [
    None, "", " ", "x", "T 1", "Lisätyö, sovittu hinta", "a\tb", "a\r\nb", 12, 1.5, True, [], {},
    "a\x00b", "a\x1bb", "a\x7f", "a\x85b", "a\x9f", "\ud800", "a\udfffb", "\ufffe", "\uffff",
    "x" * 500, "x" * 501, "ä" * 501, "١٢", "\u00a0", "\u2028",
]  # fmt: skip
NUMBERS = [
    "1", "1.5", "-3.5", "0", "-0", "0.00", "1.0", "1,5", " 2", "2 ", "+1", "1e3", "1E-30", "1E+2",
    "1000000", "-1000000", "1000001", "999999.99", "1000", "1001", "-1000", "1000.0000000001",
    "0.0000000001", "0.00000000001", "1234567.1", "12345678", "NaN", "-Infinity", "", " ", None,
    2, 2.5, True, 10**50, "١", "1.", ".5", "007", "1_000", "1\x00", [], {},
]  # fmt: skip
DATES = [
    "2026-03-09", "2026-02-30", "2026-13-01", "0000-01-01", "2026-3-9", "2026-03-09T00:00:00",
    "2026-03-09T00:00:00Z", "20260309", 1700000000, "1700000000", "", None, "2026-W10-1",
    "2026-03-09 ", "٢٠٢٦-٠٣-٠٩", "2024-02-29", "9999-12-31", [],
]  # fmt: skip
MOMENTS = [
    None, "", "2026-03-10T10:00:00Z", "2026-03-10T10:00:00+02:00", "2026-03-10T10:00:00-00:00",
    "2026-03-10T10:00:00.123+02:00", "2026-03-10T10:00:00.123456+02:00",
    "2026-03-10T10:00:00.1234567+02:00", "2026-03-10T10:00:00.1+02:00", "2026-03-10T10:00:00",
    "2026-03-10 10:00:00+02:00", "2026-03-10t10:00:00z", "2026-03-10T24:00:00+02:00",
    "2026-03-10T23:59:60+02:00", "2026-03-10T10:00:00+23:59", "2026-03-10T10:00:00+24:00",
    "2026-03-10T10:00:00+14:00", "2026-03-10T10:00:00+02:60", "2026-03-10T10:00+02:00",
    "2026-03-10", "1700000000", 1700000000, 1.7e9, "2026-02-29T10:00:00Z", "2024-02-29T10:00:00Z",
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2026-03-10T10:00:00+0200",
    "20260310T100000+02:00", "2026-03-10T10:00:00 +02:00",
]  # fmt: skip
ODD = [None, "", "x", 1, [], {}, [None], [1], ["x"], [[]], [{}], ({"a": 1},)]
EXTRAS = [
    {"hetu": "010101-999X"},
    {"henkilötunnus": "x\ud800"},
    {"personal_id": [[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]},
    {"tags": ["a", {"b": 1, "c": None, "d": 1.5}]},
    {"extra": "\ud800"},
    {"extra": "a\x00b"},
    {"extra": {"id": "x\x00"}},
    {"ext\x00ra": 1},
    {"ext\ud800ra": 1},
    {"sta\x00tus": "cancelled"},
    {"deep": [[[[[[[[[[[[[["x"]]]]]]]]]]]]]]},
    {"deep": [[[[[[[[[["x"]]]]]]]]]]},
    {"nested": {"a": {"b": {"c": "ä"}}}},
    {1: "x"},
]


def nested(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


# exactly at and just past MAX_RECORD_DEPTH, for an unknown field of the task (the field's
# value sits at depth 2) and of a row (depth 4)
DEPTHS = [{"junk": nested(n)} for n in range(8, 14)]


def signature(value: Any) -> Any:
    """Everything equality overlooks: Decimal exponents, offsets, exact types."""
    if isinstance(value, api.Task | api.TaskRow | api.HourRow):
        parts = ((f.name, signature(getattr(value, f.name))) for f in fields(value))
        return (type(value).__name__, *parts)
    if isinstance(value, list):
        return ("list", tuple(signature(v) for v in value))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    if isinstance(value, date):
        return ("date", value.isoformat())
    if isinstance(value, Quarantined):
        return ("Quarantined", value)
    return (type(value).__name__, value)


def both_ways(raw: Any) -> tuple[Any, Any]:
    return api.read_task(raw), general._validate_record(api.Task, raw)


def assert_agree(raw: Any) -> bool:
    """The fast reader declines or builds what the general way builds; True when it read."""
    fast, general = both_ways(raw)
    if fast is None:
        return False
    assert isinstance(general, api.Task), (raw, general)
    assert signature(fast) == signature(general), raw
    assert api.parse_record(api.Task, raw) == general
    return True


def mutations() -> list[Any]:
    out: list[Any] = [TASK, [], "T1", None]
    for key, values in [
        ("id", TEXTS),
        ("collection_id", TEXTS),
        ("spot_id", TEXTS),
        ("title", TEXTS),
        ("status", TEXTS),
        ("order_number", TEXTS),
        ("completed_at", MOMENTS),
        ("updated_at", MOMENTS),
        ("rows", ODD),
        ("hours", ODD),
    ]:
        for value in values:
            out.append({**TASK, key: value})
        out.append({k: v for k, v in TASK.items() if k != key})
    for key, values in [
        ("product_code", TEXTS),
        ("quantity", NUMBERS),
        ("unit_price", NUMBERS),
        ("description", TEXTS),
    ]:
        for value in values:
            out.append({**TASK, "rows": [ROW, {**ROW, key: value}]})
        out.append({**TASK, "rows": [{k: v for k, v in ROW.items() if k != key}]})
    for key, values in [("product_code", TEXTS), ("hours", NUMBERS), ("date", DATES)]:
        for value in values:
            out.append({**TASK, "hours": [{**HOUR, key: value}, HOUR]})
        out.append({**TASK, "hours": [{k: v for k, v in HOUR.items() if k != key}]})
    for extra in EXTRAS + DEPTHS:
        out.append({**TASK, **extra})
        out.append({**TASK, "rows": [{**ROW, **extra}]})
        out.append({**TASK, "hours": [{**HOUR, **extra}]})
    return out


@pytest.mark.parametrize("raw", mutations())
def test_an_odd_or_hostile_task_is_read_as_the_general_way_reads_it(raw):
    assert_agree(raw)


def test_the_ordinary_tasks_of_a_generated_register_all_take_the_fast_way():
    sandbox = SpotillaSandbox.generated(
        seed=3, customers=20, leaves=60, months=[Period(2026, 9), Period(2026, 10)]
    )
    tasks = sandbox.snapshot()["tasks"]
    ordinary = [t for t in tasks if not str(t["id"]).startswith("T9")]
    assert len(ordinary) > 100
    assert all(assert_agree(raw) for raw in ordinary)
    for raw in tasks:  # the planted bad records too: declined, or read the same
        assert_agree(raw)


def test_the_fast_way_reads_what_it_vouches_for_and_shares_repeated_values():
    a, b = api.read_task(TASK), api.read_task({**TASK, "id": "T2"})
    assert a is not None and b is not None
    assert a.status is b.status and a.collection_id is b.collection_id
    assert a.rows[0].quantity is b.rows[0].quantity and a.hours[0].date is b.hours[0].date
    assert a.rows[0].product_code is b.rows[0].product_code
    assert a.completed_at is not None and b.completed_at is not None
    assert a.completed_at.tzinfo is b.completed_at.tzinfo  # one zone per offset


def test_nesting_right_at_the_limit_is_read_fast_and_one_level_more_is_left_to_the_door():
    assert api.MAX_RECORD_DEPTH == 12
    assert assert_agree({**TASK, "junk": nested(11)})  # innermost list at depth 12
    assert api.read_task({**TASK, "junk": nested(12)}) is None
    assert api.parse_record(api.Task, {**TASK, "junk": nested(12)}).rule == "too_deep"
    assert assert_agree({**TASK, "rows": [{**ROW, "junk": nested(9)}]})
    assert api.parse_record(api.Task, {**TASK, "rows": [{**ROW, "junk": nested(10)}]}).rule == (
        "too_deep"
    )


def test_a_truncation_or_a_quarantine_is_never_the_fast_ways_to_make():
    long_text = {**TASK, "rows": [{**ROW, "description": "d" * 600}]}
    control = {**TASK, "title": "Sii\x00vous"}
    for raw in (long_text, control, {**TASK, "id": "T\ud800"}, {**TASK, "rows": [{}]}):
        assert api.read_task(raw) is None


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(NUMBERS[:30] + MOMENTS[:20] + DATES[:12]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["id", "collection_id", "status", "title", "completed_at", "x", "hetu"]),
        _scalars,
    ),
    st.lists(
        st.dictionaries(
            st.sampled_from(["product_code", "quantity", "unit_price", "description", "date"]),
            _scalars,
        ),
        max_size=3,
    ),
)
def test_any_record_is_read_the_same_both_ways(top, rows):
    raw = {**TASK, **top, "rows": [{**ROW, **r} for r in rows]}
    assert_agree(raw)
    assert_agree({**TASK, **top, "hours": [{**HOUR, **r} for r in rows]})


def test_random_mixes_of_odd_fields_are_read_the_same_both_ways():
    rng = random.Random(13)
    pool = mutations()[4:]
    for _ in range(500):
        raw: dict[str, Any] = dict(TASK)
        for other in rng.sample(pool, 3):
            if isinstance(other, dict):
                raw.update(other)
        assert_agree(raw)


def test_a_key_that_is_not_text_is_ignored_like_any_unknown_field_but_its_value_is_checked():
    task = api.parse_record(api.Task, {**TASK, 1: "x", "rows": [{**ROW, 2: None}]})
    assert isinstance(task, api.Task) and task.rows[0].quantity == Decimal(23)
    bad = api.parse_record(api.Task, {**TASK, 1: "x\ud800"})
    assert isinstance(bad, Quarantined) and bad.rule == "invalid_text"
