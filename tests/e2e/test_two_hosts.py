"""Two hosts on one PostgreSQL ledger: a company is run by at most one of them at a time.

Each "host" is a separate connector process with its own ``CONNECTOR_HOST_ID`` (so neither can
tell whether the other is alive and must wait for its lease to expire, as between machines),
both on the same company of the test PostgreSQL server and the same Netvisor sandbox. The
sandbox counts overlapping requests: one company, one request at a time, across hosts.
Skipped (saying why) without a PostgreSQL server; CI runs it under ``pg_virtualenv``.
"""

from __future__ import annotations

import signal
import subprocess
import time
from decimal import Decimal
from typing import Any

import pytest
from e2e.harness import Env, base_data, task

from connector.core.config import load_config
from connector.core.errors import EXIT_OK
from connector.ledger import IN_DOUBT, LedgerState
from connector.ledger.lease import lease_info

pytestmark = pytest.mark.slow

AS_OF = "2026-05-02"
LEASE = 3  # seconds: a dead host's company is taken over this long after its last renewal


def work() -> dict[str, Any]:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T2", "L0001", "2026-04-09", hours="1.5"),
        task("T3", "L0100", "2026-04-10", quantity="3", code="ATERIA"),
        task("T4", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
        task("T5", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
    ]
    return data


def on_postgres(make_env, name: str) -> Env:
    env = make_env(work(), name=name, ledger_engine="postgresql")
    # a short request timeout, so the takeover's wait for writes in flight is short too
    text = env.config_path.read_text(encoding="utf-8").replace(
        "[netvisor]\n", "[netvisor]\ntimeout = 2\n", 1
    )
    env.config_path.write_text(text, encoding="utf-8")
    env.config = load_config(env.config_path)
    return env


@pytest.fixture
def expected(make_env) -> dict[str, Decimal]:
    reference = make_env(work(), name="reference")  # one host, no fault, a SQLite ledger
    assert reference.sync(AS_OF).exit_code == EXIT_OK
    return reference.totals()


def host(env: Env, name: str, *args: str, **extra: str) -> subprocess.Popen[str]:
    return env.popen(*args, env={"CONNECTOR_HOST_ID": name, **extra})


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out + err


def states(env: Env) -> dict[str, LedgerState]:
    with env.ledger() as ledger:
        return {o.key: o.state for o in ledger.objects()}


def sync_until_settled(env: Env) -> None:
    """Runs again (another host's writes in doubt are held until the request timeout plus the
    lease time has passed) until nothing is in doubt."""
    deadline = time.monotonic() + 300
    while any(s in IN_DOUBT for s in states(env).values()):
        assert time.monotonic() < deadline, states(env)
        time.sleep(1)
        done = env.cli("sync", "--as-of", AS_OF, "--wait-lock", "60")
        assert done.returncode in (0, 1, 3), done.stdout + done.stderr


def test_two_hosts_racing_for_a_company_run_it_one_after_the_other(make_env, expected):
    env = on_postgres(make_env, "race")
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=0.3)
    first = host(env, "host-a", "sync", "--as-of", AS_OF, "--wait-lock", "300")
    second = host(env, "host-b", "sync", "--as-of", AS_OF, "--wait-lock", "300")
    results = [finish(first), finish(second)]
    assert [code for code, _ in results] == [EXIT_OK, EXIT_OK], results
    assert env.netvisor.overlap_count() == 0, "both hosts had a request in flight at once"
    assert env.totals() == expected  # every document exactly once
    assert all(s in (LedgerState.SENT, LedgerState.CONFIRMED) for s in states(env).values())
    # one host did the work; the one that waited for it found nothing left to do
    with env.ledger() as ledger:
        created = sorted(run["created"] for run in ledger.runs())
    assert created == [0, 12], created
    assert lease_info(env.config.ledger_path).token == 2  # type: ignore[union-attr,arg-type]


def test_a_host_killed_mid_write_is_taken_over_after_its_lease_expires(make_env, expected):
    env = on_postgres(make_env, "killed")
    # host A dies right after committing the intent of its second invoice
    dying = host(
        env, "host-a", "sync", "--as-of", AS_OF, CONNECTOR_FAILPOINTS="after_sending:invoice@2"
    )
    code, output = finish(dying)
    assert code == -signal.SIGKILL, output
    with env.ledger() as ledger:
        assert ledger.objects(states=[LedgerState.SENDING])
    # host B was waiting for the company: it gets it once A's lease expires, never before
    taker = env.cli(
        "sync", "--as-of", AS_OF, "--wait-lock", "120", env={"CONNECTOR_HOST_ID": "host-b"}
    )
    assert taker.returncode in (0, 1, 3), taker.stdout + taker.stderr
    info = lease_info(env.config.ledger_path)  # type: ignore[arg-type]
    assert info is not None and (info.host, info.token) == ("host-b", 2)
    sync_until_settled(env)
    assert env.netvisor.overlap_count() == 0
    assert env.totals() == expected  # the write A left in doubt was reconciled, not resent blindly


def test_a_stale_holder_can_never_write_after_another_host_took_over(make_env, expected):
    env = on_postgres(make_env, "stale")
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=0.5, times=1)
    stale = host(env, "host-a", "sync", "--as-of", AS_OF)
    env.wait_for(lambda: env.netvisor.write_count("salesinvoice.nv") >= 1, "host A's first invoice")
    stale.send_signal(signal.SIGSTOP)  # host A freezes mid-write (a paused VM, a partition)
    try:
        # B takes the company once A's lease has expired (A cannot renew while frozen)
        taker = env.cli(
            "sync", "--as-of", AS_OF, "--wait-lock", "120", env={"CONNECTOR_HOST_ID": "host-b"}
        )
        assert taker.returncode in (0, 1, 3), taker.stdout + taker.stderr
    finally:
        stale.send_signal(signal.SIGCONT)
    code, output = finish(stale)
    # A wakes up with its answer in, but its lease is gone: the outcome is never committed.
    # (A write it had queued before it froze may still leave: its intent was committed, so B
    # held it in doubt instead of sending it again, and the runs below find it in Netvisor.)
    assert code != EXIT_OK, output
    assert "no longer holds" in output, output
    sync_until_settled(env)
    assert env.netvisor.overlap_count() == 0
    assert env.totals() == expected


def test_two_daemons_on_one_company_never_run_it_at_once(make_env, expected):
    from e2e.test_shutdown import daemon_config, log_events, stop

    env = on_postgres(make_env, "daemons")
    daemon_config(env)
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=0.3)
    logs = [env.tmp / "daemon-a.log", env.tmp / "daemon-b.log"]
    procs = []
    for name, log in zip(("host-a", "host-b"), logs, strict=True):
        args = env.cli_args("daemon", "--run-now", "invoicing", "--as-of", AS_OF)
        with log.open("w") as out:
            procs.append(
                subprocess.Popen(
                    args,
                    stdout=subprocess.PIPE,
                    stderr=out,
                    text=True,
                    env=env._env({"CONNECTOR_HOST_ID": name}),
                    cwd=env.tmp,
                )
            )

    def job_over(log) -> bool:
        names = {e.get("event") for e in log_events(log)}
        return bool(names & {"job_done", "job_skipped_lock_held", "job_failed"})

    env.wait_for(lambda: all(job_over(log) for log in logs), "both daemons' jobs", timeout=300)
    for proc in procs:
        code, _ = stop(proc)
        assert code == EXIT_OK
    events = [[e.get("event") for e in log_events(log)] for log in logs]
    assert all("job_failed" not in names for names in events), events
    assert env.netvisor.overlap_count() == 0, "two daemons had requests in flight at once"
    assert env.totals() == expected
    with env.ledger() as ledger:
        created = sorted(run["created"] for run in ledger.runs())
    # one daemon billed the month; the other skipped the company held by the first, or came
    # after it and found nothing left to do
    assert created in ([12], [0, 12]), (created, events)
    assert not any(s in IN_DOUBT for s in states(env).values())
