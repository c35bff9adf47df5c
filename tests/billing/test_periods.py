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


def test_a_document_is_late_by_its_own_lock_date_not_its_period():
    """PSOP: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)"; an organiser's
    events are editable "tilityspäivään asti". VANTAA-KERAVA settles on the 5th, clients lock on
    the 9th: on 7.12 November's organiser document is past its date, the clients' are not."""
    from connector.billing.periods import PeriodBilled, document_late
    from connector.cli.demo import example_mappings
    from connector.mapping import load_mappings

    mappings = load_mappings(example_mappings())
    rules = BillingRules()
    dec_7 = date(2026, 12, 7)
    org, inv = "org:2026-11:VANTAA-KERAVA", "inv:2026-11:SP-P0001"

    def late(key: str, billed: PeriodBilled | None, today: date = dec_7) -> bool:
        return document_late(key, today=today, rules=rules, mappings=mappings, billed=billed)

    assert late(org, None)  # nothing of November billed before its settlement day
    assert not late(inv, None)  # still open: built in place, not late
    assert not late(org, None, date(2026, 12, 4))  # before the 5th: not locked
    # the connector billed November on 2.12, while the organiser document was open
    assert not late(org, PeriodBilled(frozenset({"inv"}), date(2026, 12, 2)))
    # it billed November only on 6.12 (clients), never making the organiser document
    assert late(org, PeriodBilled(frozenset({"inv"}), date(2026, 12, 6)))
    # an organiser document of November exists: a missing one is a correction
    assert not late(org, PeriodBilled(frozenset({"inv", "org"}), date(2026, 12, 6)))
