"""``connector ledger migrate --to postgresql://...``: a SQLite ledger copied into PostgreSQL.

Every table, every row, every state and the whole run history go over in one PostgreSQL
transaction, under both run locks (the SQLite file's and the company's lease), so no run
writes to either side meanwhile. A company that already has rows on the server is refused
(nothing is merged or overwritten). Before the transaction commits, every table's row count
and the sum of every amount column are compared on both sides; a difference rolls the whole
copy back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.core.errors import FatalRunError
from connector.core.reasons import reason
from connector.ledger.lock import RunLock
from connector.ledger.store import Ledger

if TYPE_CHECKING:
    from connector.core.config import PostgresLedger

#: columns holding exact decimal amounts (as text): their sums are compared after the copy
AMOUNT_COLUMNS = frozenset(
    {"amount", "quantity", "total", "unit_price", "voucher_share", "self_pay", "psop_amount"}
)
_BATCH = 2_000


class MigrationRefused(FatalRunError):
    error_type = "MIGRATION_REFUSED"


@dataclass
class TableCopy:
    table: str
    rows: int
    sums: dict[str, Decimal] = field(default_factory=dict)


def _sum(values: Any) -> Decimal:
    total = Decimal(0)
    for (value,) in values:
        if value is None or value == "":
            continue
        try:
            total += Decimal(str(value))
        except InvalidOperation:
            raise MigrationRefused(reason("migrate_not_amount", value=repr(value))) from None
    return total


def _measure(ledger: Ledger, table: str, columns: list[str]) -> TableCopy:
    """Row count and the exact sum of every amount column of ``table``."""
    (count,) = ledger.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    sums = {
        c: _sum(ledger.db.execute(f"SELECT {c} FROM {table}"))
        for c in columns
        if c in AMOUNT_COLUMNS
    }
    return TableCopy(table, int(count), sums)


def _sqlite_tables(source: Ledger) -> list[tuple[str, list[str]]]:
    """(table, columns) of the SQLite ledger, in the order they were created (parents first)."""
    names = [
        r[0]
        for r in source.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY rowid"
        )
    ]
    return [(n, [c["name"] for c in source.db.query(f"PRAGMA table_info({n})")]) for n in names]


def _postgres_columns(target: Ledger) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in target.db.query(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY ordinal_position"
    ):
        out.setdefault(r["table_name"], []).append(r["column_name"])
    return out


def migrate_to_postgres(
    sqlite_path: Path,
    target: PostgresLedger,
    *,
    progress: Callable[[str, int], None] = lambda _table, _rows: None,
) -> list[TableCopy]:
    """Copy the SQLite ledger at ``sqlite_path`` into ``target``'s company; returns what was
    copied and verified. Raises :class:`MigrationRefused` (nothing written) when the company
    already has rows there, when the schemas differ, or when the verification fails."""
    # the lease first: the PostgreSQL ledger is opened under it, so its writes are fenced
    with (
        RunLock(sqlite_path),
        RunLock(target),
        Ledger(sqlite_path) as source,
        Ledger(target) as dest,
    ):
        if source.schema_version != dest.schema_version:
            raise MigrationRefused(
                reason(
                    "migrate_schema_differs",
                    sqlite=source.schema_version,
                    postgresql=dest.schema_version,
                )
            )
        tables = _sqlite_tables(source)
        pg_columns = _postgres_columns(dest)
        for table, columns in tables:
            missing = set(columns) - set(pg_columns.get(table, ()))
            if missing:
                raise MigrationRefused(
                    reason(
                        "migrate_columns_missing", table=table, columns=", ".join(sorted(missing))
                    )
                )
        occupied = [
            t for t, _ in tables if dest.db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()
        ]
        if occupied:
            raise MigrationRefused(
                reason(
                    "migrate_company_has_rows",
                    company=target.company,
                    url=target.url,
                    tables=", ".join(occupied),
                )
            )
        copied: list[TableCopy] = []
        # measured before the transaction (the source is under its run lock and cannot change):
        # the PostgreSQL transaction does not sit idle while SQLite is read for the sums
        wanted = {table: _measure(source, table, columns) for table, columns in tables}
        with dest.transaction():
            for table, columns in tables:
                _copy_table(source, dest, table, columns)
                _restart_identity(dest, table, columns)
                want = wanted[table]
                got = _measure(dest, table, columns)
                if (want.rows, want.sums) != (got.rows, got.sums):
                    raise MigrationRefused(
                        reason(
                            "migrate_verification_failed",
                            table=table,
                            sqlite=f"{want.rows} {want.sums}",
                            postgresql=f"{got.rows} {got.sums}",
                        )
                    )
                copied.append(got)
                progress(table, got.rows)
    # read back once more over a fresh connection, after the commit
    with Ledger(sqlite_path) as source, Ledger(target) as dest:
        for copy in copied:
            columns = [c for t, cs in _sqlite_tables(source) if t == copy.table for c in cs]
            again = _measure(dest, copy.table, columns)
            if (again.rows, again.sums) != (copy.rows, copy.sums):
                raise MigrationRefused(reason("migrate_differs_after_commit", table=copy.table))
    return copied


def _copy_table(source: Ledger, dest: Ledger, table: str, columns: list[str]) -> None:
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    cursor = source.db.execute(f"SELECT {names} FROM {table}")
    while batch := cursor.fetchmany(_BATCH):
        dest.db.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def _restart_identity(dest: Ledger, table: str, columns: list[str]) -> None:
    """An identity column continues after the highest id copied."""
    if "id" not in columns:
        return
    sequence = dest.db.execute("SELECT pg_get_serial_sequence(?, 'id')", [table]).fetchone()[0]
    if sequence:
        dest.db.execute(
            f"SELECT setval(?, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)", [sequence]
        )
