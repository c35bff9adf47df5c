"""The daemon: cron jobs in Helsinki time that never burst, never overlap and never die."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import structlog
from apscheduler.events import EVENT_SCHEDULER_START
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from structlog.testing import capture_logs

from connector.core.config import Config, load_config
from connector.core.errors import FatalRunError, RecordError, RunLockedError
from connector.service import daemon
from connector.service.daemon import _guarded, build_scheduler, run_daemon

HELSINKI = ZoneInfo("Europe/Helsinki")

BASE = """\
[spotilla]
subdomain = "testcompany"
user_id = "12345"

[netvisor]
customer_id = "XX_0000_1"
partner_id = "Xxx_000"
organisation_id = "1234567-8"
"""


def make_config(tmp_path: Path, schedule: str = "") -> Config:
    path = tmp_path / "config.toml"
    path.write_text(BASE + ("\n[schedule]\n" + schedule if schedule else ""), encoding="utf-8")
    return load_config(path)


def never_called(scope: str, stop: threading.Event) -> Any:
    raise AssertionError("the job must not run in this test")


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def started_jobs(scheduler: BackgroundScheduler) -> dict[str, Job]:
    """Start the scheduler paused, read its jobs, stop it.

    Before start APScheduler 3 keeps jobs pending without the scheduler's job defaults applied,
    so the defaults can only be read from a started scheduler.
    """
    scheduler.start(paused=True)
    try:
        return {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=True)


# -- build_scheduler -------------------------------------------------------------------------


def test_one_job_per_configured_cron_in_helsinki_time(tmp_path: Path) -> None:
    scheduler = build_scheduler(make_config(tmp_path), never_called, threading.Event())
    assert scheduler.timezone == HELSINKI
    jobs = started_jobs(scheduler)
    assert set(jobs) == {"master_data", "invoicing"}
    for job in jobs.values():
        assert job.trigger.timezone == HELSINKI
        assert job.coalesce is True, "a host that slept runs a missed job once, not in a burst"
        assert job.max_instances == 1, "never two runs at once"
        assert job.misfire_grace_time is None, "a missed run is never skipped by default"
        assert job.func is _guarded
        assert job.args[:2] == (job.id, daemon.JOBS[job.id])
    fields = {f.name: str(f) for f in jobs["invoicing"].trigger.fields}
    assert (fields["minute"], fields["hour"]) == ("30", "6")


def test_the_misfire_grace_time_comes_from_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, "misfire_grace_seconds = 21600\n")
    jobs = started_jobs(build_scheduler(config, never_called, threading.Event()))
    assert {job.misfire_grace_time for job in jobs.values()} == {21600}


def test_the_cron_expressions_come_from_the_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, 'master_data = "15 3 * * mon"\ninvoicing = "0 7 1-9 * *"\n')
    scheduler = build_scheduler(config, never_called, threading.Event())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    master = {f.name: str(f) for f in jobs["master_data"].trigger.fields}
    invoicing = {f.name: str(f) for f in jobs["invoicing"].trigger.fields}
    assert (master["minute"], master["hour"], master["day_of_week"]) == ("15", "3", "mon")
    assert (invoicing["hour"], invoicing["day"]) == ("7", "1-9")
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=HELSINKI)
    monday = jobs["master_data"].trigger.get_next_fire_time(None, saturday)
    assert monday.isoformat() == "2026-03-30T03:15:00+03:00"


@pytest.mark.parametrize(("weekday", "expected"), [("1", "Mon"), ("0", "Sun"), ("5", "Fri")])
def test_numeric_weekdays_follow_the_crontab_convention(
    tmp_path: Path, weekday: str, expected: str
) -> None:
    config = make_config(tmp_path, f'master_data = "15 3 * * {weekday}"\n')
    (job,) = [j for j in build_scheduler(config, never_called, threading.Event()).get_jobs()
              if j.id == "master_data"]  # fmt: skip
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=HELSINKI)
    assert job.trigger.get_next_fire_time(None, saturday).strftime("%a") == expected


def test_the_jobs_fire_at_helsinki_wall_clock_times_across_the_spring_dst_change(
    tmp_path: Path,
) -> None:
    scheduler = build_scheduler(make_config(tmp_path), never_called, threading.Event())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    # Saturday 28 March 2026, noon. Summer time begins on Sunday 29 March at 03:00.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=HELSINKI)
    master = jobs["master_data"].trigger.get_next_fire_time(None, now)
    invoicing = jobs["invoicing"].trigger.get_next_fire_time(None, now)
    assert (master.isoformat(), invoicing.isoformat()) == (
        "2026-03-29T02:00:00+02:00",  # before the change: EET
        "2026-03-29T06:30:00+03:00",  # after the change: EEST, still 06:30 on the wall clock
    )


def test_a_job_set_to_nothing_is_not_scheduled(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    schedule = config.schedule.model_copy(update={"master_data": None})
    config = Config(config.path, config.connector, config.spotilla, config.netvisor,
                    config.mappings, schedule)  # fmt: skip
    scheduler = build_scheduler(config, never_called, threading.Event())
    assert [job.id for job in scheduler.get_jobs()] == ["invoicing"]


# -- _guarded --------------------------------------------------------------------------------


def guarded(run_job: Callable[[str, threading.Event], Any], stop: threading.Event | None = None):
    with capture_logs() as logs:
        _guarded("invoicing", "full", run_job, stop or threading.Event())
    return logs


def test_a_job_runs_with_its_scope_and_stop_event() -> None:
    seen: list[tuple[str, threading.Event]] = []
    stop = threading.Event()

    def run_job(scope: str, event: threading.Event) -> str:
        seen.append((scope, event))
        return "ok: 3 created"

    logs = guarded(run_job, stop)
    assert seen == [("full", stop)]
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("job_start", "info"),
        ("job_done", "info"),
    ]
    assert logs[1]["outcome"] == "ok: 3 created"
    assert logs[0]["job"] == "invoicing" and logs[0]["scope"] == "full"


def test_a_job_that_crashes_is_logged_and_the_daemon_survives() -> None:
    def run_job(scope: str, stop: threading.Event) -> None:
        raise ZeroDivisionError("division by zero in a bug")

    logs = guarded(run_job)  # must not raise
    crash = logs[-1]
    assert (crash["event"], crash["log_level"], crash["job"]) == (
        "job_crashed",
        "error",
        "invoicing",
    )
    assert "ZeroDivisionError" in crash["error"]
    assert crash["exc_info"] is True


def test_a_connector_error_is_logged_with_its_type() -> None:
    def run_job(scope: str, stop: threading.Event) -> None:
        raise FatalRunError("Netvisor refused the credentials", error_type="AUTHENTICATION_FAILED")

    logs = guarded(run_job)
    failed = logs[-1]
    assert (failed["event"], failed["log_level"]) == ("job_failed", "error")
    assert failed["error_type"] == "AUTHENTICATION_FAILED"
    assert failed["error"] == "Netvisor refused the credentials"


def test_any_connector_error_category_is_survived() -> None:
    def run_job(scope: str, stop: threading.Event) -> None:
        raise RecordError("bad record")

    assert guarded(run_job)[-1]["event"] == "job_failed"


def test_a_held_lock_skips_the_firing_with_a_warning() -> None:
    def run_job(scope: str, stop: threading.Event) -> None:
        raise RunLockedError("another connector run holds the ledger lock /x.lock (pid 42)")

    logs = guarded(run_job)
    skipped = logs[-1]
    assert (skipped["event"], skipped["log_level"]) == ("job_skipped_lock_held", "warning")
    assert "pid 42" in skipped["error"]
    assert not any(e["event"] in {"job_failed", "job_crashed"} for e in logs)


def test_a_set_stop_event_skips_the_job() -> None:
    stop = threading.Event()
    stop.set()
    assert guarded(never_called, stop) == []


# -- run_daemon ------------------------------------------------------------------------------


def test_sigterm_stops_the_daemon_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path)
    stops: list[threading.Event] = []
    real_build = daemon.build_scheduler

    def build(config: Config, run_job: Any, stop: threading.Event, hooks: Any) -> Any:
        scheduler = real_build(config, run_job, stop, hooks)
        stops.append(stop)
        # As soon as the scheduler runs, the service manager asks it to stop.
        scheduler.add_listener(
            lambda _e: signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM),
            EVENT_SCHEDULER_START,
        )
        return scheduler

    monkeypatch.setattr(daemon, "build_scheduler", build)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        before = datetime.now(HELSINKI)
        with capture_logs() as logs:
            assert run_daemon(config, never_called) == 0
        after = datetime.now(HELSINKI)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    (stop,) = stops
    assert stop.is_set(), "the running sync is told to stop after its current action"
    events = [e["event"] for e in logs]
    # the signal may land while the scheduler is still announcing its start
    assert sorted(events[:2]) == ["daemon_started", "daemon_stopping"]
    assert events[2:] == ["daemon_stopped"]
    started = next(e for e in logs if e["event"] == "daemon_started")
    assert started["timezone"] == "Europe/Helsinki"
    # each job's crontab text and its next run time, in Helsinki time, in the fixed order of
    # the daemon's jobs (not by next run, which would depend on the hour the test runs)
    assert [job["job"] for job in started["jobs"]] == ["master_data", "invoicing"]
    jobs = {job["job"]: job for job in started["jobs"]}
    assert {name: job["cron"] for name, job in jobs.items()} == {
        "master_data": "0 2 * * *",
        "invoicing": "30 6 * * *",
    }
    for name, (hour, minute) in {"master_data": (2, 0), "invoicing": (6, 30)}.items():
        moment = datetime.fromisoformat(jobs[name]["next_run"])
        assert moment.utcoffset() == moment.astimezone(HELSINKI).utcoffset()
        assert (moment.hour, moment.minute) == (hour, minute)
        # the next firing after the start, not a later one (25 h: a day when DST ends)
        assert before < moment <= after + timedelta(hours=25)
    assert next(e for e in logs if e["event"] == "daemon_stopping")["signal"] == "SIGTERM"
    assert logs[-1]["exit_code"] == 0, "no job was running: a clean stop"


# -- jobs in turn, failures recorded, metrics, a stop during a job ----------------------------


def test_two_jobs_due_in_the_same_minute_run_one_after_the_other() -> None:
    hooks = daemon.JobHooks()
    stop = threading.Event()
    first_running, release_first = threading.Event(), threading.Event()
    order: list[str] = []
    overlap: list[bool] = []
    running = threading.Lock()

    def run_job(scope: str, _stop: threading.Event) -> dict[str, str]:
        if not running.acquire(blocking=False):
            overlap.append(True)
            return {"status": "ok"}
        try:
            order.append(scope)
            if scope == "full":
                first_running.set()
                assert release_first.wait(30)
            return {"status": "ok"}
        finally:
            running.release()

    invoicing = threading.Thread(target=_guarded, args=("invoicing", "full", run_job, stop, hooks))
    master = threading.Thread(target=_guarded, args=("master_data", "master", run_job, stop, hooks))
    invoicing.start()
    assert first_running.wait(30)
    master.start()  # due now too: it waits for the running job instead of being skipped
    assert master.is_alive()
    release_first.set()
    invoicing.join(30)
    master.join(30)
    assert order == ["full", "master"] and not overlap


def test_a_crontab_step_in_the_weekday_field_counts_from_sunday(tmp_path: Path) -> None:
    config = make_config(tmp_path, 'master_data = "0 3 * * */2"\ninvoicing = "0 7 * * 1-5/2"\n')
    jobs = {j.id: j for j in build_scheduler(config, never_called, threading.Event()).get_jobs()}
    moment = datetime(2026, 3, 28, 12, 0, tzinfo=HELSINKI)  # a Saturday
    days, nxt = [], moment
    for _ in range(4):
        nxt = jobs["master_data"].trigger.get_next_fire_time(None, nxt)
        days.append(nxt.strftime("%a"))
        nxt = nxt.replace(minute=1)
    assert days == ["Sun", "Tue", "Thu", "Sat"]  # crontab: 0,2,4,6
    monday = jobs["invoicing"].trigger.get_next_fire_time(None, moment)
    assert monday.strftime("%a %H:%M") == "Mon 07:00"


def test_a_failed_job_is_recorded_in_the_ledger_and_shown_by_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector.cli.main import main
    from connector.ledger import Ledger

    config = make_config(tmp_path)
    hooks = daemon.JobHooks(config)

    def run_job(scope: str, stop: threading.Event) -> None:
        raise FatalRunError("Netvisor refused the credentials", error_type="AUTHENTICATION_FAILED")

    _guarded("invoicing", "full", run_job, threading.Event(), hooks)
    with Ledger(config.ledger_path) as ledger:
        (run,) = ledger.runs(5)
    assert (run["command"], run["status"], run["error_type"]) == (
        "daemon:full",
        "failed",
        "AUTHENTICATION_FAILED",
    )
    assert run["finished_at"]
    assert main(["status", "--config", str(config.path)]) == 0
    out = capsys.readouterr().out
    assert "daemon:full" in out and "failed" in out


def test_a_crashed_job_is_recorded_once_by_type_never_by_its_text(tmp_path: Path) -> None:
    from connector.ledger import Ledger

    config = make_config(tmp_path)

    def run_job(scope: str, stop: threading.Event) -> None:
        raise KeyError("Testi Henkilö")  # a bug whose text may carry personal data

    _guarded("master_data", "master", run_job, threading.Event(), daemon.JobHooks(config))
    with Ledger(config.ledger_path) as ledger:
        (run,) = ledger.runs(5)
    assert (run["status"], run["error_type"]) == ("failed", "KeyError")
    assert "Testi" not in (run["message"] or "")


def test_the_metrics_file_is_written_after_a_job(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    metrics = tmp_path / "metrics" / "connector.prom"
    config = Config(
        config.path,
        config.connector.model_copy(update={"metrics_file": metrics}),
        config.spotilla,
        config.netvisor,
        config.mappings,
        config.schedule,
    )

    def run_job(scope: str, stop: threading.Event) -> dict[str, Any]:
        return {
            "status": "partial",
            "exit_code": 1,
            "created": 4,
            "updated": 1,
            "held_for_review": 2,
        }

    _guarded("invoicing", "full", run_job, threading.Event(), daemon.JobHooks(config))
    text = metrics.read_text()
    values = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert values["connector_last_run_documents_written"] == "5"
    assert values["connector_last_run_held"] == "2"
    assert values["connector_last_run_exit_code"] == "1"
    assert values['connector_last_run_status{status="partial"}'] == "1"
    assert values['connector_last_run_status{status="ok"}'] == "0"
    assert values["connector_last_success_timestamp_seconds"] == "0"  # no run in the ledger yet
    assert "# TYPE connector_in_doubt gauge" in text
    assert [p.name for p in metrics.parent.iterdir()] == ["connector.prom"]  # no temp left


def test_a_stop_during_a_job_waits_for_it_and_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path)
    stop = threading.Event()
    job_running, job_told = threading.Event(), threading.Event()

    def run_job(scope: str, job_stop: threading.Event) -> dict[str, Any]:
        job_running.set()
        assert job_stop.wait(30)  # the sync checks this between writes
        job_told.set()
        return {"status": "stopped", "exit_code": 3}

    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            run_daemon(config, run_job, install_signals=False, stop=stop, run_now=("invoicing",))
        )
    )
    with capture_logs() as logs:
        thread.start()
        assert job_running.wait(30)
        stop.set()
        thread.join(60)
    assert job_told.is_set() and result == [3]
    stopped = next(e for e in logs if e["event"] == "daemon_stopped")
    assert stopped["exit_code"] == 3 and stopped["job_cut_short"] == "invoicing"
    # the daemon returned only after the job did
    assert [e["event"] for e in logs].index("job_done") < [e["event"] for e in logs].index(
        "daemon_stopped"
    )


def test_the_daemon_refuses_a_rehearsal_date_in_the_future(tmp_path: Path) -> None:
    from connector.cli.main import main
    from connector.core.errors import EXIT_USAGE

    config = make_config(tmp_path)
    assert main(["daemon", "--as-of", "2099-01-01", "--config", str(config.path)]) == EXIT_USAGE


class _FixedTrigger:
    """A trigger that next fires at ``at`` (None: never again); records the `now` it was asked."""

    def __init__(self, at: datetime | None) -> None:
        self.at = at
        self.asked: list[datetime] = []

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        assert previous is None
        self.asked.append(now)
        return self.at


def test_next_fires_lists_each_job_that_runs_again_in_order():
    at = datetime(2026, 5, 4, 6, 0, tzinfo=HELSINKI)
    sync, done, report = _FixedTrigger(at), _FixedTrigger(None), _FixedTrigger(at)
    fires = daemon.next_fires({"sync": sync, "done": done, "report": report}, HELSINKI)
    assert fires == [("sync", at), ("report", at)]  # a job that never runs again is left out
    # every trigger is asked from one instant, in the daemon's zone
    assert len({*sync.asked, *done.asked, *report.asked}) == 1
    assert sync.asked[0].tzinfo == HELSINKI
