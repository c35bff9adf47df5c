"""The sync job: lock, reconcile, extract, map, bill, plan, apply, report (DESIGN.md).

Exactly-once in Netvisor rests on three rules kept here:

1. Intent first: a write's ledger row goes to ``sending`` (with the billed lines it carries) in a
   committed transaction *before* the request leaves; ``sent`` and the NetvisorKey are committed
   after the answer. No ledger transaction is ever open across an HTTP call.
2. Never resend blindly: a row left ``sending`` or ``unknown`` is looked up in Netvisor by the
   connector's own key (customer code, product code, the invoice's private comment) and becomes
   ``confirmed`` or goes back to ``planned`` — before anything new is sent.
3. A stop request is honoured between actions, never between ``sending`` and ``sent``.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from connector import failpoints
from connector.billing import (
    BilledLine,
    BillingInput,
    BillingResult,
    BillingRules,
    InvoiceDocument,
    PeriodState,
    bill,
    invoice_date,
    period_state,
)
from connector.billing import CommentLine as DocComment
from connector.config import Config, Secrets
from connector.domain import HELSINKI, BillableTask, Period, Quarantined
from connector.errors import (
    EXIT_ABORTED,
    EXIT_OK,
    EXIT_PARTIAL,
    AmbiguousWriteError,
    ConfigError,
    ConfigProblem,
    ConnectorError,
    FatalRunError,
    RecordError,
    TransientError,
)
from connector.ledger import (
    IN_DOUBT,
    SETTLED,
    Ledger,
    LedgerLine,
    LedgerState,
    ObjectKind,
    OwnedObject,
    RunLock,
)
from connector.logging import get_logger
from connector.mapping import Mappings, load_mappings
from connector.netvisor import documents as nv
from connector.netvisor import xml as nvxml
from connector.netvisor.auth import NetvisorCredentials
from connector.netvisor.client import NetvisorClient
from connector.netvisor.errors import NetvisorDuplicateData
from connector.plan import (
    Action,
    ActionKind,
    DesiredObject,
    Plan,
    customer_key,
    customer_record,
    invoice_summary,
    make_plan,
    product_key,
    product_record,
    render_table,
)
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, MasterData, SpotillaSource

log = get_logger("sync")

#: statuses in which Netvisor still lets the connector edit an invoice it imported
EDITABLE_STATUSES = frozenset({None, "unsent"})


@dataclass
class RunReport:
    """What a run did, for the summary, the ledger's run row and the exit code."""

    command: str
    run_id: int | None = None
    today: date | None = None
    built: list[str] = field(default_factory=list)
    observed: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    quarantined: list[Quarantined] = field(default_factory=list)
    held: list[Quarantined] = field(default_factory=list)
    plan: Plan | None = None
    problems: list[str] = field(default_factory=list)  # rejected / unknown, for people
    notices: list[str] = field(default_factory=list)  # worth knowing, not a problem
    aborted: str | None = None
    aborted_type: str | None = None
    stopped: bool = False
    outbox: Path | None = None
    documents: int = 0
    document_total: Decimal = Decimal("0.00")
    netvisor_requests: int = 0
    netvisor_writes: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return EXIT_ABORTED
        if (
            self.quarantined
            or self.held
            or self.counts["rejected"]
            or self.counts["unknown"]
            or self.counts["failed"]
            or self.counts["awaiting_person"]
        ):
            return EXIT_PARTIAL
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.aborted:
            return "aborted"
        if self.stopped:
            return "stopped"
        return "ok" if self.exit_code == EXIT_OK else "partial"


class _Abort(Exception):
    def __init__(self, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.error = error


def helsinki_today() -> date:
    return datetime.now(HELSINKI).date()


def _safe_filename(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key)


class SyncEngine:
    """One configured connector: Spotilla source, mappings, billing, ledger, Netvisor client."""

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
            )
        except ValueError as exc:
            raise ConfigError(
                ConfigProblem(str(config.path), None, "connector", str(exc))
            ) from None
        self._audit: list[nv.RequestRecord] = []
        self._counter_lock = threading.Lock()
        self._run_id: int | None = None
        self._report: RunReport | None = None

    # -- clients -----------------------------------------------------------------------------

    def _netvisor(self) -> NetvisorClient:
        n = self.config.netvisor
        creds = NetvisorCredentials(
            sender=n.sender,
            customer_id=n.customer_id,
            partner_id=n.partner_id,
            organisation_id=n.organisation_id,
            customer_key=self.secrets.netvisor_customer_key,
            partner_key=self.secrets.netvisor_partner_key,
            language=n.language,
        )
        return NetvisorClient(
            n.base_url,
            creds,
            transport=self._netvisor_transport,
            timeout=n.timeout,
            on_request=self._on_request,
        )

    def _spotilla(self) -> SpotillaClient:
        s = self.config.spotilla
        return SpotillaClient(
            s.base_url,
            subdomain=s.subdomain,
            user_id=s.user_id,
            token=self.secrets.spotilla_token,
            username=s.username,
            password=self.secrets.spotilla_password,
            transport=self._spotilla_transport,
            timeout=s.timeout,
            per_page=s.per_page,
            concurrency=s.concurrency,
            time_budget=s.time_budget,
        )

    def _on_request(self, record: nv.RequestRecord) -> None:
        # Called on the sender thread: only count and queue; the ledger is written by the run's
        # own thread (SQLite connections stay on the thread that opened them).
        with self._counter_lock:
            if self._report is not None:
                self._report.netvisor_requests += 1
                if record.method != "GET" and record.outcome == "ok":
                    self._report.netvisor_writes += 1
            self._audit.append(record)

    def _flush_audit(self) -> None:
        with self._counter_lock:
            records, self._audit = self._audit, []
        if records and self._ledger is not None and not self._read_only:
            self._ledger.audit_many(self._run_id, records)

    # -- entry points ------------------------------------------------------------------------

    _ledger: Ledger | None = None
    _read_only = False

    def run(
        self,
        *,
        command: str = "sync",
        scope: str = "full",
        period: Period | None = None,
        dry_run: bool = False,
        plan_only: bool = False,
    ) -> RunReport:
        """Run the job. ``plan_only``/``dry_run`` write nothing to Netvisor or the ledger.

        ``scope``: "full" (master data and invoices), "master" (customers and products only),
        "reconcile" (only the reconcile phase).
        """
        started = time.monotonic()
        report = self._report = RunReport(command=command, today=self.today)
        self._read_only = plan_only or dry_run
        lock = None if self._read_only else RunLock(self.config.ledger_path)
        if lock is not None:
            lock.acquire()  # RunLockedError -> exit 3 at the CLI
        try:
            self._ledger = Ledger(self.config.ledger_path)
            if not self._read_only:
                self._run_id = report.run_id = self._ledger.start_run(
                    command,
                    period=str(period) if period else None,
                    as_of=self.as_of.isoformat() if self.as_of else None,
                    dry_run=dry_run,
                )
            log.info(
                "run_start",
                command=command,
                run_id=self._run_id,
                scope=scope,
                today=str(self.today),
            )
            try:
                with self._netvisor() as client:
                    self._run_phases(
                        client,
                        report,
                        scope=scope,
                        period=period,
                        dry_run=dry_run,
                        plan_only=plan_only,
                    )
            except _Abort as abort:
                report.aborted = abort.error.message
                report.aborted_type = abort.error.error_type
                log.error(
                    "run_aborted", error_type=abort.error.error_type, error=abort.error.message
                )
            except ConnectorError as exc:  # fatal, or a read that kept failing
                report.aborted = exc.message
                report.aborted_type = exc.error_type
                log.error("run_aborted", error_type=exc.error_type, error=exc.message)
            finally:
                self._flush_audit()
            report.seconds = time.monotonic() - started
            if not self._read_only:
                self._ledger.finish_run(
                    self._run_id,
                    report.status,
                    {**report.counts, "quarantined": len(report.quarantined) + len(report.held)},
                    error_type=report.aborted_type,
                    message=report.aborted,
                )
            log.info(
                "run_done",
                run_id=self._run_id,
                status=report.status,
                seconds=round(report.seconds, 2),
                **{k: v for k, v in report.counts.items()},
            )
            return report
        finally:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
            if lock is not None:
                lock.release()
            self._report = None

    # -- the phases --------------------------------------------------------------------------

    def _run_phases(
        self,
        client: NetvisorClient,
        report: RunReport,
        *,
        scope: str,
        period: Period | None,
        dry_run: bool,
        plan_only: bool,
    ) -> None:
        ledger = self._ledger
        assert ledger is not None
        # 2. reconcile (not in read-only runs: they change nothing; in-doubt rows show in the plan)
        if not self._read_only:
            self.reconcile(client, report)
        if scope == "reconcile":
            return
        # 3. extract
        with self._spotilla() as spotilla:
            source = SpotillaSource(
                spotilla,
                BillableWorkRules.from_config(
                    self.config.spotilla.counted_status, self.config.spotilla.require_order_number
                ),
            )
            master = source.master_data()
            report.quarantined.extend(master.quarantined)
            report.counts["extracted"] += len(master.customers) + len(master.products)
            built, observed = self._periods(period, ledger) if scope == "full" else ([], [])
            report.built = [str(p) for p in built]
            report.observed = [str(p) for p in observed]
            tasks: list[BillableTask] = []
            for p in observed:
                for item in source.billable_work(p, master):
                    if isinstance(item, Quarantined):
                        report.quarantined.append(item)
                    else:
                        tasks.append(item)
            report.counts["extracted"] += len(tasks)
        log.info(
            "extracted",
            customers=len(master.customers),
            targets=len(master.targets),
            products=len(master.products),
            tasks=len(tasks),
            quarantined=len(report.quarantined),
            built=report.built,
            observed=report.observed,
        )
        # 4.-5. map and bill
        documents: tuple[InvoiceDocument, ...] = ()
        withdrawn: tuple[str, ...] = ()
        if built:
            frozen = self._frozen_documents(client, ledger, observed)
            result = self._bill(master, tasks, built, observed, ledger, frozen)
            report.quarantined.extend(result.quarantined)
            report.held.extend(result.held)
            documents = result.documents
            withdrawn = result.withdrawn
            if result.deferred:
                log.info("corrections_deferred", lines=len(result.deferred))
        else:
            frozen = frozenset()
        report.documents = len(documents)
        report.document_total = sum((d.total for d in documents), Decimal("0.00"))
        # 6. plan
        rows = {row.key: row for row in ledger.objects()}
        desired = self._desired(master, documents, frozen, scope=scope)
        desired += self._voided(withdrawn, rows, ledger)
        desired += self._matches(rows, ledger, client)
        plan = report.plan = make_plan(desired, rows)
        for action in plan.actions:
            if action.kind is ActionKind.SKIP:
                report.counts["skipped"] += 1
            elif action.kind in (ActionKind.HOLD, ActionKind.RECONCILE):
                report.counts["held"] += 1
                row = rows.get(action.obj.key)
                if row is not None and row.state is LedgerState.REJECTED:
                    report.counts["awaiting_person"] += 1
                    report.problems.append(
                        f"{action.obj.key}: rejected earlier ({row.last_error_type}); fix it, then "
                        f"`connector quarantine retry {action.obj.key}`"
                    )
        if not self._read_only:
            ledger.record_quarantine(self._run_id, [*report.quarantined, *report.held])
        if plan_only:
            return
        if dry_run:
            report.outbox = self._render_outbox(plan)
            return
        # 7. apply
        self._apply(client, plan, report)
        if report.counts["unknown"]:
            # One more look now: a lost answer is usually settled a moment later.
            self.reconcile(client, report, final=True)

    def _periods(self, period: Period | None, ledger: Ledger) -> tuple[list[Period], list[Period]]:
        """(periods to build, periods to observe = built + locked ones re-read for corrections)."""
        today_period = Period.of(self.today)
        if period is not None:
            state = period_state(period, self.today, self.rules)
            if state is PeriodState.OPEN:
                raise _Abort(
                    FatalRunError(
                        f"period {period} is still open on {self.today}; it closes on day "
                        f"{self.rules.close_day} of the next month (use --as-of to rehearse)"
                    )
                )
            built = [period]
        else:
            candidates = []
            p = today_period.prev()
            for _ in range(self.config.connector.correction_lookback_months + 2):
                candidates.append(p)
                p = p.prev()
            built = [
                c
                for c in candidates
                if period_state(c, self.today, self.rules) is PeriodState.CLOSED
            ]
        billed_periods = {
            row.period for row in ledger.objects(kind=ObjectKind.INVOICE) if row.period
        }
        first_billed = min(billed_periods) if billed_periods else None
        lookback = today_period
        for _ in range(self.config.connector.correction_lookback_months + 1):
            lookback = lookback.prev()
        observed = set(built)
        if built and first_billed is not None:
            # Locked periods the connector itself billed are re-read to notice corrections; never
            # periods from before it started (that work was billed some other way).
            p = min(built).prev()
            while p >= lookback and str(p) >= first_billed:
                observed.add(p)
                p = p.prev()
        return sorted(built), sorted(observed)

    def _frozen_documents(
        self, client: NetvisorClient, ledger: Ledger, observed: list[Period]
    ) -> frozenset[str]:
        """Documents that can no longer be edited: period locked, or no longer `unsent`."""
        wanted = {str(p) for p in observed}
        rows = [
            r
            for r in ledger.objects(kind=ObjectKind.INVOICE, states=SETTLED)
            if r.period in wanted and r.netvisor_key
        ]
        frozen: set[str] = set()
        to_check = []
        for row in rows:
            if (
                period_state(Period.parse(row.period), self.today, self.rules) is PeriodState.LOCKED
                or row.netvisor_status not in EDITABLE_STATUSES
            ):
                frozen.add(row.key)
            else:
                to_check.append(row)
        if to_check:
            by_key = {r.netvisor_key: r for r in to_check}
            seen = []
            for detail in client.sales_invoices_by_keys(list(by_key)):
                row = by_key.get(detail.netvisor_key)
                if row is None:
                    continue
                if detail.status != row.netvisor_status or row.state is not LedgerState.CONFIRMED:
                    seen.append((row.key, detail.netvisor_key, detail.status))
                if detail.status not in EDITABLE_STATUSES:
                    frozen.add(row.key)
            if not self._read_only:
                ledger.confirm_seen(seen)
        return frozenset(frozen)

    def _bill(
        self,
        master: MasterData,
        tasks: list[BillableTask],
        built: list[Period],
        observed: list[Period],
        ledger: Ledger,
        frozen: frozenset[str],
    ) -> BillingResult:
        history = [
            BilledLine(
                document_key=ln.document_key,
                line_id=ln.line_id,
                role=ln.role,
                period=Period.parse(ln.period),
                voucher_id=ln.voucher_id,
                quantity=ln.quantity,
                amount=ln.amount,
                product_code=ln.product_code,
                unit_price=ln.unit_price,
                vat_percent=ln.vat_percent,
                vat_code=ln.vat_code,
            )
            for ln in ledger.billed_lines()
        ]
        inp = BillingInput(
            periods=tuple(built),
            observed_periods=tuple(observed),
            customers=master.customers,
            targets=master.targets,
            products=master.products,
            tasks=tuple(tasks),
            mappings=self.mappings,
            rules=self.rules,
            history=tuple(history),
            frozen_documents=frozen,
        )
        return bill(inp, today=self.today)

    # -- desired state -----------------------------------------------------------------------

    def _desired(
        self,
        master: MasterData,
        documents: Iterable[InvoiceDocument],
        frozen: frozenset[str],
        *,
        scope: str,
    ) -> list[DesiredObject]:
        """Customers, products and invoices as this run wants them in Netvisor."""
        mappings = self.mappings
        desired: dict[str, DesiredObject] = {}
        codes_to_customer = {}
        if scope == "master":
            for customer in master.customers.values():
                codes_to_customer[mappings.netvisor_customer_code(customer)] = customer
        documents = list(documents)
        customer_by_id = master.customers
        organisers = {r.organiser_customer_code: r for r in mappings.regions.values()}
        # Netvisor product code -> a line using it (name and VAT for products no mapping names,
        # such as a region's voucher-deduction product)
        needed_products: dict[str, Any] = {}
        for doc in documents:
            if doc.billing_customer_id and doc.billing_customer_id in customer_by_id:
                codes_to_customer[doc.customer_code] = customer_by_id[doc.billing_customer_id]
            for line in doc.lines:
                if not isinstance(line, DocComment):
                    needed_products.setdefault(line.product_code, line)
        if scope == "master":
            for mapped in mappings.products.values():
                needed_products.setdefault(mapped.netvisor_code, None)
        # customers
        for code, customer in sorted(codes_to_customer.items()):
            override = mappings.customer_override(customer)
            record = customer_record(
                customer,
                code=code,
                payment_term_days=(
                    override.payment_term_days
                    if override and override.payment_term_days is not None
                    else self.config.netvisor.payment_term_days
                ),
                einvoice_address=override.einvoice_address if override else None,
                einvoice_operator=override.einvoice_operator if override else None,
            )
            kind = "private customer" if customer.is_person else "company"
            desired[customer_key(code)] = DesiredObject.of(
                customer_key(code),
                ObjectKind.CUSTOMER,
                record,
                f"{kind} {code}",
                customer_code=code,
            )
        for doc in documents:
            region = organisers.get(doc.customer_code)
            if region is not None and customer_key(doc.customer_code) not in desired:
                record = nv.CustomerRecord(
                    code=region.organiser_customer_code,
                    name=region.organiser_name,
                    business_id=region.organiser_business_id,
                    payment_term_days=self.config.netvisor.payment_term_days,
                )
                desired[customer_key(record.code)] = DesiredObject.of(
                    customer_key(record.code),
                    ObjectKind.CUSTOMER,
                    record,
                    f"organiser {record.code}",
                    customer_code=record.code,
                )
        # products
        for code, line in sorted(needed_products.items()):
            mapping = mappings.product_by_netvisor_code(code)
            if mapping is not None:
                record = product_record(
                    code=code,
                    name=mapping.name,
                    unit=mapping.unit,
                    vat_percent=mapping.vat_percent,
                    register=master.products.get(mapping.spotilla_code),
                )
            elif line is not None:
                # e.g. the voucher-deduction product: defined by the region, priced per line
                record = product_record(
                    code=code,
                    name=line.name,
                    unit=None,
                    vat_percent=line.vat_percent,
                    register=None,
                )
            else:
                continue
            desired[product_key(code)] = DesiredObject.of(
                product_key(code), ObjectKind.PRODUCT, record, f"product {code}"
            )
        # invoices
        for doc in documents:
            payload = invoice_payload(doc, status=self.config.netvisor.invoice_status)
            deps = [customer_key(doc.customer_code)]
            deps += [product_key(line.product_code) for line in payload.product_lines]
            lines = tuple(
                LedgerLine(
                    document_key=doc.key,
                    line_id=b.line_id,
                    role=b.role,
                    period=str(b.period),
                    voucher_id=b.voucher_id,
                    quantity=b.quantity,
                    amount=b.amount,
                    product_code=b.product_code,
                    unit_price=b.unit_price,
                    vat_percent=b.vat_percent,
                    vat_code=b.vat_code,
                )
                for b in doc.billed
            )
            desired[doc.key] = DesiredObject.of(
                doc.key,
                ObjectKind.INVOICE,
                payload,
                invoice_summary(
                    str(doc.period),
                    doc.customer_code,
                    len(payload.product_lines),
                    doc.total,
                    doc.is_credit_note,
                ),
                lines=lines,
                period=str(doc.period),
                customer_code=doc.customer_code,
                total=doc.total,
                depends_on=tuple(dict.fromkeys(deps)),
                editable=doc.key not in frozen,
            )
        return list(desired.values())

    def _voided(
        self, withdrawn: Iterable[str], rows: dict[str, OwnedObject], ledger: Ledger
    ) -> list[DesiredObject]:
        """Still-unsent invoices whose work all disappeared: edit them to a zero "cancelled"
        version (the API cannot delete), so nothing stays billed and a person can delete it."""
        out = []
        for key in withdrawn:
            row = rows.get(key)
            if row is None or row.netvisor_key is None or row.period is None:
                continue
            previous = [ln for ln in ledger.billed_lines(document_key=key) if ln.product_code]
            if not previous:
                continue
            first = previous[0]
            period = Period.parse(row.period)
            payload = nv.SalesInvoice(
                invoice_date=invoice_date(period, self.rules),
                customer_code=row.customer_code or "",
                payment_term_days=self.config.netvisor.payment_term_days,
                lines=(
                    nv.CommentLine(
                        "PERUTTU: laskutettava työ poistui ennen lähetystä. Poista lasku. "
                        "(Cancelled: the work was removed before sending.)"
                    ),
                    nv.ProductLine(
                        product_code=first.product_code or "",
                        name="Peruttu / cancelled",
                        unit_price=Decimal("0.00"),
                        quantity=Decimal("0"),
                        vat_percent=first.vat_percent or Decimal("0"),
                        vat_code=first.vat_code or "KOMY",
                    ),
                ),
                status=self.config.netvisor.invoice_status,
                private_comment=key,
            )
            out.append(
                DesiredObject.of(
                    key,
                    ObjectKind.INVOICE,
                    payload,
                    f"cancelled {row.period} {row.customer_code}: nothing left to bill",
                    lines=(),
                    period=row.period,
                    customer_code=row.customer_code,
                    total=Decimal("0.00"),
                    depends_on=(customer_key(row.customer_code or ""),),
                )
            )
        return out

    def _matches(
        self, rows: dict[str, OwnedObject], ledger: Ledger, client: NetvisorClient
    ) -> list[DesiredObject]:
        """Credit notes to match with the invoice they correct, once both are ``open``.

        The invoice is the one earlier document that billed the lines the credit note
        corrects; with none or several there is nothing to match automatically.
        """
        credits = [
            r
            for r in rows.values()
            if r.kind is ObjectKind.INVOICE
            and r.state in SETTLED
            and r.netvisor_key
            and r.total is not None
            and r.total < 0
            and not (
                f"match:{r.key}" in rows
                and rows[f"match:{r.key}"].state in (*SETTLED, *IN_DOUBT, LedgerState.REJECTED)
            )
        ]
        if not credits:
            return []
        lines_by_doc: dict[str, set[str]] = {}
        for ln in ledger.billed_lines():
            lines_by_doc.setdefault(ln.document_key, set()).add(ln.line_id)
        pairs = []
        for credit in credits:
            corrected = lines_by_doc.get(credit.key, set())
            candidates = [
                rows[k]
                for k, ids in lines_by_doc.items()
                if k != credit.key
                and k in rows
                and ids & corrected
                and k.startswith("inv:")
                and (rows[k].total or 0) > 0
                and rows[k].netvisor_key
            ]
            if len(candidates) == 1:
                pairs.append((credit, candidates[0]))
        if not pairs:
            return []
        keys = {r.netvisor_key for pair in pairs for r in pair}
        status = {d.netvisor_key: d.status for d in client.sales_invoices_by_keys(list(keys))}
        out = []
        for credit, invoice in pairs:
            if (
                status.get(credit.netvisor_key) == "open"
                and status.get(invoice.netvisor_key) == "open"
            ):
                payload = (credit.netvisor_key, invoice.netvisor_key)
                out.append(
                    DesiredObject.of(
                        f"match:{credit.key}",
                        ObjectKind.MATCH,
                        payload,
                        f"match credit note {credit.key} with {invoice.key}",
                        depends_on=(credit.key, invoice.key),
                    )
                )
        return out

    # -- apply -------------------------------------------------------------------------------

    def _apply(self, client: NetvisorClient, plan: Plan, report: RunReport) -> None:
        """Send the plan's writes, strictly one Netvisor request at a time.

        The requests go out from one sender thread while this thread does the ledger work
        around them: the intent (``sending``) of write N+1 is committed while request N is in
        flight, and ``sent`` of N right after request N+1 left. Every write still has its intent
        committed before it leaves and its outcome committed after its answer; only the ledger
        work no longer waits on the network.
        """
        ledger = self._ledger
        assert ledger is not None
        writes = plan.writes()
        blocked: set[str] = {
            a.obj.key for a in plan.actions if a.kind in (ActionKind.HOLD, ActionKind.RECONCILE)
        }
        in_flight: tuple[Action, Future[str | None]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="netvisor-sender") as sender:
            try:
                for i, action in enumerate(writes, start=1):
                    if self.stop.is_set():
                        report.stopped = True
                        log.info("stop_requested", done=i - 1, remaining=len(writes) - i + 1)
                        break
                    if self.progress:
                        self.progress("apply", i, len(writes))
                    if in_flight is not None and in_flight[0].obj.key in action.obj.depends_on:
                        current, in_flight = in_flight, None
                        self._settle(client, *current, report, blocked)
                    missing = [d for d in action.obj.depends_on if d in blocked]
                    if missing:
                        report.counts["failed"] += 1
                        blocked.add(action.obj.key)
                        report.problems.append(
                            f"{action.obj.key}: not sent, depends on {', '.join(missing)}"
                        )
                        continue
                    self._begin(action)
                    previous = in_flight
                    if previous is not None:
                        wait([previous[1]])
                        if isinstance(previous[1].exception(), FatalRunError | TransientError):
                            # the run stops: this write never leaves
                            self._not_sent(action, "not sent: the run stopped")
                            in_flight = None
                            self._settle(client, *previous, report, blocked)  # raises _Abort
                    in_flight = (action, sender.submit(self._send, client, action))
                    if previous is not None:
                        self._settle(client, *previous, report, blocked)
                if in_flight is not None:
                    current, in_flight = in_flight, None
                    self._settle(client, *current, report, blocked)
            except BaseException:
                if in_flight is not None:  # record the fate of the request still out there
                    wait([in_flight[1]])
                    with contextlib.suppress(_Abort):
                        self._settle(client, *in_flight, report, blocked)
                raise

    def _not_sent(self, action: Action, reason: str) -> None:
        """A write whose intent was committed but that provably never ran."""
        ledger = self._ledger
        assert ledger is not None
        if action.kind is ActionKind.EDIT:
            ledger.restore_settled(action.obj.key, reason)  # Netvisor still has the old version
        else:
            ledger.back_to_planned(action.obj.key, reason)

    def _begin(self, action: Action) -> None:
        """Commit the intent to write (``sending``, with the lines it carries)."""
        ledger = self._ledger
        assert ledger is not None
        obj = action.obj
        ledger.mark_sending(
            obj.key,
            obj.kind,
            pending_hash=obj.content_hash,
            action="create" if action.kind is ActionKind.CREATE else str(action.kind),
            lines=obj.lines,
            period=obj.period,
            customer_code=obj.customer_code,
            total=obj.total,
            run_id=self._run_id,
            check=invoice_check(obj.payload) if obj.kind is ObjectKind.INVOICE else None,
        )
        failpoints.hit("after_sending", str(obj.kind))

    def _settle(
        self,
        client: NetvisorClient,
        action: Action,
        outcome: Future[str | None],
        report: RunReport,
        blocked: set[str],
    ) -> bool:
        """Commit a sent write's outcome. True when Netvisor has it."""
        ledger = self._ledger
        assert ledger is not None
        obj = action.obj
        try:
            netvisor_key = outcome.result()
        except NetvisorDuplicateData as exc:
            try:
                netvisor_key = self._adopt_duplicate(client, obj, exc)
            except ConnectorError as adopt_error:
                # it exists, but we could not adopt it now: reconcile finds it by its code
                ledger.mark_unknown(obj.key, adopt_error.error_type, adopt_error.message)
                report.counts["unknown"] += 1
                blocked.add(obj.key)
                return False
            if netvisor_key is None:
                ledger.mark_rejected(obj.key, exc.error_type, exc.message)
                report.counts["rejected"] += 1
                report.problems.append(f"{obj.key}: {exc.error_type}: {exc.message}")
                blocked.add(obj.key)
                return False
        except RecordError as exc:
            ledger.mark_rejected(obj.key, exc.error_type, exc.message)
            report.counts["rejected"] += 1
            report.problems.append(
                f"{obj.key}: rejected by Netvisor: {exc.error_type}: {exc.message}"
            )
            log.warning("write_rejected", key=obj.key, error_type=exc.error_type, error=exc.message)
            blocked.add(obj.key)
            return False
        except AmbiguousWriteError as exc:
            ledger.mark_unknown(obj.key, exc.error_type, exc.message)
            report.counts["unknown"] += 1
            log.warning("write_unknown", key=obj.key, error_type=exc.error_type, error=exc.message)
            blocked.add(obj.key)
            return False
        except (FatalRunError, TransientError) as exc:
            # Netvisor refused before processing (authentication, service, maintenance) or the
            # request provably never left: nothing happened, the row may be sent again later.
            self._not_sent(action, f"{exc.error_type}: not processed")
            blocked.add(obj.key)
            raise _Abort(exc) from exc
        except BaseException as exc:
            # A bug or an interrupt mid-request: the outcome is unknown; reconcile will tell.
            ledger.mark_unknown(obj.key, type(exc).__name__, "interrupted mid-request")
            blocked.add(obj.key)
            raise
        failpoints.hit("after_answer", str(obj.kind))
        ledger.mark_sent(obj.key, netvisor_key)
        if action.kind is ActionKind.CREATE:
            report.counts["created"] += 1
        else:
            report.counts["updated"] += 1
        log.info("written", key=obj.key, action=str(action.kind), netvisor_key=netvisor_key)
        if len(self._audit) >= 100:
            self._flush_audit()
        return True

    def _send(self, client: NetvisorClient, action: Action) -> str | None:
        obj, payload = action.obj, action.obj.payload
        create = action.kind is ActionKind.CREATE
        if action.kind is ActionKind.MATCH:
            credit_key, invoice_key = payload  # type: ignore[misc]
            client.match_credit_note(credit_key, invoice_key)
            return None
        if obj.kind is ObjectKind.CUSTOMER:
            if create:
                return client.add_customer(payload)  # type: ignore[arg-type]
            client.edit_customer(action.netvisor_key, payload)  # type: ignore[arg-type]
        elif obj.kind is ObjectKind.PRODUCT:
            if create:
                return client.add_product(payload)  # type: ignore[arg-type]
            client.edit_product(action.netvisor_key, payload)  # type: ignore[arg-type]
        elif obj.kind is ObjectKind.INVOICE:
            if create:
                return client.add_sales_invoice(payload)  # type: ignore[arg-type]
            client.edit_sales_invoice(action.netvisor_key, payload)  # type: ignore[arg-type]
        return action.netvisor_key

    def _adopt_duplicate(
        self, client: NetvisorClient, obj: DesiredObject, exc: NetvisorDuplicateData
    ) -> str | None:
        """DUPLICATE_DATA on a create: the object exists — find it by our code and adopt it."""
        payload = obj.payload
        found: str | None = None
        if obj.kind is ObjectKind.CUSTOMER:
            summary = client.customers_by_code([payload.code]).get(payload.code)  # type: ignore[union-attr]
            found = summary.netvisor_key if summary else None
            if found:
                client.edit_customer(found, payload)  # type: ignore[arg-type]
        elif obj.kind is ObjectKind.PRODUCT:
            summary = client.product_by_code(payload.code)  # type: ignore[union-attr]
            found = summary.netvisor_key if summary else None
            if found:
                client.edit_product(found, payload)  # type: ignore[arg-type]
        if found:
            log.info("adopted_existing", key=obj.key, netvisor_key=found)
        return found

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile(self, client: NetvisorClient, report: RunReport, *, final: bool = False) -> None:
        """Resolve every row left ``sending``/``unknown`` by looking in Netvisor.

        - a create: found by the connector's key (customer code, product code, the invoice's
          private comment) -> ``confirmed`` with its NetvisorKey; not found -> ``planned``;
        - an invoice edit: the invoice is read back; if it shows the pending version (gross total
          and line count) the edit is ``confirmed``, else the row is again the old ``sent``
          version — never left ``planned``, so its frozen/unsent check still applies;
        - a customer/product edit carries the whole record: it goes back to the old ``sent``
          version and the next plan sends it again (harmless if it had applied);
        - a credit-note match: matched when the credit note's open sum is zero.

        ``final`` (the end-of-run pass): a write found not to have happened counts as failed.
        """
        ledger = self._ledger
        assert ledger is not None
        rows = ledger.objects(states=IN_DOUBT)
        if not rows:
            return
        log.info("reconcile_start", in_doubt=len(rows), final=final)
        before = report.counts["replanned"] + report.counts["restored"]
        try:
            creates = [r for r in rows if r.pending_action == "create"]
            found_customers = client.customers_by_code(
                [
                    r.customer_code
                    for r in creates
                    if r.kind is ObjectKind.CUSTOMER and r.customer_code
                ]
            )
            for row in rows:
                if row.kind is ObjectKind.MATCH:
                    self._resolve(row, self._find_match(client, row), report)
                elif row.pending_action != "create":
                    self._resolve_edit(client, row, report)
                elif row.kind is ObjectKind.CUSTOMER:
                    hit = found_customers.get(row.customer_code or "")
                    self._resolve(row, hit.netvisor_key if hit else None, report)
                elif row.kind is ObjectKind.PRODUCT:
                    hit = client.product_by_code(row.key.removeprefix("prod:"))
                    self._resolve(row, hit.netvisor_key if hit else None, report)
                else:
                    self._resolve(row, self._find_invoice(client, row), report)
        except ConnectorError as exc:
            # A look-up failed: nothing more is sent this run; the rows stay in doubt.
            raise _Abort(exc) from exc
        if final:
            report.counts["failed"] += (
                report.counts["replanned"] + report.counts["restored"] - before
            )
            report.counts["unknown"] = len(ledger.objects(states=IN_DOUBT))

    def _resolve(self, row: OwnedObject, netvisor_key: str | None, report: RunReport) -> None:
        ledger = self._ledger
        assert ledger is not None
        if netvisor_key:
            ledger.mark_confirmed(row.key, netvisor_key)
            report.counts["reconciled"] += 1
            log.info("reconciled_found", key=row.key, netvisor_key=netvisor_key)
        else:
            ledger.back_to_planned(row.key, "reconcile: not found in Netvisor")
            report.counts["replanned"] += 1
            log.info("reconciled_not_found", key=row.key)

    def _resolve_edit(self, client: NetvisorClient, row: OwnedObject, report: RunReport) -> None:
        ledger = self._ledger
        assert ledger is not None
        if row.kind is ObjectKind.INVOICE and row.netvisor_key:
            detail = client.sales_invoice(row.netvisor_key)
            if detail is not None and invoice_check_matches(row.pending_check, detail):
                ledger.mark_confirmed(row.key, row.netvisor_key, status=detail.status)
                report.counts["reconciled"] += 1
                log.info("reconciled_edit_applied", key=row.key)
                return
            if detail is None:
                log.error("invoice_missing_in_netvisor", key=row.key, netvisor_key=row.netvisor_key)
        ledger.restore_settled(row.key, "reconcile: the edit did not apply")
        report.counts["restored"] += 1
        log.info("reconciled_edit_not_applied", key=row.key)

    def _find_match(self, client: NetvisorClient, row: OwnedObject) -> str | None:
        """A match happened when the credit note's open sum is zero (returns a marker key)."""
        ledger = self._ledger
        assert ledger is not None
        credit = ledger.get(row.key.removeprefix("match:"))
        if credit is None or not credit.netvisor_key or not credit.period:
            return None
        period = Period.parse(credit.period)
        end = max(self.today, helsinki_today()) + timedelta(days=62)
        for summary in client.sales_invoices(
            begin=period.first_day, end=end, customer_code=credit.customer_code
        ):
            if summary.netvisor_key == credit.netvisor_key:
                return credit.netvisor_key if summary.open_sum == 0 else None
        return None

    def _find_invoice(self, client: NetvisorClient, row: OwnedObject) -> str | None:
        """Find an invoice by the key the connector wrote into its private comment.

        Fails closed: if a candidate cannot be read, the row stays in doubt (never "not found").
        """
        period = Period.parse(row.period) if row.period else Period.of(self.today)
        end = max(self.today, helsinki_today()) + timedelta(days=62)
        summaries = client.sales_invoices(
            begin=period.first_day - timedelta(days=31), end=end, customer_code=row.customer_code
        )
        if not summaries:
            return None
        details = client.sales_invoices_by_keys([s.netvisor_key for s in summaries])
        if {d.netvisor_key for d in details} != {s.netvisor_key for s in summaries}:
            raise TransientError(
                f"reconcile of {row.key}: {len(summaries) - len(details)} candidate invoices "
                "could not be read; left in doubt",
                error_type="RECONCILE_INCOMPLETE",
            )
        matches = [d for d in details if (d.private_comment or "").strip() == row.key]
        if len(matches) > 1:
            log.error(
                "duplicate_invoices_found",
                key=row.key,
                netvisor_keys=[m.netvisor_key for m in matches],
            )
        return matches[0].netvisor_key if matches else None

    # -- dry run -----------------------------------------------------------------------------

    def _render_outbox(self, plan: Plan) -> Path:
        """Write every XML body the run would send into a fresh outbox folder."""
        stamp = datetime.now(HELSINKI).strftime("%Y%m%dT%H%M%S")
        folder = self.config.connector.outbox / f"dry-run-{stamp}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plan.txt").write_text(render_table(plan.actions) + "\n", encoding="utf-8")
        for i, action in enumerate(plan.writes(), start=1):
            obj = action.obj
            if action.kind is ActionKind.MATCH:
                body = nvxml.match_credit_note_xml(*obj.payload)  # type: ignore[misc]
            elif obj.kind is ObjectKind.CUSTOMER:
                body = nvxml.customer_xml(obj.payload)  # type: ignore[arg-type]
            elif obj.kind is ObjectKind.PRODUCT:
                body = nvxml.product_xml(obj.payload)  # type: ignore[arg-type]
            else:
                body = nvxml.sales_invoice_xml(obj.payload)  # type: ignore[arg-type]
            name = f"{i:04d}-{action.kind}-{_safe_filename(obj.key)}.xml"
            (folder / name).write_bytes(body)
        return folder


def invoice_check(payload: Any) -> str:
    """What a look-up of an invoice shows when this version is applied: gross total, lines."""
    return f"{payload.total}|{len(payload.lines)}"


def invoice_check_matches(check: str | None, detail: nv.InvoiceDetail) -> bool:
    """Does the invoice Netvisor shows carry the version ``check`` describes?"""
    if not check or detail.total is None:
        return False
    total, _, lines = check.partition("|")
    return Decimal(total) == detail.total and int(lines) == detail.line_count


def invoice_payload(doc: InvoiceDocument, *, status: str) -> nv.SalesInvoice:
    """The salesinvoice.nv payload of a billing document; its key goes in the private comment.

    Netvisor keeps unit prices positive: a negative line is a negative quantity.
    """
    lines: list[nv.ProductLine | nv.CommentLine] = []
    for line in doc.lines:
        if isinstance(line, DocComment):
            lines.append(nv.CommentLine(line.text))
            continue
        quantity, unit_price = line.quantity, line.unit_price
        if unit_price < 0:
            quantity, unit_price = -quantity, -unit_price
        free_text = line.free_text
        if line.explanation and not free_text:
            free_text = line.explanation
        lines.append(
            nv.ProductLine(
                product_code=line.product_code,
                name=line.name,
                unit_price=unit_price,
                quantity=quantity,
                vat_percent=line.vat_percent,
                vat_code=line.vat_code,
                free_text=free_text,
            )
        )
    return nv.SalesInvoice(
        invoice_date=doc.invoice_date,
        customer_code=doc.customer_code,
        payment_term_days=doc.payment_term_days,
        lines=tuple(lines),
        status=status,
        private_comment=doc.key,
        free_text_before=doc.free_text_before,
        free_text_after=doc.free_text_after,
    )


def terminal_progress(stream: Any = None) -> Callable[[str, int, int], None] | None:
    """A one-line progress display on a terminal; None when not attached to one."""
    stream = stream or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        return None
    last = [0.0]

    def show(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done != total and now - last[0] < 0.2:
            return
        last[0] = now
        stream.write(f"\r{phase}: {done}/{total}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show
