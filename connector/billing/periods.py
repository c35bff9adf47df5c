"""Billing periods: when a calendar month becomes invoiceable and when its documents freeze."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from connector.domain import Period


@dataclass(frozen=True)
class BillingRules:
    """How periods close and lock, and what to do with work a voucher does not cover.

    Days are days of the month FOLLOWING the period (clamped to that month's length).
    """

    close_day: int = 1  # period P becomes invoiceable on this day of the next month
    lock_day: int = 9  # after PSOP's 4th-8th settlement window: P's documents are frozen
    over_grant: Literal["bill_client", "hold"] = "bill_client"  # work above the granted quantity
    outside_validity: Literal["bill_full", "hold"] = "bill_full"  # work outside a voucher's dates
    invoice_day: int | None = None  # invoice date: this day of the next month; None = close day
    payment_term_days: int = 14  # net days, unless a customer override says otherwise

    def __post_init__(self) -> None:
        if not 1 <= self.close_day <= 28 or not 1 <= self.lock_day <= 28:
            raise ValueError("close_day and lock_day are days of the month, 1..28")
        if self.lock_day <= self.close_day:
            raise ValueError("lock_day must come after close_day")
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
