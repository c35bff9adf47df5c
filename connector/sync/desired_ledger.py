"""Desired objects that follow from the ledger's rows rather than from billing's documents.

Owns the zero "cancelled" version of a still-unsent invoice whose work all disappeared
(:func:`voided_invoices`: the API cannot delete, so nothing stays billed and a person deletes
it) and the credit-note matches: which credit note corrects which one earlier invoice
(:func:`match_candidates`) and the match of each pair Netvisor shows both ``open``
(:func:`matches`; the statuses are read by ``observe.py`` and passed in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from connector.billing import BillingRules, invoice_date
from connector.billing.documents import BilledLine
from connector.core.domain import Period
from connector.core.reasons import reason as worded
from connector.ledger import IN_DOUBT, SETTLED, Ledger, LedgerState, ObjectKind, OwnedObject
from connector.netvisor import documents as nv
from connector.sync.desired import DesiredObject, customer_key, match_key

# -- cancelled invoices -----------------------------------------------------------------------

CANCELLED_TEXT = (
    "PERUTTU: laskutettava työ poistui ennen lähetystä. Poista lasku. "
    "(Cancelled: the work was removed before sending.)"
)


def voided_invoices(
    withdrawn: Iterable[str],
    rows: Mapping[str, OwnedObject],
    ledger: Ledger,
    *,
    rules: BillingRules,
    payment_term_days: int,
    invoice_status: str,
) -> list[DesiredObject]:
    """Still-unsent invoices whose work all disappeared: edit them to a zero "cancelled"
    version (the API cannot delete), so nothing stays billed and a person can delete it."""
    out = []
    for key in withdrawn:
        row = rows.get(key)
        if row is None or row.netvisor_key is None or row.period is None:
            continue
        previous = [ln for ln in ledger.billed_lines(document_key=key) if ln.product_code]
        if not previous:
            continue
        first = previous[0]
        period = Period.parse(row.period)
        payload = nv.SalesInvoice(
            invoice_date=invoice_date(period, rules),
            customer_code=row.customer_code or "",
            payment_term_days=payment_term_days,
            lines=(
                nv.CommentLine(CANCELLED_TEXT),
                nv.ProductLine(
                    product_code=first.product_code or "",
                    name="Peruttu / cancelled",
                    unit_price=Decimal("0.00"),
                    quantity=Decimal("0"),
                    vat_percent=first.vat_percent or Decimal("0"),
                    vat_code=first.vat_code or "KOMY",
                ),
            ),
            status=invoice_status,
            private_comment=key,
        )
        out.append(
            DesiredObject.of(
                key,
                ObjectKind.INVOICE,
                payload,
                worded("summary_cancelled", period=row.period, customer=row.customer_code),
                lines=(),
                period=row.period,
                customer_code=row.customer_code,
                total=Decimal("0.00"),
                depends_on=(customer_key(row.customer_code or ""),),
            )
        )
    return out


# -- credit-note matches ---------------------------------------------------------------------


def match_candidates(
    rows: Mapping[str, OwnedObject], billed_lines: Callable[[], Sequence[BilledLine]]
) -> list[tuple[OwnedObject, OwnedObject]]:
    """(credit note, the invoice it corrects) pairs not yet matched (nor being matched).

    The invoice is the one earlier document that billed the lines the credit note corrects;
    with none or several there is nothing to match automatically.
    """
    credits = [
        r
        for r in rows.values()
        if r.kind is ObjectKind.INVOICE
        and r.state in SETTLED
        and r.netvisor_key
        and r.total is not None
        and r.total < 0
        and not (
            match_key(r.key) in rows
            and rows[match_key(r.key)].state in (*SETTLED, *IN_DOUBT, LedgerState.REJECTED)
        )
    ]
    if not credits:
        return []
    # Each credit note looks only at the documents that share one of its lines: a ledger keeps
    # every line ever billed, and a credit note never matched (its invoice paid) is a candidate
    # again in every run. Only the lines credit notes corrected are indexed.
    lines = billed_lines()  # read only when there is a credit note to match
    corrected: dict[str, set[str]] = {credit.key: set() for credit in credits}
    for ln in lines:
        ids = corrected.get(ln.document_key)
        if ids is not None:
            ids.add(ln.line_id)
    wanted = set().union(*corrected.values())
    docs_by_line: dict[str, set[str]] = {}
    for ln in lines:
        if ln.line_id in wanted:
            docs_by_line.setdefault(ln.line_id, set()).add(ln.document_key)
    pairs = []
    for credit in credits:
        sharing: set[str] = set()
        for line_id in corrected[credit.key]:
            sharing |= docs_by_line[line_id]
        candidates = [
            rows[k]
            for k in sharing
            if k != credit.key
            and k in rows
            and k.startswith("inv:")
            and (rows[k].total or 0) > 0
            and rows[k].netvisor_key
        ]
        if len(candidates) == 1:
            pairs.append((credit, candidates[0]))
    return pairs


def matches(
    pairs: Iterable[tuple[OwnedObject, OwnedObject]], statuses: Mapping[str, str | None]
) -> list[DesiredObject]:
    """A match for each pair whose credit note and invoice are both ``open`` in Netvisor."""
    out = []
    for credit, invoice in pairs:
        if (
            credit.netvisor_key
            and invoice.netvisor_key
            and statuses.get(credit.netvisor_key) == "open"
            and statuses.get(invoice.netvisor_key) == "open"
        ):
            out.append(
                DesiredObject.of(
                    match_key(credit.key),
                    ObjectKind.MATCH,
                    (credit.netvisor_key, invoice.netvisor_key),
                    worded("summary_match", credit=credit.key, invoice=invoice.key),
                    depends_on=(credit.key, invoice.key),
                )
            )
    return out
