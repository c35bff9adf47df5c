"""The run report an accountant opens: ``reports/<run>.html`` and ``reports/<run>.csv``.

Both are rendered from one plain data structure, :class:`ReportData`: per billing customer and
per organiser, each document with its lines, net, VAT, gross, voucher share, self-pay, what is
held for review, and Netvisor's key and state; then the quarantined and held records with their
reasons and what to do.

Names: a client invoice carries its customer's name, so the report written *during* the run
shows it; organiser sections never carry names or PSOP numbers. The ledger keeps the same data
without names (``Ledger.save_report``), so ``connector report RUN`` re-renders a past run with
customer codes in place of names.

This module renders and writes the files; the data itself, how it is built from a run's
documents and its JSON form for the ledger, is :mod:`connector.texts.report_data`.

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
import os
import tempfile
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from connector.billing.vouchers import REVIEW_RULES
from connector.texts.i18n import Texts
from connector.texts.report_data import (
    CLIENT,
    ZERO,
    DocumentRow,
    ProblemRow,
    ReportData,
    WithheldRow,
)


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
    """The command that acts on this row: a review decision on held work (by the line's id),
    ``quarantine retry`` for a record a rule stopped, a correction by hand for the rest."""
    if p.rule == "depends_on_doubt":  # connector/sync/doubt.py: waits for a document in doubt
        return t("todo.doubt")
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
    "RERENDERED_SUFFIX",
    "render_csv",
    "render_html",
    "withheld_texts",
    "write_report",
]
