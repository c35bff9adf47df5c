"""What the operator's tools keep in the ledger: its Netvisor environment, each run's report,
the problems already announced (on both engines), and backups (online, and before every schema
migration; SQLite's file)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import connector.ledger.schema as schema_module
from connector.ledger import SCHEMA_VERSION, Ledger

ENV = {
    "netvisor_host": "isvapi.netvisor.fi",
    "netvisor_customer_id": "XX_0000_1",
    "netvisor_organisation_id": "1234567-8",
}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.sqlite"


def test_a_new_ledger_is_bound_to_no_environment_until_told(ledger_location: object) -> None:
    with Ledger(ledger_location) as ledger:
        assert ledger.binding() is None
        ledger.bind(ENV)
    with Ledger(ledger_location) as ledger:
        assert ledger.binding() == ENV


def test_a_run_report_is_kept_per_run_and_the_latest_is_found(ledger_location: object) -> None:
    with Ledger(ledger_location) as ledger:
        ledger.save_report(1, '{"run_id": 1}')
        ledger.save_report(2, '{"run_id": 2}')
        assert ledger.report(1) == (1, '{"run_id": 1}')
        assert ledger.report() == (2, '{"run_id": 2}')
        assert ledger.report(9) is None


def test_a_problem_is_announced_once_and_again_only_after_it_went_away(
    ledger_location: object,
) -> None:
    with Ledger(ledger_location) as ledger:
        assert ledger.unannounced([("q:a", "quarantine"), ("q:b", "quarantine")]) == ["q:a", "q:b"]
        assert ledger.unannounced([("q:a", "quarantine"), ("q:c", "quarantine")]) == ["q:c"]
        ledger.forget_alerts("quarantine", keep=["q:c"])
        assert ledger.unannounced([("q:a", "quarantine"), ("q:c", "quarantine")]) == ["q:a"]


def test_a_backup_is_a_consistent_copy_taken_while_another_connection_writes(
    path: Path, tmp_path: Path
) -> None:
    with Ledger(path) as ledger:
        for _ in range(50):
            ledger.start_run("sync")
    started = threading.Event()

    def write() -> None:
        with Ledger(path) as other:
            started.set()
            for _ in range(200):
                other.start_run("daemon:full")

    writer = threading.Thread(target=write)
    writer.start()
    started.wait()
    with Ledger(path) as ledger:
        copy = ledger.backup(tmp_path / "copy.sqlite")
    writer.join()
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] >= 50
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert (copy.stat().st_mode & 0o077) == 0


def test_a_backup_never_overwrites_a_file(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "there.sqlite"
    target.write_text("precious")
    with Ledger(path) as ledger, pytest.raises(FileExistsError):
        ledger.backup(target)
    assert target.read_text() == "precious"


def test_a_schema_migration_first_backs_the_ledger_up(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Ledger(path) as ledger:
        ledger.start_run("sync")
    nxt = SCHEMA_VERSION + 1
    monkeypatch.setattr(
        schema_module, "_MIGRATIONS", {**schema_module._MIGRATIONS, nxt: "CREATE TABLE x (i)"}
    )
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", nxt)
    with Ledger(path) as ledger:
        assert ledger.schema_version == nxt
    backup = path.with_name(f"{path.name}.v{SCHEMA_VERSION}.bak")
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT command FROM runs").fetchall() == [("sync",)]
    finally:
        conn.close()


def test_a_fresh_ledger_is_not_backed_up(path: Path) -> None:
    Ledger(path).close()
    assert sorted(p.name for p in path.parent.iterdir() if ".bak" in p.name) == []
