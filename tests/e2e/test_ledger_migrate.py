"""``connector ledger migrate --to postgresql://...``: a SQLite ledger that has billed a month is
copied into PostgreSQL whole, and the connector goes on from there without sending anything
twice. Skipped (saying why) without a PostgreSQL server; CI runs it under ``pg_virtualenv``."""

from __future__ import annotations

import sqlite3

import pgserver
import pytest
from e2e.harness import base_data, task

from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_USAGE
from connector.ledger import Ledger
from connector.ledger.transfer import AMOUNT_COLUMNS, _sum

pytestmark = pytest.mark.slow

AS_OF = "2026-05-02"


@pytest.fixture
def billed(make_env):
    """A SQLite ledger after one month of billing (runs, objects, lines, audit, reports)."""
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T3", "L0100", "2026-04-10", quantity="3", code="ATERIA"),
        task("T5", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
        task("T9", "L0100", "2026-04-13", code="NO-SUCH-PRODUCT", quantity="1"),  # quarantined
    ]
    env = make_env(data, name="billed", ledger_engine="sqlite")
    assert env.sync(AS_OF).exit_code in (0, 1)
    return env


def sqlite_figures(path) -> dict[str, tuple[int, dict[str, object]]]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall():
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            count = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            sums = {
                c: _sum(conn.execute(f"SELECT {c} FROM {table}"))
                for c in columns
                if c in AMOUNT_COLUMNS
            }
            out[table] = (count, sums)
        return out
    finally:
        conn.close()


def test_a_billed_ledger_moves_to_postgresql_whole_and_nothing_is_sent_again(billed) -> None:
    url = pgserver.require()
    company = pgserver.new_company()
    try:
        before = sqlite_figures(billed.config.ledger_path)
        assert before["objects"][0] >= 8 and before["billed_lines"][0] >= 3
        assert before["runs"][0] == 1 and before["requests"][0] > 0
        assert before["quarantine"][0] >= 1

        moved = billed.cli("ledger", "migrate", "--to", url, "--company", company)
        assert moved.returncode == EXIT_OK, moved.stdout + moved.stderr
        assert "counts and amount sums verified" in moved.stdout
        assert f'company = "{company}"' in moved.stdout

        sqlite_path = billed.config.ledger_path
        billed.use_postgres(company)
        with Ledger(sqlite_path) as old, Ledger(billed.config.ledger_path) as new:
            assert new.engine == "postgresql"
            assert new.objects() == old.objects()  # every state, key, hash and amount
            assert new.billed_lines() == old.billed_lines()
            assert new.runs() == old.runs()
            assert new.quarantine() == old.quarantine()
            assert new.binding() == old.binding()
            assert new.report() == old.report()
            for table, (count, sums) in before.items():
                (got,) = new.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                assert got == count, table
                for column, total in sums.items():
                    assert _sum(new.db.execute(f"SELECT {column} FROM {table}")) == total

        writes = billed.netvisor.write_count()
        again = billed.cli("sync", "--as-of", AS_OF)
        assert again.returncode in (EXIT_OK, 1), again.stdout + again.stderr
        assert billed.netvisor.write_count() == writes  # the ledger knew everything already
        with Ledger(billed.config.ledger_path) as new:
            assert [r["id"] for r in new.runs()] == [2, 1]  # run ids go on after the copy

        # the company now has rows there: a second copy is refused, nothing is touched
        billed.config_path.write_text(
            billed.config_path.read_text(encoding="utf-8").replace(
                f'ledger = "{url}"', 'ledger = "ledger.sqlite"'
            ),
            encoding="utf-8",
        )
        refused = billed.cli("ledger", "migrate", "--to", url, "--company", company)
        assert refused.returncode == EXIT_ABORTED, refused.stdout + refused.stderr
        assert "already has rows" in refused.stderr
    finally:
        pgserver.drop(company)


def test_a_url_with_a_password_or_a_bad_company_key_is_refused(billed) -> None:
    leaked = billed.cli(
        "ledger", "migrate", "--to", "postgresql://u:hunter2@db.example/ledger", "--company", "a"
    )
    assert leaked.returncode == EXIT_USAGE
    assert "password" in leaked.stderr and "hunter2" not in leaked.stdout + leaked.stderr
    bad = billed.cli("ledger", "migrate", "--to", "postgresql://db.example/l", "--company", "A-1")
    assert bad.returncode == EXIT_USAGE and "company key" in bad.stderr
