"""The sync job's phase order: lock, reconcile, extract, scope, observe, bill, desire, plan,
apply (or render the outbox), report. Each phase lives in its own module; this one only runs
them in order with one run's :class:`RunContext`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import date

import httpx

from connector.billing import BillingRules, InvoiceDocument
from connector.billing.engine import BillingRun
from connector.billing.periods import document_key_locked
from connector.core.config import Config, Secrets
from connector.core.domain import Period
from connector.core.errors import ConfigError, ConfigProblem, ConnectorError, FatalRunError
from connector.core.logging import get_logger
from connector.core.reasons import reason as worded
from connector.ledger import SETTLED, Ledger, LedgerState, ObjectKind, RunLock
from connector.mapping import Mappings, load_mappings
from connector.netvisor.client import NetvisorClient
from connector.spotilla.client import SpotillaClient
from connector.sync import desired_build, desired_ledger, observe, scope
from connector.sync.adopt import adopt_existing
from connector.sync.apply import apply_plan
from connector.sync.clients import netvisor_client, spotilla_client
from connector.sync.context import RequestAudit, RunAborted, RunContext, helsinki_today
from connector.sync.doubt import DoubtHolds
from connector.sync.extract import Extracted, bill_documents, extract
from connector.sync.outbox import render_outbox
from connector.sync.outputs import after_run, check_binding, rechecked_by
from connector.sync.plan import ActionKind, Plan, Planner
from connector.sync.reconcile import reconcile
from connector.sync.report import RunReport
from connector.texts.i18n import texts
from connector.texts.report_data import summarise

log = get_logger("sync")


class SyncEngine:
    """One configured connector: Spotilla source, mappings, billing, ledger, Netvisor client.

    Long-lived (the daemon keeps one); everything that belongs to a single run lives in that
    run's :class:`RunContext`.
    """

    def __init__(
        self,
        config: Config,
        secrets: Secrets,
        *,
        mappings: Mappings | None = None,
        as_of: date | None = None,
        netvisor_transport: httpx.BaseTransport | None = None,
        spotilla_transport: httpx.BaseTransport | None = None,
        stop: threading.Event | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.config = config
        self.secrets = secrets
        self.mappings = mappings if mappings is not None else load_mappings(config.mappings_folder)
        self.as_of = as_of
        self.today = as_of or helsinki_today()
        self.stop = stop or threading.Event()
        self.progress = progress
        self._netvisor_transport = netvisor_transport
        self._spotilla_transport = spotilla_transport
        c = config.connector
        try:
            self.rules = BillingRules(
                close_day=c.close_day,
                lock_day=c.lock_day,
                over_grant=c.over_grant,
                outside_validity=c.outside_validity,
                payment_term_days=config.netvisor.payment_term_days,
                settlement_day=c.settlement_day,
                capitation_proration=c.capitation_proration,
            )
        except ValueError as exc:
            raise ConfigError(
                ConfigProblem(str(config.path), None, "connector", str(exc))
            ) from None

    def netvisor_client(self, audit: RequestAudit | None = None) -> NetvisorClient:
        return netvisor_client(
            self.config,
            self.secrets,
            transport=self._netvisor_transport,
            on_request=audit.record if audit is not None else None,
        )

    def spotilla_client(self) -> SpotillaClient:
        return spotilla_client(self.config, self.secrets, transport=self._spotilla_transport)

    # -- one run -----------------------------------------------------------------------------

    def run(
        self,
        *,
        command: str = "sync",
        scope: str = "full",
        period: Period | None = None,
        dry_run: bool = False,
        plan_only: bool = False,
        lock: RunLock | None = None,
        lock_wait: float = 0.0,
        on_lock_wait: Callable[[str], None] | None = None,
        adopt: bool = False,
    ) -> RunReport:
        """Run the job. ``plan_only``/``dry_run`` write nothing to Netvisor or the ledger.

        ``scope``: "full" (master data and invoices), "master" (customers and products only),
        "reconcile" (only the reconcile phase). ``lock``: a run lock the caller already holds
        (kept held afterwards); otherwise the run takes the ledger's lock itself, waiting up to
        ``lock_wait`` seconds for another process to let it go. ``adopt``: an invoice Netvisor
        already holds under a key the ledger does not know, with other content, is adopted and
        edited (``sync --adopt``) instead of held for a person (``adopt.py``).
        """
        started = time.monotonic()
        report = RunReport(
            command=command, today=self.today, language=self.config.connector.language
        )
        read_only = plan_only or dry_run
        own_lock = None
        if lock is not None:
            if not lock.held:
                raise ValueError("a lock handed to a run must be held")
        else:  # a plan reads Netvisor too: never beside another process's requests
            own_lock = lock = RunLock(self.config.ledger_path)
            lock.acquire(lock_wait, on_lock_wait, self.stop)  # RunLockedError -> exit 3
        ledger = None
        try:
            ledger = Ledger(self.config.ledger_path)
            check_binding(ledger, self.config, read_only=read_only)  # -> exit 3 on a mismatch
            run_id = None
            if not read_only:
                run_id = report.run_id = ledger.start_run(
                    command,
                    period=str(period) if period else None,
                    as_of=self.as_of.isoformat() if self.as_of else None,
                    dry_run=dry_run,
                )
            ctx = RunContext(
                config=self.config,
                mappings=self.mappings,
                rules=self.rules,
                ledger=ledger,
                report=report,
                audit=RequestAudit(report),
                today=self.today,
                run_id=run_id,
                read_only=read_only,
                stop=self.stop,
                progress=self.progress,
                max_unknown_in_a_row=self.config.netvisor.max_unknown_in_a_row,
            )
            log.info(
                "run_start", command=command, run_id=run_id, scope=scope, today=str(self.today)
            )
            try:
                with self.netvisor_client(ctx.audit) as client:
                    self._run_phases(
                        ctx,
                        client,
                        scope=scope,
                        period=period,
                        dry_run=dry_run,
                        plan_only=plan_only,
                        adopt=adopt,
                    )
            except RunAborted as abort:
                self._aborted(report, abort.error)
            except ConnectorError as exc:  # fatal, or a read that kept failing
                self._aborted(report, exc)
            except Exception as exc:  # a bug: the run row says so, the caller reports it
                if run_id is not None:
                    with contextlib.suppress(Exception):
                        ctx.flush_audit()
                        ledger.finish_run(
                            run_id,
                            "failed",
                            {**report.counts},
                            error_type=type(exc).__name__,
                            message=f"unexpected {type(exc).__name__} (see the log)",
                        )
                    exc.connector_run_id = run_id  # type: ignore[attr-defined]
                raise
            finally:
                ctx.flush_audit()
            report.seconds = time.monotonic() - started
            if run_id is not None:
                ledger.finish_run(
                    run_id,
                    report.status,
                    {**report.counts, "quarantined": len(report.quarantined) + len(report.held)},
                    error_type=report.aborted_type,
                    message=report.aborted,
                )
            after_run(self.config, ledger, report)  # run report, alerts
            log.info(
                "run_done",
                run_id=run_id,
                status=report.status,
                seconds=round(report.seconds, 2),
                **{k: v for k, v in report.counts.items()},
            )
            return report
        finally:
            if ledger is not None:
                ledger.close()
            if own_lock is not None:
                own_lock.release()

    @staticmethod
    def _aborted(report: RunReport, error: ConnectorError) -> None:
        report.aborted = error.message
        report.aborted_type = error.error_type
        log.error("run_aborted", error_type=error.error_type, error=error.message)

    # -- the phases, in order ----------------------------------------------------------------

    def _run_phases(
        self,
        ctx: RunContext,
        client: NetvisorClient,
        *,
        scope: str,
        period: Period | None,
        dry_run: bool,
        plan_only: bool,
        adopt: bool = False,
    ) -> None:
        report = ctx.report
        # reconcile (not in read-only runs: they change nothing; in-doubt rows show in the plan)
        if not ctx.read_only:
            reconcile(ctx, client)
        if scope == "reconcile":
            return
        # scope
        built, observed = self._scope(ctx, period) if scope == "full" else ([], [])
        report.built = [str(p) for p in built]
        report.observed = [str(p) for p in observed]
        # extract
        with self.spotilla_client() as spotilla:
            extracted = extract(ctx, spotilla, observed)
        with extracted.tasks:
            plan = self._bill_and_plan(
                ctx, client, extracted, built, observed, scope, dry_run, adopt=adopt
            )
        if plan_only:
            return
        if dry_run:
            report.outbox = render_outbox(self.config.connector.outbox, plan)
            return
        # apply
        if ctx.stop.is_set() and plan.writes():  # asked to stop while reading: send nothing
            report.stopped = True
            log.info("stop_requested", done=0, remaining=len(plan.writes()))
            return
        apply_plan(ctx, client, plan)
        if report.counts["unknown"]:
            # One more look now: a lost answer is usually settled a moment later.
            reconcile(ctx, client, final=True)

    def _bill_and_plan(
        self,
        ctx: RunContext,
        client: NetvisorClient,
        extracted: Extracted,
        built: list[Period],
        observed: list[Period],
        scope: str,
        dry_run: bool,
        *,
        adopt: bool = False,
    ) -> Plan:
        """Bill owner by owner; each owner's documents become desired invoices and are decided
        at once, so only what will be written keeps its payload (see ``plan.Planner``)."""
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
        frozen = self._frozen(ctx, client, observed) if built else frozenset()
        rows = {row.key: row for row in ledger.objects()}
        holds = DoubtHolds(rows.values(), texts(self.config.connector.language))
        planner = Planner(rows, holds=holds)
        netvisor = self.config.netvisor
        builder = desired_build.DesiredBuilder(
            master,
            frozen,
            mappings=ctx.mappings,
            payment_term_days=netvisor.payment_term_days,
            invoice_status=netvisor.invoice_status,
            scope=scope,
        )
        names = {cid: c.name for cid, c in master.customers.items()}
        held_seen = 0

        def take(documents: list[InvoiceDocument], run: BillingRun) -> None:
            nonlocal held_seen
            held = run.held[held_seen:]
            held_seen = len(run.held)
            for doc in documents:
                report.documents += 1
                report.document_total += doc.total
                report.document_rows.append(summarise(doc, held=held, names=names))
            for obj in builder.invoices(documents):
                planner.add(obj)

        withdrawn: tuple[str, ...] = ()
        if built:
            result = bill_documents(ctx, extracted, built, observed, frozen, take, holds)
            report.quarantined.extend(result.quarantined)
            report.held.extend(result.held)
            if not ctx.read_only and not dry_run:  # the events `psop export` and `import` read
                ledger.record_psop_events([str(p) for p in observed], result.events)
            withdrawn = result.withdrawn
            report.deferred = tuple(result.deferred)
            if result.deferred:
                log.info("corrections_deferred", lines=len(result.deferred))
        # the rest of the desired state: master data, cancelled invoices, credit-note matches
        planner.add_all(builder.master_objects())
        planner.add_all(
            desired_ledger.voided_invoices(
                withdrawn,
                rows,
                ledger,
                rules=ctx.rules,
                payment_term_days=netvisor.payment_term_days,
                invoice_status=netvisor.invoice_status,
            )
        )
        pairs = desired_ledger.match_candidates(rows, ledger.billed_lines)
        if pairs:
            keys = [r.netvisor_key for pair in pairs for r in pair if r.netvisor_key]
            planner.add_all(desired_ledger.matches(pairs, observe.invoice_statuses(client, keys)))
        # a fresh, copied or restored ledger: what Netvisor already holds is adopted, not sent
        plan = report.plan = adopt_existing(
            ctx, client, planner.plan(), rows, adopt_unmatched=adopt
        )
        report.held.extend(holds.quarantined())  # documents waiting for a document in doubt
        if report.counts["adopted"]:
            report.notices.append(
                texts(ctx.config.connector.language)("adopt.count", count=report.counts["adopted"])
            )
        for action in plan.actions:
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
            ledger.record_quarantine(
                ctx.run_id,
                [*report.quarantined, *report.held],
                rechecked=rechecked_by(
                    extracted.tasks.period_of, built, extracted.quarantined, read_master=True
                ),
            )
        return plan

    def _scope(self, ctx: RunContext, period: Period | None) -> tuple[list[Period], list[Period]]:
        """(periods built, periods observed). A fresh ledger (no invoice yet) starts from
        ``[connector] start_period``: without it a sync refuses before any write, naming the
        month it would bill; ``plan`` says which month the first run bills."""
        from connector.billing.periods import earliest_lock_date

        lookback = self.config.connector.correction_lookback_months
        try:
            built = scope.periods_to_build(period, ctx.today, ctx.rules, lookback)
        except ConnectorError as exc:
            raise RunAborted(exc) from None
        invoices = ctx.ledger.objects(kind=ObjectKind.INVOICE)
        first = scope.first_billed_period(invoices)
        start = self.config.connector.first_period
        t = texts(self.config.connector.language)
        if first is None:  # a fresh ledger: the first run bills from start_period on
            if start is not None:
                built = [p for p in built if p >= start]
            if period is None and start is not None:
                late = scope.late_candidates(
                    ctx.today, ctx.rules, lookback, {}, start, lambda p: p.first_day
                )
                built = sorted(set(built) | set(late))
            if start is None and built:
                months = ", ".join(str(p) for p in built)
                if not ctx.read_only:
                    raise RunAborted(
                        FatalRunError(
                            t(
                                "start.missing",
                                months=months,
                                first=built[0],
                                path=self.config.path,
                            ),
                            error_type="START_PERIOD_MISSING",
                        )
                    )
                ctx.report.notices.append(t("start.would_bill", months=months, first=built[0]))
            elif built:
                ctx.report.notices.append(
                    t("start.first_run", months=", ".join(str(p) for p in built), start=start)
                )
            elif start is not None:
                ctx.report.notices.append(t("start.nothing_yet", start=start))
            return built, scope.periods_to_observe(built, ctx.today, lookback, start)
        if period is None:  # documents the connector never made are billed late, on their own
            billed = scope.billed_by_period(invoices)
            late = scope.late_candidates(
                ctx.today,
                ctx.rules,
                lookback,
                billed,
                first,
                lambda p: earliest_lock_date(p, ctx.rules, ctx.mappings),
            )
            built = sorted(set(built) | set(late))
        return built, scope.periods_to_observe(built, ctx.today, lookback, first)

    def _frozen(
        self, ctx: RunContext, client: NetvisorClient, observed: list[Period]
    ) -> frozenset[str]:
        """Documents that can no longer be edited: period locked, or no longer ``unsent``."""
        rows = ctx.ledger.objects(kind=ObjectKind.INVOICE, states=SETTLED)
        frozen, to_check = scope.frozen_by_ledger(
            rows,
            observed,
            lambda key: document_key_locked(
                key, today=ctx.today, rules=ctx.rules, mappings=ctx.mappings
            ),
        )
        owned = {r.netvisor_key: r.key for r in rows if r.netvisor_key}
        checked = observe.check_editable(client, to_check, owned)
        if not ctx.read_only:
            ctx.ledger.confirm_seen(checked.seen)
            ctx.ledger.record_invoice_balances(checked.balances)
        return frozen | checked.frozen
