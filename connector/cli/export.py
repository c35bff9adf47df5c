"""``connector ledger export``: the ledger's tables as files for an auditor, one file per table.

The ledger holds no names, personal identity codes or addresses by design (ids, keys, hashes,
amounts, states, error types), so neither does the export. It reads the ledger through a
read-only connection in one read transaction: the files are one consistent snapshot even while
a sync writes (WAL lets a reader and the writer go on side by side). sqlite-utils is imported
here only, when the command runs: no other command pays for it.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from connector.cli.common import run_config, texts_for
from connector.core.errors import EXIT_OK, UsageError
from connector.core.reasons import reason

if TYPE_CHECKING:
    from sqlite_utils import Database

FORMATS = ("csv", "json")


def cmd_ledger_export(args: argparse.Namespace) -> int:
    config = run_config(args)
    t = texts_for(args)
    from connector.ledger import ledger_exists

    if not ledger_exists(config.ledger_path):
        raise UsageError(t("ledger.none", path=config.ledger_path))
    written = export_ledger(config.ledger_path, Path(args.out), args.format, args.table or ())
    for table, path, count in written:
        print(t("export.table", table=table, count=count, path=path))
    print(t("export.done", count=len(written), ledger=config.ledger_path, out=args.out))
    return EXIT_OK


def export_ledger(
    ledger_path: Path, out: Path, fmt: str = "csv", tables: Sequence[str] = ()
) -> list[tuple[str, Path, int]]:
    """Write each of `tables` (all the ledger's when empty) to ``out/<table>.<fmt>``.

    Refuses, before writing anything, a format it does not know, an `out` that is a file or a
    folder with anything in it, and a table the ledger does not have. Returns (table, file, rows)
    for each table written. The folder is made private (0700) and each file 0600, as the ledger
    itself is."""
    if fmt not in FORMATS:
        raise UsageError(
            reason("export_format_unknown", format=repr(fmt), formats="/".join(FORMATS))
        )
    if out.exists() and not out.is_dir():
        raise UsageError(reason("export_out_is_file", path=out))
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(reason("export_out_not_empty", path=out))
    with _read_only(ledger_path) as db:
        present = [t for t in db.table_names() if not t.startswith("sqlite_")]
        unknown = [t for t in tables if t not in present]
        if unknown:
            raise UsageError(
                reason(
                    "export_table_unknown", tables=", ".join(unknown), present=", ".join(present)
                )
            )
        chosen = list(dict.fromkeys(tables)) or present
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        written = []
        for table in chosen:
            path = out / f"{table}.{fmt}"
            with _private_file(path) as f:
                count = (_write_csv if fmt == "csv" else _write_json)(db, table, f)
            written.append((table, path, count))
    return written


@contextmanager
def _read_only(path: Path) -> Iterator[Database]:
    """A sqlite-utils Database over a read-only connection to the ledger (never migrates it),
    inside one read transaction: every table is read from the same snapshot."""
    from sqlite_utils import Database

    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        db = Database(conn, execute_plugins=False)
        conn.execute("BEGIN")
        try:
            yield db
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()


def _private_file(path: Path) -> IO[str]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "w", encoding="utf-8", newline="")


def _rows(db: Database, table: str) -> Iterator[dict[str, Any]]:
    """The table's rows in primary-key order (rowid when it has none), so exports compare."""
    order = ", ".join(f'"{pk}"' for pk in db.table(table).pks)
    return db.table(table).rows_where(order_by=order)


def _write_csv(db: Database, table: str, f: IO[str]) -> int:
    """Comma-separated, a header of the column names, NULL as an empty field."""
    columns = [c.name for c in db.table(table).columns]
    writer = csv.writer(f)
    writer.writerow(columns)
    count = 0
    for row in _rows(db, table):
        writer.writerow(_csv_value(row[c]) for c in columns)
        count += 1
    return count


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _write_json(db: Database, table: str, f: IO[str]) -> int:
    """A JSON array of objects, one per row, column name to value as the ledger stores it
    (amounts are decimal strings there); a BLOB as sqlite-utils writes it, base64."""
    f.write("[")
    count = 0
    for row in _rows(db, table):
        f.write(",\n" if count else "\n")
        f.write(json.dumps(row, ensure_ascii=False, default=_json_value))
        count += 1
    f.write("\n]\n" if count else "]\n")
    return count


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
