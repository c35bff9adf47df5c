"""Customer invoices, organiser documents, in-place revisions and corrections."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

from connector.billing import CHANGED, MISSING, CommentLine, DocumentKind

from .conftest import APRIL, JUNE, MAY, Ledger, hour, mappings, row, run, task, voucher

CLOSED_APRIL = date(2026, 5, 2)
MAY_RUN = date(2026, 6, 2)  # April locked, May closed


def by_kind(result, kind):
    return [d for d in result.documents if d.kind is kind]


def test_one_invoice_per_billing_customer_grouped_by_target_with_a_deduction_per_voucher():
    maps = mappings(
        [
            voucher("V-1", unit_value="15.00"),
            voucher("V-2", psop_product="SIIVOUS", unit_value="30.00"),
        ]
    )
    tasks = [
        hour("T1", APRIL, hours="2", day=3),
        hour("T2", APRIL, hours="1", day=4, code="SIIVOUS-H"),
        hour("T3", APRIL, hours="10", day=5, code="MATKA-KM"),
    ]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    (invoice,) = by_kind(result, DocumentKind.CUSTOMER_INVOICE)
    assert invoice.key == "inv:2026-04:SP-P0001"
    assert invoice.billing_customer_id == "P0001"
    assert invoice.lines[0] == CommentLine("Kohde: Kohde Yksi")
    deductions = [ln for ln in invoice.priced_lines if ln.role == "voucher_deduction"]
    # V-2's 30,00 is VAT included (cleaning is taxable at 25,5 %): net 23,90 + a one-cent line,
    # so the gross is exactly 30,00 (no single net amount has a gross of 30,00)
    assert [(d.voucher_id, d.product_code, d.amount) for d in deductions] == [
        ("V-1", "PSETELI", D("-30.00")),
        ("V-2", "PSETELI", D("-23.90")),
        ("V-2", "PSETELI", D("-0.01")),
    ]
    # work 50,00 + 42,00 + 5,90 (net); vouchers 30,00 + 23,91 (net)
    assert invoice.total == D("43.99")
    work = [ln for ln in invoice.priced_lines if ln.role == "work"]
    assert {ln.source_line_id for ln in work} == {"T1:h0", "T2:h0", "T3:h0"}
    spec = [ln.text for ln in invoice.lines if isinstance(ln, CommentLine)]
    assert any(
        "Kotihoito, seteli V-1: 2 h x 25,00 € = 50,00 €, setelin osuus 30,00 €, omavastuu 20,00 €"
        in text
        for text in spec
    )


def test_the_organiser_document_names_clients_only_by_psop_number_and_voucher():
    maps = mappings([voucher("V-1")], [voucher("V-9")])
    tasks = [hour("T1", APRIL), hour("T2", APRIL, target="L0002")]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    (org,) = by_kind(result, DocumentKind.ORGANISER)
    assert (org.key, org.customer_code, org.billing_customer_id) == (
        "org:2026-04:VANTAA-KERAVA",
        "ORG-VAKE",
        None,
    )
    rendered = repr(org)
    for secret in ("Testi", "Kohde", "L0001", "L0002", "P0001"):
        assert secret not in rendered
    assert [ln.name.split(":")[0] for ln in org.priced_lines] == [
        "Asiakasnumero 100001, seteli V-1",
        "Asiakasnumero 100002, seteli V-9",
    ]
    assert org.total == D("30.00")


def test_no_organiser_document_when_the_region_turns_it_off():
    maps = mappings([voucher()], organiser_document=False)
    result = run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL)
    assert [d.kind for d in result.documents] == [DocumentKind.CUSTOMER_INVOICE]


def test_an_editable_document_is_rebuilt_in_place_with_a_new_hash():
    maps = mappings([voucher()])
    ledger = Ledger()
    first = run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    # T1 edited before the lock day: same key, new content, no correction rows
    second = run(
        maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=date(2026, 5, 5), ledger=ledger
    )
    assert [d.key for d in second.documents] == [d.key for d in first.documents]
    assert all(
        a.content_hash != b.content_hash
        for a, b in zip(first.documents, second.documents, strict=True)
    )
    invoice = second.documents[0]
    assert invoice.total == D("20.00")
    assert not [ln for ln in invoice.priced_lines if ln.role == "correction"]


def test_a_deleted_task_empties_an_editable_document_which_is_withdrawn():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    result = run(maps, [], periods=[APRIL], today=date(2026, 5, 5), ledger=ledger)
    assert result.documents == ()
    assert result.withdrawn == ("inv:2026-04:SP-P0001",)


def test_a_change_after_the_lock_replaces_the_billed_value_in_the_next_document():
    maps = mappings([voucher()])
    ledger = Ledger()
    run(maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    result = run(
        maps,
        [hour("T1", APRIL, hours="3")],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=MAY_RUN,
        ledger=ledger,
    )
    invoice, org = result.documents
    assert invoice.key == "inv:2026-05:SP-P0001"
    fixes = [ln for ln in invoice.priced_lines if ln.role == "correction"]
    assert {ln.reason_code for ln in fixes} == {CHANGED}
    assert sum(ln.amount for ln in fixes) == D("10.00")  # one more hour of self-pay
    assert invoice.total == D("10.00")
    assert org.key == "org:2026-05:VANTAA-KERAVA" and org.total == D("15.00")
    assert all("T1" in ln.explanation for ln in fixes)


def test_work_found_after_the_lock_is_billed_as_missing_in_the_next_document():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    late = hour("T2", APRIL)
    result = run(
        maps,
        [hour("T1", APRIL), late],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=MAY_RUN,
        ledger=ledger,
    )
    (invoice,) = result.documents
    (fix,) = invoice.priced_lines
    assert (fix.reason_code, fix.amount, fix.source_line_id) == (MISSING, D("25.00"), "T2:h0")


def test_a_month_never_invoiced_is_billed_late_as_its_own_document_not_as_missing_rows():
    """Corrections are only for documents that exist: April, never invoiced and now locked,
    gets April's own document when the connector finally runs."""
    result = run(
        mappings(),
        [hour("T1", APRIL), hour("T2", MAY)],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=MAY_RUN,
        late=[APRIL],
    )
    by_period = {
        str(d.period): d for d in result.documents if d.kind is DocumentKind.CUSTOMER_INVOICE
    }
    assert set(by_period) == {"2026-04", "2026-05"}
    assert [ln.source_line_id for ln in by_period["2026-04"].priced_lines] == ["T1:h0"]
    assert all(ln.reason_code is None for d in result.documents for ln in d.priced_lines)
    assert result.deferred == ()


def test_a_late_month_never_rebuilds_a_document_that_exists():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    result = run(
        maps,
        [hour("T1", APRIL), hour("T2", APRIL)],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=MAY_RUN,
        ledger=ledger,
        late=[APRIL],
    )
    (invoice,) = result.documents  # April's document exists: T2 is a correction in May
    assert str(invoice.period) == "2026-05"
    assert [ln.reason_code for ln in invoice.priced_lines] == [MISSING]


def test_a_correction_only_document_netting_below_zero_is_a_credit_note():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    result = run(maps, [], periods=[MAY], observed=[APRIL, MAY], today=MAY_RUN, ledger=ledger)
    (credit,) = result.documents
    assert credit.key == "inv:2026-05:SP-P0001"
    assert credit.total == D("-50.00") and credit.is_credit_note
    (line,) = credit.priced_lines
    assert line.quantity < 0 and line.unit_price > 0  # Netvisor: negative count, positive price


def test_a_document_sent_by_a_person_is_frozen_and_its_changes_go_to_the_next_period():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    ledger.sent.add("inv:2026-04:SP-P0001")
    # still before April's lock day, but the invoice was sent: April cannot change in place
    result = run(
        maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=date(2026, 5, 5), ledger=ledger
    )
    assert result.documents == ()
    (pending,) = result.deferred
    assert (pending.line_id, pending.amount) == ("T1:h0", D("25.00"))
    may = run(
        maps,
        [hour("T1", APRIL, hours="2"), hour("T2", MAY)],
        periods=[MAY],
        observed=[APRIL, MAY],
        today=MAY_RUN,
        ledger=ledger,
    )
    assert may.documents[0].total == D("50.00")  # May's 25,00 + April's missing 25,00


def test_organiser_share_corrections_go_to_the_next_organiser_document():
    maps = mappings([voucher()])
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    result = run(maps, [], periods=[MAY], observed=[APRIL, MAY], today=MAY_RUN, ledger=ledger)
    org = next(d for d in result.documents if d.kind is DocumentKind.ORGANISER)
    (fix,) = org.priced_lines
    assert fix.amount == D("-15.00") and fix.reason_code == "DELETED"
    assert fix.name == "Hyvitys huhtikuu 2026: asiakasnumero 100001, seteli V-1"
    assert fix.explanation.startswith("Hyvitys: tehtävä T1 (huhtikuu 2026) poistettu laskutuksen")
    customer = next(d for d in result.documents if d.kind is DocumentKind.CUSTOMER_INVOICE)
    assert customer.total == D("-10.00")  # work -25,00, voucher deduction +15,00


def test_periods_not_re_read_are_left_as_billed():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    # May's run does not observe April: April's absence from `tasks` means nothing
    result = run(maps, [hour("T2", MAY)], periods=[MAY], today=MAY_RUN, ledger=ledger)
    assert [d.total for d in result.documents] == [D("25.00")]


def test_a_billed_line_without_product_information_is_held_not_guessed():
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    # a ledger that stores only the minimal columns
    doc = ledger.documents["inv:2026-04:SP-P0001"]
    ledger.documents[doc.key] = replace(
        doc, billed=tuple(replace(b, product_code=None, vat_code=None) for b in doc.billed)
    )
    result = run(maps, [], periods=[MAY], observed=[APRIL, MAY], today=MAY_RUN, ledger=ledger)
    assert result.documents == ()
    assert [(h.record_id, h.rule) for h in result.held] == [("T1:h0", "correction_product_unknown")]


def test_every_document_line_knows_its_task_line():
    maps = mappings([voucher()])
    t = task(
        "T1",
        JUNE,
        [
            row("T1:h0", "KOTIHOITO-H", "1", date(2026, 6, 1)),
            row("T1:p1", "MATKA-KM", "12", date(2026, 6, 1)),
        ],
    )
    result = run(maps, [t], periods=[JUNE], today=date(2026, 7, 2))
    for doc in result.documents:
        for ln in doc.priced_lines:
            assert ln.source_line_id in {"T1:h0", "T1:p1"} or ln.role == "voucher_deduction"
        assert {b.line_id for b in doc.billed} <= {"T1:h0", "T1:p1"}
