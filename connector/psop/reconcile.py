"""Match PSOP's report to what we billed: states, review decisions, differences. Pure.

A report row and a billed organiser line are the same event when their PSOP customer number,
voucher id, date, PSOP product and quantity agree (several equal events pair in order). A
matched line gets the row's PSOP state with the report's date. A row that matches work held for
review decides it: approved (Hyväksytty, Tilitetty, Maksettu) or rejected (Hylätty); a held item
still Kirjattu or Tarkastettavana stays held. Everything else is a difference with what to do:
the amount differs (both figures), PSOP has an event we did not bill, we billed an event PSOP
does not have, or PSOP rejected an event we billed. Reports are applied oldest first and a later
report replaces an earlier one event by event (by match key), never wholesale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from connector.core.money import format_eur
from connector.psop.records import BilledOrganiserLine, HeldItem, MatchKey, PsopState, ReportRow

APPROVE = "approve"
REJECT = "reject"


class DifferenceKind(StrEnum):
    AMOUNT_DIFFERS = "amount_differs"
    NOT_BILLED = "in_psop_not_billed"
    NOT_IN_PSOP = "billed_not_in_psop"
    REJECTED = "rejected_by_psop"


WHAT_TO_DO = {
    DifferenceKind.AMOUNT_DIFFERS: (
        "compare the voucher's unit value and the product's price in PSOP with the mapping "
        "(targets.toml unit_value, products); if PSOP is right, correct the mapping and the "
        "organiser's next document corrects the line; if we are right, ask the organiser"
    ),
    DifferenceKind.NOT_BILLED: (
        "PSOP has an event we did not bill: look for the task in Spotilla (missing, moved or "
        "quarantined) and bill it, or delete the event in PSOP while it is Kirjattu, "
        "Tarkastettavana or Hyväksytty"
    ),
    DifferenceKind.NOT_IN_PSOP: (
        "we billed the organiser for an event PSOP does not have: record it in PSOP (see "
        "`connector psop export`) before the settlement day, or credit it"
    ),
    DifferenceKind.REJECTED: (
        "the organiser rejected an event we billed: ask the organiser why; credit the share on "
        "the organiser's next document and bill the client or write it off"
    ),
}


@dataclass(frozen=True)
class ImportedReport:
    """One imported report: its date (when PSOP made it) and its rows."""

    report_date: date
    rows: tuple[ReportRow, ...]


@dataclass(frozen=True)
class LineState:
    """A billed line's PSOP state as of a report, with the event as PSOP knows it (customer
    number, voucher, date, product, quantity) and the amount billed to the organiser."""

    document_key: str
    line_id: str
    state: PsopState
    report_date: date
    psop_amount: Decimal
    psop_customer_number: str = ""
    voucher_id: str = ""
    work_date: date | None = None
    psop_product: str = ""
    quantity: Decimal = Decimal(0)
    billed_amount: Decimal = Decimal(0)

    def as_json(self) -> dict[str, str]:
        """The event and its state for machines: no internal line ids."""
        return {
            "psop_customer_number": self.psop_customer_number,
            "voucher_id": self.voucher_id,
            "date": self.work_date.isoformat() if self.work_date else "",
            "psop_product": self.psop_product,
            "quantity": str(self.quantity),
            "state": self.state.value,
            "report_date": self.report_date.isoformat(),
            "psop_amount": str(self.psop_amount),
            "billed_amount": str(self.billed_amount),
            "document_key": self.document_key,
        }


@dataclass(frozen=True)
class ReviewDecision:
    """A held item decided by PSOP's report (the organiser's decision)."""

    item_id: str
    decision: str  # APPROVE | REJECT
    state: PsopState
    report_date: date


@dataclass(frozen=True)
class Difference:
    """Something the report and our billing disagree on, with what a person should do."""

    kind: DifferenceKind
    psop_customer_number: str
    voucher_id: str
    work_date: date
    psop_product: str
    quantity: Decimal
    billed_amount: Decimal | None  # euros we billed the organiser, None when not billed
    psop_amount: Decimal | None  # euros PSOP pays, None when PSOP has no such event
    document_key: str | None = None
    line_id: str | None = None
    state: PsopState | None = None
    report_date: date | None = None

    @property
    def what_to_do(self) -> str:
        return WHAT_TO_DO[self.kind]

    def describe(self) -> str:
        """One line for people: the event, both figures, and the kind."""
        event = (
            f"{self.work_date.isoformat()} asiakasnumero {self.psop_customer_number} "
            f"ostovoima {self.voucher_id} {self.psop_product} {self.quantity}"
        )
        figures = []
        if self.billed_amount is not None:
            figures.append(f"billed {format_eur(self.billed_amount)}")
        if self.psop_amount is not None:
            figures.append(f"PSOP {format_eur(self.psop_amount)}")
        return f"{self.kind}: {event} ({', '.join(figures)})"


@dataclass(frozen=True)
class Reconciliation:
    states: tuple[LineState, ...]
    decisions: tuple[ReviewDecision, ...]
    differences: tuple[Difference, ...]
    pending_review: tuple[str, ...]  # held items PSOP still lists as Kirjattu/Tarkastettavana
    pending_items: tuple[HeldItem, ...] = ()  # the same items, with their events


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


#: when rows of one key could pair with a billed event or a held one, billed events take the
#: rows furthest along first: the units within the grant are approved and paid, the held ones
#: are the ones PSOP reviews or rejects
_BILLED_FIRST = {
    PsopState.MAKSETTU: 0,
    PsopState.TILITETTY: 1,
    PsopState.HYVAKSYTTY: 2,
    PsopState.KIRJATTU: 3,
    PsopState.TARKASTETTAVANA: 4,
    PsopState.HYLATTY: 5,
}


def _paired_order(
    rows: Sequence[tuple[date, ReportRow]],
    billed: Mapping[MatchKey, Sequence[BilledOrganiserLine]],
    held: Mapping[MatchKey, Sequence[HeldItem]],
) -> list[tuple[date, ReportRow]]:
    """``rows`` grouped by match key (first appearance order); within a key that has both a
    billed and a held event, the rows furthest along come first (they pair with billed events)."""
    groups: dict[MatchKey, list[tuple[date, ReportRow]]] = defaultdict(list)
    for entry in rows:
        groups[entry[1].match_key].append(entry)
    ordered: list[tuple[date, ReportRow]] = []
    for key, entries in groups.items():
        if billed.get(key) and held.get(key):
            entries = sorted(entries, key=lambda dr: _BILLED_FIRST[dr[1].state])
        ordered.extend(entries)
    return ordered


def supersede(reports: Sequence[ImportedReport]) -> list[tuple[date, ReportRow]]:
    """The rows in force: for each match key, the rows of the latest report that has that key.

    ``reports`` are in import order; a later report date wins, an equal date the later import.
    """
    in_force: dict[MatchKey, tuple[date, list[ReportRow]]] = {}
    ordered = sorted(enumerate(reports), key=lambda pair: (pair[1].report_date, pair[0]))
    for _, report in ordered:
        fresh: dict[MatchKey, list[ReportRow]] = defaultdict(list)
        for row in report.rows:
            fresh[row.match_key].append(row)
        for key, rows in fresh.items():
            in_force[key] = (report.report_date, rows)
    return [(day, row) for day, rows in in_force.values() for row in rows]


def _difference(
    kind: DifferenceKind,
    row: ReportRow | None,
    line: BilledOrganiserLine | None,
    report_date: date | None,
) -> Difference:
    """A difference between PSOP's `row` and our billed `line` (either may be missing); the
    event is as PSOP has it when it has it."""
    event = row if row is not None else line
    assert event is not None
    return Difference(
        kind,
        psop_customer_number=event.psop_customer_number,
        voucher_id=event.voucher_id,
        work_date=event.work_date,
        psop_product=event.psop_product,
        quantity=event.quantity,
        billed_amount=line.amount if line is not None else None,
        psop_amount=row.amount if row is not None else None,
        document_key=line.document_key if line is not None else None,
        line_id=line.line_id if line is not None else None,
        state=row.state if row is not None else None,
        report_date=report_date,
    )


def reconcile(
    reports: Sequence[ImportedReport],
    billed: Sequence[BilledOrganiserLine],
    held: Sequence[HeldItem] = (),
    *,
    periods: Collection[str] | None = None,
) -> Reconciliation:
    """Match the rows in force against billed organiser lines and held items.

    ``periods`` (``YYYY-MM``) limits both sides to events of those months; None means the
    months the rows in force cover (a billed line of a month no report covers is not missing).
    """
    rows = sorted(supersede(reports), key=lambda dr: (dr[0], dr[1].row))
    months = set(periods) if periods is not None else {_month(r.work_date) for _, r in rows}
    rows = [(d, r) for d, r in rows if _month(r.work_date) in months]
    waiting: dict[MatchKey, list[BilledOrganiserLine]] = defaultdict(list)
    for line in sorted(billed, key=lambda b: (b.document_key, b.line_id)):
        if _month(line.work_date) in months:
            waiting[line.match_key].append(line)
    held_waiting: dict[MatchKey, list[HeldItem]] = defaultdict(list)
    for item in sorted(held, key=lambda h: h.item_id):
        held_waiting[item.match_key].append(item)

    states: list[LineState] = []
    decisions: list[ReviewDecision] = []
    differences: list[Difference] = []
    pending: list[HeldItem] = []
    for report_date, row in _paired_order(rows, waiting, held_waiting):
        key = row.match_key
        if waiting[key]:
            line = waiting[key].pop(0)
            states.append(
                LineState(
                    line.document_key,
                    line.line_id,
                    row.state,
                    report_date,
                    row.amount,
                    psop_customer_number=row.psop_customer_number,
                    voucher_id=row.voucher_id,
                    work_date=row.work_date,
                    psop_product=row.psop_product,
                    quantity=row.quantity,
                    billed_amount=line.amount,
                )
            )
            kind = None
            if row.state is PsopState.HYLATTY:
                kind = DifferenceKind.REJECTED
            elif row.amount != line.amount:
                kind = DifferenceKind.AMOUNT_DIFFERS
            if kind is not None:
                differences.append(_difference(kind, row, line, report_date))
            continue
        if held_waiting[key]:
            item = held_waiting[key].pop(0)
            if row.state.approves:
                decisions.append(ReviewDecision(item.item_id, APPROVE, row.state, report_date))
            elif row.state is PsopState.HYLATTY:
                decisions.append(ReviewDecision(item.item_id, REJECT, row.state, report_date))
            else:
                pending.append(item)
            continue
        differences.append(_difference(DifferenceKind.NOT_BILLED, row, None, report_date))
    for lines in waiting.values():
        for line in lines:
            differences.append(_difference(DifferenceKind.NOT_IN_PSOP, None, line, None))
    differences.sort(key=lambda d: (d.work_date, d.psop_customer_number, d.voucher_id, d.kind))
    return Reconciliation(
        tuple(states),
        tuple(decisions),
        tuple(differences),
        tuple(i.item_id for i in pending),
        tuple(pending),
    )
