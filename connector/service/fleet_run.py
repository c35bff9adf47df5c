"""Running fleet companies: one company's run (:func:`run_company`, shared by ``fleet sync`` and
the fleet daemon) and one pass over many, at most ``max_parallel`` at once (:func:`run_fleet`).

A company's run is exactly a single-company sync: its own config, secrets, mappings and
``SyncEngine``, which takes the company's ledger run lock (``connector/ledger/lock.py``) the
same way ``connector sync`` does. Everything is built when the run starts and dropped when it
ends, so an idle company costs no memory. Every log line of the run carries ``company`` (bound
in the worker thread; the engine's own threads carry it on, see
:func:`connector.core.logging.carry_log_context`). One company's failure — a bad key, Netvisor
down, a broken mapping, a bug — is that company's outcome; it never stops or delays the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog

from connector.core.errors import (
    EXIT_ABORTED,
    EXIT_OK,
    EXIT_PARTIAL,
    ConfigError,
    ConnectorError,
    RunLockedError,
)
from connector.core.logging import get_logger
from connector.service.daemon import job_outcome, record_failure, write_job_metrics
from connector.service.fleet import Company

log = get_logger("fleet")

#: outcome statuses besides a run's own (ok, partial, stopped, aborted)
FAILED, LOCKED, NOT_STARTED = "failed", "locked", "not_started"


@dataclass(frozen=True)
class CompanyOutcome:
    """How one company's run ended (no names, no amounts: counts and error types only)."""

    company: str
    status: str  # ok | partial | stopped | aborted | failed | locked | not_started
    exit_code: int
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    held: int = 0
    quarantined: int = 0
    documents: int = 0
    run_id: int | None = None
    error_type: str | None = None
    message: str | None = None
    started_at: float = 0.0  # time.time()
    cpu_seconds: float = 0.0  # the worker thread's CPU time (not the engine's helper threads)

    @property
    def cut_short(self) -> bool:
        return self.status in ("stopped", NOT_STARTED)

    def as_job(self) -> dict[str, Any]:
        """The outcome as the daemon's hooks and metrics take a job's."""
        return {
            "status": self.status,
            "exit_code": self.exit_code,
            "held_for_review": self.held,
            **self.counts,
        }


def run_company(
    company: Company,
    *,
    stop: threading.Event,
    command: str = "fleet:sync",
    scope: str = "full",
    as_of: date | None = None,
    period: Any = None,
    dry_run: bool = False,
    lock_wait: float = 0.0,
    reload: bool = False,
    engine_options: dict[str, Any] | None = None,
) -> CompanyOutcome:
    """One company's run, never raising: the outcome says how it went.

    ``reload``: read the company's config again first (the daemon does, so an edited config
    takes effect at the next run without a restart). ``engine_options``: passed to
    ``SyncEngine`` (tests and the benchmark give transports).
    """
    with structlog.contextvars.bound_contextvars(company=company.name):
        return _run_company(
            company,
            stop=stop,
            command=command,
            scope=scope,
            as_of=as_of,
            period=period,
            dry_run=dry_run,
            lock_wait=lock_wait,
            reload=reload,
            engine_options=engine_options or {},
        )


def _run_company(
    company: Company,
    *,
    stop: threading.Event,
    command: str,
    scope: str,
    as_of: date | None,
    period: Any,
    dry_run: bool,
    lock_wait: float,
    reload: bool,
    engine_options: dict[str, Any],
) -> CompanyOutcome:
    started_at, started, cpu0 = time.time(), time.monotonic(), time.thread_time()

    def outcome(status: str, code: int, **kw: Any) -> CompanyOutcome:
        return CompanyOutcome(
            company.name,
            status,
            code,
            seconds=time.monotonic() - started,
            started_at=started_at,
            cpu_seconds=time.thread_time() - cpu0,
            **kw,
        )

    if stop.is_set():
        return outcome(NOT_STARTED, EXIT_ABORTED)
    config = company.config
    try:
        if reload or config is None:
            import dataclasses

            from connector.core.config import load_config

            config = dataclasses.replace(load_config(company.config_path), company=company.name)
        from connector.sync import SyncEngine

        log.info("company_start", command=command, scope=scope)
        secrets = config.load_secrets()
        engine = SyncEngine(config, secrets, stop=stop, as_of=as_of, **engine_options)
        report = engine.run(
            command=command, scope=scope, period=period, dry_run=dry_run, lock_wait=lock_wait
        )
    except RunLockedError as exc:
        log.warning("company_skipped_lock_held", error=exc.message)
        return outcome(LOCKED, EXIT_ABORTED, error_type=exc.error_type, message=exc.message)
    except ConfigError as exc:
        message = "; ".join(str(p) for p in exc.problems[:3])
        log.error("company_failed", error_type=exc.error_type, error=message)
        if config is not None and not dry_run:
            record_failure(config, command, exc.error_type, message)
        result = outcome(FAILED, EXIT_ABORTED, error_type=exc.error_type, message=message)
        _metrics(config, result)
        return result
    except ConnectorError as exc:
        log.error("company_failed", error_type=exc.error_type, error=exc.message)
        if config is not None and not dry_run and not _recorded(exc):
            record_failure(config, command, exc.error_type, exc.message)
        result = outcome(FAILED, EXIT_ABORTED, error_type=exc.error_type, message=exc.message)
        _metrics(config, result)
        return result
    except Exception as exc:  # a bug in one company's run must not touch the others
        log.exception("company_crashed", error_type=type(exc).__name__)
        message = f"unexpected {type(exc).__name__} (see the log)"
        if config is not None and not dry_run and not _recorded(exc):
            record_failure(config, command, type(exc).__name__, message)
        result = outcome(FAILED, EXIT_ABORTED, error_type=type(exc).__name__, message=message)
        _metrics(config, result)
        return result
    result = outcome(
        report.status,
        report.exit_code,
        counts=dict(report.counts),
        held=len(report.held),
        quarantined=len(report.quarantined),
        documents=report.documents,
        run_id=report.run_id,
        error_type=report.aborted_type,
        message=report.aborted,
    )
    log.info("company_done", status=result.status, seconds=round(result.seconds, 2))
    if not dry_run:
        write_job_metrics(config, job_outcome(report))
    return result


def _metrics(config: Any, result: CompanyOutcome) -> None:
    if config is not None:
        write_job_metrics(config, result.as_job())


def _recorded(exc: BaseException) -> bool:
    return getattr(exc, "connector_run_id", None) is not None


def fleet_exit_code(outcomes: Iterable[CompanyOutcome]) -> int:
    """0 every company done; 1 some company has something waiting; 3 one was cut short or
    failed."""
    codes = {o.exit_code for o in outcomes}
    if codes - {EXIT_OK, EXIT_PARTIAL}:
        return EXIT_ABORTED
    return EXIT_PARTIAL if EXIT_PARTIAL in codes else EXIT_OK


def run_fleet(
    companies: list[Company],
    run_one: Callable[[Company], CompanyOutcome],
    *,
    max_parallel: int,
    stop: threading.Event,
    on_done: Callable[[CompanyOutcome], None] | None = None,
    on_tick: Callable[[list[str], int], None] | None = None,
    tick: float = 0.5,
) -> list[CompanyOutcome]:
    """Run every company once, at most ``max_parallel`` at once, in the order given.

    ``on_done`` is called in the calling thread as each company ends; ``on_tick(running,
    done)`` every ``tick`` seconds (a terminal's progress line). After ``stop`` is set, the
    companies running finish the write in flight and stop; the others do not start.
    """
    running: set[str] = set()
    guard = threading.Lock()

    def work(company: Company) -> CompanyOutcome:
        with guard:
            running.add(company.name)
        try:
            return run_one(company)
        finally:
            with guard:
                running.discard(company.name)

    from connector.sync import prepare_threads

    prepare_threads()  # before the first worker: no two threads build a model at once
    outcomes: list[CompanyOutcome] = []
    with ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="fleet") as pool:
        pending: set[Future[CompanyOutcome]] = {pool.submit(work, c) for c in companies}
        while pending:
            # a short wait, so the main thread sees signals and updates the progress line
            done, pending = wait(pending, timeout=tick, return_when=FIRST_COMPLETED)
            for future in done:
                result = future.result()  # run_one never raises
                outcomes.append(result)
                if on_done is not None:
                    on_done(result)
            if on_tick is not None and pending:
                with guard:
                    names = sorted(running)
                on_tick(names, len(outcomes))
    order = {c.name: i for i, c in enumerate(companies)}
    return sorted(outcomes, key=lambda o: order[o.company])


class FleetMetrics:
    """The fleet's Prometheus textfile (``[fleet] metrics_file``): every company's figures,
    each series labelled ``company``; rewritten (atomically) as each company's run ends.
    Holds one small row of figures per company, never a ledger."""

    def __init__(self, path: Any) -> None:
        self.path = path
        self._rows: dict[str, Any] = {}
        self._lock = threading.Lock()

    def update(self, company: Company, outcome: CompanyOutcome | None) -> None:
        """Re-read ``company``'s figures (with its run's ``outcome``) and rewrite the file."""
        self._collect(company, outcome)
        self._write()

    def update_all(self, companies: Iterable[Company]) -> None:
        """Every company's figures from its ledger, then one write (a daemon's start)."""
        for company in companies:
            self._collect(company, None)
        self._write()

    def forget(self, name: str) -> None:
        with self._lock:
            self._rows.pop(name, None)

    def _collect(self, company: Company, outcome: CompanyOutcome | None) -> None:
        if self.path is None or company.config is None:
            return
        from connector.service.metrics import collect

        try:
            figures = collect(company.config.ledger_path, outcome.as_job() if outcome else None)
        except Exception as exc:  # metrics never stop a run
            log.error("fleet_metrics_not_read", company=company.name, error=repr(exc))
            return
        with self._lock:
            self._rows[company.name] = figures

    def _write(self) -> None:
        if self.path is None:
            return
        from connector.service.metrics import render_many, write_atomically

        try:
            with self._lock:
                write_atomically(self.path, render_many(sorted(self._rows.items())))
        except Exception as exc:  # metrics never stop a run
            log.error("fleet_metrics_not_written", path=str(self.path), error=repr(exc))
