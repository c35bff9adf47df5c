"""Held work decided in review: approved, rejected and billed to the client, or written off.

Seed 002: "Tarkastettavaksi menevät ne tapahtumat jotka ylittävät asiakkaalle myönnetyn palvelun
määrän." and "Maksu palvelunjärjestäjältä palveluntuottajalle tapahtuu vasta kun tapahtuma on
hyväksytty." Issue 10: approved, the voucher share goes on the organiser's next document as a
line that says it was approved in review, with the original date, and the client's self-pay for
it is billed; rejected, the client pays it (``bill_client``) or nobody does (``write_off``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from connector.billing import APPROVED_IN_REVIEW, REVIEW_EVENT_SUFFIX, BillingRules, DocumentKind

from .conftest import APRIL, MAY, Ledger, hour, mappings, run, voucher

CLOSED_APRIL = date(2026, 5, 2)  # April closed, nothing frozen yet
JUNE_RUN = date(2026, 6, 2)  # April's documents frozen, May closed
GRANT_20 = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
APRIL_WORK = [hour("T1", APRIL, hours="20", day=2), hour("T2", APRIL, hours="4", day=20)]


def total(result, kind, period=APRIL):
    return next(d for d in result.documents if d.kind is kind and d.period == period).total


def test_work_approved_before_the_settlement_day_is_billed_on_its_own_documents():
    result = run(
        GRANT_20, APRIL_WORK, periods=[APRIL], today=CLOSED_APRIL, decisions={"T2:h0": "approve"}
    )
    assert result.held == ()
    assert total(result, DocumentKind.ORGANISER) == D("360.00")  # 24 h x 15,00
    assert total(result, DocumentKind.CUSTOMER_INVOICE) == D("240.00")  # 24 h x 10,00 self-pay


def test_work_approved_after_the_settlement_day_goes_on_the_organisers_next_document():
    ledger = Ledger()
    april = run(GRANT_20, APRIL_WORK, periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    assert [h.record_id for h in april.held] == ["T2:h0"]
    assert total(april, DocumentKind.ORGANISER) == D("300.00")
    june = run(
        GRANT_20,
        [*APRIL_WORK, hour("T3", MAY, hours="1", day=4)],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=JUNE_RUN,
        ledger=ledger,
        decisions={"T2:h0": "approve"},
    )
    assert june.held == ()
    organiser = next(d for d in june.documents if d.kind is DocumentKind.ORGANISER)
    assert organiser.key == "org:2026-05:VANTAA-KERAVA"
    (approved,) = [ln for ln in organiser.priced_lines if ln.reason_code == APPROVED_IN_REVIEW]
    assert approved.amount == D("60.00")  # the 4 approved hours x 15,00
    assert approved.name.startswith("Hyväksytty tarkastuksessa huhtikuu 2026: asiakasnumero 100001")
    assert "työpäivä 20.4.2026" in approved.explanation
    assert organiser.total == D("75.00")  # May's own hour 15,00 + the approved 60,00
    # the client pays the self-pay of the approved hours: 4 x 10,00, with May's hour 10,00
    assert total(june, DocumentKind.CUSTOMER_INVOICE, MAY) == D("50.00")


def test_rejected_work_billed_to_the_client_costs_the_client_the_full_price():
    result = run(
        GRANT_20,
        APRIL_WORK,
        periods=[APRIL],
        today=CLOSED_APRIL,
        decisions={"T2:h0": "bill_client"},
    )
    assert result.held == ()
    assert total(result, DocumentKind.ORGANISER) == D("300.00")
    assert total(result, DocumentKind.CUSTOMER_INVOICE) == D("300.00")  # 200,00 + 4 h x 25,00


def test_rejected_work_written_off_is_billed_to_nobody_and_no_longer_held():
    result = run(
        GRANT_20, APRIL_WORK, periods=[APRIL], today=CLOSED_APRIL, decisions={"T2:h0": "write_off"}
    )
    assert result.held == ()
    assert total(result, DocumentKind.ORGANISER) == D("300.00")
    assert total(result, DocumentKind.CUSTOMER_INVOICE) == D("200.00")


def test_held_units_are_an_event_of_their_own_and_stay_one_when_approved():
    work = [hour("T1", APRIL, hours="24", day=2)]
    held = run(GRANT_20, work, periods=[APRIL], today=CLOSED_APRIL)
    assert [
        (e.event_id, e.quantity, e.voucher_share, e.self_pay, e.held_rule) for e in held.events
    ] == [
        ("T1:h0", D(20), D("300.00"), D("200.00"), None),
        ("T1:h0" + REVIEW_EVENT_SUFFIX, D(4), D("60.00"), D("40.00"), "over_grant"),
    ]
    approved = run(
        GRANT_20, work, periods=[APRIL], today=CLOSED_APRIL, decisions={"T1:h0": "approve"}
    )
    assert [(e.event_id, e.quantity, e.voucher_share, e.approved) for e in approved.events] == [
        ("T1:h0", D(20), D("300.00"), False),
        ("T1:h0" + REVIEW_EVENT_SUFFIX, D(4), D("60.00"), True),
    ]


def test_approved_work_outside_the_validity_draws_on_the_nearest_voucher():
    maps = mappings([voucher(unit_value="15.00", valid_from=date(2026, 4, 10))])
    work = [hour("T1", APRIL, hours="2", day=3)]
    hold = BillingRules(outside_validity="hold")
    held = run(maps, work, periods=[APRIL], today=CLOSED_APRIL, rules=hold)
    assert [(h.record_id, h.rule) for h in held.held] == [("T1:h0", "outside_validity")]
    assert [(e.event_id, e.held_rule) for e in held.events] == [
        ("T1:h0#review", "outside_validity")
    ]
    approved = run(
        maps, work, periods=[APRIL], today=CLOSED_APRIL, rules=hold, decisions={"T1:h0": "approve"}
    )
    assert approved.held == ()
    assert total(approved, DocumentKind.ORGANISER) == D("30.00")
