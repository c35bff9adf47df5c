"""The PSOP loop's ledger rows: a report once by its hash, a later report's state wins, each
decision once, and the events of a month replaced whole."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.billing import VoucherEvent
from connector.core.domain import Period
from connector.ledger import Ledger

APRIL = Period(2026, 4)


@pytest.fixture
def ledger(ledger_location):  # a SQLite file and a PostgreSQL company (tests/conftest.py)
    with Ledger(ledger_location) as opened:
        yield opened


def event(event_id: str, period: Period = APRIL, held: str | None = None) -> VoucherEvent:
    return VoucherEvent(
        event_id=event_id,
        line_id=event_id.split("#")[0],
        period=period,
        region="VANTAA-KERAVA",
        psop_customer_number="100001",
        voucher_id="VK-1",
        psop_product="KOTIHOITO",
        work_date=date(period.year, period.month, 3),
        quantity=Decimal(2),
        unit_price=Decimal("25.00"),
        voucher_share=Decimal("30.00"),
        self_pay=Decimal("20.00"),
        held_rule=held,
    )


def state(day: str, value: str) -> dict:
    return {
        "document_key": "org:2026-04:VANTAA-KERAVA",
        "line_id": "T1:h0",
        "state": value,
        "report_date": day,
        "psop_amount": Decimal("30.00"),
    }


def report(ledger: Ledger, sha: str, day: str, value: str):
    return ledger.record_psop_report(
        sha256=sha, report_date=day, rows=[], states=[state(day, value)], decisions=[]
    )


def test_the_same_report_file_is_recorded_once(ledger: Ledger):
    assert report(ledger, "aa", "2026-05-06", "Hyväksytty") is not None
    assert report(ledger, "aa", "2026-05-07", "Maksettu") is None
    assert len(ledger.psop_reports()) == 1


def test_a_later_report_replaces_a_lines_state_and_an_earlier_one_does_not(ledger: Ledger):
    report(ledger, "aa", "2026-05-06", "Hyväksytty")
    report(ledger, "bb", "2026-05-20", "Maksettu")
    report(ledger, "cc", "2026-05-10", "Tilitetty")  # older news, imported last
    (row,) = ledger.psop_line_states().values()
    assert (row["state"], row["report_date"]) == ("Maksettu", "2026-05-20")


def test_a_decision_is_recorded_once_and_the_first_stands(ledger: Ledger):
    assert ledger.record_review_decisions(
        [("T1:h0", "approve", "approve", "ok")], source="review"
    ) == ["T1:h0"]
    assert (
        ledger.record_review_decisions([("T1:h0", "reject", "write_off", None)], source="review")
        == []
    )
    assert ledger.decision_effects() == {"T1:h0": "approve"}


def test_the_events_of_a_month_read_again_replace_the_earlier_ones(ledger: Ledger):
    may = Period(2026, 5)
    ledger.record_psop_events(
        ["2026-04", "2026-05"],
        [event("T1:h0"), event("T2:h0#review", held="over_grant"), event("T9:h0", may)],
    )
    ledger.record_psop_events(["2026-04"], [event("T1:h0")])
    assert [e["event_id"] for e in ledger.psop_events()] == ["T1:h0", "T9:h0"]
