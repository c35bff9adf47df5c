"""The sync ledger: a SQLite file that makes every run safe to repeat and every crash safe to resume.

What it holds (ids, keys, hashes, amounts, states, error types — never names, identity codes or
addresses):

- ``runs``          one row per run with its counts and outcome
- ``objects``       every Netvisor object the connector owns, with its state machine
                    (planned -> sending -> sent -> confirmed; rejected; unknown)
- ``billed_lines``  which task line went into which document with which amounts; the version
                    being sent is kept as ``pending`` and becomes ``current`` only when Netvisor
                    has it, in the same transaction as the state change
- ``quarantine``    records a rule stopped: rule, reason, first/last seen, resolved
- ``watermarks``    incremental-read positions
- ``requests``      request audit: transaction id, resource, outcome (no bodies)

Connections use WAL and a busy timeout; every write is one short transaction; no transaction is
ever held open across an HTTP call. The schema is versioned and migrated forward on open.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlite_utils

from connector.domain import Quarantined
from connector.errors import RunLockedError
from connector.logging import redact_text

SCHEMA_VERSION = 4


class LedgerState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class ObjectKind(StrEnum):
    CUSTOMER = "customer"
    PRODUCT = "product"
    INVOICE = "invoice"
    MATCH = "match"


#: states in which Netvisor holds the object as the ledger describes it
SETTLED = frozenset({LedgerState.SENT, LedgerState.CONFIRMED})
#: states reconcile must resolve before anything new is sent
IN_DOUBT = frozenset({LedgerState.SENDING, LedgerState.UNKNOWN})


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _opt_dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _clean(text: str) -> str:
    """Free text bound for the ledger: secrets and identity codes masked, length capped."""
    return redact_text(text or "")[:500]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class OwnedObject:
    """A ledger row: one Netvisor object the connector owns."""

    key: str
    kind: ObjectKind
    state: LedgerState
    netvisor_key: str | None
    content_hash: str | None  # what Netvisor holds (as far as we know)
    pending_hash: str | None  # what is being (or will be) sent
    pending_action: str | None  # "create" | "edit" | "status" | "match"
    attempts: int
    last_error_type: str | None
    last_error: str | None
    period: str | None
    customer_code: str | None
    total: Decimal | None
    netvisor_status: str | None
    created_at: str
    updated_at: str
    # what a look-up must see for the pending version to count as applied (e.g. an invoice's
    # gross total and line count), for versions whose answer was lost
    pending_check: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OwnedObject:
        return cls(
            key=row["key"],
            kind=ObjectKind(row["kind"]),
            state=LedgerState(row["state"]),
            netvisor_key=row["netvisor_key"],
            content_hash=row["content_hash"],
            pending_hash=row["pending_hash"],
            pending_action=row["pending_action"],
            attempts=row["attempts"],
            last_error_type=row["last_error_type"],
            last_error=row["last_error"],
            period=row["period"],
            customer_code=row["customer_code"],
            total=Decimal(row["total"]) if row["total"] is not None else None,
            netvisor_status=row["netvisor_status"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            pending_check=row.get("pending_check"),
        )


@dataclass(frozen=True)
class LedgerLine:
    """A billed line as stored: amounts as Decimal, period as ``YYYY-MM``."""

    document_key: str
    line_id: str
    role: str
    period: str
    voucher_id: str | None
    quantity: Decimal
    amount: Decimal
    # the Netvisor product and VAT the line was billed on, so a later correction can reverse
    # it on the same product even after the task is gone
    product_code: str | None = None
    unit_price: Decimal | None = None
    vat_percent: Decimal | None = None
    vat_code: str | None = None


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    kind: str
    record_id: str
    rule: str
    reason: str
    related: str
    first_seen: str
    last_seen: str
    seen_count: int
    resolved_at: str | None


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        period TEXT, as_of TEXT, dry_run INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL, finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        extracted INTEGER NOT NULL DEFAULT 0, quarantined INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        unknown INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
        error_type TEXT, message TEXT
    );
    CREATE TABLE IF NOT EXISTS objects (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        netvisor_key TEXT,
        content_hash TEXT, pending_hash TEXT, pending_action TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error_type TEXT, last_error TEXT,
        period TEXT, customer_code TEXT, total TEXT, netvisor_status TEXT,
        run_id INTEGER,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS objects_state ON objects(state);
    CREATE INDEX IF NOT EXISTS objects_kind ON objects(kind);
    CREATE TABLE IF NOT EXISTS billed_lines (
        document_key TEXT NOT NULL,
        version TEXT NOT NULL CHECK (version IN ('pending', 'current')),
        seq INTEGER NOT NULL,
        line_id TEXT NOT NULL, role TEXT NOT NULL, period TEXT NOT NULL,
        voucher_id TEXT, quantity TEXT NOT NULL, amount TEXT NOT NULL,
        PRIMARY KEY (document_key, version, seq)
    );
    CREATE INDEX IF NOT EXISTS billed_lines_line ON billed_lines(line_id);
    CREATE TABLE IF NOT EXISTS quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL, record_id TEXT NOT NULL, rule TEXT NOT NULL,
        reason TEXT NOT NULL, related TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
        seen_count INTEGER NOT NULL DEFAULT 1,
        last_run_id INTEGER, resolved_at TEXT,
        UNIQUE (kind, record_id, rule)
    );
    CREATE TABLE IF NOT EXISTS watermarks (
        name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    """,
    2: """
    CREATE TABLE IF NOT EXISTS requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id INTEGER, at TEXT NOT NULL,
        transaction_id TEXT NOT NULL, method TEXT NOT NULL, resource TEXT NOT NULL,
        outcome TEXT NOT NULL, http_status INTEGER, duration_ms INTEGER
    );
    CREATE INDEX IF NOT EXISTS requests_run ON requests(run_id);
    """,
    3: """
    ALTER TABLE billed_lines ADD COLUMN product_code TEXT;
    ALTER TABLE billed_lines ADD COLUMN unit_price TEXT;
    ALTER TABLE billed_lines ADD COLUMN vat_percent TEXT;
    ALTER TABLE billed_lines ADD COLUMN vat_code TEXT;
    """,
    4: """
    ALTER TABLE objects ADD COLUMN pending_check TEXT;
    """,
}


class Ledger:
    """The sync ledger over one SQLite file (WAL, busy timeout, short transactions)."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=busy_timeout_ms / 1000)
        self.db = sqlite_utils.Database(conn)
        with self.db.ensure_autocommit_on():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            self.db.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut
        with suppress(OSError):
            os.chmod(self.path, 0o600)
        self._migrate()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.schema_version
        for version in sorted(_MIGRATIONS):
            if version <= current:
                continue
            with self.db.atomic():
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version={version}")
        if self.schema_version > SCHEMA_VERSION:
            raise RuntimeError(
                f"ledger {self.path} has schema {self.schema_version}, newer than this "
                f"connector understands ({SCHEMA_VERSION}); upgrade the connector"
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One short write transaction."""
        with self.db.atomic() as db:
            yield db

    # -- runs --------------------------------------------------------------------------------

    def start_run(
        self, command: str, *, period: str | None = None, as_of: str | None = None, dry_run=False
    ) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (command, period, as_of, dry_run, started_at) VALUES (?,?,?,?,?)",
                [command, period, as_of, int(dry_run), _now()],
            )
        return int(cur.lastrowid)

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int] | None = None,
        *,
        error_type: str | None = None,
        message: str | None = None,
    ) -> None:
        fields = {
            k: int(v)
            for k, v in (counts or {}).items()
            if k
            in {
                "extracted",
                "quarantined",
                "created",
                "updated",
                "skipped",
                "failed",
                "unknown",
                "rejected",
            }
        }
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction():
            self.db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, error_type = ?, message = ?"
                f"{', ' + sets if sets else ''} WHERE id = ?",
                [status, _now(), error_type, message, *fields.values(), run_id],
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))

    # -- owned objects -----------------------------------------------------------------------

    def get(self, key: str) -> OwnedObject | None:
        rows = list(self.db.query("SELECT * FROM objects WHERE key = ?", [key]))
        return OwnedObject.from_row(rows[0]) if rows else None

    def objects(
        self, *, kind: ObjectKind | None = None, states: Iterable[LedgerState] | None = None
    ) -> list[OwnedObject]:
        sql, params = "SELECT * FROM objects WHERE 1=1", []
        if kind is not None:
            sql += " AND kind = ?"
            params.append(str(kind))
        if states is not None:
            states = list(states)
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params.extend(str(s) for s in states)
        return [OwnedObject.from_row(r) for r in self.db.query(sql + " ORDER BY key", params)]

    def counts_by_state(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self.db.query(
            "SELECT kind, state, COUNT(*) n FROM objects GROUP BY kind, state"
        ):
            out.setdefault(row["kind"], {})[row["state"]] = row["n"]
        return out

    def _update(self, key: str, **fields: Any) -> None:
        fields["updated_at"] = _now()
        sets = ", ".join(f"{k} = ?" for k in fields)
        cur = self.db.execute(f"UPDATE objects SET {sets} WHERE key = ?", [*fields.values(), key])
        if cur.rowcount != 1:
            raise KeyError(f"no ledger object {key!r}")

    def mark_sending(
        self,
        key: str,
        kind: ObjectKind,
        *,
        pending_hash: str,
        action: str,
        lines: Sequence[LedgerLine] = (),
        period: str | None = None,
        customer_code: str | None = None,
        total: Decimal | None = None,
        run_id: int | None = None,
        check: str | None = None,
    ) -> None:
        """Commit the intent to write *before* the request leaves, with the lines it carries.

        One transaction: the row (created if new) goes to ``sending`` with the pending hash and
        action; the document's pending billed lines are replaced.
        """
        now = _now()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO objects (key, kind, state, pending_hash, pending_action, attempts,
                                     period, customer_code, total, run_id, created_at, updated_at,
                                     pending_check)
                VALUES (?,?,?,?,?,1,?,?,?,?,?,?,?)
                ON CONFLICT(key) DO UPDATE SET
                    state = excluded.state, pending_hash = excluded.pending_hash,
                    pending_action = excluded.pending_action, attempts = objects.attempts + 1,
                    pending_check = excluded.pending_check,
                    period = COALESCE(excluded.period, objects.period),
                    customer_code = COALESCE(excluded.customer_code, objects.customer_code),
                    total = COALESCE(excluded.total, objects.total),
                    run_id = excluded.run_id, updated_at = excluded.updated_at
                """,
                [
                    key,
                    str(kind),
                    LedgerState.SENDING,
                    pending_hash,
                    action,
                    period,
                    customer_code,
                    str(total) if total is not None else None,
                    run_id,
                    now,
                    now,
                    check,
                ],
            )
            self.db.execute(
                "DELETE FROM billed_lines WHERE document_key = ? AND version = 'pending'", [key]
            )
            self._insert_lines(key, "pending", lines)

    def _insert_lines(self, key: str, version: str, lines: Sequence[LedgerLine]) -> None:
        self.db.conn.executemany(
            "INSERT INTO billed_lines (document_key, version, seq, line_id, role, period,"
            " voucher_id, quantity, amount, product_code, unit_price, vat_percent, vat_code)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    key,
                    version,
                    i,
                    ln.line_id,
                    ln.role,
                    ln.period,
                    ln.voucher_id,
                    str(ln.quantity),
                    str(ln.amount),
                    ln.product_code,
                    _opt_str(ln.unit_price),
                    _opt_str(ln.vat_percent),
                    ln.vat_code,
                )
                for i, ln in enumerate(lines)
            ],
        )

    def _settle(self, key: str, state: LedgerState, netvisor_key: str | None) -> None:
        """The pending version (if any) becomes what Netvisor holds: hash and billed lines.

        Three statements, no row read: this runs once per write, on the hot path.
        """
        # An invoice's new version replaces its old lines even when it carries none (a
        # cancelled invoice); other objects only when the new version carries lines.
        self.db.execute(
            """
            DELETE FROM billed_lines WHERE document_key = :k AND version = 'current' AND EXISTS (
                SELECT 1 FROM objects WHERE key = :k AND pending_hash IS NOT NULL AND (
                    kind = 'invoice' OR EXISTS (
                        SELECT 1 FROM billed_lines WHERE document_key = :k AND version = 'pending')))
            """,
            {"k": key},
        )
        self.db.execute(
            "UPDATE billed_lines SET version = 'current' WHERE document_key = ? AND"
            " version = 'pending'",
            [key],
        )
        cur = self.db.execute(
            """
            UPDATE objects SET state = :state, netvisor_key = COALESCE(:nv, netvisor_key),
                content_hash = COALESCE(pending_hash, content_hash), pending_hash = NULL,
                pending_action = NULL, pending_check = NULL, last_error_type = NULL,
                last_error = NULL,
                updated_at = :now
            WHERE key = :k
            """,
            {"state": str(state), "nv": netvisor_key or None, "now": _now(), "k": key},
        )
        if cur.rowcount != 1:
            raise KeyError(f"no ledger object {key!r}")

    def mark_sent(self, key: str, netvisor_key: str | None) -> None:
        """Netvisor answered OK: the pending version is now what Netvisor holds."""
        with self.transaction():
            self._settle(key, LedgerState.SENT, netvisor_key)

    def mark_confirmed(
        self, key: str, netvisor_key: str | None, *, status: str | None = None
    ) -> None:
        """Seen in Netvisor by a look-up (reconcile): adopt its key; a pending version settles."""
        with self.transaction():
            self._settle(key, LedgerState.CONFIRMED, netvisor_key)
            if status is not None:
                self._update(key, netvisor_status=status)

    def confirm_seen(self, seen: Sequence[tuple[str, str, str | None]]) -> None:
        """Objects a look-up saw in Netvisor: ``(key, netvisor_key, status)``, one transaction."""
        if not seen:
            return
        with self.transaction():
            for key, netvisor_key, status in seen:
                self._settle(key, LedgerState.CONFIRMED, netvisor_key)
                self._update(key, netvisor_status=status)

    def mark_unknown(self, key: str, error_type: str, message: str = "") -> None:
        """The write's outcome is unknown: reconcile decides later. Pending lines are kept."""
        with self.transaction():
            self._update(
                key,
                state=LedgerState.UNKNOWN,
                last_error_type=error_type,
                last_error=_clean(message),
            )

    def mark_rejected(self, key: str, error_type: str, message: str = "") -> None:
        """Definitive business error: a person must act; no automatic retry of this version."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM billed_lines WHERE document_key = ? AND version = 'pending'", [key]
            )
            self._update(
                key,
                state=LedgerState.REJECTED,
                last_error_type=error_type,
                last_error=_clean(message),
            )

    def back_to_planned(self, key: str, reason: str = "") -> None:
        """Reconcile found the write did not happen: it may be sent again."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM billed_lines WHERE document_key = ? AND version = 'pending'", [key]
            )
            self._update(key, state=LedgerState.PLANNED, last_error=_clean(reason) or None)

    def restore_settled(self, key: str, reason: str = "") -> None:
        """An edit that provably did not apply (never left, or a look-up shows the old version):
        the row is again what Netvisor holds (``sent``, old hash and lines); the next run
        decides afresh whether the edit is still wanted and still allowed."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM billed_lines WHERE document_key = ? AND version = 'pending'", [key]
            )
            self._update(
                key,
                state=LedgerState.SENT,
                pending_hash=None,
                pending_action=None,
                pending_check=None,
                last_error=_clean(reason) or None,
            )

    def replan_rejected(self, keys: Sequence[str] = ()) -> list[str]:
        """A person fixed what Netvisor refused: let rejected objects (all, or ``keys``) be sent
        again by the next run. Returns the keys replanned."""
        rows = [r for r in self.objects(states=[LedgerState.REJECTED]) if not keys or r.key in keys]
        with self.transaction():
            for row in rows:
                self._update(row.key, state=LedgerState.PLANNED)
        return [r.key for r in rows]

    def set_netvisor_status(self, key: str, status: str | None) -> None:
        with self.transaction():
            self._update(key, netvisor_status=status)

    # -- billed lines ------------------------------------------------------------------------

    def billed_lines(self, *, document_key: str | None = None) -> list[LedgerLine]:
        """Lines of the versions Netvisor holds (``current``), oldest document first."""
        sql = "SELECT * FROM billed_lines WHERE version = 'current'"
        params: list[Any] = []
        if document_key:
            sql += " AND document_key = ?"
            params.append(document_key)
        return [
            LedgerLine(
                r["document_key"],
                r["line_id"],
                r["role"],
                r["period"],
                r["voucher_id"],
                Decimal(r["quantity"]),
                Decimal(r["amount"]),
                r["product_code"],
                _opt_dec(r["unit_price"]),
                _opt_dec(r["vat_percent"]),
                r["vat_code"],
            )
            for r in self.db.query(sql + " ORDER BY document_key, seq", params)
        ]

    # -- quarantine --------------------------------------------------------------------------

    def record_quarantine(
        self, run_id: int | None, items: Iterable[Quarantined], *, resolve_others: bool = True
    ) -> int:
        """Upsert this run's quarantined records; mark earlier ones not seen again resolved.

        Returns how many distinct records are quarantined now.
        """
        now = _now()
        seen: set[tuple[str, str, str]] = set()
        with self.transaction():
            for q in items:
                ident = (q.kind, q.record_id, q.rule)
                if ident in seen:
                    continue
                seen.add(ident)
                self.db.execute(
                    """
                    INSERT INTO quarantine (kind, record_id, rule, reason, related, first_seen,
                                            last_seen, last_run_id)
                    VALUES (?,?,?,?,?,?,?,?)
                    ON CONFLICT(kind, record_id, rule) DO UPDATE SET
                        reason = excluded.reason, related = excluded.related,
                        last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
                        seen_count = quarantine.seen_count + 1, resolved_at = NULL
                    """,
                    [
                        q.kind,
                        q.record_id,
                        q.rule,
                        _clean(q.reason),
                        ",".join(q.related),
                        now,
                        now,
                        run_id,
                    ],
                )
            if resolve_others and run_id is not None:
                self.db.execute(
                    "UPDATE quarantine SET resolved_at = ? WHERE resolved_at IS NULL AND"
                    " (last_run_id IS NULL OR last_run_id <> ?)",
                    [now, run_id],
                )
        return len(seen)

    def quarantine(
        self, *, include_resolved: bool = False, ids: Sequence[int] = ()
    ) -> list[QuarantineEntry]:
        sql, params = "SELECT * FROM quarantine WHERE 1=1", []
        if not include_resolved:
            sql += " AND resolved_at IS NULL"
        if ids:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        return [
            QuarantineEntry(
                r["id"],
                r["kind"],
                r["record_id"],
                r["rule"],
                r["reason"],
                r["related"],
                r["first_seen"],
                r["last_seen"],
                r["seen_count"],
                r["resolved_at"],
            )
            for r in self.db.query(sql + " ORDER BY id", params)
        ]

    # -- watermarks --------------------------------------------------------------------------

    def watermark(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM watermarks WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def set_watermark(self, name: str, value: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO watermarks (name, value, updated_at) VALUES (?,?,?) ON CONFLICT(name)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [name, value, _now()],
            )

    # -- request audit -----------------------------------------------------------------------

    def audit(
        self,
        run_id: int | None,
        *,
        transaction_id: str,
        method: str,
        resource: str,
        outcome: str,
        http_status: int | None,
        duration_ms: int | None,
        at: datetime | None = None,
    ) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO requests (run_id, at, transaction_id, method, resource, outcome,"
                " http_status, duration_ms) VALUES (?,?,?,?,?,?,?,?)",
                [
                    run_id,
                    (at or datetime.now(UTC)).isoformat(timespec="milliseconds"),
                    transaction_id,
                    method,
                    resource,
                    outcome,
                    http_status,
                    duration_ms,
                ],
            )

    def audit_many(self, run_id: int | None, records: Sequence[Any]) -> None:
        """Write a batch of request records (objects with the RequestRecord fields)."""
        if not records:
            return
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO requests (run_id, at, transaction_id, method, resource, outcome,"
                " http_status, duration_ms) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        r.at.isoformat(timespec="milliseconds"),
                        r.transaction_id,
                        r.method,
                        r.resource,
                        r.outcome,
                        r.http_status,
                        r.duration_ms,
                    )
                    for r in records
                ],
            )

    def requests(self, run_id: int | None = None) -> list[dict[str, Any]]:
        if run_id is None:
            return list(self.db.query("SELECT * FROM requests ORDER BY id"))
        return list(self.db.query("SELECT * FROM requests WHERE run_id = ? ORDER BY id", [run_id]))


class RunLock:
    """One writer per ledger: an OS file lock next to the ledger (``<ledger>.lock``)."""

    def __init__(self, ledger_path: str | Path) -> None:
        self.path = Path(str(ledger_path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with suppress(OSError):
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise RunLockedError(
                f"another connector run holds the ledger lock {self.path}"
                + (f" (pid {holder})" if holder else "")
                + "; wait for it to finish (the daemon runs jobs on its schedule)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
