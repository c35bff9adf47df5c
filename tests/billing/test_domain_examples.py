"""Every worked example of docs/domain.md, as a test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from connector.billing import DELETED, WORK, DocumentKind

from .conftest import APRIL, JUNE, MAY, Ledger, hour, mappings, run, voucher


def test_a_voucher_covers_15_of_a_25_hour_and_the_client_pays_10():
    maps = mappings([voucher(unit_value="15.00")])
    result = run(maps, [hour("T1", APRIL)], periods=[APRIL], today=date(2026, 5, 2))

    invoice = next(d for d in result.documents if d.kind is DocumentKind.CUSTOMER_INVOICE)
    work = [ln for ln in invoice.priced_lines if ln.role == WORK]
    deduction = [ln for ln in invoice.priced_lines if ln.role == "voucher_deduction"]
    assert [ln.amount for ln in work] == [D("25.00")]
    assert [ln.amount for ln in deduction] == [D("-15.00")]
    assert invoice.total == D("10.00")
    organiser = next(d for d in result.documents if d.kind is DocumentKind.ORGANISER)
    assert organiser.total == D("15.00")


def test_april_may_june_entry_3_deleted_after_april_locked_is_credited_in_may():
    """docs/domain.md, corrections (PSOP's credit table): paid 60,00 / 20,00 / 40,00.

    Seed 003: "Virheelliset tapahtumakirjaukset jotka maksetaan palveluntuottajalle, hyvitetään
    seuraavan kuukauden laskutuksessa."
    """
    maps = mappings()  # no voucher: the entries are billed in full, 20,00 each
    ledger = Ledger()

    def entry(n: int, period):
        return hour(f"T{period.month}{n}", period, hours="1", price="20.00", day=n)

    april = [entry(1, APRIL), entry(2, APRIL), entry(3, APRIL)]
    r_april = run(maps, april, periods=[APRIL], today=date(2026, 5, 2), ledger=ledger)
    assert [d.total for d in r_april.documents] == [D("60.00")]

    # entry 3 is deleted after April locked (lock day 9 May); May is billed on 2 June
    may = [entry(1, MAY), entry(2, MAY)]
    r_may = run(
        maps,
        april[:2] + may,
        periods=[MAY],
        observed=[APRIL, MAY],
        today=date(2026, 6, 2),
        ledger=ledger,
    )
    assert [d.key for d in r_may.documents] == ["inv:2026-05:SP-P0001"]
    (may_invoice,) = r_may.documents
    assert may_invoice.total == D("20.00")
    (credit,) = [ln for ln in may_invoice.priced_lines if ln.role == "correction"]
    assert credit.amount == D("-20.00")
    assert credit.reason_code == DELETED
    assert credit.source_line_id == "T43:h0"
    assert "T43" in credit.explanation and "Testi" not in credit.explanation

    june = [entry(1, JUNE), entry(2, JUNE)]
    r_june = run(
        maps,
        may + june,
        periods=[JUNE],
        observed=[MAY, JUNE],
        today=date(2026, 7, 2),
        ledger=ledger,
    )
    assert [d.total for d in r_june.documents] == [D("40.00")]
    paid = [ledger.documents[k].total for k in sorted(ledger.documents)]
    assert paid == [D("60.00"), D("20.00"), D("40.00")]
