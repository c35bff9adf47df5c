"""The daemon: the same job as ``connector sync``, on cron schedules (APScheduler 3).

- ``BlockingScheduler`` in Europe/Helsinki (explicit zone, never the host's).
- ``coalesce=True`` + ``max_instances=1`` + ``misfire_grace_time`` (None = unlimited by default):
  a host that slept through the scheduled time runs the job once when it wakes, never a burst.
- Every job takes the same ledger run lock as the CLI; a held lock skips that firing.
- A failing run is logged and the daemon keeps going.
- SIGTERM/SIGINT: the current sync finishes its current action (never between ``sending`` and
  ``sent``) and the daemon exits cleanly.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from connector.config import Config, cron_trigger
from connector.errors import ConnectorError, RunLockedError
from connector.logging import get_logger

log = get_logger("daemon")

#: job name -> sync scope
JOBS = {"master_data": "master", "invoicing": "full"}

RunJob = Callable[[str, threading.Event], Any]


def build_scheduler(config: Config, run_job: RunJob, stop: threading.Event) -> BlockingScheduler:
    """A scheduler with one cron job per configured schedule entry."""
    zone = ZoneInfo(config.schedule.timezone)
    scheduler = BlockingScheduler(
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
            args=[job, scope, run_job, stop],
            id=job,
            name=job,
            replace_existing=True,
        )
    return scheduler


def _guarded(job: str, scope: str, run_job: RunJob, stop: threading.Event) -> None:
    """Run one job; log failures and keep the daemon alive."""
    if stop.is_set():
        return
    log.info("job_start", job=job, scope=scope)
    try:
        outcome = run_job(scope, stop)
        log.info("job_done", job=job, outcome=outcome)
    except RunLockedError as exc:
        log.warning("job_skipped_lock_held", job=job, error=str(exc))
    except ConnectorError as exc:
        log.error("job_failed", job=job, error_type=exc.error_type, error=str(exc))
    except Exception as exc:  # the daemon must survive any single run
        log.exception("job_crashed", job=job, error=repr(exc))


def run_daemon(config: Config, run_job: RunJob, *, install_signals: bool = True) -> int:
    """Block until SIGTERM/SIGINT; return the exit code (0 on a clean stop)."""
    stop = threading.Event()
    scheduler = build_scheduler(config, run_job, stop)

    def _shutdown() -> None:
        # not started yet: the start listener below sees `stop` and shuts down
        with contextlib.suppress(SchedulerNotRunningError):
            scheduler.shutdown(wait=False)

    def _stop(signum: int, _frame: Any) -> None:
        log.info("daemon_stopping", signal=signal.Signals(signum).name)
        stop.set()
        _shutdown()

    jobs = [(j.id, str(j.trigger)) for j in scheduler.get_jobs()]

    def _started(_event: Any) -> None:
        # Logged from the scheduler itself, so "started" means running; a signal that came
        # while it was starting is honoured here.
        log.info("daemon_started", jobs=jobs, timezone=config.schedule.timezone)
        if stop.is_set():
            _shutdown()

    scheduler.add_listener(_started, EVENT_SCHEDULER_STARTED)
    if install_signals:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    if not stop.is_set():
        scheduler.start()
    log.info("daemon_stopped")
    return 0
