"""Reconcile: resolve every ledger row left ``sending``/``unknown`` by looking in Netvisor.

Runs before anything new is sent (and once more at the end of a run that left a write
unknown). A row in doubt is never sent again blindly: it is looked up by the connector's own
key first.

- a create: found by the connector's key (customer code, product code, the invoice's private
  comment) -> ``confirmed`` with its NetvisorKey; not found -> ``planned``;
- an invoice edit: the invoice is read back (comment lines included) and its content
  fingerprint (:mod:`connector.netvisor.fingerprint`: product lines and total) is compared with
  the fingerprints of the version sent and of the version before it (a reply without any line
  free text is compared on what it carries, and decides only when exactly one version matches:
  :func:`connector.netvisor.fingerprint.decide_version`). The new version -> the edit
  is ``confirmed``; the old version -> the row is again the old ``sent`` version (never left
  ``planned``, so its frozen/unsent check still applies); neither (a person edited the invoice,
  it is gone, the two versions cannot be told apart, or the ledger predates fingerprints) -> the
  row stays ``unknown`` with error type :data:`EDIT_UNCLEAR`, held for a person and shown by
  ``status`` and ``quarantine list``. It is never resolved by guessing: the change is neither
  re-sent nor billed again as a correction, and the owner's documents whose corrections depend
  on it are held (:mod:`connector.sync.doubt`). Each later reconcile looks again, so once a
  person has made the invoice show either version the row resolves by itself; or the person
  says which version Netvisor has (``connector ledger resolve``);
- a customer/product edit carries the whole record: it goes back to the old ``sent`` version
  and the next plan sends it again (harmless if it had applied);
- a credit-note match: matched when the credit note's open sum is zero.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum

from connector.core import failpoints
from connector.core.domain import Period
from connector.core.errors import ConnectorError
from connector.core.logging import get_logger
from connector.core.reasons import reason as worded
from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, LedgerState, ObjectKind, OwnedObject
from connector.netvisor import documents as nv
from connector.netvisor.client import NetvisorClient
from connector.netvisor.fingerprint import decide_version
from connector.netvisor.fingerprint import invoice_check as _invoice_check
from connector.sync.context import RunAborted, RunContext, helsinki_today
from connector.sync.observe import read_every_invoice

log = get_logger("sync")

# -- the invoice version check (one seam: how a look-up recognises the version sent) ----------


def invoice_check(payload: nv.SalesInvoice) -> str | None:
    """What a look-up must see for this version to count as applied: its content fingerprints
    (full and bare, :func:`connector.netvisor.fingerprint.invoice_check`)."""
    return _invoice_check(payload)


class EditOutcome(Enum):
    APPLIED = "applied"  # Netvisor shows the version sent
    NOT_APPLIED = "not_applied"  # Netvisor still shows the version before it
    UNCLEAR = "unclear"  # neither: a person must look
    # both: the reply carries no line free texts and the versions differ only in them
    INDISTINCT = "indistinct"


def edit_outcome(
    detail: nv.InvoiceDetail | None, *, pending: str | None, current: str | None
) -> EditOutcome:
    """Decide an invoice edit whose answer was lost, from the content Netvisor shows.

    ``pending``/``current``: the stored checks of the version sent and the one before it (None
    when unknown, e.g. a ledger written before fingerprints: never a match).
    """
    version = (
        decide_version(detail, pending=pending, current=current) if detail is not None else None
    )
    if version == "pending":
        return EditOutcome.APPLIED
    if version == "current":
        return EditOutcome.NOT_APPLIED
    if version == "both":
        return EditOutcome.INDISTINCT
    return EditOutcome.UNCLEAR


# -- the phase -------------------------------------------------------------------------------


def reconcile(ctx: RunContext, client: NetvisorClient, *, final: bool = False) -> None:
    """Resolve every row in doubt (see the module text).

    ``final`` (the end-of-run pass): a write found not to have happened counts as failed.
    Raises RunAborted when a look-up fails: nothing more is sent; the rows stay in doubt.
    """
    ledger, report = ctx.ledger, ctx.report
    rows = ledger.objects(states=IN_DOUBT)
    if not rows:
        return
    log.info("reconcile_start", in_doubt=len(rows), final=final)
    before = report.counts["replanned"] + report.counts["restored"]
    try:
        creates = [r for r in rows if r.pending_action == "create"]
        found_customers = client.customers_by_code(
            [r.customer_code for r in creates if r.kind is ObjectKind.CUSTOMER and r.customer_code]
        )
        for row in rows:
            _reconcile_row(ctx, client, row, found_customers)
    except ConnectorError as exc:
        raise RunAborted(exc) from exc
    if final:
        report.counts["failed"] += report.counts["replanned"] + report.counts["restored"] - before
        report.counts["unknown"] = len(ledger.objects(states=IN_DOUBT))


def read_back(ctx: RunContext, client: NetvisorClient, key: str) -> bool:
    """Resolve one write right after its answer was lost, before the run sends anything else.

    The client has already kept the company busy for ``busy_wait`` after a timeout, so the
    look-up does not overlap the write Netvisor may still be processing. True when Netvisor has
    the write (the row is ``confirmed``); False when it did not happen (the row is back to
    ``planned``/the old version and counts as not sent) or is still in doubt (the end-of-run
    reconcile, or the next run, looks again). A look-up that fails leaves the row in doubt.
    """
    row = ctx.ledger.get(key)
    if row is None or row.state not in IN_DOUBT:
        return False
    counts = ctx.report.counts
    before = counts["replanned"] + counts["restored"]
    try:
        found = (
            client.customers_by_code([row.customer_code])
            if row.kind is ObjectKind.CUSTOMER and row.customer_code
            else {}
        )
        _reconcile_row(ctx, client, row, found)
    except ConnectorError as exc:
        log.warning("read_back_failed", key=key, error_type=exc.error_type, error=exc.message)
        return False
    after = ctx.ledger.get(key)
    if after is None or after.state in IN_DOUBT:
        return False
    counts["unknown"] -= 1
    counts["failed"] += counts["replanned"] + counts["restored"] - before
    return after.state is LedgerState.CONFIRMED


def _reconcile_row(
    ctx: RunContext,
    client: NetvisorClient,
    row: OwnedObject,
    found_customers: dict[str, nv.CustomerSummary],
) -> None:
    if row.kind is ObjectKind.MATCH:
        _resolve(ctx, row, _find_match(ctx, client, row))
    elif row.pending_action != "create":
        _resolve_edit(ctx, client, row)
    elif row.kind is ObjectKind.CUSTOMER:
        hit = found_customers.get(row.customer_code or "")
        _resolve(ctx, row, hit.netvisor_key if hit else None)
    elif row.kind is ObjectKind.PRODUCT:
        hit = client.product_by_code(row.key.removeprefix("prod:"))
        _resolve(ctx, row, hit.netvisor_key if hit else None)
    else:
        _resolve(ctx, row, _find_invoice(ctx, client, row))


def _resolve(ctx: RunContext, row: OwnedObject, netvisor_key: str | None) -> None:
    failpoints.hit("reconcile_read", str(row.kind))
    if netvisor_key:
        ctx.ledger.mark_confirmed(row.key, netvisor_key)
        ctx.report.counts["reconciled"] += 1
        log.info("reconciled_found", key=row.key, netvisor_key=netvisor_key)
    elif _maybe_in_flight(ctx, row):
        return
    else:
        ctx.ledger.back_to_planned(row.key, "reconcile: not found in Netvisor")
        ctx.report.counts["replanned"] += 1
        log.info("reconciled_not_found", key=row.key)


def _maybe_in_flight(ctx: RunContext, row: OwnedObject) -> bool:
    """Not found, but another host that ran this company until it died may have the write in
    flight still (a PostgreSQL ledger, within the request timeout plus the lease time of the
    takeover): the row stays in doubt, nothing is resent, the next run looks again."""
    if not ctx.ledger.writes_possibly_in_flight():
        return False
    log.warning(
        "reconcile_not_found_yet", key=row.key, reason="another host's write may be in flight"
    )
    return True


def _resolve_edit(ctx: RunContext, client: NetvisorClient, row: OwnedObject) -> None:
    if row.kind is ObjectKind.INVOICE and row.netvisor_key:
        detail = client.sales_invoice(row.netvisor_key)
        failpoints.hit("reconcile_read", str(row.kind))
        outcome = edit_outcome(detail, pending=row.pending_check, current=row.content_check)
        if outcome is EditOutcome.APPLIED:
            assert detail is not None
            ctx.ledger.mark_confirmed(row.key, row.netvisor_key, status=detail.status)
            ctx.report.counts["reconciled"] += 1
            log.info("reconciled_edit_applied", key=row.key)
            return
        if outcome in (EditOutcome.UNCLEAR, EditOutcome.INDISTINCT):
            if detail is None:
                reason = worded("edit_gone")
            elif outcome is EditOutcome.INDISTINCT:
                reason = worded("edit_indistinct")
            else:
                reason = worded("edit_unclear")
            ctx.ledger.mark_unknown(
                row.key,
                EDIT_UNCLEAR,
                worded("edit_unclear_detail", why=reason, netvisor_key=row.netvisor_key),
            )
            ctx.report.counts["unknown"] += 1
            ctx.report.counts["held_for_person"] += 1
            problem = worded(
                "held_for_person", key=row.key, why=reason, netvisor_key=row.netvisor_key
            )
            if problem not in ctx.report.problems:  # the same row may be looked at twice a run
                ctx.report.problems.append(problem)
            log.error("reconciled_edit_unclear", key=row.key, netvisor_key=row.netvisor_key)
            return
    if _maybe_in_flight(ctx, row):
        return
    ctx.ledger.restore_settled(row.key, "reconcile: the edit did not apply")
    failpoints.hit("reconcile_settled", str(row.kind))
    ctx.report.counts["restored"] += 1
    log.info("reconciled_edit_not_applied", key=row.key)


def _search_end(ctx: RunContext) -> date:
    return max(ctx.today, helsinki_today()) + timedelta(days=62)


def _find_match(ctx: RunContext, client: NetvisorClient, row: OwnedObject) -> str | None:
    """A match happened when the credit note's open sum is zero (returns a marker key)."""
    credit = ctx.ledger.get(row.key.removeprefix("match:"))
    if credit is None or not credit.netvisor_key or not credit.period:
        return None
    period = Period.parse(credit.period)
    for summary in client.sales_invoices(
        begin=period.first_day, end=_search_end(ctx), customer_code=credit.customer_code
    ):
        if summary.netvisor_key == credit.netvisor_key:
            return credit.netvisor_key if summary.open_sum == 0 else None
    return None


def _find_invoice(ctx: RunContext, client: NetvisorClient, row: OwnedObject) -> str | None:
    """Find an invoice by the key the connector wrote into its private comment.

    Fails closed: if a candidate cannot be read, the row stays in doubt (never "not found").
    """
    period = Period.parse(row.period) if row.period else Period.of(ctx.today)
    summaries = client.sales_invoices(
        begin=period.first_day - timedelta(days=31),
        end=_search_end(ctx),
        customer_code=row.customer_code,
    )
    if not summaries:
        return None
    details = read_every_invoice(
        client,
        summaries,
        unread=lambda n: (
            f"reconcile of {row.key}: {n} candidate invoices could not be read; left in doubt"
        ),
        error_type="RECONCILE_INCOMPLETE",
    )
    found = [d for d in details if (d.private_comment or "").strip() == row.key]
    if len(found) > 1:
        log.error(
            "duplicate_invoices_found", key=row.key, netvisor_keys=[m.netvisor_key for m in found]
        )
    return found[0].netvisor_key if found else None
