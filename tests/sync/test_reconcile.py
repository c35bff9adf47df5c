"""reconcile: rows left in doubt are looked up in Netvisor, never resent blindly."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sync.helpers import invoice, run_context

from connector.errors import TransientError
from connector.ledger import Ledger, LedgerState, ObjectKind
from connector.netvisor import documents as nv
from connector.sync.context import RunAborted
from connector.sync.reconcile import invoice_check, invoice_check_matches, reconcile


def detail(key: str, *, total: str, lines: int, comment: str | None = None) -> nv.InvoiceDetail:
    return nv.InvoiceDetail(key, None, None, "unsent", "C1", Decimal(total), comment, lines)


class FakeNetvisor:
    def __init__(self) -> None:
        self.customers: dict[str, str] = {}
        self.invoices: dict[str, nv.InvoiceDetail] = {}
        self.unreadable: set[str] = set()

    def customers_by_code(self, codes: list[str]) -> dict[str, nv.CustomerSummary]:
        return {
            c: nv.CustomerSummary(self.customers[c], c, None, None)
            for c in codes
            if c in self.customers
        }

    def product_by_code(self, code: str) -> None:
        return None

    def sales_invoice(self, netvisor_key: str) -> nv.InvoiceDetail | None:
        return self.invoices.get(netvisor_key)

    def sales_invoices(self, **_: Any) -> list[nv.InvoiceSummary]:
        return [
            nv.InvoiceSummary(d.netvisor_key, None, None, d.status, "C1", d.total, d.total)
            for d in self.invoices.values()
        ]

    def sales_invoices_by_keys(self, keys: list[str]) -> list[nv.InvoiceDetail]:
        return [self.invoices[k] for k in keys if k in self.invoices and k not in self.unreadable]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


def sending(ledger: Ledger, key: str, kind: ObjectKind, action: str = "create", **kw: Any) -> None:
    ledger.mark_sending(key, kind, pending_hash="h2", action=action, customer_code="C1", **kw)


def test_a_create_found_by_its_code_is_confirmed_and_one_not_found_is_planned_again(
    ledger: Ledger,
) -> None:
    netvisor = FakeNetvisor()
    netvisor.customers["C1"] = "NV-5"
    sending(ledger, "cust:C1", ObjectKind.CUSTOMER)
    sending(ledger, "prod:KOTIHOITO", ObjectKind.PRODUCT)
    ctx = run_context(ledger)
    reconcile(ctx, netvisor)  # type: ignore[arg-type]
    cust, prod = ledger.get("cust:C1"), ledger.get("prod:KOTIHOITO")
    assert (cust.state, cust.netvisor_key) == (LedgerState.CONFIRMED, "NV-5")
    assert prod.state is LedgerState.PLANNED
    assert (ctx.report.counts["reconciled"], ctx.report.counts["replanned"]) == (1, 1)


def test_an_invoice_create_is_found_by_the_key_in_its_private_comment(ledger: Ledger) -> None:
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = detail("NV-8", total="60.00", lines=1, comment="inv:2026-04:C1")
    netvisor.invoices["NV-9"] = detail("NV-9", total="60.00", lines=1, comment="inv:2026-04:C2")
    sending(ledger, "inv:2026-04:C1", ObjectKind.INVOICE, period="2026-04")
    reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    row = ledger.get("inv:2026-04:C1")
    assert (row.state, row.netvisor_key) == (LedgerState.CONFIRMED, "NV-8")


def test_a_candidate_invoice_that_cannot_be_read_keeps_the_row_in_doubt(ledger: Ledger) -> None:
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = detail("NV-8", total="60.00", lines=1, comment="inv:2026-04:C1")
    netvisor.unreadable.add("NV-8")
    sending(ledger, "inv:2026-04:C1", ObjectKind.INVOICE, period="2026-04")
    with pytest.raises(RunAborted) as info:
        reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    assert isinstance(info.value.error, TransientError)
    assert ledger.get("inv:2026-04:C1").state is LedgerState.SENDING


def test_an_invoice_edit_is_confirmed_only_when_netvisor_shows_the_pending_version(
    ledger: Ledger,
) -> None:
    key = "inv:2026-04:C1"
    ledger.mark_sending(key, ObjectKind.INVOICE, pending_hash="h1", action="create")
    ledger.mark_sent(key, "NV-8")
    pending = invoice().payload  # 2 x 30.00 on one line
    sending(ledger, key, ObjectKind.INVOICE, action="edit", check=invoice_check(pending))
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = detail("NV-8", total="99.00", lines=1)  # the old version
    reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    row = ledger.get(key)
    assert (row.state, row.content_hash, row.pending_hash) == (LedgerState.SENT, "h1", None)

    sending(ledger, key, ObjectKind.INVOICE, action="edit", check=invoice_check(pending))
    netvisor.invoices["NV-8"] = detail("NV-8", total=str(pending.total), lines=1)
    reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    row = ledger.get(key)
    assert (row.state, row.content_hash) == (LedgerState.CONFIRMED, "h2")


def test_the_invoice_check_compares_gross_total_and_line_count() -> None:
    check = invoice_check(invoice().payload)
    total = invoice().payload.total
    assert invoice_check_matches(check, detail("K", total=str(total), lines=1))
    assert not invoice_check_matches(check, detail("K", total=str(total), lines=2))
    assert not invoice_check_matches(check, detail("K", total="0.01", lines=1))
    assert not invoice_check_matches(None, detail("K", total=str(total), lines=1))
