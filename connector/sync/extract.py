"""Extract and bill: read Spotilla for the observed periods, then turn the work into documents.

Extraction quarantines what it cannot use and goes on; billing is pure (``connector.billing``)
and gets the ledger's billed-line history, so a change to billed work becomes a correction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connector.billing import BillingInput, BillingResult, bill
from connector.domain import BillableTask, Period, Quarantined
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, MasterData, SpotillaSource
from connector.sync.context import RunContext


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
    """Bill the built periods against the ledger's history of billed lines."""
    inp = BillingInput(
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
