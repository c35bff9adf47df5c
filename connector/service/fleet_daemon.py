"""The fleet daemon: every company on its own schedule, at most ``max_parallel`` at once.

- APScheduler 3 is the clock only. Each company's cron jobs (its ``[schedule]``, or the
  fleet's with the company's jitter: :mod:`connector.service.fleet_schedule`) do nothing but
  put the company into a fair FIFO queue, which ``max_parallel`` worker threads drain. A firing
  therefore never waits for a busy worker, so APScheduler's misfire check (which drops a job
  that could not start in time) never drops a company's turn.
- A company is in the queue at most once: due while queued, its scopes merge (``full``
  covers ``master``); due while running, it runs once more when it ends. Never twice at once.
- A company whose run failed or aborted is retried after 1, 2, 4, ... minutes (at most
  ``[fleet] backoff_max_minutes``); a firing during the back-off waits for it. A company whose
  run lock another process holds is tried again a minute later. ``fleet status`` shows both
  (from the ledger, so a restarted daemon keeps backing off).
- Each run is :func:`connector.service.fleet_run.run_company` (its config re-read, its own
  engine, its ledger lock, its log context): an idle company holds no master data.
- SIGTERM/SIGINT: every running company finishes its write in flight, sends nothing more and
  stops; companies still queued do not start; exit 3 if one was cut short (or left queued),
  else 0. SIGHUP, or a changed fleet file at the next wake, re-reads the fleet: companies are
  added and removed (a running one finishes first) without a restart. A fleet file that no
  longer reads is logged and the daemon keeps the companies it has.
- Signals are blocked in every thread and taken with ``sigtimedwait`` in the main thread, as
  the single-company daemon does (:mod:`connector.service.daemon`); its watchdog pings too.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from connector.core.errors import EXIT_ABORTED, EXIT_OK, ConfigError
from connector.core.logging import get_logger
from connector.service.daemon import IDLE_WAKE, JOBS, SIGNALS
from connector.service.fleet import Company, Fleet, load_fleet
from connector.service.fleet_run import (
    FAILED,
    LOCKED,
    CompanyOutcome,
    FleetMetrics,
    run_company,
)
from connector.service.fleet_schedule import backoff_delay, company_triggers
from connector.service.notify import Notifier

log = get_logger("fleet.daemon")

#: seconds a company whose ledger lock another process holds waits before it is tried again
LOCKED_RETRY = 60.0
#: seconds a daemon run waits for another process to let the company's lock go
LOCK_WAIT = 5.0
RELOAD_SIGNALS = frozenset({signal.SIGHUP})

RunOne = Callable[[Company, str, threading.Event], CompanyOutcome]


def _merge(a: str | None, b: str) -> str:
    """Two scopes due together: the wider one (``full`` also reads master data)."""
    return "full" if "full" in (a, b) else b


@dataclass
class _Company:
    company: Company
    signature: tuple[Any, ...]
    queued: str | None = None  # scope waiting in the queue
    running: str | None = None
    again: str | None = None  # due while running: runs once more after
    deferred: str | None = None  # due while backing off: runs at retry_at
    retry_at: float | None = None  # time.time()
    failures: int = 0
    removed: bool = False


def _signature(company: Company, fleet: Fleet) -> tuple[Any, ...]:
    schedule = company.schedule(fleet)
    return (
        company.config_path,
        schedule.master_data,
        schedule.invoicing,
        schedule.timezone,
        company.jitter(fleet),
    )


class FleetDaemon:
    """The queue, its workers and the clock; :func:`run_fleet_daemon` adds signals."""

    def __init__(
        self,
        path: Path,
        run_one: RunOne,
        *,
        stop: threading.Event | None = None,
        notifier: Notifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.run_one = run_one
        self.stop = stop or threading.Event()
        self.notifier = notifier or Notifier({})
        self.clock = clock
        self.fleet: Fleet | None = None
        self.companies: dict[str, _Company] = {}
        self.queue: deque[str] = deque()
        self.cond = threading.Condition()
        self.running = 0
        self.cut_short: set[str] = set()
        self.workers: list[threading.Thread] = []
        self.scheduler: BackgroundScheduler | None = None
        self._stamp: tuple[int, int] | None = None
        self._metrics = FleetMetrics(None)

    # -- the fleet file ----------------------------------------------------------------------

    def load(self) -> bool:
        """(Re-)read the fleet file; add, change and remove companies. False when it does not
        read (the companies stay as they were)."""
        try:
            self._stamp = _stamp(self.path)
            fleet = load_fleet(self.path, strict=False)
        except ConfigError as exc:
            log.error("fleet_not_reloaded", problems=[str(p) for p in exc.problems[:10]])
            return False
        for problem in fleet.problems:
            log.error("company_config_broken", problem=str(problem))
        added, changed, removed = [], [], []
        with self.cond:
            self.fleet = fleet
            self._metrics.path = fleet.settings.metrics_file
            wanted = {c.name: c for c in fleet.companies}
            for name, state in self.companies.items():
                if name not in wanted and not state.removed:
                    state.removed = True
                    removed.append(name)
                    if state.queued:
                        self.queue.remove(name)
                        state.queued = None
            for name, company in wanted.items():
                signature = _signature(company, fleet)
                state = self.companies.get(name)
                if state is None or state.removed:
                    state = self.companies[name] = _Company(company, signature)
                    self._seed_failures(state, fleet)
                    added.append(name)
                elif state.signature != signature or state.company != company:
                    state.company, state.signature = company, signature
                    changed.append(name)
            for name in removed:
                if not self.companies[name].running:
                    del self.companies[name]
                    self._metrics.forget(name)
            self._spawn_workers()
            self.cond.notify_all()
        for name in removed:
            self._unschedule(name)
        for name in added + changed:
            self._schedule(name)
        if added or changed or removed:
            log.info("fleet_loaded", added=added, changed=changed, removed=removed)
        return True

    def changed_on_disk(self) -> bool:
        try:
            return _stamp(self.path) != self._stamp
        except OSError:
            return False  # gone or unreadable for a moment: keep what we have

    def _seed_failures(self, state: _Company, fleet: Fleet) -> None:
        """A restarted daemon keeps backing off a company that kept failing (ledger facts)."""
        config = state.company.config
        from connector.ledger import ledger_exists

        if config is None or not ledger_exists(config.ledger_path):
            return
        try:
            from connector.ledger import Ledger
            from connector.service.monitoring import facts_from_ledger

            with Ledger(config.ledger_path) as ledger:
                facts = facts_from_ledger(ledger, datetime.now(UTC))
                last = next((r for r in ledger.runs(5) if r["status"] != "running"), None)
        except Exception as exc:  # a ledger that cannot be read fails its own run, later
            log.warning("company_ledger_unread", company=state.company.name, error=repr(exc))
            return
        if facts.failed_jobs and last is not None and last["finished_at"]:
            state.failures = facts.failed_jobs
            ended = datetime.fromisoformat(last["finished_at"]).timestamp()
            delay = backoff_delay(facts.failed_jobs, fleet.settings.backoff_max_minutes)
            state.retry_at = ended + delay.total_seconds()

    # -- the clock ---------------------------------------------------------------------------

    def start_clock(self) -> None:
        assert self.fleet is not None
        zone = ZoneInfo(self.fleet.settings.schedule.timezone)
        self.scheduler = BackgroundScheduler(
            timezone=zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        with self.cond:
            names = [n for n, s in self.companies.items() if not s.removed]
        for name in names:
            self._schedule(name)
        self.scheduler.start()

    def _schedule(self, name: str) -> None:
        if self.scheduler is None or self.fleet is None:
            return
        self._unschedule(name)
        state = self.companies.get(name)
        if state is None:
            return
        try:
            triggers = company_triggers(state.company, self.fleet)
        except ValueError as exc:
            log.error("company_schedule_invalid", company=name, error=str(exc))
            return
        for job, trigger in triggers.items():
            self.scheduler.add_job(
                self.due,
                trigger,
                args=[name, JOBS[job]],
                id=f"{name}:{job}",
                name=f"{name}:{job}",
                replace_existing=True,
            )

    def _unschedule(self, name: str) -> None:
        if self.scheduler is None:
            return
        from apscheduler.jobstores.base import JobLookupError

        for job in JOBS:
            with contextlib.suppress(JobLookupError):  # it had no such job
                self.scheduler.remove_job(f"{name}:{job}")

    def next_runs(self) -> dict[str, str]:
        if self.scheduler is None:
            return {}
        return {
            job.id: job.next_run_time.isoformat()
            for job in self.scheduler.get_jobs()
            if job.next_run_time is not None
        }

    # -- the queue ---------------------------------------------------------------------------

    def due(self, name: str, scope: str) -> None:
        """A company's turn (a cron firing, ``--run-now``, a retry): queue it, fairly, once."""
        with self.cond:
            state = self.companies.get(name)
            if state is None or state.removed or self.stop.is_set():
                return
            if state.retry_at is not None and self.clock() < state.retry_at:
                state.deferred = _merge(state.deferred, scope)
                log.info("company_due_backing_off", company=name, scope=scope)
                return
            self._enqueue(state, scope)

    def _enqueue(self, state: _Company, scope: str) -> None:
        name = state.company.name
        if state.running:
            state.again = _merge(state.again, scope)
            log.info("company_due_while_running", company=name, scope=scope)
        elif state.queued:
            state.queued = _merge(state.queued, scope)
            log.info("company_due_already_queued", company=name, scope=scope)
        else:
            state.queued = scope
            self.queue.append(name)
            self.cond.notify()

    def tick(self) -> None:
        """Retries whose back-off has passed go into the queue (called at every wake)."""
        now = self.clock()
        with self.cond:
            for state in self.companies.values():
                if state.removed or state.deferred is None:
                    continue
                if state.retry_at is None or now >= state.retry_at:
                    scope, state.deferred = state.deferred, None
                    state.retry_at = None
                    self._enqueue(state, scope)

    def _spawn_workers(self) -> None:
        """Enough worker threads for ``max_parallel`` (more after a reload raised it)."""
        assert self.fleet is not None
        while len(self.workers) < self.fleet.max_parallel:
            worker = threading.Thread(
                target=self._work, name=f"fleet-worker-{len(self.workers) + 1}", daemon=True
            )
            self.workers.append(worker)
            worker.start()

    def _work(self) -> None:
        while True:
            with self.cond:
                while not self.stop.is_set() and (
                    not self.queue or self.running >= self._max_parallel()
                ):
                    self.cond.wait()
                if self.stop.is_set():
                    return
                name = self.queue.popleft()
                state = self.companies[name]
                scope, state.queued = state.queued or "full", None
                state.running = scope
                self.running += 1
                company = state.company
            self._status()
            try:
                outcome = self.run_one(company, scope, self.stop)
            except Exception as exc:  # run_company never raises; a worker must outlive any
                log.exception("company_worker_error", company=name, error_type=type(exc).__name__)
                outcome = CompanyOutcome(name, FAILED, EXIT_ABORTED, error_type=type(exc).__name__)
            finally:
                with self.cond:
                    self.running -= 1
                    state.running = None
                    self.cond.notify_all()
            self._finished(state, scope, outcome)

    def _max_parallel(self) -> int:
        return self.fleet.max_parallel if self.fleet is not None else 1

    def _finished(self, state: _Company, scope: str, outcome: CompanyOutcome) -> None:
        name = state.company.name
        now = self.clock()
        with self.cond:
            if outcome.cut_short:
                self.cut_short.add(name)
            if outcome.status in (FAILED, "aborted"):
                state.failures += 1
                cap = self.fleet.settings.backoff_max_minutes if self.fleet else 240
                delay = backoff_delay(state.failures, cap).total_seconds()
                state.retry_at = now + delay
                state.deferred = _merge(state.deferred, scope)
                log.warning(
                    "company_backing_off",
                    company=name,
                    failures=state.failures,
                    retry_in_s=round(delay),
                    error_type=outcome.error_type,
                )
            elif outcome.status == LOCKED:
                state.retry_at = now + LOCKED_RETRY
                state.deferred = _merge(state.deferred, scope)
            elif not outcome.cut_short:
                state.failures, state.retry_at = 0, None
            if state.removed:
                del self.companies[name]
                self._metrics.forget(name)
            elif state.again and not self.stop.is_set():
                again, state.again = state.again, None
                if state.retry_at is not None and now < state.retry_at:
                    state.deferred = _merge(state.deferred, again)
                else:
                    self._enqueue(state, again)
        self._metrics.update(state.company, outcome)
        self._status(f"last {name}: {outcome.status}")
        with self.cond:
            idle = self.running == 0 and not self.queue
        if idle:
            release_memory()

    # -- what the outside sees ---------------------------------------------------------------

    def _status(self, last: str = "") -> None:
        with self.cond:
            running, queued = self.running, len(self.queue)
        text = f"{running} running, {queued} queued" + (f"; {last}" if last else "")
        self.notifier.status(text)

    def write_all_metrics(self) -> None:
        """The fleet's textfile at start: every company's figures from its ledger."""
        with self.cond:
            companies = [s.company for s in self.companies.values() if not s.removed]
        self._metrics.update_all(companies)

    # -- stopping ----------------------------------------------------------------------------

    def shutdown(self) -> int:
        """Stop: the running companies finish their write in flight; exit 3 if one was cut
        short or left waiting in the queue, else 0."""
        self.stop.set()
        with self.cond:
            waiting = [n for n in self.queue]
            running = [n for n, s in self.companies.items() if s.running]
            self.cond.notify_all()
        log.info("fleet_daemon_stopping", running=running, queued=waiting)
        self.notifier.stopping(
            f"stopping: finishing the writes under way in {', '.join(running)}"
            if running
            else "stopping"
        )
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)  # its jobs only queue: it stops at once
        for worker in self.workers:
            worker.join()
        cut = sorted(self.cut_short | set(waiting))
        code = EXIT_ABORTED if cut else EXIT_OK
        log.info("fleet_daemon_stopped", exit_code=code, cut_short=cut)
        return code


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def run_fleet_daemon(
    path: Path,
    *,
    as_of: date | None = None,
    run_now: bool = False,
    install_signals: bool = True,
    stop: threading.Event | None = None,
    notifier: Notifier | None = None,
    run_one: RunOne | None = None,
) -> int:
    """Run the fleet's schedules until SIGTERM/SIGINT (or ``stop``); SIGHUP re-reads the
    fleet. Returns 0, or 3 when a company was cut short."""
    stop = stop or threading.Event()
    notifier = notifier or Notifier()

    def default_run(company: Company, scope: str, stop_: threading.Event) -> CompanyOutcome:
        return run_company(
            company,
            stop=stop_,
            command=f"daemon:{scope}",
            scope=scope,
            as_of=as_of,
            lock_wait=LOCK_WAIT,
            reload=True,  # an edited company config takes effect at its next run
        )

    watched = SIGNALS | RELOAD_SIGNALS
    # blocked before any thread starts: every worker inherits the mask, only sigtimedwait
    # below takes them (no handler ever interrupts a thread holding a lock)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched) if install_signals else None
    try:
        from connector.sync import prepare_threads

        prepare_threads()  # before the first worker: no two threads build a model at once
        daemon = FleetDaemon(path, run_one or default_run, stop=stop, notifier=notifier)
        if not daemon.load():
            raise ConfigError(f"{path}: the fleet file does not read (see the log)")
        daemon.start_clock()
        assert daemon.fleet is not None
        log.info(
            "fleet_daemon_started",
            fleet=str(path),
            companies=len(daemon.companies),
            max_parallel=daemon.fleet.max_parallel,
            next_runs=dict(sorted(daemon.next_runs().items())[:20]),
        )
        daemon.write_all_metrics()
        notifier.ready(f"idle; {len(daemon.companies)} companies")
        if run_now:
            for name in list(daemon.companies):
                daemon.due(name, "full")
        received = _wait(daemon, notifier, install_signals)
        log.info("fleet_daemon_signal", signal=received)
        return daemon.shutdown()
    finally:
        if old_mask is not None:
            while signal.sigtimedwait(watched, 0) is not None:  # drop a second SIGTERM
                pass
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def _wait(daemon: FleetDaemon, notifier: Notifier, signals: bool) -> str | None:
    """Until a stop signal (or ``stop``): re-read the fleet on SIGHUP or a changed file, queue
    due retries, ping the watchdog. Returns the stop signal's name."""
    interval = min(notifier.ping_interval() or IDLE_WAKE, IDLE_WAKE)
    watched = SIGNALS | RELOAD_SIGNALS
    while not daemon.stop.is_set():
        if signals:
            info = signal.sigtimedwait(watched, interval)
            if info is not None:
                if info.si_signo in RELOAD_SIGNALS:
                    log.info("fleet_reload_requested", signal="SIGHUP")
                    daemon.load()
                else:
                    return signal.Signals(info.si_signo).name
        elif daemon.stop.wait(interval):
            break
        if daemon.changed_on_disk():
            log.info("fleet_file_changed", fleet=str(daemon.path))
            daemon.load()
        daemon.tick()
        if notifier.watchdog_seconds:
            notifier.watchdog()
    return None


def release_memory() -> None:
    """When no company runs: collect what the runs left and hand the freed heap back to the OS
    (glibc's ``malloc_trim``), so an idle daemon's RSS is its own, not its last runs' high
    water mark. Elsewhere only the collection."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
