"""The run's billable tasks, kept on disk and handed to billing one document owner at a time.

Extraction reads every task of the observed periods; billing needs them grouped by the
customer whose invoice they go on. Holding them all in memory would make a run's memory grow
with the number of tasks, so they go into a private temporary SQLite database (``sqlite3``
opens one for the empty file name: pages beyond a small cache live in a temporary file that
is deleted when the store closes) and come back grouped by owner.

Nothing personal is stored: a task is ids, codes, dates, quantities and prices (descriptions
are the task rows' own texts, which never leave the run either). The store lives and dies with
one run.
"""

from __future__ import annotations

import marshal
import sqlite3
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connector.core.domain import BillableTask, Period, RowKind, WorkRow

#: the group of tasks whose billing customer is unknown: billed (quarantined) first, so every
#: line billing cannot value is known before any owner's history is compared with the work
UNKNOWN_OWNER = ""

_SCHEMA = """
CREATE TABLE tasks (
    seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, id TEXT NOT NULL, period TEXT NOT NULL,
    task BLOB NOT NULL
);
"""

_KINDS = {kind.value: kind for kind in RowKind}


class TaskStore:
    """Billable tasks by owner (``owner_of(task)``), in a temporary on-disk database.

    A task is stored as one ``marshal`` record of plain values (texts, ordinals): writing and
    reading it back costs a few microseconds, and what comes back equals what went in.
    """

    def __init__(self, owner_of: Callable[[BillableTask], str | None]) -> None:
        self._owner_of = owner_of
        self._db = sqlite3.connect("", isolation_level=None)  # "": private, temporary, on disk
        self._db.executescript(_SCHEMA)
        self._db.execute("PRAGMA cache_size=-2048")  # KiB: memory stays small however many tasks
        self._db.execute("PRAGMA journal_mode=OFF")  # scratch data: nothing to roll back
        self._count = 0
        self._periods: dict[str, Period] = {}
        self._indexed = False  # the owner index is built once, when the tasks are first read
        self._ids_indexed = False

    def __len__(self) -> int:
        return self._count

    def __enter__(self) -> TaskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- filling ---------------------------------------------------------------------------

    def add_all(self, tasks: Iterable[BillableTask]) -> None:
        owners: dict[str, str] = {}  # customer id -> owner: one look-up per customer
        batch: list[tuple[int, str, str, str, bytes]] = []
        dumps = marshal.dumps
        for task in tasks:
            owner = owners.get(task.customer_id)
            if owner is None:
                owner = owners[task.customer_id] = self._owner_of(task) or UNKNOWN_OWNER
            period = str(task.period)
            record = (
                task.id,
                task.target_id,
                task.customer_id,
                task.status,
                task.completed_at.isoformat(),
                period,
                task.order_number,
                None if task.updated_at is None else task.updated_at.isoformat(),
                tuple(
                    (
                        row.line_id,
                        row.kind.value,
                        row.product_code,
                        str(row.quantity),
                        None if row.unit_price is None else str(row.unit_price),
                        row.work_date.toordinal(),
                        row.description,
                    )
                    for row in task.rows
                ),
            )
            batch.append((self._count, owner, task.id, period, dumps(record)))
            self._count += 1
            if len(batch) >= 5000:
                self._flush(batch)
        self._flush(batch)

    def _flush(self, batch: list[tuple[int, str, str, str, bytes]]) -> None:
        self._db.execute("BEGIN")
        self._db.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?)", batch)
        self._db.execute("COMMIT")
        batch.clear()

    # -- reading ---------------------------------------------------------------------------

    def _index(self) -> None:
        if not self._indexed:  # one sort after the appends beats keeping an index meanwhile
            self._db.execute("CREATE INDEX tasks_owner ON tasks(owner, seq)")
            self._indexed = True

    def owners(self) -> list[str]:
        """Every owner with tasks, the unknown-customer group first (``UNKNOWN_OWNER``)."""
        self._index()
        return [r[0] for r in self._db.execute("SELECT DISTINCT owner FROM tasks ORDER BY owner")]

    def tasks_of(self, owner: str) -> list[BillableTask]:
        """The tasks of one owner, in the order they were added."""
        self._index()
        cursor = self._db.execute("SELECT task FROM tasks WHERE owner = ? ORDER BY seq", (owner,))
        return [self._task(marshal.loads(r[0])) for r in cursor]

    def _task(self, record: tuple[Any, ...]) -> BillableTask:
        task_id, target_id, customer_id, status, completed, period, order, updated, rows = record
        intern = sys.intern
        found = self._periods.get(period)
        if found is None:
            found = self._periods[period] = Period.parse(period)
        return BillableTask(
            id=task_id,
            target_id=intern(target_id),
            customer_id=intern(customer_id),
            status=intern(status),
            completed_at=datetime.fromisoformat(completed),
            period=found,
            rows=tuple(
                WorkRow(
                    line_id=line_id,
                    kind=_KINDS[kind],
                    product_code=intern(product),
                    quantity=Decimal(quantity),
                    unit_price=None if price is None else Decimal(price),
                    work_date=date.fromordinal(day),
                    description=description,
                )
                for line_id, kind, product, quantity, price, day, description in rows
            ),
            order_number=order,
            updated_at=None if updated is None else datetime.fromisoformat(updated),
        )

    def period_of(self, task_id: str) -> Period | None:
        """The period of a task this run read, or None when it read no such task."""
        if not self._ids_indexed:  # asked only about quarantined records: indexed on demand
            self._db.execute("CREATE INDEX tasks_id ON tasks(id)")
            self._ids_indexed = True
        row = self._db.execute("SELECT period FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return Period.parse(row[0]) if row else None
