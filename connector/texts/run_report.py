"""The run report an accountant opens: ``reports/<run>.html`` and ``reports/<run>.csv``.

Both are rendered from one plain data structure, :class:`ReportData`: per billing customer and
per organiser, each document with its lines, net, VAT, gross, voucher share, self-pay, what is
held for review, and Netvisor's key and state; then the quarantined and held records with their
reasons and what to do.

Names: a client invoice carries its customer's name, so the report written *during* the run
shows it; organiser sections never carry names or PSOP numbers. The ledger keeps the same data
without names (``Ledger.save_report``), so ``connector report RUN`` re-renders a past run with
customer codes in place of names.

The HTML is one self-contained file (inline CSS, no scripts, no external assets), printable, and
every value in it is escaped: the data comes from Spotilla and is untrusted.

The CSV is for spreadsheets: in Finnish ``;``-separated with decimal commas (as Excel expects in a
Finnish locale), in English ``,``-separated with decimal points; amounts without currency signs
or thousands separators; dates ISO. Cells that a spreadsheet would run as a formula are
prefixed with ``'``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
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
from connector.billing.vouchers import REVIEW_RULES
from connector.core.domain import Quarantined
from connector.core.money import round_money
from connector.texts.i18n import Texts

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


def withheld_texts(row: WithheldRow, t: Texts) -> tuple[str, str]:
    """(what is held back, how it gets billed) of a withheld row, in ``t``'s language."""
    amount = t.money(row.amount) if row.amount is not None else ""
    if row.kind == "deferred_corrections":
        what = t("withheld.deferred", count=row.count, period=row.period, amount=amount)
        return what, t("withheld.deferred_how")
    if row.kind == "held_documents":
        named = [
            f"{key} ({why})" if why else key
            for key, why in zip(row.keys, row.reasons or ("",) * len(row.keys), strict=False)
        ]
        shown = "; ".join(named[:5]) + (" …" if len(named) > 5 else "")
        what = t("withheld.documents", count=row.count, shown=shown)
        if row.amount is not None:
            what += " " + t("withheld.amount", amount=amount)
        return what, t("withheld.documents_how")
    if row.kind == "in_doubt":
        what = t("withheld.in_doubt", count=row.count)
        if row.amount is not None:
            what += " " + t("withheld.amount", amount=amount)
        return what, t("withheld.in_doubt_how")
    if row.kind == "waiting_for_doubt":
        what = t("doubt.summary", count=row.count, held=", ".join(row.keys))
        return what, t("withheld.doubt_how")
    if row.kind == "held_for_correction":
        named = [f"{key} ({why})" for key, why in zip(row.keys, row.reasons, strict=False)]
        shown = "; ".join(named[:5]) + (" …" if len(named) > 5 else "")
        return t("withheld.by_hand", count=row.count, shown=shown), t("withheld.by_hand_how")
    return t("withheld.review", count=row.count), t("withheld.review_how")


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

        return json.dumps(asdict(self), default=enc, sort_keys=True)

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


# -- building the data -----------------------------------------------------------------------


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


# -- rendering -------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em;color:#111}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #bbb;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right;white-space:nowrap}tr.total td{font-weight:bold}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}
.note{color:#555;font-size:.85em}.aborted{color:#a00;font-weight:bold}
@media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}th{background:#ddd}}
"""


def _sum(rows: Sequence[DocumentRow], attr: str) -> Decimal:
    return sum((getattr(r, attr) for r in rows), ZERO)


def _table(
    head: Sequence[str], body: Sequence[Sequence[tuple[str, bool]]], *, total_last: bool = False
) -> str:
    """An HTML table; every cell is (text, numeric) and escaped here."""
    e = html.escape
    out = ["<table><thead><tr>", *(f"<th>{e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for n, row in enumerate(body):
        total = total_last and n == len(body) - 1
        out.append('<tr class="total">' if total else "<tr>")
        for text, numeric in row:
            out.append(f'<td class="n">{e(text)}</td>' if numeric else f"<td>{e(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _document_cells(d: DocumentRow, t: Texts, *, client: bool) -> list[tuple[str, bool]]:
    cells: list[tuple[str, bool]] = [(d.period, False), (d.customer_code, False)]
    if client:
        cells += [(d.name or "", False), (", ".join(d.psop_numbers), False)]
    cells += [
        (str(d.lines), True),
        (t.money(d.net), True),
        (t.money(d.vat), True),
        (t.money(d.gross), True),
        (t.money(d.voucher), True),
    ]
    if client:
        cells += [(t.money(d.self_pay), True), (t.money(d.client_pays), True)]
        cells += [(str(d.held), True)]
    cells += [(d.netvisor_key or "", False), (t.code("state", d.state) if d.state else "", False)]
    return cells


def _document_section(rows: Sequence[DocumentRow], t: Texts, *, client: bool) -> str:
    if not rows:
        return f"<p>{html.escape(t('report.none'))}</p>"
    head = [t("col.period"), t("col.customer")]
    if client:
        head += [t("col.name"), t("col.psop")]
    head += [t("col.lines"), t("col.net"), t("col.vat"), t("col.gross"), t("col.voucher")]
    if client:
        head += [t("col.self_pay"), t("col.client_pays"), t("col.held")]
    head += [t("col.netvisor_key"), t("col.state")]
    body = [_document_cells(d, t, client=client) for d in rows]
    total: list[tuple[str, bool]] = [(t("report.totals"), False), ("", False)]
    if client:
        total += [("", False), ("", False)]
    total += [
        (str(sum(d.lines for d in rows)), True),
        *((t.money(_sum(rows, a)), True) for a in ("net", "vat", "gross", "voucher")),
    ]
    if client:
        total += [(t.money(_sum(rows, a)), True) for a in ("self_pay", "client_pays")]
        total += [(str(sum(d.held for d in rows)), True)]
    total += [("", False), ("", False)]
    return _table(head, [*body, total], total_last=True)


def _todo(p: ProblemRow, t: Texts) -> str:
    if p.rule == "depends_on_doubt":  # connector/sync/doubt.py: waits for a document in doubt
        return t("todo.doubt")
    """The command that acts on this row: a review decision on held work (by the line's id),
    ``quarantine retry`` for a record a rule stopped, a correction by hand for the rest."""
    if p.review and p.rule in REVIEW_RULES:
        return t("todo.review", id=p.record_id)
    if p.review:
        return t("todo.by_hand")
    ident = str(p.quarantine_id) if p.quarantine_id is not None else p.record_id
    return t("todo.quarantine", id=ident)


def _problem_section(rows: Sequence[ProblemRow], t: Texts) -> str:
    if not rows:
        return f"<p>{html.escape(t('report.none'))}</p>"
    head = [t("col.kind"), t("col.record"), t("col.rule"), t("col.reason"), t("col.todo")]
    body = [
        [
            (t.code("kind", p.kind), False),
            (p.record_id, False),
            (p.rule, False),
            (t.text(p.reason), False),
            (_todo(p, t), False),
        ]
        for p in rows
    ]
    return _table(head, body)


def _withheld_section(rows: Sequence[WithheldRow], t: Texts) -> str:
    if not rows:
        return f"<p>{html.escape(t('report.none'))}</p>"
    head = [t("col.withheld"), t("col.gross"), t("col.todo")]
    body = []
    for w in rows:
        what, how = withheld_texts(w, t)
        amount = t.money(w.amount) if w.amount is not None else ""
        body.append([(what, False), (amount, True), (how, False)])
    return _table(head, body)


def render_html(data: ReportData, t: Texts) -> str:
    """One self-contained, printable HTML page; every value escaped."""
    e = html.escape
    title = t("report.title", run=data.run_id if data.run_id is not None else "-")
    meta = [
        (t("report.command"), data.command),
        (t("report.as_of"), t.date(date.fromisoformat(data.as_of))),
        (t("report.status"), t.code("status", data.status)),
        (t("report.periods"), ", ".join(data.periods)),
        (t("report.generated"), t.datetime(data.generated_at)),
    ]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(t.language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1><dl>",
        *(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in meta),
        "</dl>",
    ]
    if data.aborted:
        parts.append(f'<p class="aborted">{e(t.text(data.aborted))}</p>')
    parts += [
        f"<h2>{e(t('report.customers'))}</h2>",
        _document_section(data.client_documents, t, client=True),
        f'<p class="note">{e(t("report.names_note"))}</p>',
        f"<h2>{e(t('report.organisers'))}</h2>",
        _document_section(data.organiser_documents, t, client=False),
        f"<h2>{e(t('report.withheld'))}</h2>",
        _withheld_section(data.withheld, t),
        f"<h2>{e(t('report.quarantine'))}</h2>",
        _problem_section([p for p in data.problems if not p.review], t),
        f"<h2>{e(t('report.review'))}</h2>",
        _problem_section([p for p in data.problems if p.review], t),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


_CSV_HEAD = (
    "section",
    "document",
    "period",
    "customer",
    "name",
    "psop_numbers",
    "lines",
    "net",
    "vat",
    "gross",
    "voucher_share",
    "self_pay",
    "client_pays",
    "held",
    "netvisor_key",
    "state",
    "record_kind",
    "record",
    "rule",
    "reason",
    "what_to_do",
)


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(data: ReportData, t: Texts) -> str:
    """One row per document and per problem; the ``section`` column tells them apart."""
    finnish = t.language == "fi"

    def num(value: Decimal) -> str:
        text = format(value, "f")
        return text.replace(".", ",") if finnish else text

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if finnish else ",", lineterminator="\r\n")
    writer.writerow(_CSV_HEAD)
    for d in data.documents:
        client = d.kind == CLIENT
        writer.writerow(
            [
                "customer" if client else "organiser",
                d.key,
                d.period,
                _csv_safe(d.customer_code),
                _csv_safe(d.name or ""),
                _csv_safe(" ".join(d.psop_numbers)),
                d.lines,
                num(d.net),
                num(d.vat),
                num(d.gross),
                num(d.voucher),
                num(d.self_pay),
                num(d.client_pays),
                d.held,
                d.netvisor_key or "",
                d.state or "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    for w in data.withheld:  # the amount in "net" (deferred corrections) or "gross" (documents)
        what, how = withheld_texts(w, t)
        amount = num(w.amount) if w.amount is not None else ""
        net_cell, gross_cell = (amount, "") if w.kind == "deferred_corrections" else ("", amount)
        writer.writerow(
            [
                "withheld",
                _csv_safe(" ".join(w.keys)),
                w.period or "",
                *([""] * 4),
                net_cell,
                "",
                gross_cell,
                *([""] * 5),
                w.kind,
                w.count,
                "",
                _csv_safe(what),
                how,
            ]
        )
    for p in data.problems:
        writer.writerow(
            [
                "review" if p.review else "quarantine",
                *([""] * 15),
                p.kind,
                _csv_safe(p.record_id),
                p.rule,
                _csv_safe(t.text(p.reason)),
                _todo(p, t),
            ]
        )
    return out.getvalue()


def _write_atomic(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (temp file + rename), private to its owner: a client
    invoice's section carries the customer's name."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: what the file names of a report re-rendered from the ledger end in (``<run>-ledger.html``):
#: the run's own report, with names, is never overwritten by it
RERENDERED_SUFFIX = "-ledger"


def write_report(
    data: ReportData, folder: Path, t: Texts, *, suffix: str = ""
) -> tuple[Path, Path]:
    """Write ``<folder>/<run><suffix>.html`` and ``.csv`` (each atomically); return both paths."""
    stem = (str(data.run_id) if data.run_id is not None else "read-only") + suffix
    html_path, csv_path = folder / f"{stem}.html", folder / f"{stem}.csv"
    _write_atomic(html_path, render_html(data, t))
    _write_atomic(csv_path, render_csv(data, t))
    return html_path, csv_path


__all__ = [
    "REPORT_SCHEMA_VERSION",
    "RERENDERED_SUFFIX",
    "DocumentRow",
    "ProblemRow",
    "ReportData",
    "build_report",
    "document_row",
    "render_csv",
    "render_html",
    "write_report",
]
