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


def test_a_credit_note_whose_lines_two_invoices_billed_is_not_matched_automatically():
    first = owned("inv:2026-03:C1", netvisor_key="NV-1")
    second = owned("inv:2026-04:C1", netvisor_key="NV-3")
    credit_row = replace(owned("inv:2026-05:C1", netvisor_key="NV-2"), total=D("-10.00"))
    rows = {r.key: r for r in (first, second, credit_row)}
    lines = [
        billed("inv:2026-03:C1", "T1"),
        billed("inv:2026-04:C1", "T2"),
        billed("inv:2026-05:C1", "T1"),
        billed("inv:2026-05:C1", "T2"),
    ]
    assert match_candidates(rows, lambda: lines) == []


def test_matching_reads_a_long_history_as_its_definition_says():
    """Each credit note against every document of a ledger with years of history, as the
    docstring defines it, gives the pairs the indexed look-up gives (a random ledger: lines
    shared by no, one or several documents; credit notes, unsent rows, organisers' rows)."""
    import random

    rnd = random.Random(24)
    rows: dict = {}
    lines: list[BilledLine] = []
    for n in range(600):
        key = f"{rnd.choice(['inv', 'inv', 'org'])}:2026-{rnd.randint(1, 12):02d}:C{n}"
        total = D(rnd.choice(["-10.00", "10.00", "25.00", "0.00"]))
        row = replace(
            owned(key, netvisor_key=rnd.choice([f"NV-{n}", None, f"NV-{n}"])), total=total
        )
        if rnd.random() < 0.1:
            row = replace(row, state=LedgerState.SENDING)
        rows[key] = row
        lines += [billed(key, f"T{rnd.randint(0, 900)}") for _ in range(rnd.randint(0, 4))]
    lines += [billed("inv:2025-01:GONE", "T1")]  # lines of a document with no row

    def by_definition() -> list[tuple]:
        lines_by_doc: dict[str, set[str]] = {}
        for ln in lines:
            lines_by_doc.setdefault(ln.document_key, set()).add(ln.line_id)
        pairs = []
        for credit in rows.values():
            if not (
                credit.state in (LedgerState.SENT, LedgerState.CONFIRMED)
                and credit.netvisor_key
                and credit.total is not None
                and credit.total < 0
                and credit.key.startswith(("inv:", "org:"))
            ):
                continue
            corrected = lines_by_doc.get(credit.key, set())
            found = [
                rows[k]
                for k, ids in lines_by_doc.items()
                if k != credit.key
                and k in rows
                and ids & corrected
                and k.startswith("inv:")
                and (rows[k].total or 0) > 0
                and rows[k].netvisor_key
            ]
            if len(found) == 1:
                pairs.append((credit, found[0]))
        return pairs

    expected = by_definition()
    assert len(expected) >= 5  # the random ledger has pairs to find
    got = match_candidates(rows, lambda: lines)
    assert sorted(got, key=lambda p: p[0].key) == sorted(expected, key=lambda p: p[0].key)
