"""Extract and bill: read Spotilla for the observed periods, then turn the work into documents.

Extraction quarantines what it cannot use and goes on; the tasks it keeps go to a
:class:`TaskStore` on disk, grouped by the customer whose invoice they go on. Billing is pure
(``connector.billing``) and runs one owner at a time: that owner's tasks from the store and
its billed-line history from the ledger, so a change to billed work becomes a correction and
memory does not grow with the number of tasks.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from connector.billing import BillingInput, BillingResult, InvoiceDocument
from connector.billing.documents import document_owner
from connector.billing.engine import BillingRun, task_owner
from connector.billing.values import ORGANISER_OWNER
from connector.core.domain import BillableTask, Period, Quarantined
from connector.core.logging import get_logger
from connector.core.reasons import reason as worded
from connector.ledger import ObjectKind, OwnedObject
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, MasterData, SpotillaSource
from connector.sync.context import RunContext
from connector.sync.doubt import DoubtHolds
from connector.sync.taskstore import UNKNOWN_OWNER, TaskStore

log = get_logger("sync")


@dataclass(frozen=True)
class Extracted:
    master: MasterData
    tasks: TaskStore  # closed by the caller when the run is done with it
    quarantined: tuple[Quarantined, ...]


@dataclass
class LateNotices:
    """What billing made late: LOCKED months the ledger has no invoice of, and documents made
    after their own lock date. Worded only once the plan knows which of them Netvisor already
    holds: a fresh or restored ledger bills earlier months again and adopts them whole
    (``adopt.py``), and nothing adopted is billed late (see :meth:`notices`)."""

    periods: list[Period] = field(default_factory=list)
    documents: dict[str, str] = field(default_factory=dict)  # key -> its worded notice

    def notices(self, invoices: Iterable[tuple[str, str | None]], adopted: set[str]) -> list[str]:
        """The notices still true. ``invoices``: (key, period) of every invoice the plan
        decided; ``adopted``: the keys it found in Netvisor and adopted instead of sending. A
        month whose documents were all adopted, and a document adopted, are not billed late."""
        months: dict[str, list[str]] = {}
        for key, period in invoices:
            if period is not None:
                months.setdefault(period, []).append(key)
        out = []
        for p in self.periods:
            keys = months.get(str(p), [])
            if keys and adopted.issuperset(keys):
                continue
            out.append(worded("period_billed_late", period=p))
            log.warning("period_billed_late", period=str(p))
        for key, text in self.documents.items():
            if key not in adopted:
                out.append(text)
                log.warning("document_billed_late", key=key)
        return out


def extract(ctx: RunContext, spotilla: SpotillaClient, observed: Sequence[Period]) -> Extracted:
    """Master data, and the billable work of each observed period (into a task store)."""
    config = ctx.config.spotilla
    source = SpotillaSource(
        spotilla,
        BillableWorkRules.from_config(config.counted_status, config.require_order_number),
    )
    master = source.master_data()
    quarantined = list(master.quarantined)
    store = TaskStore(lambda task: task_owner(task, master.customers, ctx.mappings))
    try:
        for i, p in enumerate(observed, start=1):
            store.add_all(_kept(source.billable_work(p, master), quarantined))
            if ctx.progress:
                ctx.progress("read", i, len(observed))
    except BaseException:
        store.close()
        raise
    return Extracted(master, store, tuple(quarantined))


def _kept(
    items: Iterable[BillableTask | Quarantined], quarantined: list[Quarantined]
) -> Iterator[BillableTask]:
    for item in items:
        if isinstance(item, Quarantined):
            quarantined.append(item)
        else:
            yield item


def bill_documents(
    ctx: RunContext,
    extracted: Extracted,
    built: Sequence[Period],
    observed: Sequence[Period],
    frozen: frozenset[str],
    late_notices: LateNotices,
    holds: DoubtHolds | None = None,
    invoices: Iterable[OwnedObject] | None = None,
) -> Generator[tuple[list[InvoiceDocument], BillingRun], None, BillingResult]:
    """Bill the built periods against the ledger's history of billed lines, owner by owner.

    Yields each owner's documents as soon as they are built (the organisers' last), with the
    billing run; returns the result, which carries everything else (quarantined, held,
    withdrawn, deferred, events) and no documents. Between two owners the caller may send what
    it has (the ledger reads here are per owner, of documents not yet billed in this run).

    A built period that is LOCKED and has no invoice in the ledger was never invoiced: it is
    billed late, as its own documents, with a notice (not as correction rows elsewhere). The
    notices go to ``late_notices``: the caller words them once it knows which of those documents
    Netvisor already holds (:class:`LateNotices`).

    ``holds``: before an owner is billed, whether billing reads one of its documents in doubt
    (then its documents, and the organisers' that carry its work, are held by the plan:
    :mod:`connector.sync.doubt`). ``invoices``: the ledger's invoice rows, when the caller
    has just read them (else they are read here)."""
    from connector.billing.periods import document_key_lock_date
    from connector.sync.scope import billed_by_period, late_periods
    from connector.texts.i18n import texts

    ledger = ctx.ledger
    rows = list(invoices) if invoices is not None else ledger.objects(kind=ObjectKind.INVOICE)
    invoiced = {r.period for r in rows if r.period}
    known = {r.key for r in rows}
    late = late_periods(built, ctx.today, ctx.rules, invoiced)
    late_notices.periods.extend(late)
    inp = BillingInput(
        late_periods=late,
        periods=tuple(built),
        observed_periods=tuple(observed),
        customers=extracted.master.customers,
        targets=extracted.master.targets,
        products=extracted.master.products,
        tasks=(),
        mappings=ctx.mappings,
        rules=ctx.rules,
        history=(),
        frozen_documents=frozen,
        review_decisions=ledger.decision_effects(),
        billed_periods=billed_by_period(rows),
    )
    # every invoice row the ledger ever kept: not held while the owners are billed
    del rows
    t = texts(ctx.config.connector.language)

    def with_notices(documents: list[InvoiceDocument]) -> list[InvoiceDocument]:
        for doc in documents:  # a document made after its own lock date: billed late
            if doc.key in known or doc.period in late:
                continue
            when = document_key_lock_date(doc.key, rules=ctx.rules, mappings=ctx.mappings)
            if ctx.today >= when:
                late_notices.documents[doc.key] = t(
                    "late.document", key=doc.key, date=t.date(when), period=doc.period
                )
        return documents

    history_keys = ledger.billed_document_keys()
    run = BillingRun(inp, ctx.today, history_keys)
    keys_of: dict[str, list[str]] = {}
    for key in history_keys:
        keys_of.setdefault(document_owner(key), []).append(key)
    store = extracted.tasks
    run.unknown(store.tasks_of(UNKNOWN_OWNER))
    organiser = ORGANISER_OWNER + ":"
    billed = sorted(keys_of)
    owners = {o for o in store.owners() if o != UNKNOWN_OWNER}
    owners |= {o for o in billed if not o.startswith(organiser)}
    for i, owner in enumerate(sorted(owners), start=1):
        keys = keys_of.get(owner, [])
        wanted = [k for k in keys if run.needs_lines(k)]  # the others: their keys suffice
        lines = ledger.billed_lines(owner=owner, documents=wanted) if wanted else []
        waits = holds.check_owner(owner, run.needs_lines) if holds is not None else ()
        documents = run.owner(store.tasks_of(owner), lines, keys)
        if waits and holds is not None:
            for region in run.last_organisers:
                holds.block(region, waits)
        yield with_notices(documents), run
        if ctx.progress:
            ctx.progress("bill", i, len(owners))
    if holds is not None:
        holds.check_organisers(run.needs_lines)
    keys = [k for o in billed if o.startswith(organiser) for k in keys_of[o]]
    wanted = [k for k in keys if run.needs_lines(k)]
    lines = ledger.billed_lines(documents=wanted) if wanted else []
    yield with_notices(run.organisers(lines, keys)), run
    return run.result()
