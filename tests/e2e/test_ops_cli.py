"""Operator-facing CLI behaviour through the real CLI: a cut-short reader keeps the exit code,
every hint names a command that works on what it is hinted for, a re-rendered report never
overwrites the run's own, backups refuse a missing folder, ids that name nothing exit 64."""

from __future__ import annotations

import html
import json
import os
import re
import shlex
import subprocess

import pytest
from e2e.harness import PERSON_NAMES, base_data, task
from e2e.test_ops_e2e import unmapped, work  # the same month of work

from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

pytestmark = pytest.mark.e2e
AS_OF = "2026-05-02"


def run_with_reader_gone(env, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has already gone (``| head -c 0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            env.cli_args(*args),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env._env(None),
            cwd=env.tmp,
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_a_reader_that_goes_away_does_not_turn_a_warning_into_success(make_env):
    env = make_env(work(unmapped()))
    piped = run_with_reader_gone(env, "sync", "--as-of", AS_OF)
    assert piped.returncode == EXIT_PARTIAL, piped.stderr  # a quarantined record: 1, as unpiped
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr
    # the run went to its end: the second run has nothing left to create
    unpiped = env.cli("sync", "--as-of", AS_OF)
    assert unpiped.returncode == EXIT_PARTIAL and "0 created" in unpiped.stdout, unpiped.stdout

    check = env.cli("status", "--check")
    assert check.returncode != EXIT_OK, check.stdout  # the quarantined record warns
    piped = run_with_reader_gone(env, "status", "--check")
    assert piped.returncode == check.returncode, piped.stderr
    assert "Traceback" not in piped.stderr

    # a command that succeeds still exits 0 with its reader gone
    piped = run_with_reader_gone(env, "status", "--runs", "1000")
    assert piped.returncode == EXIT_OK and "Traceback" not in piped.stderr


def april_with_held_work() -> dict:
    """L0001's voucher grants 20 h a month: T4 goes 3 h over it and T5 2 h (both held for the
    organiser's review); T9's product has no mapping (quarantined)."""
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="8"),
        task("T2", "L0001", "2026-04-10", hours="6"),
        task("T3", "L0001", "2026-04-17", hours="4"),
        task("T4", "L0001", "2026-04-24", hours="5"),
        task("T5", "L0001", "2026-04-28", hours="2"),
        unmapped(),
    ]
    return data


def hints(page: str) -> dict[str, list[str]]:
    """Record id -> the commands the report's "what to do" column names for it."""
    found: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if len(cells) == 5:  # kind, record, rule, reason, what to do
            found[cells[1]] = re.findall(r"`(connector [^`]+)`", cells[4])
    return found


def test_every_hint_names_a_command_that_works_on_what_it_is_hinted_for(make_env):
    env = make_env(april_with_held_work())
    first = env.cli("sync", "--as-of", AS_OF)
    assert first.returncode == EXIT_PARTIAL, first.stderr
    with env.ledger() as ledger:
        run_id = ledger.runs(1)[0]["id"]
    page = (env.tmp / "reports" / f"{run_id}.html").read_text(encoding="utf-8")
    hinted = hints(page)
    held = {i["id"]: i for i in json.loads(env.cli("review", "list", "--json").stdout)["review"]}
    assert len(held) == 2 and set(held) <= set(hinted)
    quarantined = [r for r in hinted if r not in held]
    assert len(quarantined) == 1, hinted

    # held work: the report names `review approve ID` and `review reject ID` for the line
    approve_id, reject_id = sorted(held)
    approve = next(c for c in hinted[approve_id] if " approve " in c)
    reject = next(c for c in hinted[reject_id] if " reject " in c)
    for command, effect in ((approve, "approved"), (reject, "rejected")):
        done = env.cli(*shlex.split(command)[1:])
        assert done.returncode == EXIT_OK, done.stdout + done.stderr
        assert effect in done.stdout
    decided = json.loads(env.cli("review", "list", "--json", "--all").stdout)["review"]
    assert {i["id"]: i["decision"] for i in decided} == {
        approve_id: "approve",
        reject_id: "reject",
    }

    # plan names the same commands for held work
    env2 = make_env(april_with_held_work(), name="env2")
    plan = env2.cli("plan", "--as-of", AS_OF)
    assert "connector review approve ID" in plan.stdout, plan.stdout
    assert "quarantine retry ID" not in plan.stdout
    withheld = json.loads(env2.cli("plan", "--as-of", AS_OF, "--json").stdout)["withheld"]
    (review,) = [w for w in withheld if w["kind"] == "held_for_review"]
    assert sorted(review["ids"]) == sorted(held)

    # a quarantined record: fixed in Spotilla, the hinted `quarantine retry ID` clears it
    (retry,) = hinted[quarantined[0]]
    assert retry.startswith("connector quarantine retry ")
    env.spotilla.update_task("T9", {"rows": [{"product_code": "KOTIHOITO-H", "quantity": "1"}]})
    cleared = env.cli(*shlex.split(retry)[1:], "--as-of", AS_OF)
    assert "cleared" in cleared.stdout, cleared.stdout + cleared.stderr


def test_report_without_out_keeps_the_runs_own_report(make_env):
    env = make_env(work())
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    with env.ledger() as ledger:
        run_id = ledger.runs(1)[0]["id"]
    reports = env.tmp / "reports"
    original = {p.name: p.read_bytes() for p in reports.iterdir()}
    names = [n for n in PERSON_NAMES if n.encode() in original[f"{run_id}.csv"]]
    assert names  # the run's own report shows names
    again = env.cli("report", str(run_id))
    assert again.returncode == EXIT_OK, again.stderr
    for name, content in original.items():
        assert (reports / name).read_bytes() == content, name  # untouched, names and all
    rerendered = (reports / f"{run_id}-ledger.csv").read_text(encoding="utf-8")
    assert str(reports / f"{run_id}-ledger.html") in again.stdout
    assert not any(name in rerendered for name in names)


def test_psop_report_before_any_import_says_so_and_advice_is_given_once_per_kind(make_env):
    env = make_env(april_with_held_work())
    env.sync(AS_OF)
    before = env.cli("psop", "report", "--period", "2026-04")
    assert before.returncode == EXIT_OK, before.stderr
    assert "No imported PSOP report covers 2026-04 yet: 4 events billed" in before.stdout
    assert "billed_not_in_psop" not in before.stdout and "what to do" not in before.stdout
    as_json = json.loads(env.cli("psop", "report", "--period", "2026-04", "--json").stdout)
    assert as_json["psop_report_covers_period"] is False

    # PSOP's report has only the first event: the other three are not in PSOP, one advice
    report = env.tmp / "psop.csv"
    lines = [
        "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila",
        "3.4.2026;100001;VK-2026-0001;KOTIHOITO;8;25,00;120,00;Hyväksytty",
    ]
    report.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    env.cli("psop", "import", str(report), "--report-date", "2026-05-20")
    after = env.cli("psop", "report", "--period", "2026-04")
    assert after.stdout.count("billed_not_in_psop: ") == 3, after.stdout
    assert after.stdout.count("what to do:") == 1
    assert "No imported PSOP report covers" not in after.stdout
    as_json = json.loads(env.cli("psop", "report", "--period", "2026-04", "--json").stdout)
    assert as_json["psop_report_covers_period"] is True


def test_ids_that_name_nothing_exit_64_in_review_and_quarantine_alike(make_env):
    env = make_env(work(unmapped()))
    env.sync(AS_OF)
    for args in (
        ("review", "approve", "NOPE:1"),
        ("review", "reject", "NOPE:1"),
        ("quarantine", "retry", "999", "--as-of", AS_OF),
    ):
        result = env.cli(*args)
        assert result.returncode == EXIT_USAGE, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_backup_into_a_missing_folder_is_refused(make_env, tmp_path):
    env = make_env(work())
    env.sync(AS_OF)
    target = tmp_path / "no-such-folder" / "deeper" / "ledger.sqlite"
    result = env.cli("ledger", "backup", str(target))
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "does not exist" in result.stderr and str(target.parent) in result.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_check_online_tries_every_api_and_reports_each(make_env):
    env = make_env(work())
    key = env.tmp / "secrets" / "netvisor_customer_key"
    key.write_text("wrong-key\n", encoding="utf-8")
    netvisor_down = env.cli("check", "--online")
    assert netvisor_down.returncode == EXIT_ABORTED, netvisor_down.stdout + netvisor_down.stderr
    out = netvisor_down.stdout
    assert re.search(r"Netvisor \S+: FAILED: ", out), out
    assert re.search(r"Spotilla \S+: credentials OK", out), out  # tried after Netvisor failed
    assert "1 of 2 APIs failed" in out

    (env.tmp / "secrets" / "spotilla_token").write_text("wrong-token\n", encoding="utf-8")
    both_down = env.cli("check", "--online")
    assert both_down.returncode == EXIT_ABORTED
    assert re.search(r"Spotilla \S+: FAILED: ", both_down.stdout), both_down.stdout
    assert "2 of 2 APIs failed" in both_down.stdout and "Traceback" not in both_down.stderr


def test_the_daemon_says_it_started_and_stopped_whatever_the_log_level(make_env):
    env = make_env(work())
    assert 'log_level = "WARNING"' in env.config_path.read_text(encoding="utf-8")
    proc = env.popen("daemon")
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        rest, err = proc.communicate(timeout=60)
    assert first.startswith("connector daemon ") and "started (pid " in first, (first, err)
    assert "log level WARNING" in first and "next runs: master_data 20" in first
    assert re.search(r"invoicing \d{4}-\d\d-\d\dT\d\d:\d\d\+0[23]:00", first), first
    assert "connector daemon stopped (exit code 0)" in rest, rest + err
    assert all(line.startswith(("{", "<")) for line in err.splitlines()), err  # JSON only


def test_sync_json_is_the_run_summary_for_machines(make_env):
    env = make_env(work(unmapped()))
    result = env.cli("sync", "--as-of", AS_OF, "--json")
    assert result.returncode == EXIT_PARTIAL, result.stderr
    summary = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert summary["schema_version"] == 1
    assert summary["command"] == "sync" and summary["status"] == "partial"
    assert summary["exit_code"] == EXIT_PARTIAL and summary["today"] == AS_OF
    assert summary["periods"] == ["2026-04"]
    assert summary["netvisor"]["created"] == summary["netvisor"]["writes"] > 0
    assert summary["document_total"] == "70.00"  # euros as a decimal string
    assert [(q["id"], q["rule"]) for q in summary["quarantined"]] == [("T9", "unknown_product")]
    assert summary["report_file"].endswith(f"{summary['run_id']}.html")
    assert summary["aborted"] is None and summary["stopped"] is False
    assert not any(name in result.stdout for name in PERSON_NAMES)
    again = json.loads(env.cli("sync", "--as-of", AS_OF, "--json").stdout)
    assert again["netvisor"]["writes"] == 0 and again["netvisor"]["skipped"] > 0
