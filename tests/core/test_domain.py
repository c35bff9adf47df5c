"""Billing periods: calendar months in Europe/Helsinki, whatever the clock says in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.core.domain import HELSINKI, BillingCustomer, CustomerType, Period


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# -- parse / str -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-04", " 2026-04 ", "2026-04\n"])
def test_parse_reads_year_and_month(text: str) -> None:
    assert Period.parse(text) == Period(2026, 4)


@pytest.mark.parametrize(
    "text", ["2026-4", "26-04", "2026/04", "2026-13", "2026-00", "2026-04-01", "april", "", "-"]
)
def test_parse_refuses_anything_but_yyyy_mm(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM") as info:
        Period.parse(text)
    assert repr(text) in str(info.value), "the message quotes what was given"


def test_period_prints_as_yyyy_mm_and_round_trips() -> None:
    assert str(Period(2026, 4)) == "2026-04"
    assert str(Period(1999, 12)) == "1999-12"
    assert Period.parse(str(Period(2031, 1))) == Period(2031, 1)


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (1899, 12), (10000, 1)])
def test_impossible_periods_are_refused(year: int, month: int) -> None:
    with pytest.raises(ValueError, match="not a valid period"):
        Period(year, month)


def test_periods_order_chronologically_and_are_hashable() -> None:
    assert Period(2025, 12) < Period(2026, 1) < Period(2026, 2)
    assert sorted([Period(2026, 3), Period(2025, 11), Period(2026, 1)]) == [
        Period(2025, 11),
        Period(2026, 1),
        Period(2026, 3),
    ]
    assert len({Period(2026, 1), Period.parse("2026-01")}) == 1


# -- next / prev -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "following"),
    [
        ("2026-01", "2026-02"),
        ("2026-11", "2026-12"),
        ("2026-12", "2027-01"),
        ("1999-12", "2000-01"),
    ],
)
def test_next_and_prev_cross_year_ends(period: str, following: str) -> None:
    assert Period.parse(period).next() == Period.parse(following)
    assert Period.parse(following).prev() == Period.parse(period)


@given(st.integers(1900 * 12 + 1, 9998 * 12))
def test_next_and_prev_are_inverse_and_step_one_month(index: int) -> None:
    p = Period(index // 12, index % 12 + 1)
    assert p.next().prev() == p
    assert p.prev().next() == p
    assert p.prev() < p < p.next()
    assert p.next().first_day == p.last_day + timedelta(days=1)


# -- first/last day, start/end ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "last"),
    [
        ("2026-01", date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 29)),  # leap year
        ("2000-02", date(2000, 2, 29)),  # divisible by 400
        ("2100-02", date(2100, 2, 28)),  # divisible by 100, not 400
        ("2026-04", date(2026, 4, 30)),
        ("2026-12", date(2026, 12, 31)),
    ],
)
def test_month_ends(period: str, last: date) -> None:
    p = Period.parse(period)
    assert p.first_day == date(p.year, p.month, 1)
    assert p.last_day == last


def test_start_and_end_are_helsinki_midnights() -> None:
    january = Period(2026, 1)
    assert january.start == datetime(2026, 1, 1, tzinfo=HELSINKI)
    assert january.start.utcoffset() == timedelta(hours=2)  # EET in winter
    assert january.start.astimezone(UTC) == utc("2025-12-31T22:00:00")
    assert january.end == Period(2026, 2).start

    july = Period(2026, 7)
    assert july.start.utcoffset() == timedelta(hours=3)  # EEST in summer
    assert july.start.astimezone(UTC) == utc("2026-06-30T21:00:00")


def test_march_is_an_hour_short_and_october_an_hour_long() -> None:
    # Clocks go forward on the last Sunday of March and back on the last Sunday of October.
    # (Subtract in UTC: Python subtracts same-zone aware datetimes as wall-clock times.)
    def length(p: Period) -> timedelta:
        return p.end.astimezone(UTC) - p.start.astimezone(UTC)

    assert length(Period(2026, 3)) == timedelta(days=31, hours=-1)
    assert length(Period(2026, 10)) == timedelta(days=31, hours=1)
    assert length(Period(2026, 1)) == timedelta(days=31)


# -- of / contains: a moment belongs to the Helsinki month it falls in -----------------------


def test_half_past_nine_pm_utc_on_march_31_is_already_april_in_helsinki() -> None:
    # 2026-03-31T21:30Z = 2026-04-01 00:30 EEST (summer time began on Sunday 29 March).
    moment = utc("2026-03-31T21:30:00")
    assert moment.astimezone(HELSINKI).date() == date(2026, 4, 1)
    assert Period.of(moment) == Period(2026, 4)
    assert Period(2026, 4).contains(moment)
    assert not Period(2026, 3).contains(moment)


def test_the_last_utc_minutes_before_the_helsinki_month_turn_stay_in_march() -> None:
    assert Period.of(utc("2026-03-31T20:59:59")) == Period(2026, 3)
    assert Period.of(utc("2026-03-31T21:00:00")) == Period(2026, 4)


def test_end_of_october_uses_winter_time_after_the_last_sunday() -> None:
    # Summer time ended on Sunday 25 October 2026, so November starts at 22:00Z (UTC+2).
    assert Period.of(utc("2026-10-31T21:59:59")) == Period(2026, 10)
    assert Period.of(utc("2026-10-31T22:00:00")) == Period(2026, 11)
    assert Period(2026, 11).start.astimezone(UTC) == utc("2026-10-31T22:00:00")


def test_the_repeated_hour_of_the_last_sunday_of_october_is_in_october() -> None:
    # 03:30 happens twice in Helsinki on 25 October 2026: at 00:30Z (EEST) and 01:30Z (EET).
    first, second = utc("2026-10-25T00:30:00"), utc("2026-10-25T01:30:00")
    assert first.astimezone(HELSINKI).hour == second.astimezone(HELSINKI).hour == 3
    assert Period.of(first) == Period.of(second) == Period(2026, 10)


def test_a_moment_in_another_zone_is_read_in_helsinki() -> None:
    from zoneinfo import ZoneInfo

    new_york = datetime(2026, 6, 30, 18, 30, tzinfo=ZoneInfo("America/New_York"))  # 01:30 Helsinki
    assert Period.of(new_york) == Period(2026, 7)


def test_new_year_in_helsinki_while_utc_is_still_in_december() -> None:
    assert Period.of(utc("2025-12-31T22:15:00")) == Period(2026, 1)


def test_a_date_is_its_own_month() -> None:
    assert Period.of(date(2026, 2, 28)) == Period(2026, 2)
    assert Period(2026, 2).contains(date(2026, 2, 1))
    assert not Period(2026, 2).contains(date(2026, 3, 1))


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Period.of(datetime(2026, 4, 1, 0, 30))
    with pytest.raises(ValueError, match="naive"):
        Period(2026, 4).contains(datetime(2026, 4, 1, 0, 30))


@given(
    st.datetimes(
        min_value=datetime(1950, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_every_moment_lies_within_its_periods_start_and_end(moment: datetime) -> None:
    p = Period.of(moment)
    assert p.start <= moment < p.end
    assert p.contains(moment)
    assert not p.next().contains(moment)
    assert not p.prev().contains(moment)


# -- records ---------------------------------------------------------------------------------


def test_a_person_customer_knows_it_is_a_person_and_is_immutable() -> None:
    person = BillingCustomer(id="C1", type=CustomerType.PERSON, name="Testi Henkilö")
    company = BillingCustomer(id="C2", type=CustomerType.COMPANY, name="Testi Oy")
    assert person.is_person
    assert not company.is_person
    with pytest.raises(AttributeError):
        person.name = "other"  # type: ignore[misc]


# -- frozen_builder --------------------------------------------------------------------------


def test_a_record_built_by_the_frozen_builder_is_the_record_its_constructor_builds() -> None:
    from dataclasses import FrozenInstanceError
    from decimal import Decimal

    from connector.core.domain import RowKind, WorkRow, frozen_builder

    args = ("T1:p0", RowKind.PRODUCT, "ATERIA", Decimal("2.5"), None, date(2026, 4, 1), "x")
    built, constructed = frozen_builder(WorkRow)(*args), WorkRow(*args)
    assert built == constructed and hash(built) == hash(constructed)
    assert repr(built) == repr(constructed)
    with pytest.raises(FrozenInstanceError):
        built.quantity = Decimal(3)  # type: ignore[misc]


def test_the_frozen_builder_refuses_a_record_that_checks_itself() -> None:
    from connector.core.domain import frozen_builder

    with pytest.raises(TypeError, match="__post_init__"):
        frozen_builder(Period)
