"""The PSOP loop over the ledger: what the CLI's ``review`` and ``psop`` commands do.

Reads the voucher events a sync recorded, records review decisions and imported reports, and
recomputes the reconciliation from every imported report (a later one superseding an earlier
one event by event). Nothing here talks to Spotilla or Netvisor: a decision reaches the
documents through the next sync, whose billing reads the decisions.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.billing.documents import organiser_document_key
from connector.core.domain import Period
from connector.core.money import ZERO
from connector.core.reasons import reason as worded
from connector.ledger import Ledger
from connector.mapping import Mappings, load_mappings
from connector.mapping.psop_report import ReportMapping, load_report_mapping
from connector.psop.reconcile import (
    APPROVE,
    REJECT,
    Difference,
    DifferenceKind,
    ImportedReport,
    Reconciliation,
    reconcile,
)
from connector.psop.records import BilledOrganiserLine, EventRow, HeldItem, PsopState, ReportRow
from connector.psop.report import ReportError, ReportProblem, read_report

if TYPE_CHECKING:
    from connector.core.config import Config

#: PSOP states that count as approved, settled (tilitetty) and paid
APPROVED_STATES = frozenset({PsopState.HYVAKSYTTY, PsopState.TILITETTY, PsopState.MAKSETTU})
SETTLED_STATES = frozenset({PsopState.TILITETTY, PsopState.MAKSETTU})


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """What names one event (customer number, voucher, day, product) and its quantity, from a
    ledger row of the PSOP loop, as the records take them."""
    return {
        "psop_customer_number": row["psop_customer_number"],
        "voucher_id": row["voucher_id"],
        "work_date": date.fromisoformat(row["work_date"]),
        "psop_product": row["psop_product"],
        "quantity": _d(row["quantity"]),
    }


def _doc_key(event: dict[str, Any]) -> str:
    return organiser_document_key(Period.parse(event["period"]), event["region"])


def in_netvisor(ledger: Ledger, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events whose organiser document Netvisor holds: the task line is on a settled
    organiser document of its region (its own month's, or a later one as a correction). An
    event billing made but no document in Netvisor carries (held, refused, not yet sent, or
    never made) is not billed, whatever the events table says."""
    held = ledger.lines_in_netvisor("org:")
    return [e for e in events if (f"org:{e['region']}", e["line_id"]) in held]


def not_billed(ledger: Ledger, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events billing meant for an organiser (not held for review) that no document in
    Netvisor carries yet: withheld, deferred or not sent."""
    events = [e for e in events if e["held_rule"] is None]
    billed = {e["event_id"] for e in in_netvisor(ledger, events)}
    return [e for e in events if e["event_id"] not in billed]


def billed_lines(events: Iterable[dict[str, Any]]) -> list[BilledOrganiserLine]:
    """The voucher events billed to an organiser (not held), as reconciliation reads them:
    pass only the events Netvisor holds (:func:`in_netvisor`)."""
    return [
        BilledOrganiserLine(
            document_key=_doc_key(e),
            line_id=e["event_id"],
            **_event(e),
            amount=_d(e["voucher_share"]),
        )
        for e in events
        if e["held_rule"] is None
    ]


def held_items(events: Iterable[dict[str, Any]]) -> list[HeldItem]:
    """The voucher events held for the organiser's review."""
    return [
        HeldItem(
            item_id=e["line_id"],
            period=e["period"],
            **_event(e),
            voucher_share=_d(e["voucher_share"]),
            self_pay=_d(e["self_pay"]),
            reason=e["held_rule"],
        )
        for e in events
        if e["held_rule"] is not None
    ]


def imported_reports(ledger: Ledger) -> list[ImportedReport]:
    return [
        ImportedReport(
            date.fromisoformat(r["report_date"]),
            tuple(
                ReportRow(
                    row=int(x["row"]),
                    **_event(x),
                    unit_price=_d(x["unit_price"]),
                    amount=_d(x["amount"]),
                    state=PsopState(x["state"]),
                )
                for x in r["rows"]
            ),
        )
        for r in ledger.psop_reports()
    ]


def reconciliation(ledger: Ledger, period: str | None = None) -> Reconciliation:
    """Every imported report against the recorded events (of ``period``, or of the months the
    reports cover)."""
    events = ledger.psop_events()
    # held items match their rows whether decided or not: a decided item is not a difference
    return reconcile(
        imported_reports(ledger),
        billed_lines(in_netvisor(ledger, events)),
        held_items(events),
        periods=None if period is None else {period},
    )


# ------------------------------------------------------------------ export


def export_rows(ledger: Ledger, period: str) -> list[EventRow]:
    """The month's voucher events (held ones too: PSOP sends them to the organiser's review)."""
    return [
        EventRow(
            **_event(e),
            unit_price=_d(e["unit_price"]),
            voucher_share=_d(e["voucher_share"]),
            self_pay=_d(e["self_pay"]),
        )
        for e in ledger.psop_events(period)
    ]


# ------------------------------------------------------------------ review


@dataclass(frozen=True)
class ReviewEntry:
    """A held item with its decision, if any."""

    item: HeldItem
    decision: str | None = None  # APPROVE | REJECT
    effect: str | None = None  # approve | bill_client | write_off
    source: str | None = None  # review | psop_report
    note: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None  # the console user, when decided in the console

    def as_json(self) -> dict[str, Any]:
        i = self.item
        return {
            "id": i.item_id,
            "period": i.period,
            "psop_customer_number": i.psop_customer_number,
            "voucher_id": i.voucher_id,
            "date": i.work_date.isoformat(),
            "psop_product": i.psop_product,
            "quantity": str(i.quantity),
            "voucher_share": str(i.voucher_share),
            "self_pay": str(i.self_pay),
            "why": i.reason,
            "decision": self.decision,
            "effect": self.effect,
            "decided_by": self.source,
            "note": self.note,
            "decided_at": self.decided_at,
        }


def review_entries(
    ledger: Ledger, period: str | None = None, *, include_decided: bool = False
) -> list[ReviewEntry]:
    """Held items (of ``period``); decided ones only with ``include_decided``."""
    decisions = ledger.review_decisions()
    entries = []
    for item in held_items(ledger.psop_events(period)):
        row = decisions.get(item.item_id)
        if row is None:
            entries.append(ReviewEntry(item))
        elif include_decided:
            entries.append(
                ReviewEntry(
                    item,
                    row["decision"],
                    row["effect"],
                    row["source"],
                    row["note"],
                    row["decided_at"],
                    row.get("decided_by"),
                )
            )
    return entries


@dataclass
class DecisionOutcome:
    decided: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # decided before: the first decision stands
    unknown: list[str] = field(default_factory=list)  # no held item has this id


def effect_of(decision: str, rejected_review: str) -> str:
    """What billing does with a decision: approve, or the configured fate of rejected work."""
    return APPROVE if decision == APPROVE else rejected_review


def decide(
    ledger: Ledger,
    ids: Sequence[str],
    decision: str,
    *,
    note: str | None,
    rejected_review: str,
    decided_by: str | None = None,
) -> DecisionOutcome:
    """Record a person's decision on held items; each item is decided once.

    ``decided_by``: the console user deciding (audited with the decision); None from the CLI."""
    if decision not in (APPROVE, REJECT):
        raise ValueError(f"a decision is {APPROVE!r} or {REJECT!r}")
    held = {h.item_id for h in held_items(ledger.psop_events())}
    decided = ledger.review_decisions()
    outcome = DecisionOutcome()
    wanted: list[tuple[str, str, str, str | None]] = []
    for item_id in dict.fromkeys(ids):
        if item_id in decided:
            outcome.already.append(item_id)
        elif item_id not in held:
            outcome.unknown.append(item_id)
        else:
            wanted.append((item_id, decision, effect_of(decision, rejected_review), note))
    outcome.decided = ledger.record_review_decisions(wanted, source="review", decided_by=decided_by)
    return outcome


# ------------------------------------------------------------------ import


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


# ------------------------------------------------------------------ status


@dataclass(frozen=True)
class OrganiserMonth:
    """One organiser's month: euros billed, approved, settled and paid by PSOP, and the open
    difference: over the listed differences, what PSOP pays minus what we billed (a rejected
    event pays nothing; an event we did not bill counts what PSOP pays)."""

    region: str
    period: str
    billed: Decimal
    approved: Decimal
    settled: Decimal
    paid: Decimal
    open_difference: Decimal
    differences: int
    # voucher share billing meant for the organiser that no document in Netvisor carries yet
    # (withheld, deferred, not sent): not billed, and not in ``billed``
    not_billed: Decimal = ZERO

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "period": self.period,
            "billed": str(self.billed),
            "approved": str(self.approved),
            "settled": str(self.settled),
            "paid": str(self.paid),
            "open_difference": str(self.open_difference),
            "differences": self.differences,
            "not_billed": str(self.not_billed),
        }


def organiser_months(
    ledger: Ledger, periods: Collection[str] | None = None
) -> list[OrganiserMonth]:
    """Per organiser (region) and month: billed (what documents in Netvisor carry), approved,
    settled, paid, open difference, and what billing meant for the organiser that is not
    billed yet."""
    events = [e for e in ledger.psop_events() if periods is None or e["period"] in periods]
    meant = [e for e in events if e["held_rule"] is None]
    if not meant and not ledger.psop_reports():
        return []
    billed_events = in_netvisor(ledger, meant)
    billed_ids = {e["event_id"] for e in billed_events}
    result = reconciliation(ledger)  # every report in force: the latest word on each event
    state_of = {(s.document_key, s.line_id): s for s in result.states}
    sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: {
            "billed": ZERO,
            "approved": ZERO,
            "settled": ZERO,
            "paid": ZERO,
            "diff": ZERO,
            "not_billed": ZERO,
        }
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    region_of = {}
    for e in meant:
        if e["event_id"] not in billed_ids:
            key = (e["region"], e["period"])
            region_of[e["event_id"]] = key
            sums[key]["not_billed"] += _d(e["voucher_share"])
    for e in billed_events:
        key = (e["region"], e["period"])
        region_of[e["event_id"]] = key
        sums[key]["billed"] += _d(e["voucher_share"])
        line_state = state_of.get((_doc_key(e), e["event_id"]))
        if line_state is None:
            continue
        state, amount = line_state.state, line_state.psop_amount
        if state in APPROVED_STATES:
            sums[key]["approved"] += amount
        if state in SETTLED_STATES:
            sums[key]["settled"] += amount
        if state is PsopState.MAKSETTU:
            sums[key]["paid"] += amount
    for d in result.differences:
        key = region_of.get(d.line_id or "") or _region_of_row(d, ledger)
        if key is None or (periods is not None and key[1] not in periods):
            continue
        # a rejected event is not paid, whatever amount PSOP's row shows
        paid = ZERO if d.kind is DifferenceKind.REJECTED else (d.psop_amount or ZERO)
        sums[key]["diff"] += paid - (d.billed_amount or ZERO)
        counts[key] += 1
    return [
        OrganiserMonth(
            region,
            period,
            v["billed"],
            v["approved"],
            v["settled"],
            v["paid"],
            v["diff"],
            counts[(region, period)],
            v["not_billed"],
        )
        for (region, period), v in sorted(sums.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def _region_of_row(d: Difference, ledger: Ledger) -> tuple[str, str] | None:
    """(region, month) of an event PSOP has and we did not bill: by its voucher's known events."""
    period = f"{d.work_date.year:04d}-{d.work_date.month:02d}"
    for e in ledger.psop_events():
        if e["voucher_id"] == d.voucher_id:
            return (e["region"], period)
    return None
