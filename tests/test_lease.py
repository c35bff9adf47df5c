"""A company's lease on a PostgreSQL ledger (connector/ledger/lease.py), on a real server.

The lease is the run lock of a PostgreSQL ledger: one holder at a time, a fencing token that
grows with every acquisition, expiry by the database clock, renewal while held, and a ledger
that refuses the writes of a holder that lost it. Skipped (saying why) without a server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest

from connector.core.config import PostgresLedger
from connector.core.errors import RunLockedError
from connector.ledger import Ledger, LedgerState, ObjectKind, RunLock
from connector.ledger.lease import Lease, lease_holders, lease_info
from connector.ledger.postgres import LeaseLostError, companies

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def company() -> Iterator[str]:
    pgserver.require()
    name = pgserver.new_company()
    yield name
    pgserver.drop(name)


def at(company: str, lease_seconds: float = 30.0) -> PostgresLedger:
    return pgserver.location(company, lease_seconds=lease_seconds, request_timeout=1.0)


def wait_until(predicate, what: str) -> None:
    """Poll until ``predicate()``; a lease expires on the database clock, which a test waits
    out (the test fails, instead of hanging, only if it never happens in minutes)."""
    deadline = time.monotonic() + 300
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_the_run_lock_of_a_postgresql_ledger_is_its_lease(company: str) -> None:
    lock = RunLock(at(company))
    assert isinstance(lock, Lease) and isinstance(lock, object)
    assert not lock.held
    with lock:
        assert lock.held and lock.token == 1
    assert not lock.held


def test_a_second_holder_is_told_who_runs_the_company_without_waiting(company: str) -> None:
    first, second = RunLock(at(company)), RunLock(at(company))
    first.acquire()
    try:
        started = time.monotonic()
        assert second.try_acquire() is False
        with pytest.raises(
            RunLockedError, match=rf"holds the ledger lock of company {company} .*\(host "
        ):
            second.acquire()
        assert time.monotonic() - started < 30  # neither call waited out the lease
        info = lease_info(at(company))
        assert info is not None and info.held and info.token == first.token
    finally:
        first.release()
    assert second.try_acquire() is True
    second.release()


def test_the_token_grows_with_every_acquisition(company: str) -> None:
    tokens = []
    for _ in range(3):
        with RunLock(at(company)) as lock:
            tokens.append(lock.token)
    assert tokens == [1, 2, 3]


def test_a_waiting_acquire_gets_the_lease_when_the_holder_lets_it_go(company: str) -> None:
    first = RunLock(at(company))
    first.acquire()
    told: list[str] = []
    threading.Timer(0.5, first.release).start()
    second = RunLock(at(company))
    second.acquire(wait=120, on_wait=told.append)
    assert second.held and second.token == 2
    assert len(told) == 1 and "host " in told[0]
    second.release()


def test_a_stop_request_ends_the_wait(company: str) -> None:
    first = RunLock(at(company))
    first.acquire()
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with pytest.raises(RunLockedError, match="stopped while waiting"):
        RunLock(at(company)).acquire(wait=600, cancel=stop)
    first.release()


def test_a_lease_renews_itself_while_held(company: str) -> None:
    lock = RunLock(at(company, lease_seconds=2))
    lock.acquire()
    try:
        first = lease_info(at(company))
        assert first is not None
        wait_until(
            lambda: lease_info(at(company)).expires_at > first.expires_at,  # type: ignore[union-attr]
            "a renewal",
        )
        time.sleep(2.5)  # longer than the lease: only renewals keep it
        assert lease_info(at(company)).held  # type: ignore[union-attr]
        assert RunLock(at(company)).try_acquire() is False
    finally:
        lock.release()


HOLD_AND_DIE = """
import os, signal, sys
from connector.core.config import PostgresLedger
from connector.ledger import RunLock
lock = RunLock(PostgresLedger(url=sys.argv[1], company=sys.argv[2], lease_seconds=2))
lock.acquire()
print(lock.token, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_the_lease_of_a_killed_holder_expires_by_itself_and_another_takes_over(
    company: str,
) -> None:
    location = at(company, lease_seconds=2)
    killed = subprocess.run(  # on another host: nobody here can tell whether it is alive
        [sys.executable, "-c", HOLD_AND_DIE, location.url, company],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "CONNECTOR_HOST_ID": "the-other-host"},
    )
    assert killed.returncode == -9, killed.stderr
    assert killed.stdout.strip().splitlines()[-1] == "1"
    taker = RunLock(location)
    assert taker.try_acquire() is False  # the dead host's lease has not run out yet
    wait_until(taker.try_acquire, "the dead holder's lease to expire")
    assert taker.token == 2
    # a takeover from a holder that never let go: its writes may still be in flight
    assert taker.in_doubt_until is not None
    with Ledger(location) as ledger:
        assert ledger.writes_possibly_in_flight()
    taker.release()


def test_the_lease_of_a_dead_process_on_this_host_is_taken_at_once(company: str) -> None:
    location = at(company, lease_seconds=600)
    killed = subprocess.run(
        [sys.executable, "-c", HOLD_AND_DIE, location.url, company],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert killed.returncode == -9, killed.stderr
    assert lease_info(location).held  # type: ignore[union-attr]  # not expired for 10 min
    taker = RunLock(location)
    assert taker.try_acquire() and taker.token == 2
    # like the file lock of a dead process: it sends nothing more, so no wait for its writes
    with Ledger(location) as ledger:
        assert not ledger.writes_possibly_in_flight()
    taker.release()


def test_a_holder_that_lost_its_lease_can_never_commit(company: str) -> None:
    stale_at = at(company, lease_seconds=2)
    stale = RunLock(stale_at)
    stale.acquire()
    with Ledger(stale_at) as ledger:
        ledger.mark_sending("cust:S-1", ObjectKind.CUSTOMER, pending_hash="c1", action="create")
        expire(company)
        assert RunLock(at(company)).try_acquire()  # another host takes over
        with pytest.raises(LeaseLostError, match="no longer holds"):
            ledger.mark_sent("cust:S-1", "NV-1")  # the outcome: refused
        with pytest.raises(LeaseLostError):
            ledger.mark_sending("cust:S-2", ObjectKind.CUSTOMER, pending_hash="c", action="create")
        assert stale.lost.is_set()
        row = ledger.get("cust:S-1")
        assert row is not None and row.state is LedgerState.SENDING
        assert ledger.get("cust:S-2") is None
    holders = lease_holders(at(company))
    assert holders[company].held and holders[company].token == 2


FREEZE_INSIDE_A_WRITE = """
import signal, sys
from connector.core.config import PostgresLedger
from connector.ledger import Ledger, ObjectKind, RunLock
from connector.ledger.postgres import LeaseLostError
at = PostgresLedger(url=sys.argv[1], company=sys.argv[2], lease_seconds=3)
lock = RunLock(at)
lock.acquire()
with Ledger(at) as ledger:
    try:
        with ledger.db.atomic():
            ledger.mark_sending("cust:S-1", ObjectKind.CUSTOMER, pending_hash="c1", action="create")
            print("inside", flush=True)
            sys.stdin.readline()  # frozen here (SIGSTOP), then told to go on
            ledger.mark_sent("cust:S-1", "NV-1")
        print("committed", flush=True)
    except LeaseLostError as exc:
        print(f"refused: {exc.message}", flush=True)
"""


def test_a_holder_frozen_inside_a_write_transaction_never_blocks_the_takeover(
    company: str,
) -> None:
    """A host frozen in the middle of a write transaction (a paused VM) holds the company's
    advisory lock and its lease row: the server ends its session after the idle limit, the
    lease expires, another host takes over; the frozen one, woken, commits nothing."""
    location = at(company, lease_seconds=3)
    frozen = subprocess.Popen(
        [sys.executable, "-c", FREEZE_INSIDE_A_WRITE, location.url, company],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "CONNECTOR_HOST_ID": "the-other-host"},
    )
    try:
        assert frozen.stdout is not None
        while (line := frozen.stdout.readline()) and line.strip() != "inside":
            pass  # the log lines before it
        assert line.strip() == "inside", frozen.communicate(timeout=60)
        frozen.send_signal(signal.SIGSTOP)  # its lease renewer is frozen too
        taker = RunLock(location)
        # waits for the lease to expire and for the server to end the frozen session (its row
        # lock and advisory lock go with it); without the idle limit this waited forever
        wait_until(taker.try_acquire, "the frozen holder's lease and session to end")
        assert taker.token == 2
        with Ledger(location) as ledger:  # and the company can be written at once
            ledger.mark_sending("cust:S-2", ObjectKind.CUSTOMER, pending_hash="c", action="create")
            assert ledger.get("cust:S-1") is None  # the frozen transaction committed nothing
        frozen.send_signal(signal.SIGCONT)
        out, err = frozen.communicate("go\n", timeout=120)
    finally:
        frozen.kill()
    assert frozen.returncode == 0, err
    assert "refused: this host no longer holds" in out, out + err
    assert "committed" not in out
    with Ledger(location) as ledger:
        assert ledger.get("cust:S-1") is None
    taker.release()


def expire(company: str) -> None:
    """The holder stalled past its lease (a paused VM, a long GC): its expiry is in the past."""
    import psycopg

    with psycopg.connect(pgserver.server_url(), autocommit=True) as conn:
        conn.execute(
            "UPDATE connector.leases SET expires_at = clock_timestamp() - interval '1 second'"
            " WHERE company = %s",
            [company],
        )


def test_a_lost_lease_stops_the_run_between_writes(company: str) -> None:
    stale = RunLock(at(company, lease_seconds=3))
    stop = threading.Event()
    stale.acquire(cancel=stop)
    ledger = Ledger(at(company))  # opened under the lease, as a run does
    expire(company)
    other = RunLock(at(company))
    assert other.try_acquire()  # another host takes the company over
    wait_until(stop.is_set, "the next renewal to find the lease gone and stop the run")
    assert stale.lost.is_set()
    with ledger, pytest.raises(LeaseLostError):
        ledger.start_run("sync")
    other.release()
    stale.release()  # lets go of nothing it does not hold
    assert lease_info(at(company)).token == 2  # type: ignore[union-attr]


def test_companies_share_a_server_and_never_see_each_others_rows(company: str) -> None:
    other = pgserver.new_company()
    try:
        with Ledger(at(company)) as mine, Ledger(at(other)) as theirs:
            mine.mark_sending("cust:S-1", ObjectKind.CUSTOMER, pending_hash="a", action="create")
            mine.bind(
                {"netvisor_host": "h", "netvisor_customer_id": "A", "netvisor_organisation_id": "1"}
            )
            theirs.start_run("sync")
            assert theirs.objects() == [] and theirs.binding() is None
            assert [o.key for o in mine.objects()] == ["cust:S-1"] and mine.runs() == []
        both = RunLock(at(company)), RunLock(at(other))
        assert all(lock.try_acquire() for lock in both)  # one lease per company
        holders = lease_holders(at(company))
        assert {company, other} <= set(holders) and holders[other].held
        assert {company, other} <= set(companies(at(company)))
        for lock in both:
            lock.release()
        assert not lease_holders(at(company))[company].held
    finally:
        pgserver.drop(other)


def test_a_company_schema_newer_than_the_code_is_refused(company: str) -> None:
    import psycopg

    Ledger(at(company)).close()
    with psycopg.connect(pgserver.server_url(), autocommit=True) as conn:
        conn.execute(
            "UPDATE connector.companies SET schema_version = 999 WHERE company = %s", [company]
        )
    with pytest.raises(RuntimeError, match="newer than this connector"):
        Ledger(at(company))


def test_an_unreachable_server_is_one_clear_error_without_the_password(tmp_path: Path) -> None:
    from connector.core.secrets import Secret
    from connector.ledger.postgres import LedgerUnavailableError

    pgserver.require()
    nowhere = PostgresLedger(
        url="postgresql://connector@127.0.0.1:9/ledger?connect_timeout=2",
        company="acme",
        password=Secret("not-this-one-9"),
    )
    with pytest.raises(LedgerUnavailableError) as info:
        Ledger(nowhere)
    assert "127.0.0.1:9" in str(info.value) and "not-this-one-9" not in str(info.value)
    with pytest.raises(LedgerUnavailableError):
        RunLock(nowhere).try_acquire()


def test_fleet_status_names_the_host_that_holds_a_company(company: str) -> None:
    """Issue 22: on a shared PostgreSQL ledger `fleet status` shows which host holds which
    company (none once released; SQLite ledgers have no such column)."""
    from connector.service.fleet_status import lease_holder

    location = at(company)
    lock = RunLock(location)
    assert lock.try_acquire()
    try:
        holder = lease_holder(location)
        assert holder is not None and f"(pid {os.getpid()})" in holder
    finally:
        lock.release()
    assert lease_holder(location) is None
    assert lease_holder(Path("ledger.sqlite")) is None
