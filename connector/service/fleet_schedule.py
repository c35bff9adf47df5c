"""When a fleet company runs: its cron triggers (shifted by its jitter) and its back-off.

Pure functions of the fleet file and ledger facts, so ``fleet status`` (another process) shows
exactly what the daemon does: the next scheduled run, and when a company that keeps failing
is tried again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger

from connector.core.cron import cron_trigger
from connector.service.daemon import JOBS
from connector.service.fleet import Company, Fleet


class ShiftedTrigger(BaseTrigger):
    """A trigger firing ``seconds`` after each firing of ``trigger`` (a company's jitter:
    fixed per company, so its runs keep their rhythm and the status can tell them)."""

    def __init__(self, trigger: Any, seconds: int) -> None:
        self.trigger = trigger
        self.shift = timedelta(seconds=seconds)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        previous = previous_fire_time - self.shift if previous_fire_time else None
        fire = self.trigger.get_next_fire_time(previous, now - self.shift)
        return fire + self.shift if fire is not None else None

    def __str__(self) -> str:
        return f"{self.trigger} + {int(self.shift.total_seconds())} s"


def company_triggers(company: Company, fleet: Fleet) -> dict[str, Any]:
    """Job name (``master_data``, ``invoicing``) -> its trigger for this company."""
    schedule = company.schedule(fleet)
    jitter = company.jitter(fleet)
    out: dict[str, Any] = {}
    for job in JOBS:
        expr = getattr(schedule, job)
        if not expr:
            continue
        trigger = cron_trigger(expr, schedule.timezone)
        out[job] = ShiftedTrigger(trigger, jitter) if jitter else trigger
    return out


def next_run(company: Company, fleet: Fleet, now: datetime) -> tuple[str, datetime] | None:
    """(job, moment) of the company's next scheduled firing after ``now`` (aware)."""
    best: tuple[str, datetime] | None = None
    for job, trigger in company_triggers(company, fleet).items():
        fire = trigger.get_next_fire_time(None, now)
        if fire is not None and (best is None or fire < best[1]):
            best = (job, fire)
    return best


def backoff_delay(failures: int, cap_minutes: int) -> timedelta:
    """How long after its latest failure a company is tried again: 1, 2, 4, ... minutes,
    at most ``cap_minutes`` (0 failures: no wait)."""
    if failures <= 0:
        return timedelta(0)
    return timedelta(minutes=min(2 ** min(failures - 1, 30), cap_minutes))


def backoff_until(
    failures: int, last_failure_at: datetime | None, cap_minutes: int
) -> datetime | None:
    if failures <= 0 or last_failure_at is None:
        return None
    return last_failure_at + backoff_delay(failures, cap_minutes)
