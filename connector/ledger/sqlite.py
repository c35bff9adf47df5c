"""The ledger's SQLite connection: plain ``sqlite3`` in autocommit mode, explicit transactions.

Every statement outside :meth:`Database.atomic` commits on its own; ``atomic`` opens one
``BEGIN IMMEDIATE`` transaction (a savepoint when nested), so a write transaction takes the
file's write lock at its start and waits out the busy timeout there, never half-way through.
Rows come back as dicts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

Params = Sequence[Any] | Mapping[str, Any]

_savepoints = count(1)


class Database:
    """One connection to one SQLite file."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Params = ()) -> Iterator[dict[str, Any]]:
        """The rows of ``sql`` as dicts (column name -> value), read lazily."""
        cursor = self.conn.execute(sql, params)
        keys = [d[0] for d in cursor.description or ()]
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def table_names(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """One transaction: committed when the block ends, rolled back when it raises."""
        if self.conn.in_transaction:
            name = f"sp{next(_savepoints)}"
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                    self.conn.execute(f"RELEASE SAVEPOINT {name}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()
