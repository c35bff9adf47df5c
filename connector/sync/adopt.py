"""Adopt: before the first write of an invoice the ledger knows nothing about, look in Netvisor.

A fresh ledger, one copied beside the first (a second config against the same company) or one
restored from an older ``ledger backup`` does not know invoices the connector already made.
Creating them again would bill every customer twice, so every invoice the plan would *create*
without a ledger row is first looked for by the connector's own key, the document key it writes
into the invoice's private comment (as reconcile does for a create in doubt):

- not there: created as planned;
- there once, with the content billing produces now (the content fingerprint of
  :mod:`connector.netvisor.fingerprint` equals the desired version's): **adopted** — the ledger
  records it as ``confirmed`` with that version's hash and billed lines, and nothing is sent;
- there once, with other content, Netvisor still letting it be edited (``unsent``), and the run
  asked to adopt (``connector sync --adopt``): recorded as Netvisor's invoice, then edited to
  the version billing produces (an edit, never a second invoice);
- otherwise (other content without ``--adopt``, other content that can no longer be edited, or
  the key on more than one invoice): **held for a person**, with what they found and the
  command to run; never guessed, never created again.

One list request (``salesinvoicelist.nv``) covers the months of the invoices to create (one
per customer when that list is long enough to have been cut short); only the invoices of
their customers are read in full (by NetvisorKey, ≤ 500 a request). A
look-up that cannot read a candidate fails closed: the run stops before writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from connector.core import failpoints
from connector.core.domain import Period
from connector.core.errors import ConnectorError
from connector.core.logging import get_logger
from connector.ledger import ObjectKind, OwnedObject
from connector.netvisor import documents as nv
from connector.netvisor.client import NetvisorClient
from connector.netvisor.fingerprint import invoice_fingerprint
from connector.sync.context import RunAborted, RunContext
from connector.sync.desired import DesiredObject, PackedInvoice
from connector.sync.observe import read_every_invoice
from connector.sync.plan import Action, ActionKind, Plan
from connector.sync.scope import still_editable
from connector.texts.i18n import texts

log = get_logger("sync")

#: ``last_error_type``/problem kind of an invoice Netvisor holds that cannot be adopted as is
ADOPT_MISMATCH = "ADOPT_MISMATCH"
ADOPT_DUPLICATE = "ADOPT_DUPLICATE"
#: an invoice list at least this long may have been cut short by Netvisor (its documentation
#: states no limit): the look-up then lists the customers' invoices one customer at a time
LIST_MAY_BE_CUT = 500


def desired_check(obj: DesiredObject) -> str | None:
    """The content fingerprint of the version billing produces now."""
    if isinstance(obj.payload, PackedInvoice):
        return obj.payload.check
    if isinstance(obj.payload, nv.SalesInvoice):
        return invoice_fingerprint(obj.payload)
    return None


def adopt_existing(
    ctx: RunContext,
    client: NetvisorClient,
    plan: Plan,
    rows: Mapping[str, OwnedObject],
    *,
    adopt_unmatched: bool = False,
) -> Plan:
    """``plan`` with each invoice create the ledger knows nothing about checked in Netvisor
    first (see the module text). Read-only runs record nothing; they show what a sync would do.
    Raises RunAborted when the look-up fails (nothing has been written)."""
    creates = [
        a
        for a in plan.actions
        if a.kind is ActionKind.CREATE
        and a.obj.kind is ObjectKind.INVOICE
        and a.obj.key not in rows
        and a.obj.period
    ]
    if not creates:
        return plan
    try:
        found = _look_up(ctx, client, creates)
    except ConnectorError as exc:
        raise RunAborted(exc) from exc
    if not found:
        return plan
    decided = {
        a.obj.key: _decide(ctx, a, found[a.obj.key], adopt_unmatched)
        for a in creates
        if a.obj.key in found
    }
    return Plan(
        [decided.get(a.obj.key, a) if a.kind is ActionKind.CREATE else a for a in plan.actions]
    )


def _look_up(
    ctx: RunContext, client: NetvisorClient, creates: list[Action]
) -> dict[str, list[nv.InvoiceDetail]]:
    """Document key -> the invoices in Netvisor whose private comment is that key."""
    periods = [Period.parse(a.obj.period) for a in creates if a.obj.period]
    wanted = {a.obj.key for a in creates}
    codes = {a.obj.customer_code for a in creates}
    begin = min(periods).first_day - timedelta(days=31)
    end = max(ctx.today, max(periods).next().last_day) + timedelta(days=62)
    listed = client.sales_invoices(begin=begin, end=end)
    if len(listed) >= LIST_MAY_BE_CUT:  # a list this long may be cut short: ask per customer
        listed = [
            s
            for code in sorted(c for c in codes if c)
            for s in client.sales_invoices(begin=begin, end=end, customer_code=code)
        ]
    summaries = [s for s in listed if s.customer_code is None or s.customer_code in codes]
    if not summaries:
        return {}
    details = read_every_invoice(
        client,
        summaries,
        unread=lambda n: (
            f"{n} of the invoices in Netvisor that may already hold documents this run would "
            "create could not be read; nothing was sent"
        ),
        error_type="ADOPT_LOOKUP_INCOMPLETE",
    )
    found: dict[str, list[nv.InvoiceDetail]] = {}
    for detail in details:
        key = (detail.private_comment or "").strip()
        if key in wanted:
            found.setdefault(key, []).append(detail)
    return found


def _decide(
    ctx: RunContext, action: Action, hits: list[nv.InvoiceDetail], adopt_unmatched: bool
) -> Action:
    obj = action.obj
    t = texts(ctx.config.connector.language)
    report = ctx.report
    if len(hits) > 1:
        keys = ", ".join(sorted(h.netvisor_key for h in hits))
        report.counts["awaiting_person"] += 1
        report.problems.append(t("adopt.duplicate", key=obj.key, count=len(hits), keys=keys))
        log.error("adopt_duplicates", key=obj.key, netvisor_keys=keys)
        return Action(ActionKind.HOLD, obj.slim(), t("adopt.duplicate_reason", keys=keys))
    hit = hits[0]
    shown = invoice_fingerprint(hit)
    check = desired_check(obj)
    if shown is not None and shown == check:
        if not ctx.read_only:
            ctx.ledger.adopt_invoice(
                obj.key,
                netvisor_key=hit.netvisor_key,
                status=hit.status,
                content_hash=obj.content_hash,
                check=check,
                lines=obj.billed_lines(),
                period=obj.period,
                customer_code=obj.customer_code,
                total=obj.total,
                run_id=ctx.run_id,
                billed_on=ctx.today.isoformat(),
            )
            failpoints.hit("after_adopt", "invoice")
        report.counts["adopted"] += 1
        log.info("adopted_invoice", key=obj.key, netvisor_key=hit.netvisor_key)
        return Action(
            ActionKind.SKIP, obj.slim(), t("adopt.same", nv=hit.netvisor_key), hit.netvisor_key
        )
    if adopt_unmatched and still_editable(hit.status):
        if not ctx.read_only:
            ctx.ledger.adopt_invoice(
                obj.key,
                netvisor_key=hit.netvisor_key,
                status=hit.status,
                content_hash=None,  # not what billing produces: the edit below replaces it
                check=shown,
                lines=(),
                period=obj.period,
                customer_code=obj.customer_code,
                total=hit.total,
                run_id=ctx.run_id,
                billed_on=ctx.today.isoformat(),
            )
        report.counts["adopted"] += 1
        log.warning("adopted_invoice_to_edit", key=obj.key, netvisor_key=hit.netvisor_key)
        return Action(ActionKind.EDIT, obj, t("adopt.edit", nv=hit.netvisor_key), hit.netvisor_key)
    report.counts["awaiting_person"] += 1
    if still_editable(hit.status):
        report.problems.append(t("adopt.differs", key=obj.key, nv=hit.netvisor_key))
    else:
        report.problems.append(
            t("adopt.differs_frozen", key=obj.key, nv=hit.netvisor_key, status=hit.status or "")
        )
    log.error("adopt_mismatch", key=obj.key, netvisor_key=hit.netvisor_key, status=hit.status)
    return replace(
        Action(ActionKind.HOLD, obj.slim(), t("adopt.differs_reason", nv=hit.netvisor_key)),
        netvisor_key=hit.netvisor_key,
    )
