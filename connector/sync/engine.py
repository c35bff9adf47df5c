"""The sync job's phase order: lock, reconcile, extract, scope, observe, bill, desire, plan,
apply (or render the outbox), report. Each phase lives in its own module; this one only runs
them in order with one run's :class:`RunContext`.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date

import httpx

from connector.billing import BillingRules
from connector.core.config import Config, Secrets
from connector.core.domain import Period
from connector.core.errors import ConfigError, ConfigProblem, ConnectorError, FatalRunError
from connector.core.logging import get_logger
from connector.ledger import Ledger, ObjectKind, RunLock
from connector.mapping import Mappings, load_mappings
from connector.netvisor.client import NetvisorClient
from connector.spotilla.client import SpotillaClient
from connector.sync import scope
from connector.sync.apply import apply_plan
from connector.sync.clients import netvisor_client, spotilla_client
from connector.sync.context import RequestAudit, RunAborted, RunContext, helsinki_today
from connector.sync.extract import extract
from connector.sync.outbox import render_outbox
from connector.sync.outputs import after_run, check_binding, prepare_report
from connector.sync.planning import Planning, Scope
from connector.sync.reconcile import reconcile
from connector.sync.report import RunReport
from connector.texts.i18n import texts

log = get_logger("sync")

_heap_lock = threading.Lock()
_runs_in_process = 0


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive when the process goes from idle to running a sync (its modules,
    pydantic's validators, the mappings, a daemon's own state) are left out of the cyclic
    garbage collector's passes until no run is left (``gc.freeze``/``gc.unfreeze``).

    They outlive the run anyway, and at a thousand customers each full pass over them took
    ~50 ms; two such passes fell after the last answer, where the run report is written. A
    full pass now walks only what the run has made. What a run creates is collected as
    always; concurrent runs (a fleet's workers) freeze only once, and the last one to finish
    gives the objects back to the collector, so cyclic garbage among them is collected at
    the next full pass.
    """
    global _runs_in_process
    with _heap_lock:
        _runs_in_process += 1
        if _runs_in_process == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _heap_lock:
            _runs_in_process -= 1
            if _runs_in_process == 0:
                gc.unfreeze()


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
        with frozen_heap():
            return self._run(
                command=command,
                scope=scope,
                period=period,
                dry_run=dry_run,
                plan_only=plan_only,
                lock=lock,
                lock_wait=lock_wait,
                on_lock_wait=on_lock_wait,
                adopt=adopt,
            )

    def _run(
        self,
        *,
        command: str,
        scope: str,
        period: Period | None,
        dry_run: bool,
        plan_only: bool,
        lock: RunLock | None,
        lock_wait: float,
        on_lock_wait: Callable[[str], None] | None,
        adopt: bool,
    ) -> RunReport:
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
            planning = Planning(ctx, client, extracted, Scope(built, observed, scope, adopt=adopt))
            if plan_only or dry_run:
                plan = planning.finish()
                if dry_run:
                    report.outbox = render_outbox(self.config.connector.outbox, plan)
                return
            if ctx.stop.is_set():  # asked to stop while reading: send nothing
                plan = planning.finish(offline=True)
                report.stopped = bool(plan.writes())
                log.info("stop_requested", done=0, remaining=len(plan.writes()))
                return
            # bill, plan and apply as one stream: each owner's writes leave while the next
            # owners are billed (connector/sync/planning.py)
            try:
                apply_plan(
                    ctx, client, planning, while_last_in_flight=lambda: prepare_report(self.config)
                )
            except BaseException:
                with contextlib.suppress(Exception):
                    planning.finish(offline=True)
                raise
            planning.finish(offline=True)  # after a stop: the rest is decided, not sent
        if report.counts["unknown"]:
            # One more look now: a lost answer is usually settled a moment later.
            reconcile(ctx, client, final=True)

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
