"""reconcile: rows left in doubt are looked up in Netvisor, never resent blindly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sync.helpers import invoice, run_context

from connector.core.errors import TransientError
from connector.ledger import EDIT_UNCLEAR, Ledger, LedgerState, ObjectKind
from connector.netvisor import documents as nv
from connector.sync.context import RunAborted
from connector.sync.reconcile import EditOutcome, edit_outcome, invoice_check, reconcile


def detail(key: str, *, total: str, comment: str | None = None) -> nv.InvoiceDetail:
    return nv.InvoiceDetail(key, None, None, "unsent", "C1", Decimal(total), comment)


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
    netvisor.invoices["NV-8"] = detail("NV-8", total="60.00", comment="inv:2026-04:C1")
    netvisor.invoices["NV-9"] = detail("NV-9", total="60.00", comment="inv:2026-04:C2")
    sending(ledger, "inv:2026-04:C1", ObjectKind.INVOICE, period="2026-04")
    reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    row = ledger.get("inv:2026-04:C1")
    assert (row.state, row.netvisor_key) == (LedgerState.CONFIRMED, "NV-8")


def test_a_candidate_invoice_that_cannot_be_read_keeps_the_row_in_doubt(ledger: Ledger) -> None:
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = detail("NV-8", total="60.00", comment="inv:2026-04:C1")
    netvisor.unreadable.add("NV-8")
    sending(ledger, "inv:2026-04:C1", ObjectKind.INVOICE, period="2026-04")
    with pytest.raises(RunAborted) as info:
        reconcile(run_context(ledger), netvisor)  # type: ignore[arg-type]
    assert isinstance(info.value.error, TransientError)
    assert ledger.get("inv:2026-04:C1").state is LedgerState.SENDING


def shown(
    payload: nv.SalesInvoice,
    *,
    key: str = "NV-8",
    comments: bool = False,
    free_texts: bool = True,
) -> nv.InvoiceDetail:
    """``payload`` as getsalesinvoice.nv shows it once applied (product lines, total);
    ``free_texts=False``: a reply that carries no line free texts at all."""
    lines = tuple(
        nv.DetailProductLine(
            ln.product_code,
            ln.quantity,
            ln.unit_price,
            ln.vat_percent,
            ln.free_text if free_texts else None,
        )
        for ln in payload.product_lines
    )
    comment_lines = tuple(ln for ln in payload.lines if isinstance(ln, nv.CommentLine))
    return nv.InvoiceDetail(
        key,
        None,
        None,
        "unsent",
        "C1",
        payload.total,
        payload.private_comment,
        product_lines=lines,
        comment_lines=comment_lines if comments else (),
        comment_lines_included=comments,
    )


def with_hours(payload: nv.SalesInvoice, hours: str) -> nv.SalesInvoice:
    """The same invoice with the home-care line's quantity changed (one hour more, say)."""
    line = payload.lines[0]
    assert isinstance(line, nv.ProductLine)
    changed = nv.ProductLine(
        line.product_code,
        line.name,
        line.unit_price,
        Decimal(hours),
        line.vat_percent,
        line.vat_code,
        free_text=line.free_text,
    )
    return replace(payload, lines=(nv.CommentLine("Huhtikuu 2026"), changed))


def edit_in_doubt(ledger: Ledger, key: str, old: nv.SalesInvoice, new: nv.SalesInvoice) -> None:
    """``key`` was created as ``old`` (answered), then an edit to ``new`` lost its answer."""
    ledger.mark_sending(
        key, ObjectKind.INVOICE, pending_hash="h1", action="create", check=invoice_check(old)
    )
    ledger.mark_sent(key, "NV-8")
    sending(ledger, key, ObjectKind.INVOICE, action="edit", check=invoice_check(new))
    ledger.mark_unknown(key, "NETWORK", "the answer was lost")


@pytest.mark.parametrize("comments", [False, True])
def test_a_lost_edit_that_netvisor_applied_is_confirmed_from_the_content(
    ledger: Ledger, comments: bool
) -> None:
    """An edit whose answer was lost is decided by content (product lines and total), whether
    or not the reply carries the comment lines: a committed edit is never taken as unapplied
    (that billed the change twice as a correction)."""
    key = "inv:2026-04:C1"
    old = invoice().payload  # 2 x 30,00
    new = with_hours(old, "3")  # one hour more, and a comment line
    edit_in_doubt(ledger, key, old, new)
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = shown(new, comments=comments)
    ctx = run_context(ledger)
    reconcile(ctx, netvisor)  # type: ignore[arg-type]
    row = ledger.get(key)
    assert (row.state, row.content_hash, row.pending_hash) == (LedgerState.CONFIRMED, "h2", None)
    assert row.content_check == invoice_check(new)
    assert ctx.report.counts["reconciled"] == 1


def test_a_lost_edit_that_did_not_apply_restores_the_version_netvisor_holds(
    ledger: Ledger,
) -> None:
    key = "inv:2026-04:C1"
    old = invoice().payload
    new = with_hours(old, "3")
    edit_in_doubt(ledger, key, old, new)
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = shown(old)
    ctx = run_context(ledger)
    reconcile(ctx, netvisor)  # type: ignore[arg-type]
    row = ledger.get(key)
    assert (row.state, row.content_hash, row.pending_hash) == (LedgerState.SENT, "h1", None)
    assert row.content_check == invoice_check(old)
    assert ctx.report.counts["restored"] == 1


@pytest.mark.parametrize(
    "seen",
    ["a person's edit", "gone", "no fingerprint in the ledger"],
)
def test_an_edit_that_matches_neither_version_is_held_for_a_person_never_guessed(
    ledger: Ledger, seen: str
) -> None:
    key = "inv:2026-04:C1"
    old = invoice().payload
    new = with_hours(old, "3")
    netvisor = FakeNetvisor()
    if seen == "no fingerprint in the ledger":  # a ledger written before fingerprints
        ledger.mark_sending(key, ObjectKind.INVOICE, pending_hash="h1", action="create")
        ledger.mark_sent(key, "NV-8")
        sending(ledger, key, ObjectKind.INVOICE, action="edit", check="63.00|2")
        netvisor.invoices["NV-8"] = shown(new)
    else:
        edit_in_doubt(ledger, key, old, new)
        if seen == "a person's edit":
            netvisor.invoices["NV-8"] = shown(with_hours(old, "2.5"))
    ctx = run_context(ledger)
    for _ in range(2):  # and the next run does not guess either
        reconcile(ctx, netvisor)  # type: ignore[arg-type]
        row = ledger.get(key)
        assert (row.state, row.last_error_type) == (LedgerState.UNKNOWN, EDIT_UNCLEAR)
        assert (row.content_hash, row.pending_hash) == ("h1", "h2")
    assert ctx.report.counts["held_for_person"] == 2
    # told once, however often the row is looked at in a run (the summary printed it twice)
    assert sum("held for a person" in p for p in ctx.report.problems) == 1
    assert ctx.report.exit_code == 1


def test_the_edit_outcome_compares_the_shown_content_with_both_versions() -> None:
    old = invoice().payload
    new = with_hours(old, "3")
    cur, pend = invoice_check(old), invoice_check(new)
    assert edit_outcome(shown(new), pending=pend, current=cur) is EditOutcome.APPLIED
    assert edit_outcome(shown(new, comments=True), pending=pend, current=cur) is (
        EditOutcome.APPLIED
    )
    assert edit_outcome(shown(old), pending=pend, current=cur) is EditOutcome.NOT_APPLIED
    assert edit_outcome(shown(old), pending=pend, current=None) is EditOutcome.UNCLEAR
    assert edit_outcome(None, pending=pend, current=cur) is EditOutcome.UNCLEAR
    # same total, different lines: not the version sent
    moved = replace(
        new,
        lines=(
            nv.ProductLine(
                "KOTIHOITO", "Kotihoito", Decimal("45.00"), Decimal(2), Decimal(0), "KOMY"
            ),
        ),
    )
    assert moved.total == new.total
    assert edit_outcome(shown(moved), pending=pend, current=cur) is EditOutcome.UNCLEAR


def with_free_text(payload: nv.SalesInvoice, text: str) -> nv.SalesInvoice:
    """The same invoice with only the first product line's free text changed."""
    first = payload.product_lines[0]
    lines = tuple(replace(ln, free_text=text) if ln is first else ln for ln in payload.lines)
    return replace(payload, lines=lines)


def test_a_reply_without_free_texts_decides_when_exactly_one_version_matches() -> None:
    """Issue 19: a getsalesinvoice reply that lists the lines without
    SalesInvoiceProductLineFreeText is compared on what it carries."""
    old = with_free_text(invoice().payload, "09.04.2026 tehtävä T2")
    new = with_hours(old, "3")
    assert any(ln.free_text for ln in new.product_lines)  # the full fingerprint cannot match
    cur, pend = invoice_check(old), invoice_check(new)
    bare_new, bare_old = shown(new, free_texts=False), shown(old, free_texts=False)
    assert edit_outcome(bare_new, pending=pend, current=cur) is EditOutcome.APPLIED
    assert edit_outcome(bare_old, pending=pend, current=cur) is EditOutcome.NOT_APPLIED
    # a ledger that stored only full fingerprints (before bare ones): no guess, not even when
    # only the version before lacks its bare fingerprint (it might match as well)
    full_only = {c: c.split()[0] for c in (cur, pend)}
    assert (
        edit_outcome(bare_new, pending=full_only[pend], current=full_only[cur])
        is EditOutcome.UNCLEAR
    )
    assert edit_outcome(bare_new, pending=pend, current=full_only[cur]) is EditOutcome.UNCLEAR
    assert edit_outcome(bare_old, pending=full_only[pend], current=cur) is EditOutcome.UNCLEAR


def test_versions_that_differ_only_in_free_texts_stay_unclear_without_free_texts() -> None:
    old = with_free_text(invoice().payload, "09.04.2026 tehtävä T2")
    new = with_free_text(old, "10.04.2026 tehtävä T2")
    cur, pend = invoice_check(old), invoice_check(new)
    # with free texts the reply decides; without them both versions match: held
    assert edit_outcome(shown(new), pending=pend, current=cur) is EditOutcome.APPLIED
    bare = shown(new, free_texts=False)
    assert edit_outcome(bare, pending=pend, current=cur) is EditOutcome.INDISTINCT


def test_a_reply_with_some_free_texts_is_never_compared_bare() -> None:
    """Only a reply carrying no free text at all is compared on what it carries: one whose
    free texts differ from both versions is a person's edit."""
    old = invoice().payload
    new = with_hours(old, "3")
    edited = with_free_text(new, "a person wrote this")
    cur, pend = invoice_check(old), invoice_check(new)
    assert edit_outcome(shown(edited), pending=pend, current=cur) is EditOutcome.UNCLEAR


def test_an_edit_a_reply_without_free_texts_cannot_tell_apart_is_held_and_says_why(
    ledger: Ledger,
) -> None:
    key = "inv:2026-04:C1"
    old = with_free_text(invoice().payload, "09.04.2026 tehtävä T2")
    new = with_free_text(old, "10.04.2026 tehtävä T2")
    edit_in_doubt(ledger, key, old, new)
    netvisor = FakeNetvisor()
    netvisor.invoices["NV-8"] = shown(new, free_texts=False)
    ctx = run_context(ledger)
    reconcile(ctx, netvisor)  # type: ignore[arg-type]
    reconcile(ctx, netvisor, final=True)  # type: ignore[arg-type]
    row = ledger.get(key)
    assert (row.state, row.last_error_type) == (LedgerState.UNKNOWN, EDIT_UNCLEAR)
    (problem,) = ctx.report.problems  # said once, though both passes found it
    assert "no line free texts" in problem and "differ only in them" in problem


def test_after_a_takeover_not_found_is_not_yet_proof_another_hosts_write_did_not_happen(
    tmp_path: Path,
) -> None:
    """PostgreSQL ledger: host B took the company over from host A, whose lease expired while A
    may still have had a request in flight. Until the request timeout plus the lease time has
    passed, reconcile confirms what it finds but leaves what it does not find in doubt."""
    import pgserver
    import psycopg

    from connector.ledger import RunLock

    location = pgserver.location(lease_seconds=30, request_timeout=120)
    try:
        host_a = RunLock(location)
        host_a.acquire()
        with Ledger(location) as ledger_a:
            sending(ledger_a, "cust:C1", ObjectKind.CUSTOMER)
            sending(ledger_a, "prod:KOTIHOITO", ObjectKind.PRODUCT)
        with psycopg.connect(pgserver.server_url(), autocommit=True) as conn:  # A froze
            conn.execute(
                "UPDATE connector.leases SET expires_at = clock_timestamp() WHERE company = %s",
                [location.company],
            )
        host_b = RunLock(location)
        assert host_b.try_acquire()
        with Ledger(location) as ledger:
            assert ledger.writes_possibly_in_flight()
            netvisor = FakeNetvisor()
            netvisor.customers["C1"] = "NV-5"
            ctx = run_context(ledger)
            reconcile(ctx, netvisor)  # type: ignore[arg-type]
            assert ledger.get("cust:C1").state is LedgerState.CONFIRMED
            assert ledger.get("prod:KOTIHOITO").state is LedgerState.SENDING  # not resent yet
            assert ctx.report.counts["replanned"] == 0
        host_b.release()
        host_a.release()
    finally:
        pgserver.drop(location.company)
