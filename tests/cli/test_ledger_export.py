"""`connector ledger export` for auditors: a real ledger filled by a real sync over the sandboxes
(loopback HTTP), exported through the real CLI, every file compared with the ledger itself."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from e2e.harness import PERSON_NAMES, STREET, Env, base_data, task

from connector.cli.export import export_ledger
from connector.core.errors import EXIT_OK, EXIT_USAGE, UsageError
from connector.core.logging import configure

pytestmark = pytest.mark.e2e
AS_OF = "2026-05-02"


@pytest.fixture
def synced(make_env: Any) -> Env:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0001", "2026-04-11", hours="2"),
        task("T3", "L0009", "2026-04-12", quantity="2", unit_price="35.50"),
    ]
    env = make_env(data)
    configure()  # as the CLI does (an earlier test may have pointed logging at a closed stream)
    report = env.sync(AS_OF)
    assert report.exit_code == EXIT_OK
    return env


def ledger_tables(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table's columns and rows in primary-key order, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        out = {}
        for name in names:
            info = conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = [c[1] for c in info]
            pks = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]] or ["rowid"]
            order = ", ".join(f'"{k}"' for k in pks)
            rows = conn.execute(f'SELECT * FROM "{name}" ORDER BY {order}').fetchall()
            out[name] = (columns, rows)
    return out


def test_csv_export_holds_every_table_exactly_as_the_ledger(synced: Env, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    result = synced.cli("ledger", "export", "--out", str(out))
    assert result.returncode == EXIT_OK, result.stderr
    tables = ledger_tables(synced.config.ledger_path)
    assert {p.name for p in out.iterdir()} == {f"{t}.csv" for t in tables}
    # the sync wrote what an auditor looks for
    assert len(tables["objects"][1]) >= 3 and tables["billed_lines"][1] and tables["runs"][1]
    for name, (columns, rows) in tables.items():
        with (out / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            read = list(csv.reader(f))
        assert read[0] == columns, name
        assert read[1:] == [["" if v is None else str(v) for v in row] for row in rows], name
        noun = "row" if len(rows) == 1 else "rows"
        assert f"{name}: {len(rows)} {noun} -> " in result.stdout
    assert (out.stat().st_mode & 0o777) == 0o700
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in out.iterdir())
    text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for secret in (*PERSON_NAMES, STREET):
        assert secret not in text


def test_json_export_of_named_tables(synced: Env, tmp_path: Path) -> None:
    out = tmp_path / "audit"
    out.mkdir()  # an empty folder is fine
    result = synced.cli(
        "ledger", "export", "--format", "json", "--table", "objects", "--table", "billed_lines",
        "--out", str(out),
    )  # fmt: skip
    assert result.returncode == EXIT_OK, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["billed_lines.json", "objects.json"]
    tables = ledger_tables(synced.config.ledger_path)
    for name in ("objects", "billed_lines"):
        columns, rows = tables[name]
        exported = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert exported == [dict(zip(columns, row, strict=True)) for row in rows]
    amounts = {row["amount"] for row in json.loads((out / "billed_lines.json").read_text())}
    assert "71.00" in amounts  # T3: 2 x 35,50, as the ledger stores it (a decimal string)


def test_refusals_name_the_problem_and_write_nothing(synced: Env, tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine", encoding="utf-8")
    result = synced.cli("ledger", "export", "--out", str(busy))
    assert result.returncode == EXIT_USAGE
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]

    fresh = tmp_path / "fresh"
    result = synced.cli(
        "ledger", "export", "--table", "objects", "--table", "people", "--out", str(fresh)
    )
    assert result.returncode == EXIT_USAGE
    assert "no table people" in result.stderr and "objects" in result.stderr
    assert not fresh.exists()

    afile = tmp_path / "a-file"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="is a file"):
        export_ledger(synced.config.ledger_path, afile)


def test_export_reads_one_snapshot_while_a_writer_holds_the_ledger(
    synced: Env, tmp_path: Path
) -> None:
    """WAL: the export neither waits for nor sees a write transaction that has not committed."""
    path = synced.config.ledger_path
    before = ledger_tables(path)["runs"][1]
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE runs SET status = 'changing'")
        written = export_ledger(path, tmp_path / "audit", "json", ["runs"])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert written == [("runs", tmp_path / "audit" / "runs.json", len(before))]
    runs = json.loads((tmp_path / "audit" / "runs.json").read_text(encoding="utf-8"))
    assert "changing" not in {r["status"] for r in runs}
