"""Importing a PSOP settlement report into the ledger: ``connector psop import`` and the
console's upload.

Owns one report file's way in: read and validated whole (``report.read_report``), refused when
it names a voucher or PSOP customer number no mapping knows (:func:`check_vouchers`), recorded
once by its sha256 (the same file again changes nothing), PSOP's approvals and rejections of
held work recorded as decisions unless a person decided first (a differing word is reported as
a conflict), and the month's reconciliation recomputed (:class:`ImportOutcome`); and
:func:`company_import`, the import bound to one company's mappings, as the CLI and the console
start it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from connector.core.reasons import reason as worded
from connector.ledger import Ledger
from connector.mapping import Mappings, load_mappings
from connector.mapping.psop_report import ReportMapping, load_report_mapping
from connector.psop.loop import billed_lines, effect_of, held_items, imported_reports, in_netvisor
from connector.psop.reconcile import APPROVE, REJECT, Difference, ImportedReport, reconcile
from connector.psop.records import ReportRow
from connector.psop.report import ReportError, ReportProblem, read_report

if TYPE_CHECKING:
    from connector.core.config import Config


@dataclass
class ImportOutcome:
    already_imported: bool
    rows: int = 0
    states: int = 0
    approved: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending_review: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # PSOP's decision vs an earlier one


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_vouchers(
    name: str, rows: Sequence[ReportRow], mappings: Mappings, mapping: ReportMapping
):
    """Refuse a report naming a voucher (or PSOP customer number) no mapping file knows."""
    vouchers = {v.id: t for t in mappings.targets.values() for v in t.vouchers}
    problems = []
    for row in rows:
        target = vouchers.get(row.voucher_id)
        if target is None:
            problems.append(
                ReportProblem(
                    name,
                    row.row,
                    mapping.columns.voucher_id,
                    worded("psop_unknown_voucher", voucher=row.voucher_id),
                )
            )
        elif target.psop_customer_number != row.psop_customer_number:
            problems.append(
                ReportProblem(
                    name,
                    row.row,
                    mapping.columns.psop_customer_number,
                    worded("psop_voucher_elsewhere", voucher=row.voucher_id),
                )
            )
    if problems:
        raise ReportError(problems)


def import_report(
    ledger: Ledger,
    path: Path,
    *,
    mapping: ReportMapping,
    mappings: Mappings,
    report_date: date,
    rejected_review: str,
) -> ImportOutcome:
    """Read, check and record one report file; the same file a second time changes nothing.

    Raises ``ReportError`` (nothing recorded) when the file is malformed or names a voucher no
    mapping knows.
    """
    path = Path(path)
    sha = file_sha256(path)
    if ledger.psop_report(sha) is not None:
        return ImportOutcome(already_imported=True)
    rows = read_report(path, mapping)
    check_vouchers(path.name, rows, mappings, mapping)
    report = ImportedReport(report_date, tuple(rows))
    events = ledger.psop_events()
    earlier = ledger.review_decisions()
    result = reconcile([report], billed_lines(in_netvisor(ledger, events)), held_items(events))
    decisions = [
        (d.item_id, d.decision, effect_of(d.decision, rejected_review), f"PSOP: {d.state}")
        for d in result.decisions
        if d.item_id not in earlier
    ]
    # PSOP's word differs from a person's earlier decision: the first decision stands, shown
    conflicts = [
        worded(
            "psop_conflict",
            item=d.item_id,
            psop_state=d.state,
            decision=d.decision,
            earlier=earlier[d.item_id]["decision"],
        )
        for d in result.decisions
        if d.item_id in earlier and earlier[d.item_id]["decision"] != d.decision
    ]
    recorded = ledger.record_psop_report(
        sha256=sha,
        report_date=report_date.isoformat(),
        rows=[
            {
                "row": r.row,
                "work_date": r.work_date.isoformat(),
                "psop_customer_number": r.psop_customer_number,
                "voucher_id": r.voucher_id,
                "psop_product": r.psop_product,
                "quantity": r.quantity,
                "unit_price": r.unit_price,
                "amount": r.amount,
                "state": r.state.value,
            }
            for r in rows
        ],
        states=[
            {
                "document_key": s.document_key,
                "line_id": s.line_id,
                "state": s.state.value,
                "report_date": s.report_date.isoformat(),
                "psop_amount": s.psop_amount,
            }
            for s in result.states
        ],
        decisions=decisions,
    )
    if recorded is None:  # imported meanwhile by another process
        return ImportOutcome(already_imported=True)
    _, fresh = recorded
    months = {f"{r.work_date.year:04d}-{r.work_date.month:02d}" for r in rows}
    events = ledger.psop_events()
    after = reconcile(
        imported_reports(ledger),
        billed_lines(in_netvisor(ledger, events)),
        held_items(events),
        periods=months,
    )
    return ImportOutcome(
        already_imported=False,
        rows=len(rows),
        states=len(result.states),
        approved=[
            d.item_id for d in result.decisions if d.decision == APPROVE and d.item_id in fresh
        ],
        rejected=[
            d.item_id for d in result.decisions if d.decision == REJECT and d.item_id in fresh
        ],
        pending_review=[i for i in result.pending_review if i not in earlier],
        differences=list(after.differences),
        conflicts=conflicts,
    )


def company_import(config: Config) -> partial[ImportOutcome]:
    """``import_report`` bound to one company's report mapping, mappings and ``rejected_review``:
    call it with ``(ledger, path, report_date=...)``.

    Both mapping files are read here, before any ledger is opened, so a broken one raises
    ``ConfigError`` before anything is written; the CLI's ``psop import`` and the console's
    upload both start this way.
    """
    return partial(
        import_report,
        mapping=load_report_mapping(config.mappings_folder),
        mappings=load_mappings(config.mappings_folder),
        rejected_review=config.connector.rejected_review,
    )
