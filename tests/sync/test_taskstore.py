"""The run's task store: tasks leave memory for a temporary database and come back grouped by
the owner of the invoice they go on, exactly as they were read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from connector.core.domain import BillableTask, Period, RowKind, WorkRow
from connector.sync.taskstore import UNKNOWN_OWNER, TaskStore

OCT, NOV = Period(2026, 10), Period(2026, 11)


def task(task_id: str, customer: str, period: Period = OCT, rows: int = 2) -> BillableTask:
    return BillableTask(
        id=task_id,
        target_id=f"F-{customer}",
        customer_id=customer,
        status="completed",
        completed_at=datetime(2026, 10, 3, 14, 5, tzinfo=timezone(timedelta(hours=3))),
        period=period,
        rows=tuple(
            WorkRow(
                line_id=f"{task_id}:p{i}",
                kind=RowKind.PRODUCT if i % 2 else RowKind.HOURS,
                product_code="KOTIHOITO",
                quantity=Decimal("1.250") if i else Decimal("-2"),
                unit_price=None if i else Decimal("30.10"),
                work_date=date(2026, 10, 1 + i),
                description="siivous" if i else None,
            )
            for i in range(rows)
        ),
        order_number="PO-1" if rows % 2 else None,
        updated_at=datetime(2026, 10, 4, tzinfo=UTC) if rows else None,
    )


def owner_of(t: BillableTask) -> str | None:
    return None if t.customer_id == "GONE" else f"inv:{t.customer_id}"


def test_tasks_come_back_equal_grouped_by_owner_in_the_order_read() -> None:
    tasks = [
        task("T1", "C2"),
        task("T2", "C1", rows=3),
        task("T3", "C2", NOV, rows=1),
        task("T4", "GONE"),
        task("T5", "C1", rows=0),
    ]
    with TaskStore(owner_of) as store:
        store.add_all(iter(tasks[:2]))
        store.add_all(iter(tasks[2:]))
        assert len(store) == 5
        assert store.owners() == [UNKNOWN_OWNER, "inv:C1", "inv:C2"]  # the unknown first
        assert store.tasks_of("inv:C2") == [tasks[0], tasks[2]]
        assert store.tasks_of("inv:C1") == [tasks[1], tasks[4]]
        assert store.tasks_of(UNKNOWN_OWNER) == [tasks[3]]
        assert store.tasks_of("inv:nobody") == []
        every = [t for owner in store.owners() for t in store.tasks_of(owner)]
        assert sorted(every, key=lambda t: t.id) == tasks


def test_a_task_read_this_run_is_known_with_its_period() -> None:
    with TaskStore(owner_of) as store:
        store.add_all([task("T1", "C1", NOV), task("T2", "GONE")])
        assert store.period_of("T1") == NOV
        assert store.period_of("T2") == OCT
        assert store.period_of("T9") is None


def test_many_tasks_are_grouped_without_holding_them() -> None:
    with TaskStore(owner_of) as store:
        store.add_all(task(f"T{i}", f"C{i % 7}", rows=1) for i in range(5000))
        assert len(store) == 5000
        assert sum(len(store.tasks_of(o)) for o in store.owners()) == 5000
        assert [t.id for t in store.tasks_of("inv:C3")][:3] == ["T3", "T10", "T17"]
