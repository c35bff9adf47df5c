"""SIGTERM to a running sync and to a running daemon: the write in flight is finished and
recorded, nothing more is sent, no row is left `sending`, and the exit code says the run was cut
short (3) — a rerun finishes the rest with exactly the documents of an uninterrupted run.

The processes are the real CLI; a latency fault makes every invoice write take a while, so the
signal lands while a write is in flight. Waiting is on conditions (the sandbox committed a
write, the log shows the daemon started), never on fixed sleeps.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from e2e import test_crash
from e2e.harness import Env
from e2e.test_crash import AS_OF, assert_exactly_once, month_of_work

from connector.core.errors import EXIT_ABORTED, EXIT_OK
from connector.ledger import LedgerState

pytestmark = pytest.mark.slow
expected = test_crash.expected  # the fixture: the invoices of an uninterrupted run

#: seconds each invoice write takes in these tests (long enough for the signal to land mid-write)
SLOW_WRITE = 1.5


def run_logged(env: Env, *args: str, log: Path) -> subprocess.Popen[str]:
    """The CLI in a separate process, its stderr (the daemon's JSON log) into ``log``."""
    out = log.open("w")
    try:
        return subprocess.Popen(
            env.cli_args(*args),
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            env=env._env(None),
            cwd=env.tmp,
        )
    finally:
        out.close()


def stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, stdout


def no_row_sending(env: Env) -> None:
    with env.ledger() as ledger:
        assert ledger.objects(states=[LedgerState.SENDING]) == []


def test_sigterm_to_sync_finishes_the_write_in_flight_exits_3_and_says_how_to_finish(
    make_env, expected
):
    env = make_env(month_of_work(), name="sync-term")
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=SLOW_WRITE)
    proc = run_logged(env, "sync", "--as-of", AS_OF, log=env.tmp / "sync.log")
    env.wait_for(
        lambda: env.netvisor.write_count("salesinvoice.nv") >= 1, "the first invoice write"
    )
    code, stdout = stop(proc)
    log = (env.tmp / "sync.log").read_text()
    assert code == EXIT_ABORTED, stdout + log
    # it says it stopped early and how to finish
    assert "stopped" in stdout.lower() and "connector sync" in stdout
    assert "Traceback" not in log and "cannot schedule" not in log
    no_row_sending(env)
    with env.ledger() as ledger:
        assert ledger.runs(1)[0]["status"] == "stopped"
    assert len(env.invoices()) < len(expected), "the stop came before the last invoice"

    env.netvisor.clear_faults()
    rest = env.cli("sync", "--as-of", AS_OF)
    assert rest.returncode == EXIT_OK, rest.stdout + rest.stderr
    assert_exactly_once(env, expected)


def daemon_config(env: Env, extra: str = "") -> None:
    text = env.config_path.read_text().replace('log_level = "WARNING"', 'log_level = "INFO"')
    # schedules far from "now": only --run-now jobs run during the test
    text += '\n[schedule]\nmaster_data = "0 0 1 1 *"\ninvoicing = "30 0 1 1 *"\n' + extra
    env.config_path.write_text(text)


def log_events(path: Path) -> list[dict]:
    events = []
    for line in path.read_text().splitlines():
        start = line.find("{")
        if start >= 0:
            try:
                events.append(json.loads(line[start:]))
            except json.JSONDecodeError:
                continue
    return events


def test_sigterm_to_the_daemon_mid_job_finishes_the_write_and_exits_3(make_env, expected):
    env = make_env(month_of_work(), name="daemon-term")
    daemon_config(env)
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=SLOW_WRITE)
    log = env.tmp / "daemon.log"
    proc = run_logged(env, "daemon", "--run-now", "invoicing", "--as-of", AS_OF, log=log)
    try:
        env.wait_for(
            lambda: env.netvisor.write_count("salesinvoice.nv") >= 1,
            "the job's first invoice write",
            timeout=15,
        )
    except AssertionError:
        proc.kill()
        proc.communicate()
        raise AssertionError(log.read_text()) from None
    code, _ = stop(proc)
    events = log_events(log)
    names = [e.get("event") for e in events]
    assert code == EXIT_ABORTED, log.read_text()
    assert "job_crashed" not in names and "job_failed" not in names
    text = log.read_text()
    assert "Traceback" not in text and "cannot schedule new futures" not in text
    stopped = next(e for e in events if e.get("event") == "daemon_stopped")
    assert stopped["job_cut_short"] == "invoicing"
    no_row_sending(env)
    with env.ledger() as ledger:
        runs = ledger.runs(5)
    assert runs[0]["command"] == "daemon:full" and runs[0]["status"] == "stopped"

    env.netvisor.clear_faults()
    rest = env.cli("sync", "--as-of", AS_OF)
    assert rest.returncode == EXIT_OK, rest.stdout + rest.stderr
    assert_exactly_once(env, expected)


def test_the_daemon_speaks_systemd_notify_writes_its_metrics_and_stops_idle_with_0(
    make_env, expected, tmp_path
):
    import socket

    env = make_env(month_of_work(), name="daemon-notify")
    metrics = env.tmp / "metrics" / "connector.prom"
    daemon_config(env)
    text = env.config_path.read_text().replace(
        'log_level = "INFO"', f'log_level = "INFO"\nmetrics_file = "{metrics}"'
    )
    env.config_path.write_text(text)
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(60)

    def message() -> dict[str, str]:
        data = sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.split("\n"))

    log = env.tmp / "daemon.log"
    out = log.open("w")
    proc = subprocess.Popen(
        env.cli_args("daemon", "--run-now", "invoicing", "--as-of", AS_OF),
        stdout=subprocess.PIPE,
        stderr=out,
        text=True,
        env=env._env({"NOTIFY_SOCKET": address}),
        cwd=env.tmp,
    )
    out.close()
    try:
        seen = [message()]
        assert seen[0]["READY"] == "1" and seen[0]["MAINPID"] == str(proc.pid)
        while not seen[-1].get("STATUS", "").startswith("idle; last invoicing"):
            seen.append(message())
        assert "running invoicing" in [m.get("STATUS") for m in seen]
        assert seen[-1]["STATUS"].startswith("idle; last invoicing: ok; next: master_data")
        values = dict(
            line.rsplit(" ", 1)
            for line in metrics.read_text().splitlines()
            if line and not line.startswith("#")
        )
        assert values['connector_last_run_status{status="ok"}'] == "1"
        assert int(values["connector_last_run_documents_written"]) == len(
            env.netvisor.customers()
        ) + len(env.netvisor.products()) + len(expected)
        assert float(values["connector_last_success_timestamp_seconds"]) > 0
        assert values["connector_in_doubt"] == "0"
        code, _ = stop(proc)
        assert message()["STOPPING"] == "1"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        sock.close()
    assert code == EXIT_OK, log.read_text()  # idle when the stop came: a clean stop
    assert_exactly_once(env, expected)
