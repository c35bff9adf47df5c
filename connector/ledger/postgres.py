"""The ledger on PostgreSQL: one server shared by companies and hosts (psycopg 3, a pool).

Layout in the database:

- ``connector.companies``  one row per company: its key and its schema version
- ``connector.leases``     one row per company: who runs it now (host, pid), until when (the
                           database clock), and the fencing token that grows with every
                           acquisition (``lease.py``)
- ``ledger_<company>``     a schema per company holding the same tables as a SQLite ledger

A connection reads and writes only its company's schema (``search_path`` is set when the
ledger takes the connection from the pool), so the SQL of the ledger's mixins is the same on
both engines and one company's rows are never in reach of another's commands.

Imported only when a PostgreSQL ledger is opened: SQLite users and ``connector check`` never
load psycopg.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from connector.core.errors import FatalRunError
from connector.core.reasons import reason
from connector.ledger import schema

if TYPE_CHECKING:
    from connector.core.config import PostgresLedger

Params = Sequence[Any] | Mapping[str, Any]

#: the schema shared by every company
SHARED = "connector"
_BOOTSTRAP = f"""
CREATE SCHEMA IF NOT EXISTS {SHARED};
CREATE TABLE IF NOT EXISTS {SHARED}.companies (
    company TEXT PRIMARY KEY,
    schema_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS {SHARED}.leases (
    company TEXT PRIMARY KEY,
    token BIGINT NOT NULL,
    holder TEXT,
    host TEXT, pid INTEGER,
    acquired_at TIMESTAMPTZ, renewed_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL,
    in_doubt_until TIMESTAMPTZ
)
"""
#: an advisory lock key (``pg_advisory_xact_lock``) serialising schema changes on the server
_MIGRATION_LOCK = 0x636F6E6E  # "conn"


_SESSION_ENDED = (psycopg.errors.IdleInTransactionSessionTimeout, psycopg.errors.AdminShutdown)


class LeaseLostError(FatalRunError):
    """This host no longer holds the company's lease: its ledger writes are refused."""

    error_type = "LEASE_LOST"


class LedgerUnavailableError(FatalRunError):
    """The PostgreSQL server of the ledger cannot be reached (or refused the login)."""

    error_type = "LEDGER_UNAVAILABLE"


@contextmanager
def reachable(location: PostgresLedger) -> Iterator[None]:
    """Connection failures as one clear error naming the server (never the password)."""
    try:
        yield
    except psycopg.OperationalError as exc:
        if isinstance(exc, psycopg.errors.SerializationFailure | psycopg.errors.DeadlockDetected):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LedgerUnavailableError(
            reason("ledger_server_unusable", url=location.url, error=first)
        ) from None


def company_schema(company: str) -> str:
    return f"ledger_{company}"


# -- the pool ------------------------------------------------------------------------------------

_pools: dict[tuple[str, str], ConnectionPool] = {}
_pools_lock = threading.Lock()


def pool(location: PostgresLedger) -> ConnectionPool:
    """The process's pool for the server of ``location`` (opened on first use).

    Connections are in autocommit: every transaction is explicit (:meth:`Database.atomic`).
    """
    password = location.password.reveal() if location.password else ""
    key = (location.url, password)
    with _pools_lock:
        found = _pools.get(key)
        if found is None:
            kwargs: dict[str, Any] = {"autocommit": True, "application_name": "connector"}
            if password:
                kwargs["password"] = password
            found = ConnectionPool(
                location.url,
                kwargs=kwargs,
                min_size=1,
                max_size=8,
                open=True,
                name="connector-ledger",
                timeout=15.0,  # seconds to wait for a connection: then LEDGER_UNAVAILABLE
            )
            _pools[key] = found
        return found


def close_pools() -> None:
    """Close every pool of this process (tests; a fleet at shutdown)."""
    with _pools_lock:
        for found in _pools.values():
            found.close()
        _pools.clear()


# -- SQL in the ledger's dialect -> psycopg's --------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


@lru_cache(maxsize=512)
def translate(text: str) -> str:
    """The ledger's SQL (``?`` and ``:name`` placeholders, as sqlite3 takes them) with
    psycopg's placeholders (``%s``, ``%(name)s``); literal ``%`` doubled; quoted strings kept."""

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith("'"):
            return token
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return f"%({match.group(1)})s"

    return _TOKENS.sub(one, text)


# -- the connection ------------------------------------------------------------------------------


class Database:
    """One pooled connection, scoped to one company's schema; the same methods as the SQLite
    :class:`connector.ledger.sqlite.Database`."""

    engine = "postgresql"

    def __init__(
        self, location: PostgresLedger, lease: Any, fence: Callable[[Any, Any, Any], None]
    ) -> None:
        """``lease``: the lease this process holds on the company as the ledger opens (the run
        lock is taken first); ``fence(conn, location, lease)``: the check every write
        transaction makes of it for as long as the ledger is open (``lease.py``)."""
        self.location = location
        self.company = location.company
        self.lease, self._fence = lease, fence
        self._pool = pool(location)
        with reachable(location):
            self.conn: psycopg.Connection[Any] = self._pool.getconn()
        try:
            with reachable(location):
                ensure_schema(self.conn, location.company)
            self.conn.execute(
                sql.SQL("SET search_path TO {}").format(
                    sql.Identifier(company_schema(location.company))
                )
            )
        except BaseException:
            self._pool.putconn(self.conn)
            raise

    def execute(self, text: str, params: Params = ()) -> psycopg.Cursor[Any]:
        cursor = self.conn.cursor()
        cursor.execute(translate(text), params)  # type: ignore[arg-type]
        return cursor

    def executemany(self, text: str, rows: Any) -> psycopg.Cursor[Any]:
        cursor = self.conn.cursor()
        rows = list(rows)
        if rows:
            cursor.executemany(translate(text), rows)
        return cursor

    def query(self, text: str, params: Params = ()) -> Iterator[dict[str, Any]]:
        cursor = self.conn.cursor(row_factory=dict_row)
        cursor.execute(translate(text), params)  # type: ignore[arg-type]
        return iter(cursor.fetchall())

    def table_names(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [company_schema(self.company)],
            )
        ]

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """One transaction (a savepoint when nested). The outermost one of a process holding
        the company's lease when the ledger was opened first checks the lease
        (``lease.fence``): a host that lost it never commits."""
        try:
            if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                with self.conn.transaction():
                    yield self
                return
            with self.conn.transaction():
                self._fence(self.conn, self.location, self.lease)
                yield self
        except psycopg.Error as exc:
            # the server ended the session (restarted; or the idle limit: then the error comes
            # as the answer to our next command, IdleInTransactionSessionTimeout, SQLSTATE 25P03)
            if not (self.conn.broken or isinstance(exc, _SESSION_ENDED)):
                raise
            raise self._connection_lost(exc) from None

    def _connection_lost(self, exc: psycopg.Error) -> Exception:
        """The error for a transaction whose connection ended under it (the server restarted,
        or ended a session left idle in its transaction: ``lease.idle_limit_ms``). A host that
        also lost the company's lease meanwhile — it was frozen, and another host took over —
        gets :class:`LeaseLostError`, checked on a fresh connection; otherwise the server is
        unavailable. The transaction's commit was not confirmed: an intent not confirmed is
        never followed by its write (the run ends here), and the next run reconciles it."""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if self.lease is not None:
            try:
                with (
                    reachable(self.location),
                    self._pool.connection() as conn,
                    conn.transaction(),
                ):
                    self._fence(conn, self.location, self.lease)  # LeaseLostError if lost
            except (LeaseLostError, LedgerUnavailableError) as lost:
                return lost
        return LedgerUnavailableError(
            reason("ledger_server_ended", url=self.location.url, error=first)
        )

    def now(self) -> datetime:
        """The database's clock."""
        return self.conn.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]

    def close(self) -> None:
        conn, self.conn = self.conn, None  # type: ignore[assignment]
        if conn is not None:
            self._pool.putconn(conn)


# -- schema -------------------------------------------------------------------------------------


def ensure_schema(conn: psycopg.Connection[Any], company: str) -> None:
    """Create the shared tables and the company's schema if missing; migrate it forward.

    Each step runs in its own transaction under a server-wide advisory lock, so two hosts
    opening a new company at once apply every step once. A company whose schema is newer than
    this code is refused.
    """
    version = _version(conn, company)
    if version == schema.SCHEMA_VERSION:
        return
    if version is not None and version > schema.SCHEMA_VERSION:
        raise schema.too_new(company, version)
    name = sql.Identifier(company_schema(company))
    for step in sorted(schema._MIGRATIONS):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            if step == min(schema._MIGRATIONS):
                conn.execute(_BOOTSTRAP)
                conn.execute(
                    f"INSERT INTO {SHARED}.companies (company) VALUES (%s)"
                    " ON CONFLICT (company) DO NOTHING",
                    [company],
                )
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
            current = _version(conn, company) or 0
            if current >= step:
                continue
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(name))
            for statement in schema.statements(step, "postgresql"):
                conn.execute(statement.encode())  # bytes: no placeholder processing
            conn.execute(
                f"UPDATE {SHARED}.companies SET schema_version = %s WHERE company = %s",
                [step, company],
            )
    found = _version(conn, company) or 0
    if found > schema.SCHEMA_VERSION:
        raise schema.too_new(company, found)


def _version(conn: psycopg.Connection[Any], company: str) -> int | None:
    """The company's schema version; None when the server has no ledger for it yet."""
    try:
        with conn.transaction():
            row = conn.execute(
                f"SELECT schema_version FROM {SHARED}.companies WHERE company = %s", [company]
            ).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return int(row[0]) if row else None


def company_exists(location: PostgresLedger) -> bool:
    """Whether the server has a ledger for the company (without creating one)."""
    with reachable(location), pool(location).connection() as conn:
        return bool(_version(conn, location.company))


def companies(location: PostgresLedger) -> list[str]:
    """Every company with a ledger on the server of ``location``."""
    with pool(location).connection() as conn:
        try:
            with conn.transaction():
                rows = conn.execute(f"SELECT company FROM {SHARED}.companies ORDER BY 1")
                return [r[0] for r in rows]
        except psycopg.errors.UndefinedTable:
            return []
