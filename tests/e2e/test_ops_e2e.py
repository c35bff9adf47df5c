"""For the accountant and the admin, through the real CLI: the run report and its figures, the
quarantine list that stays put, plan saying what it withholds, status --check, the Netvisor
environment binding, alerts, CLI conventions (config anywhere, exit 64, no traceback)."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
import subprocess
import sys
from decimal import Decimal

import pytest
from e2e.harness import PERSON_NAMES, base_data, task

from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

pytestmark = pytest.mark.e2e
AS_OF = "2026-05-02"


def work(*extra: dict) -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0001", "2026-04-11", hours="2"),
        *extra,
    ]
    return data


def unmapped() -> dict:
    return task("T9", "L0100", "2026-04-12", quantity="1", unit_price="5.00", code="EI-MAPATTU")


def test_every_sync_writes_a_run_report_whose_figures_match_netvisor(make_env):
    env = make_env(work(), language="fi")
    result = env.cli("sync", "--as-of", AS_OF)
    assert result.returncode == EXIT_OK, result.stderr
    # Finnish for people: the summary's date and amount
    assert "päivämäärä 2.5.2026" in result.stdout and "\u00a0€ (veroton)" in result.stdout
    with env.ledger() as ledger:
        run_id = ledger.runs(1)[0]["id"]
    page = (env.tmp / "reports" / f"{run_id}.html").read_text(encoding="utf-8")
    rows = list(
        csv.DictReader(
            io.StringIO((env.tmp / "reports" / f"{run_id}.csv").read_text(encoding="utf-8")),
            delimiter=";",
        )
    )
    documents = [r for r in rows if r["section"] in ("customer", "organiser")]
    # every document Netvisor now holds is in the report with the same gross total
    by_key = {r["document"]: r for r in documents}
    for key, total in env.totals().items():
        assert Decimal(by_key[key]["gross"].replace(",", ".")) == total, key
        assert by_key[key]["netvisor_key"] and by_key[key]["state"] == "sent"
    client = [r for r in documents if r["section"] == "customer"]
    assert client and any(r["name"] in PERSON_NAMES for r in client)  # run time: names shown
    assert all(r["name"] == "" for r in documents if r["section"] == "organiser")
    assert "<script" not in page and "Ajoraportti" in page
    assert f"raportti: {env.tmp / 'reports'}" in result.stdout  # where the report is

    # re-rendered from the ledger: the same figures, customer codes instead of names
    again = env.cli("report", str(run_id), "--out", str(env.tmp / "again"))
    assert again.returncode == EXIT_OK, again.stderr
    rerendered = (env.tmp / "again" / f"{run_id}-ledger.csv").read_text(encoding="utf-8")
    assert not any(name in rerendered for name in PERSON_NAMES)
    strip_names = [
        {**r, "name": ""} for r in csv.DictReader(io.StringIO(rerendered), delimiter=";")
    ]
    assert strip_names == [{**r, "name": ""} for r in rows]
    with env.ledger() as ledger:
        stored = ledger.report(run_id)[1]
    assert not any(name in stored for name in PERSON_NAMES)


def test_report_of_an_unknown_run_is_a_usage_error(make_env):
    env = make_env(work())
    env.cli("sync", "--as-of", AS_OF)
    result = env.cli("report", "999")
    assert result.returncode == EXIT_USAGE and "no report for run 999" in result.stderr


def test_the_quarantine_list_stays_put_when_a_run_does_not_recheck_it(make_env):
    env = make_env(work(unmapped()))
    first = env.cli("sync", "--as-of", AS_OF)
    assert first.returncode == EXIT_PARTIAL, first.stderr
    with env.ledger() as ledger:
        entries = ledger.quarantine()
    assert [(e.kind, e.record_id) for e in entries] == [("task", "T9")]
    # September: April is outside the look-back, nothing re-reads T9
    later = env.cli("sync", "--as-of", "2026-09-02")
    assert later.returncode in (EXIT_OK, EXIT_PARTIAL), later.stderr
    listed = json.loads(env.cli("quarantine", "list", "--json").stdout)
    assert listed["schema_version"] == 1
    assert [q["id"] for q in listed["quarantine"]] == [entries[0].id]

    retry = env.cli("quarantine", "retry", str(entries[0].id), "--as-of", "2026-09-02")
    assert f"{entries[0].id}: task T9" in retry.stdout
    assert "not re-checked: its period was not read by this run" in retry.stdout
    assert "cleared" not in retry.stdout
    with env.ledger() as ledger:
        assert [e.id for e in ledger.quarantine()] == [entries[0].id]

    # fixed and re-checked: only now is it cleared
    env.spotilla.delete_task("T9")
    env.spotilla.add_task(
        task("T9", "L0100", "2026-04-12", quantity="1", unit_price="5.00", code="KOTIHOITO-H")
    )
    fixed = env.cli("quarantine", "retry", str(entries[0].id), "--as-of", "2026-05-05")
    assert "cleared (re-checked and passed)" in fixed.stdout, fixed.stdout + fixed.stderr


def test_retry_of_an_unknown_id_or_key_is_an_error_and_runs_nothing(make_env):
    env = make_env(work())
    env.cli("sync", "--as-of", AS_OF)
    with env.ledger() as ledger:
        runs = len(ledger.runs(100))
    for arg in ("4242", "inv:2026-04:NOPE"):
        result = env.cli("quarantine", "retry", arg, "--as-of", AS_OF)
        assert result.returncode == EXIT_USAGE, result.stderr
        assert "nothing to retry" in result.stderr
    with env.ledger() as ledger:
        assert len(ledger.runs(100)) == runs


def test_plan_never_says_nothing_to_do_while_corrections_are_withheld(make_env):
    """April invoiced, then locked; a deleted April task is a correction that waits for May."""
    env = make_env(work())
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    env.spotilla.delete_task("T1")
    env.spotilla.delete_task("T2")
    result = env.cli("plan", "--period", "2026-04", "--as-of", "2026-05-20")
    assert result.returncode == EXIT_OK, result.stderr
    assert "Nothing to do" not in result.stdout
    assert "Withheld" in result.stdout and "correction lines of 2026-04" in result.stdout
    assert "how:" in result.stdout
    plan = json.loads(
        env.cli("plan", "--period", "2026-04", "--as-of", "2026-05-20", "--json").stdout
    )
    assert plan["schema_version"] == 1 and plan["today"] == "2026-05-20"
    withheld = [w for w in plan["withheld"] if w["kind"] == "deferred_corrections"]
    assert withheld[0]["count"] >= 2 and Decimal(withheld[0]["amount"]) < 0
    assert isinstance(plan["writes"], int)


def test_status_check_exits_0_1_2_with_one_line(make_env):
    env = make_env(work(unmapped()))
    none = env.cli("status", "--check")
    assert none.returncode == 2 and none.stdout.startswith("CONNECTOR CRITICAL")
    env.cli("sync", "--as-of", AS_OF)  # T9 quarantined
    partial = env.cli("status", "--check", "--warn-hours", "1000000", "--crit-hours", "2000000")
    assert partial.returncode == 1, partial.stdout
    assert partial.stdout.count("\n") == 1 and "1 quarantined" in partial.stdout
    stale = env.cli("status", "--check", "--warn-hours", "0", "--crit-hours", "0")
    assert stale.returncode == 2 and "last success" in stale.stdout
    status = json.loads(env.cli("status", "--json").stdout)
    assert status["schema_version"] == 1 and isinstance(status["runs"][0]["dry_run"], bool)


def test_a_ledger_bound_to_another_netvisor_refuses_until_rebound(make_env):
    env = make_env(work())
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    text = env.config_path.read_text()
    netvisor_url = env.servers[0].url
    assert netvisor_url.startswith("http://127.0.0.1:")
    env.config_path.write_text(
        text.replace(netvisor_url, netvisor_url.replace("127.0.0.1", "localhost"))
    )
    writes = env.netvisor.write_count()
    refused = env.cli("sync", "--as-of", AS_OF)
    assert refused.returncode == EXIT_ABORTED
    assert "belongs to another Netvisor environment" in refused.stderr
    assert "connector ledger rebind" in refused.stderr
    assert env.netvisor.write_count() == writes
    rebind = env.cli("ledger", "rebind")
    assert rebind.returncode == EXIT_OK and "now belongs to host localhost" in rebind.stdout
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK


def test_the_alert_command_receives_json_once_per_new_problem(make_env):
    script = (
        "import sys\nopen(sys.argv[1], 'a').write(sys.stdin.read().replace('\\n', ' ') + '\\n')\n"
    )
    env = make_env(work(unmapped()))
    (env.tmp / "alert.py").write_text(script)
    out = env.tmp / "alerts.jsonl"
    env.config_path.write_text(
        env.config_path.read_text()
        + f'\n[alerts]\ncommand = ["{sys.executable}", "{env.tmp / "alert.py"}", "{out}"]\n'
    )
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_PARTIAL
    assert env.cli("sync", "--as-of", "2026-05-03").returncode == EXIT_PARTIAL
    sent = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(sent) == 1, "the same problem is announced once"
    assert sent[0]["schema_version"] == 1
    assert [(p["problem"], p["id"], p["rule"]) for p in sent[0]["problems"]] == [
        ("quarantine", "T9", "unknown_product")
    ]
    assert not any(name in out.read_text() for name in PERSON_NAMES)


def test_as_of_in_the_future_is_refused_unless_dry_run(make_env):
    env = make_env(work())
    refused = env.cli("sync", "--as-of", "2099-01-02")
    assert refused.returncode == EXIT_USAGE and "--dry-run" in refused.stderr
    assert env.cli("sync", "--as-of", "2099-01-02", "--dry-run").returncode in (0, 1)
    assert env.netvisor.write_count() == 0


def test_config_before_or_after_the_subcommand_or_from_the_environment(make_env):
    env = make_env(work())
    before = subprocess.run(
        [sys.executable, "-m", "connector", "--config", str(env.config_path), "status"],
        capture_output=True,
        text=True,
        env=env._env(None),
        cwd=env.tmp,
    )
    from_env = subprocess.run(
        [sys.executable, "-m", "connector", "status"],
        capture_output=True,
        text=True,
        env=env._env({"CONNECTOR_CONFIG": str(env.config_path)}),
        cwd=env.tmp.parent,
    )
    after = env.cli("status")
    for result in (before, from_env, after):
        assert result.returncode == EXIT_OK, result.stderr
        assert str(env.config.ledger_path) in result.stdout


def test_a_wrong_command_line_exits_64_not_2(make_env):
    env = make_env(work())
    for args in (("sync", "--no-such-option"), ("plan", "--period", "2026-13"), ("frobnicate",)):
        result = env.cli(*args)
        assert result.returncode == EXIT_USAGE, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_no_traceback_for_a_closed_pipe_an_unwritable_out_or_a_port_in_use(make_env, tmp_path):
    env = make_env(work())
    env.cli("sync", "--as-of", AS_OF)
    # `connector status | head`: the reader is gone before we write
    proc = env.popen("status", "--runs", "1000")
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_OK and "Traceback" not in err and "BrokenPipe" not in err

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for args in (
        ("report", "--out", str(blocker / "sub")),
        ("mappings", "schema", "--out", str(blocker / "sub")),
    ):
        result = env.cli(*args)
        assert result.returncode == EXIT_ABORTED, (args, result.stderr)
        assert "Traceback" not in result.stderr and str(blocker) in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = env.cli("sandbox", "serve", "--port", str(port), timeout=60)
    assert result.returncode == EXIT_ABORTED
    assert "Traceback" not in result.stderr and "in use" in result.stderr


def test_sandbox_serve_writes_a_ready_config_for_rehearsals(make_env, tmp_path):
    env = make_env(work())
    folder = tmp_path / "rehearsal"
    proc = env.popen("sandbox", "serve", "--write-config", str(folder))
    try:
        for line in proc.stdout:
            if line.startswith("Config for these sandboxes"):
                break
        config = folder / "config.toml"
        assert "secret" not in config.read_text().lower().replace("secrets/", "")
        assert all((p.stat().st_mode & 0o077) == 0 for p in (folder / "secrets").iterdir())
        check = subprocess.run(
            [sys.executable, "-m", "connector", "check", "--online", "--config", str(config)],
            capture_output=True,
            text=True,
            env=env._env(None),
            timeout=120,
        )
        assert check.returncode in (EXIT_OK, EXIT_PARTIAL), check.stderr
        assert re.search(r"Netvisor .*tunnukset OK", check.stdout)  # the config's default: fi
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_ledger_backup_writes_a_consistent_copy(make_env, tmp_path):
    import sqlite3

    env = make_env(work())
    env.cli("sync", "--as-of", AS_OF)
    target = tmp_path / "backup.sqlite"
    result = env.cli("ledger", "backup", str(target))
    assert result.returncode == EXIT_OK, result.stderr
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM objects").fetchone()[0] > 0
    finally:
        conn.close()
    again = env.cli("ledger", "backup", str(target))
    assert again.returncode == EXIT_ABORTED and "exists" in again.stderr


def test_status_and_quarantine_list_speak_finnish_with_helsinki_times(make_env):
    env = make_env(work(unmapped()), language="fi")
    env.cli("sync", "--as-of", AS_OF)
    status = env.cli("status")
    assert status.returncode == EXIT_OK, status.stderr
    assert "Viimeisimmät ajot:" in status.stdout and "Karanteenissa: 1" in status.stdout
    assert re.search(r"\b\d{1,2}\.\d{1,2}\.20\d\d \d{1,2}\.\d\d\b", status.stdout)  # d.M.yyyy H.mm
    listed = env.cli("quarantine", "list")
    assert "ENSIN NÄHTY" in listed.stdout and "T9" in listed.stdout


def test_plan_speaks_finnish_by_default(make_env):
    env = make_env(work(), language="fi")
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    env.spotilla.delete_task("T1")
    result = env.cli("plan", "--period", "2026-04", "--as-of", "2026-05-20")
    assert result.returncode == EXIT_OK, result.stderr
    assert "Ei lähetettävää." in result.stdout and "Pidätetty" in result.stdout
    assert "1 korjausrivi kaudelta 2026-04" in result.stdout and "miten:" in result.stdout


def test_a_month_never_invoiced_is_billed_late_as_its_own_document(make_env):
    """April invoiced; nothing ran while May was open (1-9 June); July's run bills May as May's
    own document with a warning, not as correction rows on June's."""
    env = make_env(work())
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    env.spotilla.add_task(task("T5", "L0100", "2026-05-12", quantity="1", unit_price="20.00"))
    env.spotilla.add_task(task("T6", "L0100", "2026-06-03", quantity="2", unit_price="20.00"))
    result = env.cli("sync", "--as-of", "2026-07-02")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    assert "2026-05 was never invoiced" in result.stdout and "late" in result.stdout
    totals = env.totals()
    assert totals["inv:2026-05:SP-P0100"] == Decimal("20.00")
    assert totals["inv:2026-06:SP-P0100"] == Decimal("40.00")  # no May rows in June
    june = env.invoice_by_key("inv:2026-06:SP-P0100")
    assert all("T5" not in (ln.get("free_text") or "") for ln in june["lines"])
    again = env.cli("sync", "--as-of", "2026-07-03")  # billed once: May is invoiced now
    assert again.returncode == EXIT_OK and "never invoiced" not in again.stdout
    assert env.totals() == totals
