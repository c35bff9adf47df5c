from __future__ import annotations

from datetime import date

import pytest

from connector.billing import BillingRules, PeriodState, invoice_date, period_state
from connector.core.domain import Period

APRIL = Period(2026, 4)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 4, 30), PeriodState.OPEN),
        (date(2026, 5, 1), PeriodState.CLOSED),  # close day: invoiceable
        (date(2026, 5, 8), PeriodState.CLOSED),  # PSOP settlement window 4th-8th: still editable
        (date(2026, 5, 9), PeriodState.LOCKED),  # lock day
        (date(2027, 1, 1), PeriodState.LOCKED),
    ],
)
def test_april_is_open_until_may_1_closed_until_may_9_then_locked(today, state):
    assert period_state(APRIL, today, BillingRules()) is state


def test_december_closes_in_january_of_the_next_year():
    rules = BillingRules(close_day=3, lock_day=10)
    december = Period(2026, 12)
    assert period_state(december, date(2027, 1, 2), rules) is PeriodState.OPEN
    assert period_state(december, date(2027, 1, 3), rules) is PeriodState.CLOSED
    assert period_state(december, date(2027, 1, 10), rules) is PeriodState.LOCKED


def test_invoice_date_is_deterministic_not_the_day_of_the_run():
    assert invoice_date(APRIL, BillingRules()) == date(2026, 5, 1)
    assert invoice_date(Period(2026, 1), BillingRules(invoice_day=31)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"close_day": 9, "lock_day": 9},
        {"close_day": 0},
        {"over_grant": "bill_organiser"},
        {"outside_validity": "ignore"},
        {"payment_term_days": -1},
    ],
)
def test_bad_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        BillingRules(**kwargs)
