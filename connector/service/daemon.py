"""The daemon: the same job as ``connector sync``, on cron schedules (APScheduler 3).

- A ``BackgroundScheduler`` in Europe/Helsinki (explicit zone, never the host's) runs the jobs;
  the main thread only waits for SIGTERM/SIGINT (with ``sigtimedwait``: the signals are blocked
  in every thread, so no handler ever interrupts a thread that holds a lock) and sends systemd's
  watchdog pings (:mod:`connector.service.notify`).
- ``coalesce=True`` + ``max_instances=1`` + ``misfire_grace_time`` (None = unlimited by default):
  a host that slept through the scheduled time runs the job once when it wakes, never a burst.
- Jobs run one after the other: two jobs due in the same minute both run, in turn (a job waits
  for the one running; it never meets its own daemon's ledger lock).
- Every job takes the same ledger run lock as the CLI; a lock another process holds skips that
  firing with a warning.
- A failing job is logged, recorded in the ledger as a run with status ``failed`` (unless the run
  recorded its own outcome) and the daemon keeps going.
- After every job the Prometheus textfile (``[connector] metrics_file``) is rewritten.
- SIGTERM/SIGINT: the running job finishes the write in flight and records it (never between
  ``sending`` and ``sent``), sends nothing more and stops; the daemon waits for it and exits 3
  when a job was cut short (run ``connector sync`` or let the next firing finish it), 0 when it
  was idle.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler

from connector.core.config import Config
from connector.core.cron import cron_trigger
from connector.core.errors import EXIT_ABORTED, EXIT_OK, ConnectorError, RunLockedError
from connector.core.logging import get_logger
from connector.service.notify import Notifier
from connector.texts.i18n import texts

log = get_logger("daemon")

#: job name -> sync scope
JOBS = {"master_data": "master", "invoicing": "full"}
SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
#: the longest the main thread waits between looks at a noted signal (seconds)
IDLE_WAKE = 1.0

RunJob = Callable[[str, threading.Event], Any]


@dataclass
class JobHooks:
    """What happens around every job: one at a time, status to systemd, metrics, failures."""

    config: Config | None = None
    notifier: Notifier = field(default_factory=lambda: Notifier({}))
    serial: threading.Lock = field(default_factory=threading.Lock)
    running: str | None = None
    cut_short: str | None = None  # a job that stopped before all its writes were done
    next_runs: Callable[[], str] = lambda: ""

    def started(self, job: str) -> None:
        self.running = job
        self.notifier.status(f"running {job}")

    def finished(self, job: str, outcome: Any) -> None:
        self.running = None
        status = outcome.get("status") if isinstance(outcome, Mapping) else None
        if status == "stopped":
            self.cut_short = job
        self.write_metrics(outcome if isinstance(outcome, Mapping) else None)
        self.notifier.status(f"idle; last {job}: {status or 'done'}{self.next_runs()}")

    def failed(self, job: str, scope: str, error_type: str, message: str, recorded: bool) -> None:
        self.running = None
        if not recorded:
            self._record_failure(scope, error_type, message)
        self.write_metrics({"status": "failed", "exit_code": EXIT_ABORTED})
        self.notifier.status(f"idle; last {job}: FAILED ({error_type}){self.next_runs()}")

    def _record_failure(self, scope: str, error_type: str, message: str) -> None:
        if self.config is not None:
            record_failure(self.config, f"daemon:{scope}", error_type, message)

    def write_metrics(self, outcome: Mapping[str, Any] | None) -> None:
        if self.config is not None:
            write_job_metrics(self.config, outcome)


def record_failure(config: Config, command: str, error_type: str, message: str) -> None:
    """A run row with status ``failed`` for a job that failed before its run recorded anything
    (so ``status`` and ``status --check`` see it). Never raises."""
    from connector.ledger import Ledger

    try:
        with Ledger(config.ledger_path) as ledger:
            run_id = ledger.start_run(command)
            ledger.finish_run(run_id, "failed", error_type=error_type, message=message)
    except Exception as exc:  # recording must not kill the daemon
        log.error("job_failure_not_recorded", error_type=type(exc).__name__)


def write_job_metrics(config: Config, outcome: Mapping[str, Any] | None) -> None:
    """Rewrite the config's Prometheus textfile (if it names one); never raises."""
    path = config.connector.metrics_file
    if path is None:
        return
    from connector.service.metrics import write_metrics

    try:
        write_metrics(path, config.ledger_path, outcome, company=config.company)
    except Exception as exc:  # metrics must not stop the job
        log.error("metrics_not_written", path=str(path), error_type=type(exc).__name__)


def job_outcome(report: Any) -> dict[str, Any]:
    """What a finished job hands to the hooks (status, exit code, counts) from its RunReport."""
    return {
        "status": report.status,
        "exit_code": report.exit_code,
        "held_for_review": len(report.held),
        **report.counts,
    }


def build_scheduler(
    config: Config, run_job: RunJob, stop: threading.Event, hooks: JobHooks | None = None
) -> BackgroundScheduler:
    """A scheduler with one cron job per configured schedule entry."""
    zone = ZoneInfo(config.schedule.timezone)
    hooks = hooks or JobHooks(config)
    scheduler = BackgroundScheduler(
        timezone=zone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": config.schedule.misfire_grace_seconds,
        },
    )
    for job, scope in JOBS.items():
        expr = getattr(config.schedule, job)
        if not expr:
            continue
        scheduler.add_job(
            _guarded,
            cron_trigger(expr, config.schedule.timezone),
            args=[job, scope, run_job, stop, hooks],
            id=job,
            name=job,
            replace_existing=True,
        )
    return scheduler


def _guarded(
    job: str,
    scope: str,
    run_job: RunJob,
    stop: threading.Event,
    hooks: JobHooks | None = None,
) -> None:
    """Run one job after any other job of this daemon; log failures and keep the daemon alive."""
    hooks = hooks or JobHooks()
    with hooks.serial:
        if stop.is_set():
            return
        hooks.started(job)
        log.info("job_start", job=job, scope=scope)
        try:
            outcome = run_job(scope, stop)
        except RunLockedError as exc:
            hooks.running = None
            log.warning("job_skipped_lock_held", job=job, error=str(exc))
        except ConnectorError as exc:
            log.error("job_failed", job=job, error_type=exc.error_type, error=str(exc))
            hooks.failed(job, scope, exc.error_type, exc.message, _recorded(exc))
        except Exception as exc:  # the daemon must survive any single run
            log.exception("job_crashed", job=job, error=repr(exc))
            hooks.failed(
                job,
                scope,
                type(exc).__name__,
                f"unexpected {type(exc).__name__} (see the daemon's log)",
                _recorded(exc),
            )
        else:
            log.info("job_done", job=job, outcome=outcome)
            hooks.finished(job, outcome)


def _recorded(exc: BaseException) -> bool:
    """True when the run itself already recorded this failure in its run row."""
    return getattr(exc, "connector_run_id", None) is not None


def describe_jobs(scheduler: BackgroundScheduler, config: Config) -> list[dict[str, str | None]]:
    """Each job's crontab text and next run time (ISO, Helsinki), for the start log; in the
    order of :data:`JOBS` (the scheduler lists them by next run, which depends on the hour)."""
    out = []
    order = list(JOBS)
    jobs = scheduler.get_jobs()
    for job in sorted(jobs, key=lambda j: order.index(j.id) if j.id in order else len(order)):
        nxt = getattr(job, "next_run_time", None)
        out.append(
            {
                "job": job.id,
                "cron": getattr(config.schedule, job.id),
                "next_run": nxt.isoformat() if nxt else None,
            }
        )
    return out


def _say_on_stdout(line: str) -> None:
    print(line, flush=True)


def next_fires(triggers: Mapping[str, Any], zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """(job, when it next runs) of each job that runs again, from its trigger alone."""
    now = datetime.now(zone)
    fires = [(job, trigger.get_next_fire_time(None, now)) for job, trigger in triggers.items()]
    return [(job, at) for job, at in fires if at is not None]


def started_line(config: Config, triggers: Mapping[str, Any], zone: ZoneInfo) -> str:
    """The start line for a person: version, pid, log level and each job's next run."""
    import os

    from connector import __version__

    runs = [f"{job} {at.isoformat(timespec='minutes')}" for job, at in next_fires(triggers, zone)]
    t = texts(config.connector.language)
    return t(
        "daemon.started",
        version=__version__,
        pid=os.getpid(),
        level=config.connector.log_level,
        runs=", ".join(runs) or "-",
    )


def run_daemon(
    config: Config,
    run_job: RunJob,
    *,
    install_signals: bool = True,
    stop: threading.Event | None = None,
    notifier: Notifier | None = None,
    run_now: tuple[str, ...] = (),
    say: Callable[[str], None] | None = None,
) -> int:
    """Run the schedules until SIGTERM/SIGINT (or ``stop``); return the exit code: 0 when no job
    was running, 3 when a job was cut short. ``run_now``: jobs to run once right at start.

    ``say`` shows a person one line at start and one at stop whatever ``log_level`` is (default:
    stdout, so the JSON log lines on stderr stay JSON)."""
    say = say or _say_on_stdout
    stop = stop or threading.Event()
    notifier = notifier or Notifier()
    hooks = JobHooks(config, notifier)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS) if install_signals else None
    # A thread started before this one (none in the CLI) may still take a process signal; its
    # handler only notes it (no lock, no I/O) and the main loop below sees the note.
    noted: list[int] = []
    old_handlers = (
        {s: signal.signal(s, lambda signum, _frame: noted.append(signum)) for s in SIGNALS}
        if install_signals
        else {}
    )
    try:
        scheduler = build_scheduler(config, run_job, stop, hooks)

        by_id = {j.id: j.trigger for j in scheduler.get_jobs()}
        triggers = {job: by_id[job] for job in JOBS if job in by_id}
        zone = ZoneInfo(config.schedule.timezone)

        def next_runs() -> str:
            # From the triggers alone: a job thread must never take the scheduler's locks
            # (shutdown holds them while it waits for the running job).
            times = [f"{job} {at:%Y-%m-%d %H:%M}" for job, at in next_fires(triggers, zone)]
            return f"; next: {', '.join(times)}" if times else ""

        hooks.next_runs = next_runs
        # once at start (in turn with the scheduled jobs), then on the schedule
        at_start = threading.Thread(
            target=lambda: [_guarded(job, JOBS[job], run_job, stop, hooks) for job in run_now],
            name="connector-run-now",
        )
        scheduler.start(paused=True)  # announced first, then the jobs may fire
        log.info(
            "daemon_started",
            jobs=describe_jobs(scheduler, config),
            timezone=config.schedule.timezone,
        )
        say(started_line(config, triggers, zone))  # seen whatever the log level
        hooks.write_metrics(None)
        notifier.ready(f"idle{next_runs()}")
        scheduler.resume()
        if run_now:
            at_start.start()
        received = _wait_for_stop(stop, notifier, install_signals, noted)
        stop.set()
        busy = hooks.running
        log.info("daemon_stopping", signal=received, running_job=busy)
        notifier.stopping(
            f"stopping: finishing the write under way in {busy}" if busy else "stopping"
        )
        scheduler.shutdown(wait=True)  # the running job sends nothing more and returns
        if at_start.is_alive():
            at_start.join()
        cut_short = busy or hooks.cut_short
        code = EXIT_ABORTED if cut_short else EXIT_OK
        log.info("daemon_stopped", exit_code=code, job_cut_short=cut_short)
        say(texts(config.connector.language)("daemon.stopped", code=code))
        return code
    finally:
        if old_mask is not None:
            while signal.sigtimedwait(SIGNALS, 0) is not None:  # drop a second SIGTERM
                pass
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for signum, handler in old_handlers.items():
            signal.signal(signum, handler)


def _wait_for_stop(
    stop: threading.Event, notifier: Notifier, signals: bool, noted: list[int]
) -> str | None:
    """Block until a stop signal (or ``stop``), pinging the watchdog; returns the signal name."""
    interval = min(notifier.ping_interval() or IDLE_WAKE, IDLE_WAKE)
    while not stop.is_set():
        if signals:
            info = signal.sigtimedwait(SIGNALS, interval)
            if info is not None:
                return signal.Signals(info.si_signo).name
            if noted:
                return signal.Signals(noted[0]).name
        elif stop.wait(interval):
            break
        if notifier.watchdog_seconds:
            notifier.watchdog()
    return None
