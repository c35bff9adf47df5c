"""Voucher coverage: share = min(price, unit value) x covered quantity; self-pay the rest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from connector.billing import BillingRules, DocumentKind
from connector.core.domain import Period

from .conftest import APRIL, MAY, Ledger, hour, mappings, row, run, task, voucher

CLOSED_APRIL = date(2026, 5, 2)


def customer_invoice(result):
    return next(d for d in result.documents if d.kind is DocumentKind.CUSTOMER_INVOICE)


def organiser(result):
    return next(d for d in result.documents if d.kind is DocumentKind.ORGANISER)


def roles(document, role):
    return [ln for ln in document.priced_lines if ln.role == role]


def test_voucher_worth_more_than_the_price_covers_the_price_and_self_pay_is_zero():
    maps = mappings([voucher(unit_value="30.00")])
    result = run(maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=CLOSED_APRIL)
    assert customer_invoice(result).total == D("0.00")
    assert organiser(result).total == D("50.00")


def test_price_override_on_the_row_wins_over_the_register():
    maps = mappings([voucher(unit_value="15.00")])
    t = hour("T1", APRIL, hours="2", price="27.50")
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    (work,) = roles(customer_invoice(result), "work")
    assert (work.unit_price, work.amount) == (D("27.50"), D("55.00"))
    assert customer_invoice(result).total == D("25.00")  # 2 x (27,50 - 15,00)


def test_work_above_the_granted_20_hours_is_billed_to_the_client_when_configured():
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    tasks = [hour("T1", APRIL, hours="12", day=2), hour("T2", APRIL, hours="12", day=20)]
    result = run(
        maps,
        tasks,
        periods=[APRIL],
        today=CLOSED_APRIL,
        rules=BillingRules(over_grant="bill_client"),
    )
    # 24 h x 25,00 = 600,00; the voucher pays 20 h x 15,00 = 300,00
    assert customer_invoice(result).total == D("300.00")
    assert organiser(result).total == D("300.00")
    assert result.held == ()


def test_work_above_the_grant_is_held_for_review_by_default():
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    tasks = [hour("T1", APRIL, hours="12", day=2), hour("T2", APRIL, hours="12", day=20)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    # billed: 20 h; held: the 4 h of T2 above the grant
    assert customer_invoice(result).total == D("200.00")  # 20 h x 10,00 self-pay
    (held,) = result.held
    assert (held.record_id, held.rule) == ("T2:h0", "over_grant")


def test_the_grant_is_per_period():
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    ledger = Ledger()
    run(maps, [hour("T1", APRIL, hours="20")], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    may = run(
        maps,
        [hour("T1", APRIL, hours="20"), hour("T2", MAY, hours="20")],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=date(2026, 6, 2),
        ledger=ledger,
    )
    assert customer_invoice(may).total == D("200.00")


def test_a_balance_voucher_is_used_up_across_periods():
    maps = mappings([voucher(kind="balance", balance="400.00")])
    ledger = Ledger()
    april = run(
        maps, [hour("T1", APRIL, hours="10")], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger
    )
    assert organiser(april).total == D("250.00")
    assert customer_invoice(april).total == D("0.00")
    # May re-reads only May: April's consumption comes from the ledger
    may = run(
        maps, [hour("T2", MAY, hours="10")], periods=[MAY], today=date(2026, 6, 2), ledger=ledger
    )
    assert organiser(may).total == D("150.00")  # what is left of the balance
    assert customer_invoice(may).total == D("100.00")  # 250,00 - 150,00


def test_capitation_is_one_monthly_fee_and_the_clients_invoice_deducts_that_same_fee():
    """Seed 001: "Maksatus toimii automaattisesti asiakkuuden voimassaolon mukaan." The voucher
    pays the month's fee by the customership's validity, whatever the work costs: that is what
    the organiser is billed, and the client's invoice deducts the same figure as the voucher's
    share (one figure on both documents); the rest of the price is self-pay, as for any voucher
    ("self-pay = price - what the voucher pays")."""
    maps = mappings(
        [voucher("CAP-1", kind="capitation", psop_product="TURVAPUHELIN", monthly_fee="28.00")]
    )
    t = task("T1", APRIL, [row("T1:p0", "TURVAPUH-KK", "1", date(2026, 4, 1))])
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    (fee,) = organiser(result).priced_lines
    assert (fee.role, fee.amount, fee.source_line_id) == (
        "capitation_fee",
        D("28.00"),
        "capitation:CAP-1:2026-04",
    )
    invoice = customer_invoice(result)
    (deduction,) = [ln for ln in invoice.priced_lines if ln.role == "voucher_deduction"]
    (work,) = [ln for ln in invoice.priced_lines if ln.role == "work"]
    assert deduction.amount == -fee.amount  # the voucher's share: 28,00 on both documents
    assert invoice.self_pay == invoice.total == work.amount - fee.amount == D("2.00")


def test_a_capitation_fee_is_deducted_once_a_month_in_work_date_order():
    """Seed 001: the fee is paid by the days of the customership; work costing less than the
    month's fee is deducted in full, and two lines never deduct more than the fee together."""
    maps = mappings(
        [voucher("CAP-1", kind="capitation", psop_product="TURVAPUHELIN", monthly_fee="28.00")]
    )
    tasks = [
        task("T1", APRIL, [row("T1:p0", "TURVAPUH-KK", "0.5", date(2026, 4, 1))]),
        task("T2", APRIL, [row("T2:p0", "TURVAPUH-KK", "0.5", date(2026, 4, 20))]),
    ]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    invoice = customer_invoice(result)
    deducted = -sum(ln.amount for ln in invoice.priced_lines if ln.role == "voucher_deduction")
    assert deducted == D("28.00") and invoice.total == D("2.00")
    one = run(maps, tasks[:1], periods=[APRIL], today=CLOSED_APRIL)
    assert customer_invoice(one).total == D("0.00")  # 15,00 of work: covered in full
    assert organiser(one).total == D("28.00")  # the fee is the fee, whatever the work


def test_work_after_a_voucher_expires_mid_month_is_billed_in_full():
    maps = mappings([voucher(valid_to=date(2026, 4, 15))])
    tasks = [hour("T1", APRIL, day=10), hour("T2", APRIL, day=20)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    assert customer_invoice(result).total == D("35.00")  # 10,00 self-pay + 25,00 in full
    assert organiser(result).total == D("15.00")


def test_work_outside_validity_is_held_when_configured():
    maps = mappings([voucher(valid_to=date(2026, 4, 15))])
    tasks = [hour("T1", APRIL, day=10), hour("T2", APRIL, day=20)]
    rules = BillingRules(outside_validity="hold")
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL, rules=rules)
    assert customer_invoice(result).total == D("10.00")
    assert [(h.record_id, h.rule) for h in result.held] == [("T2:h0", "outside_validity")]


def test_work_of_a_product_without_a_region_link_is_billed_in_full():
    maps = mappings([voucher()])
    t = hour("T1", APRIL, code="MATKA-KM", hours="10")
    assert customer_invoice(run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)).total == D("5.90")


def test_an_unmapped_product_is_quarantined_and_the_rest_bills():
    maps = mappings()
    t = task(
        "T1",
        APRIL,
        [
            row("T1:p0", "UNKNOWN", "1", date(2026, 4, 3)),
            row("T1:h0", "KOTIHOITO-H", "1", date(2026, 4, 3)),
        ],
    )
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    assert [(q.record_id, q.rule) for q in result.quarantined] == [("T1:p0", "unmapped_product")]
    assert customer_invoice(result).total == D("25.00")


def test_company_work_without_psop_is_billed_in_full_to_the_company():
    maps = mappings([voucher()])
    t = hour("T9", APRIL, hours="3", target="L0009", code="SIIVOUS-H")
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    (invoice,) = result.documents
    assert (invoice.customer_code, invoice.total) == ("SP-C0001", D("126.00"))
    assert Period(2026, 4) == invoice.period
