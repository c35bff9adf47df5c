"""The sync ledger: the state machine, billed lines, quarantine, the lock.

Tests taking the ``ledger`` fixture are the ledger's contract and run on both engines: a real
SQLite file and a fresh company on a real PostgreSQL server (tests/pgserver.py). Those taking
``path`` are about the SQLite file itself.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from connector.billing.documents import BilledLine
from connector.core.domain import Period, Quarantined
from connector.core.errors import FatalRunError, RunLockedError
from connector.ledger import (
    EDIT_UNCLEAR,
    IN_DOUBT,
    SCHEMA_VERSION,
    SETTLED,
    Ledger,
    LedgerState,
    ObjectKind,
    RunLock,
)
from connector.ledger import schema as ledger_module
from connector.ledger.records import OWNED_COLUMNS, OwnedObject

REPO = Path(__file__).resolve().parents[1]
INV = "inv:2026-04:C1001:client"
D = Decimal


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger" / "connector-ledger.sqlite"


@pytest.fixture
def ledger(ledger_location: object) -> Iterator[Ledger]:
    with Ledger(ledger_location) as opened:  # type: ignore[arg-type]
        yield opened


def line(
    line_id: str, amount: str, *, quantity: str = "1", voucher: str | None = None
) -> BilledLine:
    return BilledLine(INV, line_id, "client", Period(2026, 4), voucher, D(quantity), D(amount))


def pending_lines(ledger: Ledger, key: str = INV) -> list[str]:
    rows = ledger.db.query(
        "SELECT line_id FROM billed_lines WHERE document_key = ? AND version = 'pending'"
        " ORDER BY seq",
        [key],
    )
    return [r["line_id"] for r in rows]


def current_lines(ledger: Ledger, key: str = INV) -> list[str]:
    return [ln.line_id for ln in ledger.billed_lines(document_key=key)]


def send(
    ledger: Ledger, pending_hash: str, lines: list[BilledLine], action: str = "create"
) -> None:
    ledger.mark_sending(
        INV,
        ObjectKind.INVOICE,
        pending_hash=pending_hash,
        action=action,
        lines=lines,
        period="2026-04",
        customer_code="C1001",
        total=sum((ln.amount for ln in lines), D("0.00")),
    )


# -- the file --------------------------------------------------------------------------------


def test_a_new_ledger_has_the_current_schema_version(ledger: Ledger) -> None:
    assert ledger.schema_version == SCHEMA_VERSION == max(ledger_module._MIGRATIONS)
    tables = set(ledger.db.table_names())
    assert {"runs", "objects", "billed_lines", "quarantine", "requests"} <= tables
    assert "watermarks" not in tables  # never used; dropped by migration 5


def test_the_ledger_uses_wal_and_is_private_to_its_owner(path: Path) -> None:
    ledger = Ledger(path)
    assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ledger.close()


def test_reopening_keeps_the_data_and_migrates_nothing_twice(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger(path) as first:
        first.start_run("sync")
    # A next version whose migration would fail if it ran a second time (no IF NOT EXISTS).
    nxt = SCHEMA_VERSION + 1
    migrations = {**ledger_module._MIGRATIONS, nxt: "CREATE TABLE extra (id INTEGER)"}
    monkeypatch.setattr(ledger_module, "_MIGRATIONS", migrations)
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", nxt)
    with Ledger(path) as second:
        assert second.schema_version == nxt
        assert "extra" in second.db.table_names()
    with Ledger(path) as third:  # would raise "table extra already exists" if re-run
        assert third.schema_version == nxt
        assert [r["command"] for r in third.runs()] == ["sync"]


def test_a_version_10_ledger_in_doubt_migrates_to_the_resolutions_table(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 11 (issue 19) adds only ``doubt_resolutions``: an undecided edit written by
    the version before stays undecided and can then be resolved by a person."""
    monkeypatch.setattr(
        ledger_module, "_MIGRATIONS", {v: m for v, m in ledger_module._MIGRATIONS.items() if v < 11}
    )
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", 10)
    with Ledger(path) as old:
        assert old.schema_version == 10
        undecided(old)
    monkeypatch.undo()
    with Ledger(path) as new:
        assert new.schema_version == SCHEMA_VERSION  # every step since 10 applied
        assert "doubt_resolutions" in new.db.table_names()
        assert new.get(INV).last_error_type == EDIT_UNCLEAR
        assert new.resolve_unclear(INV, "new", "maija").state is LedgerState.CONFIRMED
    assert path.with_name(f"{path.name}.v10.bak").exists()


def test_a_failing_migration_changes_nothing(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Ledger(path).close()
    nxt = SCHEMA_VERSION + 1
    broken = "CREATE TABLE half_done (id INTEGER); CREATE TABLE broken ("
    monkeypatch.setattr(ledger_module, "_MIGRATIONS", {**ledger_module._MIGRATIONS, nxt: broken})
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", nxt)
    with pytest.raises(sqlite3.Error):
        Ledger(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == nxt - 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "half_done" not in names
    finally:
        conn.close()


def test_a_ledger_from_a_newer_connector_is_refused(path: Path) -> None:
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(RuntimeError, match="upgrade the connector"):
        Ledger(path)


# -- the state machine -----------------------------------------------------------------------


def test_sending_creates_the_row_before_the_request_leaves(ledger: Ledger) -> None:
    assert ledger.get(INV) is None
    send(ledger, "h1", [line("T1:h0", "25.00"), line("T1:p0", "12.50")])
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.SENDING
    assert obj.kind is ObjectKind.INVOICE
    assert obj.attempts == 1
    assert (obj.pending_hash, obj.pending_action, obj.content_hash) == ("h1", "create", None)
    assert (obj.period, obj.customer_code, obj.total) == ("2026-04", "C1001", D("37.50"))
    assert obj.netvisor_key is None
    assert pending_lines(ledger) == ["T1:h0", "T1:p0"]
    assert current_lines(ledger) == [], "nothing is billed until Netvisor has it"
    assert obj.state in IN_DOUBT


def test_a_row_reads_back_as_the_object_written_whichever_way_it_is_read(ledger: Ledger) -> None:
    """``get`` and ``objects`` build the row from its columns in field order
    (``OwnedObject.from_values``): every field, its type, equality and hashing as a row
    built field by field."""
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-7")
    got = ledger.get(INV)
    assert got is not None
    (listed,) = ledger.objects(kind=ObjectKind.INVOICE)
    assert listed == got and hash(listed) == hash(got)
    built = OwnedObject(**{f.name: getattr(got, f.name) for f in fields(OwnedObject)})
    assert built == got
    assert (got.kind, got.state, got.netvisor_key) == (
        ObjectKind.INVOICE,
        LedgerState.SENT,
        "NV-7",
    )
    assert got.total == D("25.00") and isinstance(got.total, D)
    assert got.billed_on is None and got.created_at and got.updated_at
    with pytest.raises(FrozenInstanceError):
        got.state = LedgerState.PLANNED  # type: ignore[misc]
    assert [f.name for f in fields(OwnedObject)] == [c.strip() for c in OWNED_COLUMNS.split(",")]


def test_each_send_attempt_is_counted_and_replaces_the_pending_lines(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_unknown(INV, "TIMEOUT")
    send(ledger, "h1", [line("T1:h0", "25.00"), line("T2:h0", "30.00")])
    obj = ledger.get(INV)
    assert obj is not None and obj.attempts == 2
    assert pending_lines(ledger) == ["T1:h0", "T2:h0"]


def test_sent_makes_the_pending_lines_current_and_keeps_the_netvisor_key(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00", quantity="1.5"), line("T1:p0", "12.50")])
    ledger.mark_sent(INV, "NV-1001")
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.SENT and obj.state in SETTLED
    assert obj.netvisor_key == "NV-1001"
    assert (obj.content_hash, obj.pending_hash, obj.pending_action) == ("h1", None, None)
    assert pending_lines(ledger) == []
    lines = ledger.billed_lines(document_key=INV)
    assert [ln.line_id for ln in lines] == ["T1:h0", "T1:p0"]
    assert lines[0].quantity == D("1.5") and lines[0].amount == D("25.00")
    assert str(lines[0].amount) == "25.00", "amounts keep their cents exactly"


def test_sent_is_one_commit_lines_and_state_together(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])

    execute = ledger.db.execute

    class PowerCut(Exception):
        pass

    def power_cut(sql: str, *args: object, **kwargs: object):
        if sql.lstrip().startswith("UPDATE objects"):  # after the lines were moved
            raise PowerCut("disk I/O error")
        return execute(sql, *args, **kwargs)

    monkeypatch.setattr(ledger.db, "execute", power_cut)
    with pytest.raises(PowerCut):
        ledger.mark_sent(INV, "NV-1001")
    monkeypatch.undo()
    obj = ledger.get(INV)
    assert obj is not None and obj.state is LedgerState.SENDING
    assert pending_lines(ledger) == ["T1:h0"], "the line move was rolled back with the state"
    assert current_lines(ledger) == []


def test_on_sqlite_the_intent_waits_for_the_disk_and_the_outcome_does_not(path: Path) -> None:
    """Intent before every write is durable (``synchronous=FULL``: the WAL is fsynced at its
    commit); the outcome's commit is not (``NORMAL``), and the next intent's fsync carries it.
    The setting is back to FULL after the outcome, whatever came before."""
    ledger = Ledger(path)
    seen: list[str] = []
    ledger.db.conn.set_trace_callback(seen.append)

    def syncs_at_commits() -> list[int]:
        """``PRAGMA synchronous`` in effect at each COMMIT seen (2 FULL, 1 NORMAL)."""
        level, out = 2, []
        for sql in seen:
            text = sql.strip().upper()
            if text.startswith("PRAGMA SYNCHRONOUS="):
                level = {"FULL": 2, "NORMAL": 1}[text.split("=")[1]]
            elif text == "COMMIT":
                out.append(level)
        return out

    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1001")
    send(ledger, "h2", [line("T1:h0", "30.00")], action="edit")
    assert syncs_at_commits() == [2, 1, 2]
    ledger.db.conn.set_trace_callback(None)
    assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == 2
    obj = ledger.get(INV)
    assert obj is not None and obj.state is LedgerState.SENDING and obj.netvisor_key == "NV-1001"
    ledger.close()


def test_unknown_keeps_the_pending_lines_for_reconcile(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_unknown(INV, "AMBIGUOUS_WRITE", "read timeout after the body left")
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.UNKNOWN and obj.state in IN_DOUBT
    assert (obj.last_error_type, obj.last_error) == (
        "AMBIGUOUS_WRITE",
        "read timeout after the body left",
    )
    assert obj.pending_hash == "h1"
    assert pending_lines(ledger) == ["T1:h0"]
    assert current_lines(ledger) == []


def test_confirmed_by_reconcile_settles_like_sent(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_unknown(INV, "AMBIGUOUS_WRITE", "timeout")
    ledger.mark_confirmed(INV, "NV-77", status="unsent")
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.CONFIRMED and obj.state in SETTLED
    assert (obj.netvisor_key, obj.content_hash, obj.pending_hash) == ("NV-77", "h1", None)
    assert obj.netvisor_status == "unsent"
    assert (obj.last_error_type, obj.last_error) == (None, None), "the doubt is cleared"
    assert current_lines(ledger) == ["T1:h0"]
    assert pending_lines(ledger) == []


def test_back_to_planned_drops_the_pending_lines(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_unknown(INV, "AMBIGUOUS_WRITE")
    ledger.back_to_planned(INV, "not found in Netvisor")
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.PLANNED
    assert obj.last_error == "not found in Netvisor"
    assert obj.content_hash is None
    assert pending_lines(ledger) == [] and current_lines(ledger) == []


def test_rejected_drops_the_pending_lines_and_records_why(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_rejected(INV, "INVALID_DATA", "x" * 800)
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.state is LedgerState.REJECTED
    assert obj.last_error_type == "INVALID_DATA"
    assert obj.last_error == "x" * 500, "error texts are capped"
    assert pending_lines(ledger) == [] and current_lines(ledger) == []


def test_an_edit_replaces_the_old_lines_only_when_sent(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00"), line("T2:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1001")

    # Version 2: T2 was removed in Spotilla, T3 added.
    v2 = [line("T1:h0", "25.00"), line("T3:h0", "40.00")]
    send(ledger, "h2", v2, action="edit")
    obj = ledger.get(INV)
    assert obj is not None
    assert (obj.content_hash, obj.pending_hash, obj.netvisor_key) == ("h1", "h2", "NV-1001")
    assert current_lines(ledger) == ["T1:h0", "T2:h0"], "Netvisor still holds version 1"

    ledger.mark_unknown(INV, "AMBIGUOUS_WRITE")
    assert current_lines(ledger) == ["T1:h0", "T2:h0"]
    ledger.back_to_planned(INV)
    assert current_lines(ledger) == ["T1:h0", "T2:h0"]

    send(ledger, "h2", v2, action="edit")
    ledger.mark_sent(INV, None)  # an edit answers without a new key
    obj = ledger.get(INV)
    assert obj is not None
    assert obj.attempts == 3
    assert (obj.state, obj.content_hash, obj.netvisor_key) == (LedgerState.SENT, "h2", "NV-1001")
    assert current_lines(ledger) == ["T1:h0", "T3:h0"]
    assert pending_lines(ledger) == []


def test_a_rejected_edit_keeps_the_version_netvisor_has(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1")
    send(ledger, "h2", [line("T9:h0", "1.00")], action="edit")
    ledger.mark_rejected(INV, "INVOICE_LOCKED", "already sent to the customer")
    obj = ledger.get(INV)
    assert obj is not None
    assert (obj.state, obj.content_hash, obj.netvisor_key) == (
        LedgerState.REJECTED,
        "h1",
        "NV-1",
    )
    assert current_lines(ledger) == ["T1:h0"]


def test_an_edit_to_no_lines_empties_the_invoice(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1")
    send(ledger, "h0", [], action="edit")
    ledger.mark_sent(INV, None)
    assert current_lines(ledger) == []


def test_restore_settled_abandons_a_planned_edit(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1")
    send(ledger, "h2", [line("T2:h0", "9.00")], action="edit")
    ledger.back_to_planned(INV)
    ledger.restore_settled(INV)
    obj = ledger.get(INV)
    assert obj is not None
    assert (obj.state, obj.content_hash, obj.pending_hash, obj.pending_action) == (
        LedgerState.SENT,
        "h1",
        None,
        None,
    )
    assert current_lines(ledger) == ["T1:h0"]


def undecided(ledger: Ledger) -> None:
    """Version 1 settled; the edit to version 2 left EDIT_UNCLEAR by reconcile."""
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sent(INV, "NV-1")
    send(ledger, "h2", [line("T1:h0", "50.00")], action="edit")
    ledger.mark_unknown(INV, EDIT_UNCLEAR, "reconcile: neither version")


def test_a_person_saying_netvisor_has_the_new_version_settles_it_and_is_recorded(
    ledger: Ledger,
) -> None:
    undecided(ledger)
    row = ledger.resolve_unclear(INV, "new", "maija")
    assert (row.state, row.content_hash, row.pending_hash, row.last_error_type) == (
        LedgerState.CONFIRMED,
        "h2",
        None,
        None,
    )
    assert [ln.amount for ln in ledger.billed_lines(document_key=INV)] == [D("50.00")]
    (record,) = ledger.resolutions(INV)
    assert (record["netvisor_has"], record["resolved_by"], record["netvisor_key"]) == (
        "new",
        "maija",
        "NV-1",
    )
    assert (record["content_hash"], record["pending_hash"]) == ("h1", "h2")
    assert datetime.fromisoformat(record["resolved_at"]).tzinfo is not None


def test_a_person_saying_netvisor_has_the_old_version_restores_it(ledger: Ledger) -> None:
    undecided(ledger)
    row = ledger.resolve_unclear(INV, "old", "maija")
    assert (row.state, row.content_hash, row.pending_hash, row.last_error_type) == (
        LedgerState.SENT,
        "h1",
        None,
        None,
    )
    assert [ln.amount for ln in ledger.billed_lines(document_key=INV)] == [D("25.00")]
    assert pending_lines(ledger) == []
    assert [r["netvisor_has"] for r in ledger.resolutions()] == ["old"]


def test_only_an_undecided_edit_can_be_resolved_by_a_person(ledger: Ledger) -> None:
    with pytest.raises(KeyError):
        ledger.resolve_unclear(INV, "new", "maija")
    send(ledger, "h1", [line("T1:h0", "25.00")])
    with pytest.raises(ValueError):  # sending: reconcile decides it, not a person
        ledger.resolve_unclear(INV, "new", "maija")
    ledger.mark_sent(INV, "NV-1")
    with pytest.raises(ValueError):
        ledger.resolve_unclear(INV, "old", "maija")
    undecided(ledger)
    with pytest.raises(ValueError):
        ledger.resolve_unclear(INV, "both", "maija")
    assert ledger.resolutions() == []
    assert ledger.get(INV).state is LedgerState.UNKNOWN


def test_a_customer_object_without_lines(ledger: Ledger) -> None:
    ledger.mark_sending("cust:S-17", ObjectKind.CUSTOMER, pending_hash="c1", action="create")
    ledger.mark_sent("cust:S-17", "NV-C-5")
    ledger.confirm_seen([("cust:S-17", "NV-C-5", "active")])
    obj = ledger.get("cust:S-17")
    assert obj is not None
    assert (obj.kind, obj.state, obj.netvisor_key, obj.content_hash, obj.netvisor_status) == (
        ObjectKind.CUSTOMER,
        LedgerState.CONFIRMED,
        "NV-C-5",
        "c1",
        "active",
    )
    assert obj.total is None and obj.period is None


@pytest.mark.parametrize(
    "transition",
    [
        lambda lg: lg.mark_sent("inv:none", "NV"),
        lambda lg: lg.mark_confirmed("inv:none", "NV"),
        lambda lg: lg.mark_unknown("inv:none", "X"),
        lambda lg: lg.mark_rejected("inv:none", "X"),
        lambda lg: lg.back_to_planned("inv:none"),
        lambda lg: lg.restore_settled("inv:none"),
    ],
)
def test_a_transition_of_an_unknown_object_is_an_error(ledger: Ledger, transition) -> None:
    with pytest.raises(KeyError):
        transition(ledger)


def test_objects_are_listed_by_kind_and_state_and_counted(ledger: Ledger) -> None:
    send(ledger, "h1", [line("T1:h0", "25.00")])
    ledger.mark_sending("cust:S-1", ObjectKind.CUSTOMER, pending_hash="c", action="create")
    ledger.mark_sent("cust:S-1", "NV-C-1")
    ledger.mark_sending("prod:P-1", ObjectKind.PRODUCT, pending_hash="p", action="create")
    ledger.mark_unknown("prod:P-1", "TIMEOUT")

    assert [o.key for o in ledger.objects()] == ["cust:S-1", INV, "prod:P-1"]
    assert [o.key for o in ledger.objects(kind=ObjectKind.INVOICE)] == [INV]
    assert [o.key for o in ledger.objects(states=IN_DOUBT)] == [INV, "prod:P-1"]
    assert ledger.objects(kind=ObjectKind.CUSTOMER, states=[LedgerState.UNKNOWN]) == []
    assert ledger.counts_by_state() == {
        "invoice": {"sending": 1},
        "customer": {"sent": 1},
        "product": {"unknown": 1},
    }


# -- quarantine ------------------------------------------------------------------------------


def q(record_id: str, rule: str = "unknown_product", reason: str = "product P-9 is not mapped"):
    return Quarantined("task", record_id, rule, reason, related=("T1", "T2"))


def test_quarantine_is_recorded_once_per_record_and_rule(ledger: Ledger) -> None:
    run = ledger.start_run("sync")
    assert ledger.record_quarantine(run, [q("T1"), q("T2"), q("T1")]) == 2
    entries = ledger.quarantine()
    assert [(e.record_id, e.rule, e.seen_count, e.resolved_at) for e in entries] == [
        ("T1", "unknown_product", 1, None),
        ("T2", "unknown_product", 1, None),
    ]
    assert entries[0].related == "T1,T2"
    assert entries[0].reason == "product P-9 is not mapped"


def test_a_record_seen_again_counts_up_and_others_resolve(ledger: Ledger) -> None:
    run1 = ledger.start_run("sync")
    ledger.record_quarantine(run1, [q("T1"), q("T2")])
    run2 = ledger.start_run("sync")
    ledger.record_quarantine(run2, [q("T1", reason="product P-9 is still not mapped")])

    open_entries = ledger.quarantine()
    assert [(e.record_id, e.seen_count) for e in open_entries] == [("T1", 2)]
    assert open_entries[0].reason == "product P-9 is still not mapped"
    everything = {e.record_id: e for e in ledger.quarantine(include_resolved=True)}
    assert everything["T2"].resolved_at is not None

    run3 = ledger.start_run("sync")
    ledger.record_quarantine(run3, [q("T1"), q("T2")])
    t2 = {e.record_id: e for e in ledger.quarantine()}["T2"]
    assert (t2.seen_count, t2.resolved_at) == (2, None), "a relapse reopens the entry"


def test_the_same_record_under_two_rules_is_two_entries(ledger: Ledger) -> None:
    run = ledger.start_run("sync")
    ledger.record_quarantine(run, [q("T1"), q("T1", rule="orphan_leaf")])
    assert sorted(e.rule for e in ledger.quarantine()) == ["orphan_leaf", "unknown_product"]


def test_quarantine_can_leave_others_open_and_filter_by_id(ledger: Ledger) -> None:
    run1 = ledger.start_run("sync")
    ledger.record_quarantine(run1, [q("T1"), q("T2")])
    run2 = ledger.start_run("sync")
    ledger.record_quarantine(run2, [q("T3")], resolve_others=False)
    entries = ledger.quarantine()
    assert [e.record_id for e in entries] == ["T1", "T2", "T3"]
    assert [e.record_id for e in ledger.quarantine(ids=[entries[2].id])] == ["T3"]


# -- audit, runs ----------------------------------------------------------------------------


def test_many_requests_are_audited_in_one_go(ledger: Ledger) -> None:
    run = ledger.start_run("sync")
    other = ledger.start_run("reconcile")
    at = datetime(2026, 4, 1, tzinfo=UTC)
    records = [
        SimpleNamespace(
            at=at,
            transaction_id=f"tx-{i}",
            method="GET",
            resource="customerlist.nv",
            outcome="ok",
            http_status=200,
            duration_ms=i,
        )
        for i in range(3)
    ]
    ledger.audit_many(run, records)
    ledger.audit_many(other, [])
    rows = list(ledger.db.query("SELECT * FROM requests ORDER BY id"))
    assert [r["transaction_id"] for r in rows] == ["tx-0", "tx-1", "tx-2"]
    assert {r["run_id"] for r in rows} == {run}  # nothing for the other run
    assert (rows[0]["method"], rows[0]["resource"], rows[0]["outcome"]) == (
        "GET",
        "customerlist.nv",
        "ok",
    )
    assert (rows[1]["http_status"], rows[1]["duration_ms"]) == (200, 1)
    assert rows[0]["at"] == "2026-04-01T00:00:00.000+00:00"
    assert "body" not in rows[0]  # a request is audited without its body


def test_a_run_starts_and_finishes_with_its_counts(ledger: Ledger) -> None:
    run = ledger.start_run("sync", period="2026-04", as_of="2026-05-02", dry_run=True)
    (row,) = ledger.runs()
    assert (row["id"], row["status"], row["finished_at"], row["dry_run"]) == (
        run,
        "running",
        None,
        1,
    )
    ledger.finish_run(
        run,
        "partial",
        {"extracted": 120, "quarantined": 2, "created": 5, "updated": 1, "bogus": 9},
        error_type=None,
        message="2 records quarantined",
    )
    (row,) = ledger.runs()
    assert row["status"] == "partial"
    assert row["finished_at"] is not None
    assert (row["extracted"], row["quarantined"], row["created"], row["updated"]) == (120, 2, 5, 1)
    assert (row["skipped"], row["failed"], row["unknown"], row["rejected"]) == (0, 0, 0, 0)
    assert row["message"] == "2 records quarantined"
    assert (row["period"], row["as_of"]) == ("2026-04", "2026-05-02")


def test_runs_are_listed_newest_first(ledger: Ledger) -> None:
    ids = [ledger.start_run("sync") for _ in range(4)]
    ledger.finish_run(ids[0], "failed", error_type="FATAL", message="401")
    assert [r["id"] for r in ledger.runs(limit=3)] == ids[::-1][:3]
    assert ledger.runs(limit=10)[-1]["error_type"] == "FATAL"


# -- privacy ---------------------------------------------------------------------------------

PERSONAL = re.compile(
    r"name|address|street|city|postal|email|phone|mobile|hetu|henkilo|ssn|birth|identity",
    re.IGNORECASE,
)


# SQLite's own bookkeeping, not a person's name.
NOT_PERSONAL = {"sqlite_sequence.name"}


def test_no_ledger_column_can_hold_personal_data(ledger: Ledger) -> None:
    if ledger.engine == "postgresql":
        columns = [
            f"{r['table_name']}.{r['column_name']}"
            for r in ledger.db.query(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema()"
            )
        ]
    else:
        columns = [
            f"{table}.{column['name']}"
            for table in ledger.db.table_names()
            for column in ledger.db.query(f"PRAGMA table_info({table})")
        ]
    assert "objects.customer_code" in columns  # the scan does see the columns
    for column in columns:
        assert column in NOT_PERSONAL or not PERSONAL.search(column.split(".")[1]), column


def test_no_ledger_api_accepts_personal_data(ledger: Ledger) -> None:
    fields = [f"BilledLine.{f.name}" for f in dataclasses.fields(BilledLine)]
    params = [
        f"{name}.{p}"
        for name, member in inspect.getmembers(Ledger, inspect.isfunction)
        if not name.startswith("_")
        for p in inspect.signature(member).parameters
    ]
    assert "mark_sending.customer_code" in params
    for name in fields + params:
        assert name in NOT_PERSONAL or not PERSONAL.search(name.split(".")[1]), name
    with pytest.raises(TypeError):
        ledger.mark_sending(  # type: ignore[call-arg]
            INV, ObjectKind.INVOICE, pending_hash="h", action="create", name="Maija Meikäläinen"
        )


def test_the_ledger_file_holds_only_what_it_was_given(path: Path) -> None:
    # A person's record exists in memory; the ledger is fed its ids only.
    person = {"id": "S-17", "name": "Maija Meikäläinen", "hetu": "010190-123A"}
    with Ledger(path) as ledger:
        run = ledger.start_run("sync")
        key = f"cust:{person['id']}"
        ledger.mark_sending(key, ObjectKind.CUSTOMER, pending_hash="c1", action="create")
        ledger.mark_sent(key, "NV-C-5")
        ledger.record_quarantine(run, [Quarantined("customer", "S-17", "invalid_email", "S-17")])
        ledger.finish_run(run, "ok", {"created": 1})
    raw = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.is_file())
    assert b"S-17" in raw  # the scan does see the data
    for text in ("Meikäläinen", "010190-123A"):
        assert text.encode() not in raw


# -- the run lock ----------------------------------------------------------------------------


def child_acquires(path: Path) -> subprocess.CompletedProcess[str]:
    script = (
        "import sys\n"
        "from connector.ledger import RunLock\n"
        "from connector.core.errors import RunLockedError\n"
        "try:\n"
        f"    RunLock({str(path)!r}).acquire()\n"
        "except RunLockedError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n"
        "print('acquired')\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_second_run_cannot_take_the_lock(path: Path) -> None:
    first, second = RunLock(path), RunLock(path)
    first.acquire()
    try:
        assert first.path == Path(str(path) + ".lock")
        assert first.path.read_text() == str(os.getpid())
        with pytest.raises(RunLockedError) as info:
            second.acquire()
        assert isinstance(info.value, FatalRunError)
        assert str(first.path) in str(info.value)
        assert f"pid {os.getpid()}" in str(info.value)
    finally:
        first.release()
    second.acquire()  # released: free again
    second.release()


def test_another_process_cannot_take_the_lock_while_it_is_held(path: Path) -> None:
    with RunLock(path):
        child = child_acquires(path)
        assert child.returncode == 3, child.stderr
        assert "another connector run holds the ledger lock" in child.stdout
    child = child_acquires(path)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip() == "acquired"


def test_release_is_idempotent_and_the_context_manager_releases(path: Path) -> None:
    lock = RunLock(path)
    lock.release()  # never acquired: harmless
    with lock:
        pass
    lock.release()
    with RunLock(path):
        assert RunLock(path).path.exists()


def test_a_version_4_ledger_gains_the_psop_customer_number_and_keeps_its_lines(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {v: sql for v, sql in ledger_module._MIGRATIONS.items() if v <= 4}
    with monkeypatch.context() as m:
        m.setattr(ledger_module, "_MIGRATIONS", old)
        m.setattr(ledger_module, "SCHEMA_VERSION", 4)
        with Ledger(path) as v4:
            v4.db.execute(
                "INSERT INTO billed_lines (document_key, version, seq, line_id, role, period,"
                " voucher_id, quantity, amount) VALUES (?,?,?,?,?,?,?,?,?)",
                [INV, "current", 0, "T1:h0", "client", "2026-04", None, "1", "25.00"],
            )
            v4.db.conn.commit()
            assert v4.schema_version == 4
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        (kept,) = ledger.billed_lines(document_key=INV)
        assert (kept.period, kept.amount, kept.psop_customer_number) == (
            Period(2026, 4),
            D("25.00"),
            None,
        )
        key = "inv:2026-05:C1001:client"
        with_number = dataclasses.replace(line("T2:h0", "30.00"), document_key=key)
        with_number = dataclasses.replace(with_number, psop_customer_number="P-4711")
        ledger.mark_sending(
            key, ObjectKind.INVOICE, pending_hash="h", action="create", lines=[with_number]
        )
        ledger.mark_sent(key, "NV-9")
        assert ledger.billed_lines(document_key=key) == [with_number]


def test_a_run_can_wait_for_the_lock_and_says_so_once(path: Path) -> None:
    import threading

    first = RunLock(path)
    first.acquire()
    waiting = threading.Event()
    told: list[str] = []

    def on_wait(holder: str) -> None:
        told.append(holder)
        waiting.set()

    releaser = threading.Thread(target=lambda: (waiting.wait(30), first.release()))
    releaser.start()
    second = RunLock(path)
    second.acquire(wait=60, on_wait=on_wait)  # returns once the holder lets go
    releaser.join(30)
    assert told == [str(os.getpid())]
    assert second.held and second.path.read_text() == str(os.getpid())
    second.release()


def test_a_wait_for_the_lock_that_runs_out_names_the_holder_and_the_wait(path: Path) -> None:
    with RunLock(path), pytest.raises(RunLockedError) as info:
        RunLock(path).acquire(wait=0.2)
    assert f"pid {os.getpid()}" in str(info.value) and "after waiting 0.2 s" in str(info.value)


def test_a_stop_request_ends_the_wait_for_the_lock(path: Path) -> None:
    import threading

    stop = threading.Event()
    with RunLock(path):
        stop.set()
        with pytest.raises(RunLockedError) as info:
            RunLock(path).acquire(wait=3600, cancel=stop)  # returns at once, never an hour
    assert "stopped while waiting" in str(info.value)


def test_a_version_8_ledger_learns_the_owner_of_every_billed_line(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {v: sql for v, sql in ledger_module._MIGRATIONS.items() if v <= 8}
    keys = ["inv:2026-04:C1001", "inv:2026-05:C1001", "org:2026-04:HEL", "inv:2026-04:C-2:x"]
    with monkeypatch.context() as m:
        m.setattr(ledger_module, "_MIGRATIONS", old)
        m.setattr(ledger_module, "SCHEMA_VERSION", 8)
        with Ledger(path) as v8:
            for i, key in enumerate(keys):
                v8.db.execute(
                    "INSERT INTO billed_lines (document_key, version, seq, line_id, role, period,"
                    " voucher_id, quantity, amount) VALUES (?,?,?,?,?,?,?,?,?)",
                    [key, "current", 0, f"T{i}:h0", "work", key[4:11], None, "1", "25.00"],
                )
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert [b.line_id for b in ledger.billed_lines(owner="inv:C-2:x")] == ["T3:h0"]
        assert ledger.billed_lines(owner="inv:C1001", documents=[keys[1]])[0].line_id == "T1:h0"
        many = [f"inv:2026-01:X{i}" for i in range(1200)] + keys  # beyond one statement's cap
        assert [b.line_id for b in ledger.billed_lines(documents=many)] == [
            b.line_id for b in ledger.billed_lines()
        ]
        assert [b.line_id for b in ledger.billed_lines(owner="inv:C1001")] == ["T0:h0", "T1:h0"]
        assert [b.line_id for b in ledger.billed_lines(owner="org:HEL")] == ["T2:h0"]
        assert ledger.billed_document_keys() == set(keys)
        # a line written now carries its owner too
        key = "inv:2026-06:C1001"
        ledger.mark_sending(
            key,
            ObjectKind.INVOICE,
            pending_hash="h",
            action="create",
            lines=[dataclasses.replace(line("T9:h0", "30.00"), document_key=key)],
        )
        assert [b.line_id for b in ledger.billed_lines(owner="inv:C1001")] == ["T0:h0", "T1:h0"]
        ledger.mark_sent(key, "NV-9")
        assert [b.line_id for b in ledger.billed_lines(owner="inv:C1001")][-1] == "T9:h0"


def test_version_10_gives_each_row_its_first_billing_day(path: Path) -> None:
    """A v9 ledger: each row gets the business day of the run that wrote it (its --as-of when
    rehearsed), else the day the row was made; a new write keeps the first day."""
    from connector.ledger import ObjectKind

    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    for version in range(1, 10):
        for statement in ledger_module.statements(version, "sqlite"):
            conn.execute(statement)
    conn.execute("PRAGMA user_version=9")
    conn.execute(
        "INSERT INTO runs (id, command, as_of, started_at) VALUES "
        "(1, 'sync', '2026-12-02', '2026-12-09T08:00:00+00:00')"
    )
    for key, run in (("inv:2026-11:A", 1), ("inv:2026-11:B", None)):
        conn.execute(
            "INSERT INTO objects (key, kind, state, period, run_id, created_at, updated_at)"
            " VALUES (?, 'invoice', 'sent', '2026-11', ?, '2026-12-07T10:00:00+00:00', '')",
            [key, run],
        )
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.get("inv:2026-11:A").billed_on == "2026-12-02"
        assert ledger.get("inv:2026-11:B").billed_on == "2026-12-07"
        ledger.mark_sending(
            "inv:2026-11:A",
            ObjectKind.INVOICE,
            pending_hash="h",
            action="edit",
            billed_on="2026-12-08",
        )
        assert ledger.get("inv:2026-11:A").billed_on == "2026-12-02"
        ledger.mark_sending(
            "inv:2026-12:A",
            ObjectKind.INVOICE,
            pending_hash="h",
            action="create",
            billed_on="2027-01-02",
        )
        assert ledger.get("inv:2026-12:A").billed_on == "2027-01-02"
