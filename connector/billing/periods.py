"""Billing periods: when a calendar month becomes invoiceable and when its documents freeze."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from connector.core.domain import Period
from connector.mapping.models import Mappings, Region


@dataclass(frozen=True)
class PeriodBilled:
    """What the ledger holds of one period's documents (those Netvisor has or may have)."""

    kinds: frozenset[str]  # document kinds: "inv" (client invoices), "org" (organisers')
    first_billed_on: date | None  # the business day the first of them was written


@dataclass(frozen=True)
class BillingRules:
    """How periods close and lock, and what to do with work a voucher does not cover.

    Days are days of the month FOLLOWING the period (clamped to that month's length).
    """

    close_day: int = 1  # period P becomes invoiceable on this day of the next month
    lock_day: int = 9  # the client invoices of P are frozen from this day on
    # the organiser's settlement day (tilityspäivä, 4th-8th) where its region does not set one:
    # the organiser's document of P is frozen from this day on
    settlement_day: int = 8
    # work above the granted quantity: held for the organiser's review (PSOP's rule) or billed
    over_grant: Literal["bill_client", "hold"] = "hold"
    # capitation fee of a month with a partial customership: by days ("days") or whole ("month")
    capitation_proration: Literal["days", "month"] = "days"
    outside_validity: Literal["bill_full", "hold"] = "bill_full"  # work outside a voucher's dates
    invoice_day: int | None = None  # invoice date: this day of the next month; None = close day
    payment_term_days: int = 14  # net days, unless a customer override says otherwise

    def __post_init__(self) -> None:
        if not 1 <= self.close_day <= 28 or not 1 <= self.lock_day <= 28:
            raise ValueError("close_day and lock_day are days of the month, 1..28")
        if self.lock_day <= self.close_day:
            raise ValueError("lock_day must come after close_day")
        if not 4 <= self.settlement_day <= 8:
            raise ValueError("settlement_day is PSOP's settlement day, the 4th..8th")
        if self.settlement_day <= self.close_day:
            raise ValueError("settlement_day must come after close_day")
        if self.capitation_proration not in ("days", "month"):
            raise ValueError("capitation_proration is 'days' or 'month'")
        if self.invoice_day is not None and not 1 <= self.invoice_day <= 31:
            raise ValueError("invoice_day is a day of the month, 1..31")
        if self.over_grant not in ("bill_client", "hold"):
            raise ValueError("over_grant is 'bill_client' or 'hold'")
        if self.outside_validity not in ("bill_full", "hold"):
            raise ValueError("outside_validity is 'bill_full' or 'hold'")
        if self.payment_term_days < 0:
            raise ValueError("payment_term_days cannot be negative")


class PeriodState(StrEnum):
    OPEN = "open"  # still accumulating work, before the close day
    CLOSED = "closed"  # invoiceable; its documents may still be rebuilt in place
    LOCKED = "locked"  # documents frozen: changes become corrections in the next document


def _day_of_next_month(period: Period, day: int) -> date:
    following = period.next()
    last = calendar.monthrange(following.year, following.month)[1]
    return date(following.year, following.month, min(day, last))


def close_date(period: Period, rules: BillingRules) -> date:
    """The day ``period`` becomes invoiceable."""
    return _day_of_next_month(period, rules.close_day)


def lock_date(period: Period, rules: BillingRules) -> date:
    """The day ``period``'s documents freeze."""
    return _day_of_next_month(period, rules.lock_day)


def invoice_date(period: Period, rules: BillingRules) -> date:
    """The invoice date of ``period``'s documents (deterministic: not the day of the run)."""
    return _day_of_next_month(period, rules.invoice_day or rules.close_day)


def period_state(period: Period, today: date, rules: BillingRules) -> PeriodState:
    """OPEN before the close day, CLOSED until the lock day, LOCKED from then on."""
    if today < close_date(period, rules):
        return PeriodState.OPEN
    if today < lock_date(period, rules):
        return PeriodState.CLOSED
    return PeriodState.LOCKED


def settlement_day_of(region: Region | None, rules: BillingRules) -> int:
    """The day of the next month an organiser's document freezes: its region's, else the rule's."""
    if region is not None and region.settlement_day is not None:
        return region.settlement_day
    return rules.settlement_day


def _organiser_region(code: str, mappings: Mappings) -> Region | None:
    """The region of an organiser document, by region code or by the organiser's customer code.

    Several regions billed to one organiser code: the earliest settlement day wins (it freezes
    first, so nothing is edited after the organiser settled it).
    """
    region = mappings.regions.get(code)
    if region is not None:
        return region
    same = [r for r in mappings.regions.values() if r.organiser_customer_code == code]
    return min(same, key=lambda r: r.settlement_day or 99, default=None)


def document_lock_date(
    period: Period,
    customer_code: str,
    *,
    organiser: bool,
    rules: BillingRules,
    mappings: Mappings,
) -> date:
    """The day a document of ``period`` freezes (edits after it become corrections).

    A client's invoice freezes on ``rules.lock_day``; an organiser's document on its region's
    settlement day (PSOP: events can be edited "tilityspäivään asti", after which the organiser
    credits them). ``customer_code`` is the client's Netvisor customer code, or for an
    organiser the region code (as in document keys) or the organiser's Netvisor customer code.
    """
    if not organiser:
        return lock_date(period, rules)
    day = settlement_day_of(_organiser_region(customer_code, mappings), rules)
    return _day_of_next_month(period, day)


def document_locked(
    period: Period,
    customer_code: str,
    *,
    organiser: bool,
    today: date,
    rules: BillingRules,
    mappings: Mappings,
) -> bool:
    """Whether the document of ``period`` for ``customer_code`` is frozen on ``today``.

    Pure. The single place that decides in-place edit (False) versus correction (True) by date;
    a document a person already sent is frozen whatever this says.
    """
    when = document_lock_date(
        period, customer_code, organiser=organiser, rules=rules, mappings=mappings
    )
    return today >= when


def document_key_lock_date(key: str, *, rules: BillingRules, mappings: Mappings) -> date:
    """``document_lock_date`` for a document key (``inv:<period>:<code>`` / ``org:...``)."""
    prefix, period, code = key.split(":", 2)
    return document_lock_date(
        Period.parse(period), code, organiser=prefix == "org", rules=rules, mappings=mappings
    )


def document_key_locked(key: str, *, today: date, rules: BillingRules, mappings: Mappings) -> bool:
    """``document_locked`` for a document key (``inv:<period>:<code>`` / ``org:<period>:<region>``)."""
    prefix, period, code = key.split(":", 2)
    return document_locked(
        Period.parse(period),
        code,
        organiser=prefix == "org",
        today=today,
        rules=rules,
        mappings=mappings,
    )


def earliest_lock_date(period: Period, rules: BillingRules, mappings: Mappings) -> date:
    """The first day any document of ``period`` freezes (a client's or any organiser's)."""
    days = [rules.lock_day, rules.settlement_day]
    days += [r.settlement_day for r in mappings.regions.values() if r.settlement_day is not None]
    return _day_of_next_month(period, min(days))


def document_late(
    key: str,
    *,
    today: date,
    rules: BillingRules,
    mappings: Mappings,
    billed: PeriodBilled | None,
) -> bool:
    """Whether the document ``key`` (not yet in Netvisor) is billed late, as its own document.

    Decided per document, by its own lock date (a client invoice on ``lock_day``, an
    organiser's document on its region's settlement day): it is late when that date has passed
    while the connector had billed nothing of its period before it, and holds no document of
    its kind for the period. Otherwise (the connector billed the period while this document
    was open, and it had nothing then) what it would carry is a correction on the owner's next
    document. ``billed``: what the ledger holds of the period (None: nothing).
    """
    prefix, period_text, code = key.split(":", 2)
    period = Period.parse(period_text)
    when = document_lock_date(
        period, code, organiser=prefix == "org", rules=rules, mappings=mappings
    )
    if today < when:
        return False
    if billed is None:
        return True
    if prefix in billed.kinds:
        return False
    return billed.first_billed_on is None or billed.first_billed_on >= when
