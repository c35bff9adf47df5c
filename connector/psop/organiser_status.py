"""Each organiser's month as PSOP sees it: ``connector psop status`` and the console's figures.

Owns :func:`organiser_months`: per organiser (region) and month, the euros billed (what
documents in Netvisor carry), approved, settled (tilitetty) and paid by PSOP according to every
imported report in force, the open difference over the listed differences, and what billing
meant for the organiser that no document in Netvisor carries yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.core.money import ZERO
from connector.ledger import Ledger
from connector.psop.loop import as_decimal, event_document_key, in_netvisor, reconciliation
from connector.psop.reconcile import Difference, DifferenceKind
from connector.psop.records import PsopState

#: PSOP states that count as approved, settled (tilitetty) and paid
APPROVED_STATES = frozenset({PsopState.HYVAKSYTTY, PsopState.TILITETTY, PsopState.MAKSETTU})
SETTLED_STATES = frozenset({PsopState.TILITETTY, PsopState.MAKSETTU})


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
            sums[key]["not_billed"] += as_decimal(e["voucher_share"])
    for e in billed_events:
        key = (e["region"], e["period"])
        region_of[e["event_id"]] = key
        sums[key]["billed"] += as_decimal(e["voucher_share"])
        line_state = state_of.get((event_document_key(e), e["event_id"]))
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
