"""Extract and bill: read Spotilla for the observed periods, then turn the work into documents.

Extraction quarantines what it cannot use and goes on; billing is pure (``connector.billing``)
and gets the ledger's billed-line history, so a change to billed work becomes a correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.billing import BillingInput, BillingResult, bill
from connector.domain import BillableTask, Period, Quarantined
from connector.logging import get_logger
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, MasterData, SpotillaSource
from connector.sync.context import RunContext

log = get_logger("sync")


@dataclass(frozen=True)
class Extracted:
    master: MasterData
    tasks: tuple[BillableTask, ...]
    quarantined: tuple[Quarantined, ...]


def extract(ctx: RunContext, spotilla: SpotillaClient, observed: Sequence[Period]) -> Extracted:
    """Master data, and the billable work of each observed period."""
    config = ctx.config.spotilla
    source = SpotillaSource(
        spotilla,
        BillableWorkRules.from_config(config.counted_status, config.require_order_number),
    )
    master = source.master_data()
    quarantined = list(master.quarantined)
    tasks: list[BillableTask] = []
    for p in observed:
        for item in source.billable_work(p, master):
            if isinstance(item, Quarantined):
                quarantined.append(item)
            else:
                tasks.append(item)
    return Extracted(master, tuple(tasks), tuple(quarantined))


def bill_documents(
    ctx: RunContext,
    extracted: Extracted,
    built: Sequence[Period],
    observed: Sequence[Period],
    frozen: frozenset[str],
) -> BillingResult:
    """Bill the built periods against the ledger's history of billed lines.

    A built period that is LOCKED and has no invoice in the ledger was never invoiced: it is
    billed late, as its own documents, with a notice (not as correction rows elsewhere)."""
    from connector.ledger import ObjectKind
    from connector.sync.scope import late_periods

    invoiced = {r.period for r in ctx.ledger.objects(kind=ObjectKind.INVOICE) if r.period}
    late = late_periods(built, ctx.today, ctx.rules, invoiced)
    for p in late:
        ctx.report.notices.append(
            f"{p} was never invoiced by the connector and is locked: its documents are billed "
            f"late, dated as {p}'s documents; check them in Netvisor before sending"
        )
        log.warning("period_billed_late", period=str(p))
    inp = BillingInput(
        late_periods=late,
        periods=tuple(built),
        observed_periods=tuple(observed),
        customers=extracted.master.customers,
        targets=extracted.master.targets,
        products=extracted.master.products,
        tasks=extracted.tasks,
        mappings=ctx.mappings,
        rules=ctx.rules,
        history=tuple(ctx.ledger.billed_lines()),
        frozen_documents=frozen,
        review_decisions=ctx.ledger.decision_effects(),
    )
    return bill(inp, today=ctx.today)
