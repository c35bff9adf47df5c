"""The run report's data: one plain structure per run, built from its documents and problems.

Owns :class:`ReportData` and its rows (a document's figures, a quarantined or held record, what
the run held back), how they are computed from billing's documents (:func:`document_row`,
:func:`summarise`, :func:`build_report`) and their JSON form, which the ledger keeps without
names (``Ledger.save_report``) so ``connector report RUN`` can re-render a past run. Turning the
data into HTML and CSV files is :mod:`connector.texts.run_report`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from connector.billing.documents import (
    VOUCHER_DEDUCTION,
    VOUCHER_SHARE,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    base_role,
)
from connector.billing.vat import gross_of
from connector.core.domain import Quarantined
from connector.core.money import round_money

REPORT_SCHEMA_VERSION = 1
ZERO = Decimal("0.00")
CLIENT = str(DocumentKind.CUSTOMER_INVOICE)
ORGANISER = str(DocumentKind.ORGANISER)


@dataclass(frozen=True)
class DocumentRow:
    """One document of the run, with its figures. ``name`` only on client invoices."""

    key: str
    kind: str  # "customer_invoice" | "organiser"
    period: str
    customer_code: str  # Netvisor customer code (billing customer, or the organiser)
    lines: int
    net: Decimal
    vat: Decimal
    gross: Decimal
    voucher: Decimal  # the voucher's share (client: deducted; organiser: billed)
    # self-pay (omavastuu): the client's part of the work its vouchers cover, as the invoice's
    # specification says (client invoices; zero on organiser documents)
    self_pay: Decimal
    # asiakkaan maksettavaksi: everything the client's invoice asks the client to pay (its gross:
    # self-pay, work no voucher covers, units above a grant, corrections); zero for organisers
    client_pays: Decimal = ZERO
    held: int = 0  # records held for review that belong to this document
    psop_numbers: tuple[str, ...] = ()  # client invoices only
    name: str | None = None  # client invoices only, and only at run time
    netvisor_key: str | None = None
    state: str | None = None  # ledger state after the run (sent, confirmed, rejected, ...)
    netvisor_status: str | None = None


@dataclass(frozen=True)
class ProblemRow:
    """A quarantined or held record: what stopped it and what to do."""

    kind: str
    record_id: str
    rule: str
    reason: str
    review: bool  # held for a person's review (vs. quarantined by a rule)
    quarantine_id: int | None = None


@dataclass(frozen=True)
class WithheldRow:
    """Money or documents a run holds back, with its amount where one is known (euros).

    ``kind``: ``deferred_corrections`` (correction lines of ``period`` waiting for a later
    document; net), ``held_documents`` (documents not sent: rejected, frozen, or already in
    Netvisor with other content; gross), ``in_doubt`` (writes whose answer was lost; gross),
    ``held_for_review`` (records a person decides on; no amount), ``held_for_correction``
    (held corrections a person makes in Netvisor; ``reasons`` are their rules),
    ``waiting_for_doubt`` (documents computed from a document in doubt; ``reasons`` are the
    comma-separated keys each waits for)."""

    kind: str
    count: int
    amount: Decimal | None = None
    period: str | None = None
    keys: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # why each key is held (as many as ``keys``, or none)


@dataclass(frozen=True)
class ReportData:
    run_id: int | None
    command: str
    as_of: str  # ISO date
    status: str
    generated_at: str  # ISO moment, UTC
    periods: tuple[str, ...] = ()
    documents: tuple[DocumentRow, ...] = ()
    problems: tuple[ProblemRow, ...] = ()
    aborted: str | None = None
    schema_version: int = REPORT_SCHEMA_VERSION
    withheld: tuple[WithheldRow, ...] = ()  # what the run held back, with amounts

    # -- views -------------------------------------------------------------------------------

    @property
    def client_documents(self) -> list[DocumentRow]:
        return [d for d in self.documents if d.kind == CLIENT]

    @property
    def organiser_documents(self) -> list[DocumentRow]:
        return [d for d in self.documents if d.kind == ORGANISER]

    def without_names(self) -> ReportData:
        """The same report with every name removed (what the ledger keeps)."""
        return replace(self, documents=tuple(replace(d, name=None) for d in self.documents))

    # -- JSON (for the ledger) ---------------------------------------------------------------

    def to_json(self) -> str:
        def enc(value: Any) -> Any:
            if isinstance(value, Decimal):
                return str(value)
            raise TypeError(type(value).__name__)

        # rows are flat (text, numbers, tuples of text): one dict each, without asdict's deep
        # copy of every value (this runs once a run, after its last request)
        plain = _fields_of(self)
        for name in ("documents", "problems", "withheld"):
            plain[name] = [_fields_of(row) for row in plain[name]]
        return json.dumps(plain, default=enc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReportData:
        raw = json.loads(text)
        money = ("net", "vat", "gross", "voucher", "self_pay", "client_pays")
        documents = tuple(
            DocumentRow(
                **{
                    **d,
                    **{m: Decimal(d[m]) for m in money if m in d},
                    # a report stored before the two figures were split called the gross
                    # "self_pay": it is what the client pays, the self-pay is not known
                    **(
                        {}
                        if "client_pays" in d
                        else {"client_pays": Decimal(d["self_pay"]), "self_pay": ZERO}
                    ),
                    "psop_numbers": tuple(d.get("psop_numbers") or ()),
                }
            )
            for d in raw.pop("documents", [])
        )
        problems = tuple(ProblemRow(**p) for p in raw.pop("problems", []))
        withheld = tuple(
            WithheldRow(
                **{
                    **w,
                    "amount": None if w.get("amount") is None else Decimal(w["amount"]),
                    "keys": tuple(w.get("keys") or ()),
                    "reasons": tuple(w.get("reasons") or ()),
                }
            )
            for w in raw.pop("withheld", [])
        )
        raw["periods"] = tuple(raw.get("periods") or ())
        return cls(**raw, documents=documents, problems=problems, withheld=withheld)


def document_row(
    doc: InvoiceDocument,
    *,
    name: str | None = None,
    held: int = 0,
    netvisor_key: str | None = None,
    state: str | None = None,
    netvisor_status: str | None = None,
) -> DocumentRow:
    """A document's figures: VAT per line from the rounded net (half up), as Netvisor does."""
    priced = [line for line in doc.lines if isinstance(line, DocumentLine)]
    net = sum((line.amount for line in priced), ZERO)
    gross = sum((gross_of(line.amount, line.vat_percent) for line in priced), ZERO)
    client = doc.kind is DocumentKind.CUSTOMER_INVOICE
    voucher_role = VOUCHER_DEDUCTION if client else VOUCHER_SHARE
    voucher = sum((b.amount for b in doc.billed if base_role(b.role) == voucher_role), ZERO)
    psop = sorted({b.psop_customer_number for b in doc.billed if b.psop_customer_number})
    return DocumentRow(
        key=doc.key,
        kind=str(doc.kind),
        period=str(doc.period),
        customer_code=doc.customer_code,
        lines=len(priced),
        net=round_money(net),
        vat=round_money(gross - net),
        gross=round_money(gross),
        voucher=round_money(abs(voucher) if client else voucher),
        self_pay=round_money(doc.self_pay) if client else ZERO,
        client_pays=round_money(gross) if client else ZERO,
        held=held,
        psop_numbers=tuple(psop) if client else (),
        name=name if client else None,
        netvisor_key=netvisor_key,
        state=state,
        netvisor_status=netvisor_status,
    )


def _task_of(line_id: str) -> str:
    return line_id.split(":", 1)[0]


def summarise(
    doc: InvoiceDocument, *, held: Sequence[Quarantined], names: Mapping[str, str]
) -> DocumentRow:
    """A document's row before the run sends it: figures, name, and the held records of its
    tasks (``held``: what billing held, at least for this document's owner)."""
    tasks = {_task_of(b.line_id) for b in doc.billed}
    own_held = sum(
        1
        for h in held
        if doc.kind is DocumentKind.CUSTOMER_INVOICE
        and (_task_of(h.record_id) in tasks or tasks.intersection(h.related))
    )
    return document_row(doc, name=names.get(doc.billing_customer_id or ""), held=own_held)


def build_report(
    *,
    run_id: int | None,
    command: str,
    as_of: date,
    status: str,
    periods: Sequence[str],
    documents: Iterable[InvoiceDocument | DocumentRow],
    quarantined: Iterable[Quarantined] = (),
    held: Iterable[Quarantined] = (),
    names: Mapping[str, str] | None = None,
    ledger_rows: Mapping[str, Any] | None = None,
    quarantine_ids: Mapping[tuple[str, str, str], int] | None = None,
    aborted: str | None = None,
    now: datetime | None = None,
    withheld: Iterable[WithheldRow] = (),
) -> ReportData:
    """The report of one run. ``documents``: the run's documents, or their rows made by
    :func:`summarise` as billing went (the ledger's view is added here).

    ``names``: billing customer id -> name (client invoices only; omit when re-rendering);
    ``ledger_rows``: document key -> ledger row (``netvisor_key``, ``state``,
    ``netvisor_status`` attributes) after the run; ``quarantine_ids``: (kind, record id, rule)
    -> the ledger's quarantine id, for the "what to do" column.
    """
    names = names or {}
    ledger_rows = ledger_rows or {}
    quarantine_ids = quarantine_ids or {}
    held = list(held)
    rows = []
    for doc in documents:
        if isinstance(doc, InvoiceDocument):
            doc = summarise(doc, held=held, names=names)
        row = ledger_rows.get(doc.key)
        rows.append(
            replace(
                doc,
                netvisor_key=getattr(row, "netvisor_key", None),
                state=str(row.state) if row is not None else None,
                netvisor_status=getattr(row, "netvisor_status", None),
            )
        )
    problems = [
        ProblemRow(
            q.kind,
            q.record_id,
            q.rule,
            q.reason,
            review,
            quarantine_ids.get((q.kind, q.record_id, q.rule)),
        )
        for review, items in ((False, quarantined), (True, held))
        for q in items
    ]
    return ReportData(
        run_id=run_id,
        command=command,
        as_of=as_of.isoformat(),
        status=status,
        generated_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        periods=tuple(periods),
        documents=tuple(sorted(rows, key=lambda d: (d.kind, d.period, d.customer_code, d.key))),
        problems=tuple(problems),
        aborted=aborted,
        withheld=tuple(withheld),
    )


__all__ = [
    "REPORT_SCHEMA_VERSION",
    "DocumentRow",
    "ProblemRow",
    "ReportData",
    "WithheldRow",
    "build_report",
    "document_row",
    "summarise",
]


def _fields_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _names(type(row))}


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))
