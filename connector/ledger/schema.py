"""The ledger's schema: versioned forward migrations, applied when a ledger is opened, for both
engines.

A step is written once. A plain string is SQL both engines run: SQLite's dialect as written,
and for PostgreSQL the same text through :func:`portable` (the one difference the steps so far
need: ``INTEGER PRIMARY KEY AUTOINCREMENT`` becomes an identity column). A step whose SQL
cannot be shared is a :class:`Step` with a ``postgresql`` (or ``sqlite``) form of its own.
Statements are separated by ``;``. The version is SQLite's ``PRAGMA user_version``, and on
PostgreSQL the company's row in ``connector.companies`` (``postgres.py``). A ledger newer than
the code is refused on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connector.core.reasons import reason
from connector.ledger.sqlite import Database

Engine = Literal["sqlite", "postgresql"]

SCHEMA_VERSION = 12


@dataclass(frozen=True)
class Step:
    """One migration step with an engine's own form where the shared SQL does not fit."""

    sql: str = ""
    sqlite: str | None = None
    postgresql: str | None = None


_MIGRATIONS: dict[int, str | Step] = {
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
        key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL
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
    # the PSOP customer number a billed line was billed for (filled by billing when known);
    # the incremental-read watermarks were never used
    5: """
    ALTER TABLE billed_lines ADD COLUMN psop_customer_number TEXT;
    DROP TABLE IF EXISTS watermarks;
    """,
    # the content fingerprint of the invoice version Netvisor holds, so that reconcile can tell
    # "the edit applied" from "the old version is still there" from "neither"
    6: """
    ALTER TABLE objects ADD COLUMN content_check TEXT;
    """,
    # the PSOP loop: voucher events as billed (and held), review decisions (who-less, timed),
    # imported PSOP reports (by the file's sha256) with their rows, and each line's PSOP state
    7: """
    CREATE TABLE IF NOT EXISTS psop_events (
        event_id TEXT PRIMARY KEY,
        line_id TEXT NOT NULL, period TEXT NOT NULL, region TEXT NOT NULL,
        psop_customer_number TEXT NOT NULL, voucher_id TEXT NOT NULL,
        psop_product TEXT NOT NULL, work_date TEXT NOT NULL,
        quantity TEXT NOT NULL, unit_price TEXT NOT NULL,
        voucher_share TEXT NOT NULL, self_pay TEXT NOT NULL,
        held_rule TEXT, approved INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS psop_events_period ON psop_events(period);
    CREATE TABLE IF NOT EXISTS review_decisions (
        item_id TEXT PRIMARY KEY,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        effect TEXT NOT NULL CHECK (effect IN ('approve', 'bill_client', 'write_off')),
        source TEXT NOT NULL CHECK (source IN ('review', 'psop_report')),
        note TEXT, decided_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS psop_reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sha256 TEXT NOT NULL UNIQUE,
        report_date TEXT NOT NULL,
        rows INTEGER NOT NULL, imported_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS psop_report_rows (
        report_id INTEGER NOT NULL REFERENCES psop_reports(id),
        row INTEGER NOT NULL,
        work_date TEXT NOT NULL, psop_customer_number TEXT NOT NULL,
        voucher_id TEXT NOT NULL, psop_product TEXT NOT NULL,
        quantity TEXT NOT NULL, unit_price TEXT NOT NULL, amount TEXT NOT NULL,
        state TEXT NOT NULL,
        PRIMARY KEY (report_id, row)
    );
    CREATE TABLE IF NOT EXISTS psop_line_states (
        document_key TEXT NOT NULL, line_id TEXT NOT NULL,
        state TEXT NOT NULL, report_date TEXT NOT NULL, psop_amount TEXT,
        report_id INTEGER NOT NULL,
        PRIMARY KEY (document_key, line_id)
    );
    """,
    # settings that bind the ledger (its Netvisor environment); each run's report, name-free;
    # the problems already announced by an alert
    8: """
    CREATE TABLE IF NOT EXISTS settings (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS run_reports (
        run_id INTEGER PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS alerts (
        fingerprint TEXT PRIMARY KEY, kind TEXT NOT NULL,
        first_sent TEXT NOT NULL, last_seen TEXT NOT NULL
    );
    """,
    # the owner of each billed line's document (``inv:<customer code>`` / ``org:<region>``), so
    # billing reads one owner's history at a time
    9: Step(
        sqlite="""
    ALTER TABLE billed_lines ADD COLUMN owner TEXT;
    UPDATE billed_lines SET owner =
        substr(document_key, 1, instr(document_key, ':'))
        || substr(
            substr(document_key, instr(document_key, ':') + 1),
            instr(substr(document_key, instr(document_key, ':') + 1), ':') + 1
        );
    CREATE INDEX IF NOT EXISTS billed_lines_owner ON billed_lines(owner, version);
    """,
        postgresql="""
    ALTER TABLE billed_lines ADD COLUMN owner TEXT;
    UPDATE billed_lines SET owner = regexp_replace(document_key, '^([^:]*:)[^:]*:', '\\1');
    CREATE INDEX IF NOT EXISTS billed_lines_owner ON billed_lines(owner, version);
    """,
    ),
    # the business day (the run's "today", its --as-of when rehearsed) on which the connector
    # first wrote each object, so a document is known to be billed late by its own lock date;
    # rows written before: the day of the run that last wrote them, else the day they were made
    10: """
    ALTER TABLE objects ADD COLUMN billed_on TEXT;
    UPDATE objects SET billed_on = COALESCE(
        (SELECT substr(COALESCE(runs.as_of, runs.started_at), 1, 10)
           FROM runs WHERE runs.id = objects.run_id),
        substr(created_at, 1, 10));
    """,
    # issue 19: a person's word on an invoice edit reconcile could not decide (EDIT_UNCLEAR):
    # which version Netvisor holds, who said so and when (`connector ledger resolve`)
    11: """
    CREATE TABLE IF NOT EXISTS doubt_resolutions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        netvisor_has TEXT NOT NULL CHECK (netvisor_has IN ('new', 'old')),
        resolved_by TEXT NOT NULL,
        resolved_at TEXT NOT NULL,
        netvisor_key TEXT,
        content_hash TEXT,
        pending_hash TEXT,
        error TEXT
    );
    CREATE INDEX IF NOT EXISTS doubt_resolutions_key ON doubt_resolutions(key);
    """,
    # the web console (connector/console/): who decided a held item; every decision a console
    # user made (who, when, what, the note); each invoice's money as Netvisor's invoice list
    # last showed it (number, date, status, gross, open sum), so a document shows paid or open
    12: """
    ALTER TABLE review_decisions ADD COLUMN decided_by TEXT;
    CREATE TABLE IF NOT EXISTS console_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        subject TEXT NOT NULL, note TEXT
    );
    CREATE INDEX IF NOT EXISTS console_audit_subject ON console_audit(subject);
    CREATE TABLE IF NOT EXISTS invoice_balances (
        key TEXT PRIMARY KEY, netvisor_key TEXT NOT NULL,
        invoice_number TEXT, invoice_date TEXT, status TEXT,
        gross TEXT, open_sum TEXT, seen_at TEXT NOT NULL
    );
    """,
}


_IDENTITY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.IGNORECASE)


def portable(sql: str, engine: Engine) -> str:
    """A shared step's SQL as ``engine`` runs it."""
    if engine == "postgresql":
        return _IDENTITY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)
    return sql


def statements(version: int, engine: Engine) -> list[str]:
    """The statements of step ``version`` for ``engine``, in order."""
    step = _MIGRATIONS[version]
    if isinstance(step, str):
        text = portable(step, engine)
    else:
        own = step.sqlite if engine == "sqlite" else step.postgresql
        text = own if own is not None else portable(step.sql, engine)
    return [part.strip() for part in text.split(";") if part.strip()]


def too_new(where: object, found: int) -> RuntimeError:
    return RuntimeError(
        reason("ledger_too_new", where=where, found=found, understood=SCHEMA_VERSION)
    )


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def backup(db: Database, target: Path) -> Path:
    """Copy the ledger to ``target`` with SQLite's online backup API (consistent under WAL,
    safe while another connection writes). The copy is private to its owner; its folder must
    exist (a mistyped folder is refused, not created)."""
    import os
    import sqlite3

    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never overwrite
    os.close(fd)
    dest = sqlite3.connect(str(target))
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
    return target


def migrate(db: Database, path: Path) -> None:
    """Apply every migration newer than the file's version, each in its own transaction.

    A ledger that already holds data is first copied beside itself
    (``<ledger>.v<old>.bak``, SQLite's backup API) so a migration can always be undone.
    """
    current = schema_version(db)
    if 0 < current < max(_MIGRATIONS):
        target = path.with_name(f"{path.name}.v{current}.bak")
        if not target.exists():
            backup(db, target)
    for version in sorted(_MIGRATIONS):
        if version <= current:
            continue
        with db.atomic():
            for statement in statements(version, "sqlite"):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={version}")
    if schema_version(db) > SCHEMA_VERSION:
        raise too_new(path, schema_version(db))
