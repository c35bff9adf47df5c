"""A company's lease on a PostgreSQL ledger: at most one host runs a company at a time.

The run lock of a SQLite ledger is an OS file lock; hosts sharing a PostgreSQL ledger cannot
share a file lock, so the lock is a row in ``connector.leases``:

- **Acquiring** is one statement: it takes the row when nobody holds it or the holder's lease
  has expired by the *database* clock, and raises the fencing ``token`` by one. Otherwise it
  names the holder (host, pid) and how long its lease still runs — without waiting, so a fleet
  daemon can skip a company another host runs (:meth:`Lease.try_acquire`).
- **Renewing**: while held, a thread extends the expiry every third of the lease time. A host
  that dies stops renewing and its lease expires by itself: nobody has to clear a "running"
  state. A renewal that finds the lease gone (it expired while the host was stalled, and
  another host took it) stops the run between writes.
- **Fencing**: every ledger write transaction of a process that holds (or held) the lease
  first reads the lease row ``FOR SHARE`` and checks its token, holder and expiry
  (:func:`fence`). A host that lost its lease can never commit an intent or an outcome; and
  while the check's transaction runs, nobody can take the lease (the share lock blocks the
  taker until the commit).
- **Writes in doubt after a takeover**: when a host takes a lease its holder did not release
  (the holder died or stalled), a request of the old holder may still be in flight in
  Netvisor. Until the request timeout plus the lease time has passed (``in_doubt_until``),
  reconcile does not conclude from "not found" that such a write did not happen
  (:meth:`connector.ledger.Ledger.writes_possibly_in_flight`).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

from connector.core.errors import RunLockedError
from connector.core.logging import get_logger
from connector.core.reasons import reason
from connector.ledger.holding import HeldInWith, wait_turn
from connector.ledger.postgres import SHARED, LeaseLostError, ensure_schema, pool, reachable

if TYPE_CHECKING:
    from connector.core.config import PostgresLedger

log = get_logger("ledger.lease")

#: how often a waiting acquire asks again (seconds)
POLL_SECONDS = 0.25

# The times are read again in DO UPDATE: the VALUES row is made before the statement waits for
# the lease row (a holder's write transaction has it FOR SHARE), and a lease dated from before
# that wait could be born expired.
_ACQUIRE = f"""
INSERT INTO {SHARED}.leases AS l
    (company, token, holder, host, pid, acquired_at, renewed_at, expires_at)
VALUES (%(company)s, 1, %(holder)s, %(host)s, %(pid)s, clock_timestamp(), clock_timestamp(),
        clock_timestamp() + %(ttl)s * interval '1 second')
ON CONFLICT (company) DO UPDATE SET
    token = l.token + 1, holder = excluded.holder, host = excluded.host, pid = excluded.pid,
    acquired_at = clock_timestamp(), renewed_at = clock_timestamp(),
    expires_at = clock_timestamp() + %(ttl)s * interval '1 second',
    in_doubt_until = CASE WHEN l.holder IS NULL THEN l.in_doubt_until
        ELSE GREATEST(l.in_doubt_until, clock_timestamp() + %(doubt)s * interval '1 second') END
WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp()
RETURNING token, in_doubt_until
"""
#: a holder on this very host whose process has ended: its lease is taken at once, as the
#: kernel lets go of a dead process's file lock (it can send nothing more)
_TAKE_FROM_DEAD = f"""
UPDATE {SHARED}.leases SET token = token + 1, holder = %(holder)s, host = %(host)s,
    pid = %(pid)s, acquired_at = clock_timestamp(), renewed_at = clock_timestamp(),
    expires_at = clock_timestamp() + %(ttl)s * interval '1 second'
WHERE company = %(company)s AND holder = %(dead)s
RETURNING token, in_doubt_until
"""
_HOLDER = f"SELECT holder, pid FROM {SHARED}.leases WHERE company = %s AND holder IS NOT NULL"
_RENEW = f"""
UPDATE {SHARED}.leases SET renewed_at = clock_timestamp(),
    expires_at = clock_timestamp() + %(ttl)s * interval '1 second'
WHERE company = %(company)s AND token = %(token)s AND holder = %(holder)s
    AND expires_at > clock_timestamp()
"""
_RELEASE = f"""
UPDATE {SHARED}.leases SET holder = NULL, expires_at = clock_timestamp()
WHERE company = %(company)s AND token = %(token)s AND holder = %(holder)s
"""
# set_config(..., true) is SET LOCAL: for this transaction only (see idle_limit_ms)
_FENCE = f"""
SELECT pg_advisory_xact_lock(hashtext('connector:' || company)),
       token = %(token)s AND holder = %(holder)s AND expires_at > clock_timestamp(),
       set_config('idle_in_transaction_session_timeout', %(idle)s, true)
FROM {SHARED}.leases WHERE company = %(company)s FOR SHARE
"""
_SERIALISE = """
SELECT pg_advisory_xact_lock(hashtext('connector:' || %(company)s)),
       set_config('idle_in_transaction_session_timeout', %(idle)s, true)
"""


@dataclass(frozen=True)
class LeaseInfo:
    """Who holds (or last held) a company, as ``fleet status`` shows it."""

    company: str
    held: bool  # held now (not released and not expired)
    host: str | None
    pid: int | None
    token: int
    acquired_at: datetime | None
    expires_at: datetime
    seconds_left: float  # of the lease, by the database clock (0 when not held)


#: the leases this process holds (or held and lost), by (server URL, company): the ledger's
#: write transactions of that company check them (:func:`fence`)
_held: dict[tuple[str, str], Lease] = {}
_held_lock = threading.Lock()


def idle_limit_ms(location: PostgresLedger) -> int:
    """How long the server lets a write transaction of ``location`` sit idle before it ends the
    session (``idle_in_transaction_session_timeout``, set for that transaction only).

    A write transaction holds the company's advisory lock and its lease row ``FOR SHARE``; its
    statements follow each other within milliseconds. A host frozen inside one (a paused VM, a
    SIGSTOP, a partition) would otherwise hold both for as long as it stays frozen, and no other
    host could take the company over or write, lease expired or not. The lease time, at least
    10 s: the frozen host's locks go about when its lease does, and a slow but live transaction
    (`ledger migrate` copies and checks a whole ledger in one) is never cut short."""
    return int(max(10.0, float(location.lease_seconds)) * 1000)


def fence(conn: psycopg.Connection[Any], location: PostgresLedger, lease: Lease | None) -> None:
    """Called first in every ledger write transaction on PostgreSQL.

    Writers of one company are serialised (a transaction-scoped advisory lock, like SQLite's
    ``BEGIN IMMEDIATE``), and the transaction may not sit idle longer than
    :func:`idle_limit_ms`. When the ledger was opened under the company's ``lease`` (the run
    lock is taken before the ledger is opened), the lease row is read ``FOR SHARE`` and must
    still carry that lease's token, unexpired by the database clock; otherwise
    :class:`LeaseLostError` — also after the lease was released.
    """
    idle = str(idle_limit_ms(location))
    if lease is None:
        conn.execute(_SERIALISE, {"company": location.company, "idle": idle})
        return
    row = conn.execute(
        _FENCE,
        {
            "company": location.company,
            "token": lease.fenced_token,
            "holder": lease.holder,
            "idle": idle,
        },
    ).fetchone()
    if row is None or not row[1]:
        lease.lost.set()
        raise LeaseLostError(
            reason("lease_lost", company=location.company, token=lease.fenced_token)
        )


def host_id() -> str:
    """The name this host goes by in leases: ``$CONNECTOR_HOST_ID`` (set it where hosts share
    a host name, e.g. containers), else the host name."""
    return os.environ.get("CONNECTOR_HOST_ID") or socket.gethostname()


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()[:8]
    except OSError:
        return "-"


def _local_and_dead(holder: str, pid: int | None) -> bool:
    """Whether ``holder`` was a process of this host (same host id and boot) that has ended."""
    if pid is None or not holder.startswith(f"{host_id()}|{_boot_id()}|{pid}|"):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class Lease(HeldInWith):
    """The run lock of a PostgreSQL ledger (the interface of :class:`RunLock`)."""

    def __init__(self, location: PostgresLedger) -> None:
        self.location = location
        self.path = location  # what a RunLock names in messages
        self.token: int | None = None
        self.fenced_token = 0  # the last token taken (kept after release: writes refused)
        self.host = host_id()
        self.holder = f"{self.host}|{_boot_id()}|{os.getpid()}|{uuid.uuid4().hex[:12]}"
        self.in_doubt_until: datetime | None = None
        self.lost = threading.Event()
        self._cancel: threading.Event | None = None
        self._stop_renewing = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self.token is not None

    @property
    def ttl(self) -> float:
        return float(self.location.lease_seconds)

    # -- acquiring ----------------------------------------------------------------------------

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (or the holder's lease expired); never waits.
        False: another host (or process) holds it — :meth:`holder_text` says which."""
        if self.token is not None:
            raise RuntimeError(f"{self.location} is already held by this lease")
        params = {
            "company": self.location.company,
            "holder": self.holder,
            "host": self.host,
            "pid": os.getpid(),
            "ttl": self.ttl,
            "doubt": self.location.request_timeout + self.ttl,
        }
        with reachable(self.location), pool(self.location).connection() as conn:
            ensure_schema(conn, self.location.company)
            with conn.transaction():
                found = conn.execute(_HOLDER, [self.location.company]).fetchone()
                row = None
                if found is not None and _local_and_dead(found[0], found[1]):
                    row = conn.execute(_TAKE_FROM_DEAD, {**params, "dead": found[0]}).fetchone()
                if row is None:
                    row = conn.execute(_ACQUIRE, params).fetchone()
        if row is None:
            return False
        self.token, self.in_doubt_until = int(row[0]), row[1]
        self.fenced_token = self.token
        self.lost.clear()
        with _held_lock:
            _held[(self.location.url, self.location.company)] = self
        self._stop_renewing.clear()
        self._renewer = threading.Thread(
            target=self._renew_loop, name=f"lease-{self.location.company}", daemon=True
        )
        self._renewer.start()
        log.info("lease_acquired", company=self.location.company, token=self.token)
        return True

    def acquire(
        self,
        wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Take the lease, waiting up to ``wait`` seconds for its holder to let it go (or for it
        to expire); ``on_wait(holder)`` once when it has to wait; ``cancel`` ends the wait.
        Raises :class:`RunLockedError` naming the holder. A lost lease sets ``cancel`` (the
        run stops between writes)."""
        refused = wait_turn(
            self.try_acquire,
            self.holder_text,
            wait=wait,
            poll=POLL_SECONDS,
            on_wait=on_wait,
            cancel=cancel,
        )
        if refused is not None:
            holder, cancelled = refused
            notes = [holder] if holder else []
            if cancelled:
                notes.append(reason("lock_stopped"))
            elif wait > 0:
                notes.append(reason("lock_waited", seconds=f"{wait:g}"))
            raise RunLockedError(
                reason(
                    "lease_locked",
                    company=self.location.company,
                    url=self.location.url,
                    notes="; ".join(notes) or reason("lock_holder_unknown"),
                )
            )
        self._cancel = cancel

    def holder_text(self) -> str:
        info = lease_info(self.location)
        if info is None or not info.held:
            return ""
        return f"host {info.host} (pid {info.pid}, lease for {info.seconds_left:.0f} s more)"

    # -- holding ------------------------------------------------------------------------------

    def _renew_loop(self) -> None:
        while not self._stop_renewing.wait(self.ttl / 3):
            try:
                with pool(self.location).connection() as conn:
                    renewed = conn.execute(
                        _RENEW,
                        {
                            "company": self.location.company,
                            "token": self.token,
                            "holder": self.holder,
                            "ttl": self.ttl,
                        },
                    ).rowcount
            except psycopg.Error as exc:  # the server is away: try again; fencing guards writes
                log.warning("lease_renewal_failed", error_type=type(exc).__name__)
                continue
            if renewed != 1:
                log.error(
                    "lease_lost",
                    company=self.location.company,
                    token=self.token,
                    reason="expired before it was renewed; another host may run the company",
                )
                self.lost.set()
                if self._cancel is not None:
                    self._cancel.set()  # stop between writes; fencing refuses any later commit
                return

    def release(self) -> None:
        if self.token is None:
            return
        self._stop_renewing.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join(timeout=10)
        try:
            with pool(self.location).connection() as conn:
                conn.execute(
                    _RELEASE,
                    {
                        "company": self.location.company,
                        "token": self.token,
                        "holder": self.holder,
                    },
                )
        finally:
            with _held_lock:
                if _held.get((self.location.url, self.location.company)) is self:
                    del _held[(self.location.url, self.location.company)]
            self.token = None
            self._cancel = None


def held_lease(location: PostgresLedger) -> Lease | None:
    """The lease this process holds on the company of ``location`` (None: none)."""
    with _held_lock:
        return _held.get((location.url, location.company))


def lease_info(location: PostgresLedger) -> LeaseInfo | None:
    """The company's lease row (None: no host ever ran it)."""
    found = lease_holders(location, [location.company])
    return found.get(location.company)


def lease_holders(
    location: PostgresLedger, companies: list[str] | None = None
) -> dict[str, LeaseInfo]:
    """Company -> who holds (or last held) it, for every company on the server of
    ``location`` (or only ``companies``): for ``fleet status``."""
    sql = (
        f"SELECT company, holder IS NOT NULL AND expires_at > clock_timestamp(), host, pid,"
        f" token, acquired_at, expires_at,"
        f" GREATEST(0, EXTRACT(EPOCH FROM expires_at - clock_timestamp()))::float8"
        f" FROM {SHARED}.leases"
    )
    params: list[Any] = []
    if companies is not None:
        sql += " WHERE company = ANY(%s)"
        params.append(list(companies))
    with pool(location).connection() as conn:
        try:
            with conn.transaction():
                rows = conn.execute(sql + " ORDER BY company", params).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return {
        r[0]: LeaseInfo(
            company=r[0],
            held=bool(r[1]),
            host=r[2],
            pid=r[3],
            token=int(r[4]),
            acquired_at=r[5],
            expires_at=r[6],
            seconds_left=float(r[7]) if r[1] else 0.0,
        )
        for r in rows
    }
