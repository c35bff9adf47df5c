"""Bill and plan as one stream: each owner's documents become decided actions at once.

Billing runs owner by owner (``extract.bill_documents``). As soon as an owner is billed, the
customers and products its documents need that no earlier owner needed are decided, then its
invoices; an invoice the ledger has no row of is looked up in Netvisor first (``adopt``). Each
decided action is handed to whoever iterates the :class:`Planning` — ``apply.apply_plan``, which
sends it while the next owners are billed, so the first write leaves as soon as the first owner
is billed and billing fills the time a request is in flight. What needs all of billing comes
last: master data of scope "master", cancelled invoices, credit-note matches, then the closing
bookkeeping (held documents, counts, quarantine).

The order within the stream is a dependency order: a customer or product before the first
invoice that needs it, a credit note's match after both documents. :meth:`Planning.finish`
drains the rest without anyone sending it (a plan, a dry run, a stop, a run that stopped
writing) and returns the whole plan, sorted as people read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from connector.billing import InvoiceDocument
from connector.billing.engine import BillingRun
from connector.core.domain import Period
from connector.core.logging import get_logger
from connector.core.reasons import reason as worded
from connector.ledger import LedgerState, ObjectKind
from connector.netvisor.client import NetvisorClient
from connector.sync import desired_build, desired_ledger, observe
from connector.sync.adopt import Adopter
from connector.sync.context import RunContext
from connector.sync.desired import DesiredObject
from connector.sync.doubt import DoubtHolds
from connector.sync.extract import Extracted, LateNotices, bill_documents
from connector.sync.outputs import rechecked_by
from connector.sync.plan import KIND_ORDER, Action, ActionKind, Plan, Planner
from connector.texts.i18n import texts
from connector.texts.report_data import summarise

log = get_logger("sync")


@dataclass(frozen=True)
class Scope:
    """What one run bills and plans."""

    built: list[Period]
    observed: list[Period]
    scope: str = "full"  # or "master": every customer and product, no documents
    adopt: bool = False  # ``sync --adopt``


class Planning:
    """The stream of decided actions of one run (see the module text); iterate it once."""

    def __init__(
        self, ctx: RunContext, client: NetvisorClient, extracted: Extracted, scope: Scope
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.extracted = extracted
        self.scope = scope
        self.plan: Plan | None = None  # the whole plan, once the stream has ended
        self._offline = False  # nothing more is sent: no Netvisor read is worth making
        self.writes_decided = 0  # for the progress line
        self._stream = self._actions()

    def __iter__(self) -> Iterator[Action]:
        return self._stream

    def finish(self, *, offline: bool = False) -> Plan:
        """Decides what is left and returns the whole plan. ``offline``: the run sends nothing
        more (it stopped, or stopped writing), so what is left is decided without reading
        Netvisor: an invoice create is not looked up for adoption and credit-note matches wait
        for the next run; billing and its bookkeeping (events, quarantine) still complete."""
        self._offline = offline
        for _ in self._stream:
            pass
        assert self.plan is not None
        return self.plan

    # -- the stream ----------------------------------------------------------------------------

    def _actions(self) -> Iterator[Action]:
        ctx, scope, extracted = self.ctx, self.scope, self.extracted
        ledger, report = ctx.ledger, ctx.report
        report.quarantined.extend(extracted.quarantined)
        master = extracted.master
        report.counts["extracted"] += (
            len(master.customers) + len(master.products) + len(extracted.tasks)
        )
        log.info(
            "extracted",
            customers=len(master.customers),
            targets=len(master.targets),
            products=len(master.products),
            tasks=len(extracted.tasks),
            quarantined=len(report.quarantined),
            built=report.built,
            observed=report.observed,
        )
        frozen = self._frozen() if scope.built else frozenset()
        rows = {row.key: row for row in ledger.objects()}
        holds = DoubtHolds(rows.values(), texts(ctx.config.connector.language))
        planner = Planner(rows, holds=holds)
        netvisor = ctx.config.netvisor
        builder = desired_build.DesiredBuilder(
            master,
            frozen,
            mappings=ctx.mappings,
            payment_term_days=netvisor.payment_term_days,
            invoice_status=netvisor.invoice_status,
            scope=scope.scope,
        )
        # a fresh, copied or restored ledger: what Netvisor already holds is adopted, not sent
        adopter = Adopter(
            ctx,
            self.client,
            rows,
            periods=[*scope.built, *scope.observed],
            adopt_unmatched=scope.adopt,
        )
        decided: list[Action] = []
        late = LateNotices()
        adopted: set[str] = set()  # found in Netvisor as billed: not sent, so not billed late

        def decide(obj: DesiredObject) -> Action:
            action = planner.add(obj)
            if not self._offline:
                found = adopter.decide(action)
                if found is not action and found.kind is ActionKind.SKIP:
                    adopted.add(obj.key)
                action = found
            decided.append(action)
            self.writes_decided += action.writes
            return action

        names = {cid: c.name for cid, c in master.customers.items()}
        held_seen = 0
        withdrawn: tuple[str, ...] = ()
        if scope.built:
            billing = bill_documents(
                ctx,
                extracted,
                scope.built,
                scope.observed,
                frozen,
                late,
                holds,
                invoices=(r for r in rows.values() if r.kind is ObjectKind.INVOICE),
            )
            while True:
                try:
                    documents, run = next(billing)
                except StopIteration as done:
                    result = done.value
                    break
                held_seen = self._summarise(documents, run, held_seen, names)
                invoices = builder.invoices(documents)
                for obj in builder.new_master_objects():
                    yield decide(obj)
                for obj in invoices:
                    yield decide(obj)
            report.quarantined.extend(result.quarantined)
            report.held.extend(result.held)
            if not ctx.read_only:  # the events `psop export` and `import` read
                ledger.record_psop_events([str(p) for p in scope.observed], result.events)
            withdrawn = result.withdrawn
            report.deferred = tuple(result.deferred)
            if result.deferred:
                log.info("corrections_deferred", lines=len(result.deferred))
        # the rest of the desired state: master data, cancelled invoices, credit-note matches
        for obj in builder.new_master_objects(rest=True):
            yield decide(obj)
        for obj in desired_ledger.voided_invoices(
            withdrawn,
            rows,
            ledger,
            rules=ctx.rules,
            payment_term_days=netvisor.payment_term_days,
            invoice_status=netvisor.invoice_status,
        ):
            yield decide(obj)
        pairs = desired_ledger.match_candidates(rows, ledger.billed_lines)
        if pairs and not self._offline:
            keys = [r.netvisor_key for pair in pairs for r in pair if r.netvisor_key]
            statuses = observe.invoice_statuses(self.client, keys)
            for obj in desired_ledger.matches(pairs, statuses):
                yield decide(obj)
        invoices = [(a.obj.key, a.obj.period) for a in decided if a.obj.kind is ObjectKind.INVOICE]
        report.notices.extend(late.notices(invoices, adopted))
        self._close(rows, holds, decided)

    def _summarise(
        self,
        documents: list[InvoiceDocument],
        run: BillingRun,
        held_seen: int,
        names: dict[str, str],
    ) -> int:
        """The report's rows of an owner's documents; returns how many held items it has seen."""
        report = self.ctx.report
        held = run.held[held_seen:]
        for doc in documents:
            report.documents += 1
            report.document_total += doc.total
            report.document_rows.append(summarise(doc, held=held, names=names))
        return len(run.held)

    def _close(self, rows: dict, holds: DoubtHolds, decided: list[Action]) -> None:
        ctx, report = self.ctx, self.ctx.report
        self.plan = report.plan = Plan(
            sorted(decided, key=lambda a: (KIND_ORDER[a.obj.kind], a.obj.key))
        )
        report.held.extend(holds.quarantined())  # documents waiting for a document in doubt
        if report.counts["adopted"]:
            report.notices.append(
                texts(ctx.config.connector.language)("adopt.count", count=report.counts["adopted"])
            )
        for action in self.plan.actions:
            if action.kind is ActionKind.SKIP:
                report.counts["skipped"] += 1
            elif action.kind in (ActionKind.HOLD, ActionKind.RECONCILE):
                report.counts["held"] += 1
                row = rows.get(action.obj.key)
                if row is not None and row.state is LedgerState.REJECTED:
                    report.counts["awaiting_person"] += 1
                    report.problems.append(
                        worded(
                            "rejected_earlier",
                            key=action.obj.key,
                            error=row.last_error_type,
                            retry=action.obj.key,
                        )
                    )
        if not ctx.read_only:
            ctx.ledger.record_quarantine(
                ctx.run_id,
                [*report.quarantined, *report.held],
                rechecked=rechecked_by(
                    self.extracted.tasks.period_of,
                    self.scope.built,
                    self.extracted.quarantined,
                    read_master=True,
                ),
            )

    def _frozen(self) -> frozenset[str]:
        """Documents that can no longer be edited: period locked, or no longer ``unsent``."""
        from connector.billing.periods import document_key_locked
        from connector.ledger import SETTLED
        from connector.sync import scope as scoping

        ctx = self.ctx
        rows = ctx.ledger.objects(kind=ObjectKind.INVOICE, states=SETTLED)
        frozen, to_check = scoping.frozen_by_ledger(
            rows,
            self.scope.observed,
            lambda key: document_key_locked(
                key, today=ctx.today, rules=ctx.rules, mappings=ctx.mappings
            ),
        )
        owned = {r.netvisor_key: r.key for r in rows if r.netvisor_key}
        checked = observe.check_editable(self.client, to_check, owned)
        if not ctx.read_only:
            ctx.ledger.confirm_seen(checked.seen)
            ctx.ledger.record_invoice_balances(checked.balances)
        return frozen | checked.frozen
