"""A fresh, copied, restored or deleted ledger against a Netvisor that already holds the
connector's documents: nothing is created twice (connector/sync/adopt.py).

Every test ends with each document exactly once in Netvisor (``Env.totals`` fails on a key
present twice). Dates are pinned.
"""

from __future__ import annotations

import shutil
import signal
from decimal import Decimal

import pytest
from e2e.harness import base_data, task

from connector.core.config import load_config
from connector.core.errors import EXIT_OK, EXIT_PARTIAL
from connector.ledger import LedgerState

pytestmark = pytest.mark.slow


def work() -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T2", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T3", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
        task("T4", "L0100", "2026-05-10", quantity="2", unit_price="20.00"),
        task("T5", "L0001", "2026-05-11", hours="1"),
    ]
    return data


def use_ledger(env, name: str) -> None:
    """Point the env at a second config whose only change is the ledger path."""
    text = env.config_path.read_text(encoding="utf-8")
    assert 'ledger = "ledger.sqlite"' in text
    path = env.tmp / f"{name}.toml"
    path.write_text(text.replace('ledger = "ledger.sqlite"', f'ledger = "{name}.sqlite"'))
    env.config_path = path
    env.config = load_config(path)


def delete_ledger(env) -> None:
    """The SQLite ledger gone, with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        env.config.ledger_path.with_name(env.config.ledger_path.name + suffix).unlink(
            missing_ok=True
        )


def assert_settled_once(env, expected) -> None:
    assert env.totals() == expected  # fails on any key present twice
    with env.ledger() as ledger:
        states = {o.key: o.state for o in ledger.objects()}
    assert all(s in (LedgerState.SENT, LedgerState.CONFIRMED) for s in states.values()), states


def test_a_second_ledger_against_the_same_netvisor_adopts_instead_of_creating(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    expected = env.totals()
    assert len(expected) >= 3
    use_ledger(env, "second")
    plan = env.cli("plan", "--as-of", "2026-05-03")
    assert plan.returncode == EXIT_OK, plan.stdout + plan.stderr
    creates = [ln for ln in plan.stdout.splitlines() if ln.split()[:2] == ["create", "invoice"]]
    assert creates == [] and "adopted" in plan.stdout
    report = env.sync("2026-05-03")
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    assert report.counts["adopted"] == len(expected)
    assert report.counts["created"] == 7  # customers and products: found by code, as before
    assert_settled_once(env, expected)
    # the adopted ledger goes on like the first: May is billed once, April's stand
    assert env.sync("2026-06-02").exit_code == EXIT_OK
    totals = env.totals()
    assert {k: v for k, v in totals.items() if ":2026-04:" in k} == expected
    assert totals["inv:2026-05:SP-P0100"] == Decimal("40.00")
    assert env.sync("2026-06-03").exit_code == EXIT_OK and env.totals() == totals


def test_a_ledger_replaced_by_an_older_backup_reconciles_forward(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    backup = env.tmp / "yesterday.sqlite"
    assert env.cli("ledger", "backup", str(backup)).returncode == EXIT_OK
    assert env.sync("2026-06-02").exit_code == EXIT_OK  # May's documents, after the backup
    expected = env.totals()
    assert any(":2026-05:" in k for k in expected)
    delete_ledger(env)
    shutil.copyfile(backup, env.config.ledger_path)
    report = env.sync("2026-06-03")
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    assert report.counts["adopted"] == sum(1 for k in expected if ":2026-05:" in k)
    assert_settled_once(env, expected)
    writes = env.netvisor.write_count()
    assert env.sync("2026-06-04").exit_code == EXIT_OK
    assert env.netvisor.write_count() == writes


def test_a_deleted_ledger_adopts_every_document_again(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    assert env.sync("2026-06-02").exit_code == EXIT_OK
    expected = env.totals()
    delete_ledger(env)
    # the ledger is gone: start_period is what the new one starts from (April, as before)
    report = env.sync("2026-06-03")
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    assert report.counts["adopted"] == len(expected)
    assert_settled_once(env, expected)


def test_a_fresh_ledger_does_not_call_the_months_it_adopts_billed_late(make_env):
    """A deleted ledger bills April again after April's lock day (9 May). Every April document
    is in Netvisor as billed: adopted, nothing sent, so no "never invoiced ... billed late"
    notice asks a person to check documents that were not sent. A month with a document
    Netvisor does not hold as billed still gets the notice."""
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    assert env.sync("2026-06-02").exit_code == EXIT_OK
    expected = env.totals()
    delete_ledger(env)
    result = env.cli("sync", "--as-of", "2026-06-03")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "adopted" in result.stdout, result.stdout
    assert "never invoiced" not in result.stdout and "late" not in result.stdout, result.stdout
    assert_settled_once(env, expected)  # no invoice sent
    # one more April hour on a private client's document: that one is not as billed
    env.spotilla.add_task(task("T9", "L0100", "2026-04-20", quantity="1", unit_price="20.00"))
    use_ledger(env, "third")
    result = env.cli("sync", "--as-of", "2026-06-03")
    assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr
    assert "2026-04 was never invoiced" in result.stdout, result.stdout
    assert env.totals()["inv:2026-04:SP-P0100"] == Decimal("20.00")  # held, not edited


def test_an_invoice_changed_by_hand_is_held_for_a_person_then_adopted_on_request(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    expected = env.totals()
    key = "inv:2026-04:SP-P0100"
    found = env.invoice_by_key(key)
    env.netvisor.edit_invoice(
        found["key"], lines=found["lines"][:-1] or found["lines"], total=Decimal("1.00")
    )
    use_ledger(env, "second")
    report = env.sync("2026-05-03")
    assert report.exit_code == EXIT_PARTIAL
    assert any(key in p and "--adopt" in p for p in report.problems), report.problems
    assert env.totals()[key] == Decimal("1.00")  # held: not created again, not edited
    assert len(env.totals()) == len(expected)
    adopted = env.cli("sync", "--as-of", "2026-05-03", "--adopt")
    assert adopted.returncode == EXIT_OK, adopted.stdout + adopted.stderr
    assert_settled_once(env, expected)  # edited back to what billing produces


def test_an_invoice_changed_by_hand_and_sent_stays_held(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    key = "inv:2026-04:SP-P0100"
    found = env.invoice_by_key(key)
    env.netvisor.edit_invoice(found["key"], total=Decimal("1.00"))
    env.netvisor.set_invoice_status(found["key"], "open")
    use_ledger(env, "second")
    result = env.cli("sync", "--as-of", "2026-05-03", "--adopt")
    assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr
    assert key in result.stdout and "credit note" in result.stdout
    assert env.totals()[key] == Decimal("1.00")


def test_a_key_on_two_invoices_is_held_not_guessed(make_env):
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    expected = env.totals()
    key = "inv:2026-04:SP-P0100"
    other = next(i for i in env.invoices() if i["private_comment"] != key)
    env.netvisor.edit_invoice(other["key"], private_comment=key)  # a person's copy-paste
    use_ledger(env, "second")
    report = env.sync("2026-05-03")
    assert report.exit_code == EXIT_PARTIAL
    assert any(key in p and "2 invoices" in p for p in report.problems), report.problems
    # the key on two invoices: neither adopted, nothing more created under it (the document
    # whose key the person overwrote is missing from Netvisor, so it is made again)
    assert sum(1 for i in env.invoices() if i["private_comment"] == key) == 2
    assert len(env.invoices()) == len(expected) + 1
    with env.ledger() as ledger:
        assert ledger.get(key) is None


@pytest.mark.parametrize("point", ["after_adopt:invoice", "after_adopt:invoice@3"])
def test_a_kill_while_adopting_then_a_rerun_creates_nothing_twice(make_env, point):
    """SIGKILL right after an adoption is committed: the next run adopts the rest."""
    env = make_env(work())
    assert env.sync("2026-05-02").exit_code == EXIT_OK
    expected = env.totals()
    use_ledger(env, "second")
    killed = env.cli("sync", "--as-of", "2026-05-03", env={"CONNECTOR_FAILPOINTS": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = env.cli("sync", "--as-of", "2026-05-03")
    assert rerun.returncode == EXIT_OK, rerun.stdout + rerun.stderr
    assert_settled_once(env, expected)
