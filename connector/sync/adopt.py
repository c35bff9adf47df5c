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

One list request (``salesinvoicelist.nv``) covers the months of the invoices to create. A list
long enough to have been cut short is asked again in two halves of its dates, and so on, so a
company with a few hundred invoices a month still needs only a few lists; only a single day
whose list is that long (a big company's invoices share their date) is asked per customer,
one request a customer over all such days.
Only the invoices of their customers whose NetvisorKey the ledger does not know are read in
full (by NetvisorKey, ≤ 500 a request). The look-up is made when the first such invoice is
about to be decided (:class:`Adopter`; a sync decides and sends as billing goes). A look-up that cannot read a
candidate fails closed: the run stops before that invoice, and anything after it, is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

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
from connector.sync.plan import Action, ActionKind
from connector.sync.scope import still_editable
from connector.texts.i18n import texts

log = get_logger("sync")

#: ``last_error_type``/problem kind of an invoice Netvisor holds that cannot be adopted as is
ADOPT_MISMATCH = "ADOPT_MISMATCH"
ADOPT_DUPLICATE = "ADOPT_DUPLICATE"
#: an invoice list at least this long may have been cut short by Netvisor (its documentation
#: states no limit): the look-up then lists each half of its dates, down to single days, and
#: the days still that long one customer at a time
LIST_MAY_BE_CUT = 500


def desired_check(obj: DesiredObject) -> str | None:
    """The content fingerprint of the version billing produces now."""
    if isinstance(obj.payload, PackedInvoice):
        return obj.payload.check
    if isinstance(obj.payload, nv.SalesInvoice):
        return invoice_fingerprint(obj.payload)
    return None


def wanted(action: Action, rows: Mapping[str, OwnedObject]) -> bool:
    """Whether ``action`` creates an invoice the ledger has no row of (it is looked up first)."""
    return (
        action.kind is ActionKind.CREATE
        and action.obj.kind is ObjectKind.INVOICE
        and action.obj.key not in rows
        and bool(action.obj.period)
    )


class Adopter:
    """Decides, invoice by invoice, whether a create the ledger knows nothing about is already
    in Netvisor (the module text), reading Netvisor only as far as the invoices asked about need:
    the first one lists the months ``periods`` span (one request; a list long enough to have
    been cut short is asked again in halves of its dates). The single days whose list is still
    that long are asked per customer: each customer's invoices from the first such day to the
    last are listed (one request) when the first of that customer's invoices is asked about. Only invoices whose NetvisorKey the ledger
    does not know are read in full: one the ledger knows carries its own document's key.

    ``codes``: the customers whose invoices may be asked about (None: any), to read no more of
    a short list than those customers' invoices. A streamed plan asks as billing goes, so the
    first write can leave before the last owner is billed.
    """

    def __init__(
        self,
        ctx: RunContext,
        client: NetvisorClient,
        rows: Mapping[str, OwnedObject],
        *,
        periods: Iterable[Period],
        codes: Iterable[str | None] | None = None,
        adopt_unmatched: bool = False,
    ) -> None:
        self._ctx = ctx
        self._client = client
        self._rows = rows
        self._known = {r.netvisor_key for r in rows.values() if r.netvisor_key}
        self._periods = sorted(set(periods))
        self._codes = set(codes) if codes is not None else None
        self._adopt_unmatched = adopt_unmatched
        self._found: dict[str, list[nv.InvoiceDetail]] = {}
        self._listed = False
        # the first and last day whose list may be cut short: listed per customer, both and the
        # days between them in one request a customer
        self._cut: tuple[date, date] | None = None
        self._customers: set[str] = set()  # listed one by one

    def decide(self, action: Action) -> Action:
        """``action`` as it stands, or adopted/held when Netvisor already has its invoice.
        Raises RunAborted when the look-up fails (this invoice is not sent)."""
        if not wanted(action, self._rows):
            return action
        self._look_up([action])
        hits = self._found.get(action.obj.key)
        return _decide(self._ctx, action, hits, self._adopt_unmatched) if hits else action

    def _look_up(self, creates: Sequence[Action]) -> None:
        """Reads what deciding ``creates`` needs and has not been read yet."""
        span = {Period.parse(a.obj.period) for a in creates if a.obj.period}
        periods = self._periods
        if span and (not periods or min(span) < periods[0] or max(span) > periods[-1]):
            # months beyond those listed (none expected: billing makes documents of the months
            # it was given): list again over all of them
            self._periods = sorted(set(periods) | span)
            self._listed, self._cut, self._customers = False, None, set()
        try:
            if not self._listed:
                self._listed = True
                listed, cut_days = self._list_whole(*self._window())
                self._cut = (cut_days[0], cut_days[-1]) if cut_days else None
                codes = self._codes
                self._read(
                    [s for s in listed if codes is None or s.customer_code in codes | {None}]
                )
            if self._cut is not None:
                first, last = self._cut
                codes = sorted(
                    {a.obj.customer_code for a in creates if a.obj.customer_code} - self._customers
                )
                self._customers.update(codes)
                self._read(
                    [
                        s
                        for code in codes
                        for s in self._client.sales_invoices(
                            begin=first, end=last, customer_code=code
                        )
                    ]
                )
        except ConnectorError as exc:
            raise RunAborted(exc) from exc

    def _window(self) -> tuple[date, date]:
        """The invoice dates looked through: the months in play, a month before them and two
        after (a person may have moved an invoice's date)."""
        periods = self._periods
        begin = periods[0].first_day - timedelta(days=31)
        end = max(self._ctx.today, periods[-1].next().last_day) + timedelta(days=62)
        return begin, end

    def _list_whole(self, begin: date, end: date) -> tuple[list[nv.InvoiceSummary], list[date]]:
        """Every invoice dated ``begin``..``end`` that lists short enough to be whole, and the
        single days whose list may still have been cut short. A list that may have been cut
        is dropped and its dates asked again in two halves (never trusted in part)."""
        whole: list[nv.InvoiceSummary] = []
        cut: list[date] = []
        ranges = [(begin, end)]
        while ranges:
            first, last = ranges.pop()
            listed = self._client.sales_invoices(begin=first, end=last)
            if len(listed) < LIST_MAY_BE_CUT:
                whole.extend(listed)
            elif first >= last:
                cut.append(first)
            else:
                middle = first + (last - first) // 2
                ranges += [(middle + timedelta(days=1), last), (first, middle)]
        return whole, sorted(cut)

    def _read(self, summaries: Sequence[nv.InvoiceSummary]) -> None:
        unknown = [s for s in summaries if s.netvisor_key not in self._known]
        self._known.update(s.netvisor_key for s in unknown)  # read once, however often listed
        if not unknown:
            return
        details = read_every_invoice(
            self._client,
            unknown,
            unread=lambda n: (
                f"{n} of the invoices in Netvisor that may already hold documents this run would "
                "create could not be read; nothing more was sent"
            ),
            error_type="ADOPT_LOOKUP_INCOMPLETE",
        )
        for detail in details:
            key = (detail.private_comment or "").strip()
            if key and key not in self._rows:
                self._found.setdefault(key, []).append(detail)


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
