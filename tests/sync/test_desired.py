"""desired: what Netvisor should hold — payload translation and credit-note matches."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from sync.helpers import owned

from connector.billing import CommentLine, InvoiceDocument
from connector.billing.documents import BilledLine, DocumentKind, DocumentLine
from connector.core.domain import Period
from connector.ledger import LedgerState
from connector.netvisor import documents as nv
from connector.sync.desired_build import invoice_payload
from connector.sync.desired_ledger import match_candidates, matches

D = Decimal


def document(*lines: DocumentLine | CommentLine) -> InvoiceDocument:
    return InvoiceDocument(
        key="inv:2026-05:C1",
        kind=DocumentKind.CUSTOMER_INVOICE,
        period=Period(2026, 5),
        customer_code="C1",
        billing_customer_id="S-1",
        invoice_date=date(2026, 6, 1),
        payment_term_days=14,
        lines=lines,
        billed=(),
    )


def test_a_negative_line_goes_to_netvisor_as_a_negative_quantity_at_a_positive_price():
    credit = DocumentLine(
        "KOTIHOITO", "Kotihoito", D(2), D("-30.00"), D(0), "KOMY", D("-60.00"), "work", "T1",
        explanation="Korjaus huhtikuu",
    )  # fmt: skip
    payload = invoice_payload(document(CommentLine("Kohde"), credit), status="unsent")
    comment, line = payload.lines
    assert comment == nv.CommentLine("Kohde")
    assert isinstance(line, nv.ProductLine)
    assert (line.quantity, line.unit_price) == (D(-2), D("30.00"))
    assert line.free_text == "Korjaus huhtikuu"  # the explanation, when no free text is set
    assert payload.private_comment == "inv:2026-05:C1"  # how reconcile finds it again


def billed(document_key: str, line_id: str) -> BilledLine:
    return BilledLine(document_key, line_id, "work", Period(2026, 4), None, D(1), D("10.00"))


def test_a_credit_note_is_matched_with_the_one_invoice_whose_lines_it_corrects():
    invoice_row = owned("inv:2026-04:C1", netvisor_key="NV-1")
    credit_row = replace(owned("inv:2026-05:C1", netvisor_key="NV-2"), total=D("-10.00"))
    rows = {r.key: r for r in (invoice_row, credit_row)}
    lines = [billed("inv:2026-04:C1", "T1"), billed("inv:2026-05:C1", "T1")]
    pairs = match_candidates(rows, lambda: lines)
    assert pairs == [(credit_row, invoice_row)]
    (match,) = matches(pairs, {"NV-1": "open", "NV-2": "open"})
    assert (match.key, match.payload) == ("match:inv:2026-05:C1", ("NV-2", "NV-1"))
    assert matches(pairs, {"NV-1": "paid", "NV-2": "open"}) == []  # both must be open


def test_no_match_is_desired_twice_nor_without_a_credit_note():
    invoice_row = owned("inv:2026-04:C1", netvisor_key="NV-1")
    credit_row = replace(owned("inv:2026-05:C1", netvisor_key="NV-2"), total=D("-10.00"))
    done = owned("match:inv:2026-05:C1", state=LedgerState.SENT)
    calls: list[int] = []

    def lines() -> list[BilledLine]:
        calls.append(1)
        return [billed("inv:2026-04:C1", "T1"), billed("inv:2026-05:C1", "T1")]

    assert match_candidates({r.key: r for r in (invoice_row, credit_row, done)}, lines) == []
    assert match_candidates({invoice_row.key: invoice_row}, lines) == []
    assert calls == []  # the billed lines are not even read
