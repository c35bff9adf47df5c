"""The ledger's connection: one SQLite file (WAL, a busy timeout, short transactions), or one
company's schema on a PostgreSQL server (``postgres.py``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from connector.core.logging import redact_text
from connector.ledger import schema
from connector.ledger.sqlite import Database

if TYPE_CHECKING:
    from connector.core.config import PostgresLedger


def _clean(text: str) -> str:
    """Free text bound for the ledger: secrets and identity codes masked, length capped."""
    return redact_text(text or "")[:500]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LedgerBase:
    """Opening, migrating and closing the file; the transaction every write runs in.

    ``path`` is a SQLite file, or a :class:`PostgresLedger` (a server URL and a company key).
    """

    db: Any  # connector.ledger.sqlite.Database or connector.ledger.postgres.Database

    def __init__(self, path: str | Path | PostgresLedger, *, busy_timeout_ms: int = 30_000) -> None:
        if not isinstance(path, str | Path):
            from connector.ledger import postgres  # psycopg is loaded only for PostgreSQL

            self.path: Any = path
            self.engine = "postgresql"
            from connector.ledger import lease

            self.db = postgres.Database(path, lease.held_lease(path), lease.fence)
            return
        self.engine = "sqlite"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.path, timeout=busy_timeout_ms / 1000)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut
        with suppress(OSError):
            os.chmod(self.path, 0o600)
        schema.migrate(self.db, self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        if self.engine == "postgresql":
            from connector.ledger import postgres

            return postgres._version(self.db.conn, self.db.company) or 0
        return schema.schema_version(self.db)

    def writes_possibly_in_flight(self) -> bool:
        """Whether a write another host left in doubt may still be in flight in Netvisor: on a
        PostgreSQL ledger, until the request timeout plus the lease time has passed since this
        host took the company over from a holder that did not let it go (``lease.py``). Never
        on SQLite: the run lock is released only when the process that held it has ended."""
        if self.engine != "postgresql":
            return False
        lease = self.db.lease  # the lease this ledger was opened under
        if lease is None or lease.in_doubt_until is None:
            return False
        return bool(self.db.now() < lease.in_doubt_until)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One short write transaction."""
        with self.db.atomic() as db:
            yield db

    @contextmanager
    def outcome_transaction(self) -> Iterator[Database]:
        """The transaction that records a write's outcome. Its commit does not wait for the
        disk: the intent before the request was durable, and an outcome that a power cut or an
        OS crash loses leaves the row in doubt, which reconcile resolves from Netvisor — while
        the next intent's durable commit flushes this one anyway (both engines write their log
        in order). A process crash loses nothing: the commit is in the log either way.

        PostgreSQL: ``synchronous_commit = off`` for this transaction only. SQLite (WAL):
        ``synchronous = NORMAL`` around it, ``FULL`` again after — one fsync per write instead
        of two, on the thread that works while the next request is in flight."""
        if self.engine == "postgresql":
            with self.db.atomic() as db:
                db.execute("SET LOCAL synchronous_commit = off")
                yield db
            return
        if self.db.conn.in_transaction:  # nested: the outer transaction decides
            with self.db.atomic() as db:
                yield db
            return
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self.db.atomic() as db:
                yield db
        finally:
            self.db.execute("PRAGMA synchronous=FULL")
