"""The PSOP loop over the ledger: what the CLI's ``review`` and ``psop`` commands do.

Reads the voucher events a sync recorded (as the records reconciliation and the export take
them), records review decisions, and recomputes the reconciliation from every imported report
(a later one superseding an earlier one event by event). Importing a report is
:mod:`connector.psop.report_import`, each organiser's month :mod:`connector.psop.organiser_status`.
Nothing here talks to Spotilla or Netvisor: a decision reaches the documents through the next
sync, whose billing reads the decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from connector.billing.documents import organiser_document_key
from connector.core.domain import Period
from connector.ledger import Ledger
from connector.psop.reconcile import (
    APPROVE,
    REJECT,
    ImportedReport,
    Reconciliation,
    reconcile,
)
from connector.psop.records import BilledOrganiserLine, EventRow, HeldItem, PsopState, ReportRow


def as_decimal(value: Any) -> Decimal:
    """A ledger value (text or number) as a Decimal."""
    return Decimal(str(value))


def _event(row: dict[str, Any]) -> dict[str, Any]:
    """What names one event (customer number, voucher, day, product) and its quantity, from a
    ledger row of the PSOP loop, as the records take them."""
    return {
        "psop_customer_number": row["psop_customer_number"],
        "voucher_id": row["voucher_id"],
        "work_date": date.fromisoformat(row["work_date"]),
        "psop_product": row["psop_product"],
        "quantity": as_decimal(row["quantity"]),
    }


def event_document_key(event: dict[str, Any]) -> str:
    """The organiser document an event of the PSOP loop belongs to (its month and region)."""
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
            document_key=event_document_key(e),
            line_id=e["event_id"],
            **_event(e),
            amount=as_decimal(e["voucher_share"]),
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
            voucher_share=as_decimal(e["voucher_share"]),
            self_pay=as_decimal(e["self_pay"]),
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
                    unit_price=as_decimal(x["unit_price"]),
                    amount=as_decimal(x["amount"]),
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
            unit_price=as_decimal(e["unit_price"]),
            voucher_share=as_decimal(e["voucher_share"]),
            self_pay=as_decimal(e["self_pay"]),
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
