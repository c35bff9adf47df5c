"""The loop over a real ledger file: decisions once, PSOP's word against a person's, a later
report superseding an earlier one in the month's figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connector.billing import VOUCHER_SHARE, BilledLine, VoucherEvent
from connector.core.domain import Period
from connector.ledger import Ledger, ObjectKind
from connector.mapping import Mappings, Region, TargetMapping, Voucher
from connector.psop import ReportMapping
from connector.psop.loop import decide, review_entries
from connector.psop.organiser_status import organiser_months
from connector.psop.report_import import import_report

APRIL = Period(2026, 4)
HEADER = "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila"
MAPPINGS = Mappings(
    regions={
        "VANTAA-KERAVA": Region(
            code="VANTAA-KERAVA",
            organiser_name="Vantaan ja Keravan hyvinvointialue",
            organiser_business_id="3221265-7",
            organiser_customer_code="ORG-VAKE",
            organiser_document=True,
            voucher_deduction_product="PSETELI",
            product_links={"KOTIHOITO": "KOTIHOITO-H"},
        )
    },
    targets={
        "L0001": TargetMapping(
            folder_id="L0001",
            name="Kohde",
            region="VANTAA-KERAVA",
            psop_customer_number="100001",
            vouchers=(
                Voucher(
                    id="VK-1",
                    kind="voucher",
                    psop_product="KOTIHOITO",
                    unit_value=Decimal("15.00"),
                    quantity_per_period=Decimal(20),
                    valid_from=date(2026, 1, 1),
                ),
            ),
        )
    },
    products={},
)


def event(event_id: str, day: int, qty: str, share: str, held: str | None = None) -> VoucherEvent:
    return VoucherEvent(
        event_id=event_id,
        line_id=event_id.split("#")[0],
        period=APRIL,
        region="VANTAA-KERAVA",
        psop_customer_number="100001",
        voucher_id="VK-1",
        psop_product="KOTIHOITO",
        work_date=date(2026, 4, day),
        quantity=Decimal(qty),
        unit_price=Decimal("25.00"),
        voucher_share=Decimal(share),
        self_pay=Decimal(qty) * 10,
        held_rule=held,
    )


ORG_APRIL = "org:2026-04:VANTAA-KERAVA"


def send_organiser_document(ledger: Ledger, *, settle: bool = True) -> None:
    """April's organiser document carrying T1's voucher share: sent (Netvisor answered OK), or
    only intended (``settle=False``: the write never settled)."""
    line = BilledLine(ORG_APRIL, "T1:h0", VOUCHER_SHARE, APRIL, "VK-1", Decimal(8), Decimal(120))
    ledger.mark_sending(
        ORG_APRIL,
        ObjectKind.INVOICE,
        pending_hash="h",
        action="create",
        lines=[line],
        period="2026-04",
        customer_code="ORG-VAKE",
    )
    if settle:
        ledger.mark_sent(ORG_APRIL, "NV-1")


def record_events(ledger: Ledger) -> None:
    ledger.record_psop_events(
        ["2026-04"],
        [
            event("T1:h0", 3, "8", "120.00"),
            event("T2:h0#review", 24, "3", "45.00", "over_grant"),
        ],
    )


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        record_events(opened)
        send_organiser_document(opened)
        yield opened


def report(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode("utf-8-sig"))
    return path


def do_import(ledger: Ledger, path: Path, day: int):
    return import_report(
        ledger,
        path,
        mapping=ReportMapping(),
        mappings=MAPPINGS,
        report_date=date(2026, 5, day),
        rejected_review="write_off",
    )


def test_psop_disagreeing_with_a_persons_decision_is_shown_and_the_first_decision_stands(
    ledger: Ledger, tmp_path: Path
):
    outcome = decide(ledger, ["T2:h0"], "reject", note=None, rejected_review="write_off")
    assert outcome.decided == ["T2:h0"]
    path = report(tmp_path, "r.csv", "24.4.2026;100001;VK-1;KOTIHOITO;3;25,00;45,00;Hyväksytty")
    imported = do_import(ledger, path, 6)
    assert imported.approved == [] and imported.conflicts == [
        "T2:h0: PSOP says Hyväksytty (approve), decided earlier: reject"
    ]
    assert ledger.decision_effects() == {"T2:h0": "write_off"}


def test_a_later_report_supersedes_an_earlier_one_in_the_months_figures(
    ledger: Ledger, tmp_path: Path
):
    first = report(tmp_path, "a.csv", "3.4.2026;100001;VK-1;KOTIHOITO;8;25,00;120,00;Hyväksytty")
    later = report(tmp_path, "b.csv", "3.4.2026;100001;VK-1;KOTIHOITO;8;25,00;120,00;Maksettu")
    do_import(ledger, first, 6)
    (month,) = organiser_months(ledger)
    assert (month.approved, month.settled, month.paid) == (Decimal("120.00"), 0, 0)
    do_import(ledger, later, 20)
    (month,) = organiser_months(ledger)
    assert (month.billed, month.approved, month.settled, month.paid) == (
        Decimal("120.00"),
        Decimal("120.00"),
        Decimal("120.00"),
        Decimal("120.00"),
    )
    assert month.open_difference == 0


def test_the_review_list_holds_what_is_undecided_and_all_shows_the_decisions(ledger: Ledger):
    assert [e.item.item_id for e in review_entries(ledger)] == ["T2:h0"]
    decide(ledger, ["T2:h0"], "approve", note="sovittu", rejected_review="bill_client")
    assert review_entries(ledger) == []
    (entry,) = review_entries(ledger, include_decided=True)
    assert (entry.decision, entry.effect, entry.source, entry.note) == (
        "approve",
        "approve",
        "review",
        "sovittu",
    )


@pytest.mark.parametrize("settle", [False, True])
def test_only_what_a_document_in_netvisor_carries_counts_as_billed(tmp_path: Path, settle: bool):
    """Billing meant T1's 120,00 € for the organiser; until a settled organiser document in the
    ledger carries it, it is "not billed", and PSOP's row for it is a difference (PSOP has an
    event we did not bill), never a match with 0,00 € difference."""
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        record_events(ledger)
        send_organiser_document(ledger, settle=settle)
        paid = report(tmp_path, "a.csv", "3.4.2026;100001;VK-1;KOTIHOITO;8;25,00;120,00;Maksettu")
        outcome = do_import(ledger, paid, 20)
        (month,) = organiser_months(ledger)
        if settle:
            assert (month.billed, month.not_billed) == (Decimal("120.00"), 0)
            assert outcome.differences == [] and month.open_difference == 0
        else:
            assert (month.billed, month.not_billed) == (0, Decimal("120.00"))
            assert [d.kind.value for d in outcome.differences] == ["in_psop_not_billed"]
            assert month.open_difference == Decimal("120.00")
