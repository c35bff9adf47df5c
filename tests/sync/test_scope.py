"""scope: which periods a run builds and observes, and which documents are frozen."""

from __future__ import annotations

from datetime import date

import pytest
from sync.helpers import owned

from connector.billing import BillingRules, PeriodState, period_state
from connector.core.domain import Period
from connector.core.errors import FatalRunError
from connector.ledger import ObjectKind
from connector.sync.scope import (
    first_billed_period,
    frozen_by_ledger,
    periods_to_build,
    periods_to_observe,
    still_editable,
)

RULES = BillingRules()  # periods close on day 1 and lock on day 9 of the next month
MAY_2 = date(2026, 5, 2)  # April is closed, March and before are locked
LOOKBACK = 3


def test_a_run_builds_only_the_closed_periods():
    assert periods_to_build(None, MAY_2, RULES, LOOKBACK) == [Period(2026, 4)]


def test_nothing_is_built_once_the_last_month_is_locked():
    assert periods_to_build(None, date(2026, 5, 15), RULES, LOOKBACK) == []


def test_a_period_still_open_cannot_be_asked_for():
    with pytest.raises(FatalRunError, match="still open"):
        periods_to_build(Period(2026, 5), MAY_2, RULES, LOOKBACK)


def test_a_locked_period_can_be_asked_for_explicitly():
    assert periods_to_build(Period(2026, 2), MAY_2, RULES, LOOKBACK) == [Period(2026, 2)]


def test_before_its_first_invoice_the_connector_observes_only_what_it_builds():
    assert periods_to_observe([Period(2026, 4)], MAY_2, LOOKBACK, None) == [Period(2026, 4)]


def test_months_before_the_first_invoice_the_connector_billed_are_never_re_read():
    # The connector started billing in March: January and February were billed some other
    # way and are within the look-back, yet must not be re-read (they would be billed again).
    observed = periods_to_observe([Period(2026, 4)], MAY_2, LOOKBACK, Period(2026, 3))
    assert observed == [Period(2026, 3), Period(2026, 4)]


def test_locked_months_the_connector_billed_are_re_read_within_the_look_back():
    observed = periods_to_observe([Period(2026, 4)], MAY_2, LOOKBACK, Period(2025, 6))
    # May minus (look-back + 1) months = January is the oldest period re-read
    assert observed == [Period(2026, 1), Period(2026, 2), Period(2026, 3), Period(2026, 4)]


def test_nothing_is_re_read_when_nothing_is_built():
    assert periods_to_observe([], date(2026, 5, 15), LOOKBACK, Period(2025, 6)) == []


def test_the_first_billed_period_counts_only_invoices():
    rows = [
        owned("cust:C1", kind=ObjectKind.CUSTOMER, period=None),
        owned("inv:2026-03:C1", period="2026-03"),
        owned("inv:2026-02:C2", period="2026-02"),
        owned("match:inv:2026-01:C3", kind=ObjectKind.MATCH, period="2026-01"),
    ]
    assert first_billed_period(rows) == Period(2026, 2)
    assert first_billed_period(rows[:1]) is None


def test_documents_of_a_locked_period_or_no_longer_unsent_are_frozen():
    rows = [
        owned("inv:2026-03:C1", period="2026-03"),  # March is locked on May 2nd
        owned("inv:2026-04:C2", period="2026-04", status="open"),  # a person sent it
        owned("inv:2026-04:C3", period="2026-04", status="unsent"),
        owned("inv:2026-04:C4", period="2026-04"),  # status never seen yet
        owned("inv:2026-04:C5", period="2026-04", netvisor_key=None),  # not in Netvisor
        owned("inv:2026-01:C6", period="2026-01"),  # not observed
    ]
    observed = [Period(2026, 3), Period(2026, 4)]
    frozen, to_check = frozen_by_ledger(
        rows,
        observed,
        lambda key: (
            period_state(Period.parse(key.split(":")[1]), MAY_2, RULES) is PeriodState.LOCKED
        ),
    )
    assert frozen == {"inv:2026-03:C1", "inv:2026-04:C2"}
    assert [r.key for r in to_check] == ["inv:2026-04:C3", "inv:2026-04:C4"]


def test_each_document_freezes_on_its_own_date_an_organiser_on_its_settlement_day():
    """Seed 003: the organiser sets its own settlement day; its document freezes then, while the
    client invoices of the same month stay editable until the lock day."""
    rows = [
        owned("org:2026-04:R4", period="2026-04", status="unsent"),
        owned("inv:2026-04:C1", period="2026-04", status="unsent"),
    ]
    frozen, to_check = frozen_by_ledger(rows, [Period(2026, 4)], lambda key: key.startswith("org:"))
    assert frozen == {"org:2026-04:R4"}
    assert [r.key for r in to_check] == ["inv:2026-04:C1"]


def test_only_an_unsent_or_unknown_status_is_editable():
    assert still_editable(None) and still_editable("unsent")
    assert not still_editable("open") and not still_editable("paid")


def test_a_locked_month_the_connector_never_invoiced_is_billed_late():
    from connector.billing.periods import PeriodBilled
    from connector.sync.scope import late_candidates, late_periods

    today = date(2026, 7, 2)  # June closed; May and April locked
    april, may = Period.parse("2026-04"), Period.parse("2026-05")
    on_5th = lambda p: date(p.next().year, p.next().month, 5)  # noqa: E731
    billed = {april: PeriodBilled(frozenset({"inv", "org"}), date(2026, 5, 2))}
    assert late_candidates(today, RULES, 3, billed, april, on_5th) == [may]
    both = {**billed, may: PeriodBilled(frozenset({"inv", "org"}), date(2026, 6, 2))}
    assert late_candidates(today, RULES, 3, both, april, on_5th) == []
    # before the connector's first invoice (or start_period) nothing is late
    assert late_candidates(today, RULES, 3, {}, None, on_5th) == []
    assert late_candidates(today, RULES, 3, {}, may, on_5th) == [may]
    june = Period.parse("2026-06")
    assert late_periods([may, june], today, RULES, {"2026-04"}) == (may,)


def test_a_period_billed_counts_the_kinds_netvisor_has_and_the_first_billing_day():
    from connector.billing.periods import PeriodBilled
    from connector.ledger import LedgerState
    from connector.sync.scope import billed_by_period

    rows = [
        owned("inv:2026-11:A", period="2026-11", billed_on="2026-12-07"),
        owned("inv:2026-11:B", period="2026-11", billed_on="2026-12-02"),
        owned(
            "org:2026-11:R",
            period="2026-11",
            billed_on="2026-12-01",
            state=LedgerState.REJECTED,  # Netvisor holds nothing of it
        ),
    ]
    assert billed_by_period(rows) == {
        Period(2026, 11): PeriodBilled(frozenset({"inv"}), date(2026, 12, 2))
    }


def test_a_locked_month_is_built_when_a_kind_of_its_documents_may_be_late():
    from connector.billing.periods import PeriodBilled
    from connector.sync.scope import late_candidates

    today = date(2026, 12, 10)  # November locked for clients too
    nov = Period(2026, 11)
    on_5th = lambda p: date(2026, 12, 5)  # noqa: E731 - the earliest settlement day
    # client invoices made on 7.12, after the organiser's settlement day, no organiser document
    late_org = {nov: PeriodBilled(frozenset({"inv"}), date(2026, 12, 7))}
    assert late_candidates(today, RULES, 3, late_org, nov, on_5th) == [nov]
    # billed on 2.12, while every document was open: nothing of November can be late
    in_time = {nov: PeriodBilled(frozenset({"inv"}), date(2026, 12, 2))}
    assert late_candidates(today, RULES, 3, in_time, nov, on_5th) == []
    both = {nov: PeriodBilled(frozenset({"inv", "org"}), date(2026, 12, 7))}
    assert late_candidates(today, RULES, 3, both, nov, on_5th) == []
    assert late_candidates(today, RULES, 3, {}, Period(2026, 12), on_5th) == []  # before floor
