"""The CLI as users and scripts see it: plan, dry run, status, check, schema, demo; and the
privacy promise: no secret and no client name in the logs or the ledger file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading

from e2e.harness import PERSON_NAMES, REPO, STREET, base_data, task

from connector.cli.demo import example_mappings
from connector.core.errors import EXIT_CONFIG, EXIT_OK, EXIT_PARTIAL

AS_OF = "2026-05-02"


def work() -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T4", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
        task("T5", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
    ]
    return data


def test_plan_changes_nothing_and_speaks_json(make_env):
    env = make_env(work())
    result = env.cli("plan", "--as-of", AS_OF, "--json")
    assert result.returncode == EXIT_OK, result.stderr
    plan = json.loads(result.stdout)
    actions = {(a["action"], a["key"]) for a in plan["actions"]}
    assert ("create", "inv:2026-04:SP-P0001") in actions
    assert ("create", "cust:SP-P0001") in actions
    assert plan["periods"] == ["2026-04"]
    assert env.netvisor.write_count() == 0
    assert not env.config.ledger_path.exists() or not env.ledger().objects()

    table = env.cli("plan", "--as-of", AS_OF)
    assert "inv:2026-04:SP-P0001" in table.stdout and "writes planned" in table.stdout


def test_dry_run_renders_every_xml_body_into_the_outbox_and_sends_nothing(make_env):
    from lxml import etree

    env = make_env(work())
    result = env.cli("sync", "--dry-run", "--as-of", AS_OF)
    assert result.returncode == EXIT_OK, result.stderr
    assert env.netvisor.write_count() == 0
    folders = list((env.tmp / "outbox").iterdir())
    assert len(folders) == 1
    bodies = sorted(folders[0].glob("*.xml"))
    assert any("salesinvoice" in p.name or "inv_" in p.name for p in bodies)
    for body in bodies:
        etree.fromstring(body.read_bytes())  # well-formed
    assert (folders[0] / "plan.txt").exists()


def test_status_after_a_sync(make_env):
    env = make_env(work())
    assert env.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK
    result = env.cli("status", "--json")
    assert result.returncode == EXIT_OK
    status = json.loads(result.stdout)
    assert status["runs"][0]["status"] == "ok"
    assert status["objects"]["invoice"]["sent"] >= 2
    assert status["pending_reconciliation"] == []
    human = env.cli("status")
    assert "Last runs" in human.stdout and "invoice" in human.stdout


def test_check_validates_offline_and_online(make_env):
    env = make_env(work())
    offline = env.cli("check")
    assert offline.returncode == EXIT_OK, offline.stderr
    assert "mappings" in offline.stdout
    online = env.cli("check", "--online")
    assert online.returncode in (EXIT_OK, EXIT_PARTIAL), online.stderr
    assert "credentials OK" in online.stdout


def test_check_online_warns_of_a_unit_value_that_looks_like_psops_total_and_strict_refuses(
    make_env, tmp_path
):
    """Seed 000 (HUOM): the unit value is one voucher's value, not the total PSOP's screen shows;
    20 h x 15,00 = 300,00 entered as the unit value is warned about, and refused with --strict."""
    mappings = tmp_path / "mappings"
    shutil.copytree(example_mappings(), mappings)
    targets = mappings / "targets.toml"
    text = targets.read_text(encoding="utf-8")
    wrong = text.replace(
        'unit_value = "15.00"\nquantity_per_period = "20"',
        'unit_value = "300.00"\nquantity_per_period = "20"',
        1,
    )
    assert wrong != text
    targets.write_text(wrong, encoding="utf-8")
    env = make_env(work(), mappings=mappings)
    lenient = env.cli("check", "--online")
    assert lenient.returncode in (EXIT_OK, EXIT_PARTIAL), lenient.stdout + lenient.stderr
    assert "warning:" in lenient.stdout and "VK-2026-0001" in lenient.stdout
    strict = env.cli("check", "--online", "--strict")
    assert strict.returncode == EXIT_CONFIG, strict.stdout + strict.stderr


def test_mappings_schema_writes_a_json_schema_per_file(tmp_path):
    out = tmp_path / "schemas"
    result = subprocess.run(
        [sys.executable, "-m", "connector", "mappings", "schema", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == EXIT_OK, result.stderr
    names = {p.name for p in out.iterdir()}
    # one file per mapping file: targets.toml and targets.csv no longer overwrite each other
    assert {
        "regions.toml.schema.json",
        "targets.toml.schema.json",
        "targets.csv.schema.json",
        "products.toml.schema.json",
    } <= names
    from connector.mapping import json_schemas

    assert len(names) == len(json_schemas())
    for p in out.iterdir():
        assert json.loads(p.read_text())["type"] == "object"
    toml_targets = json.loads((out / "targets.toml.schema.json").read_text())
    csv_row = json.loads((out / "targets.csv.schema.json").read_text())
    assert toml_targets != csv_row


def test_no_secret_and_no_client_name_reaches_logs_or_the_ledger(make_env):
    env = make_env(work())
    config = env.config_path.read_text().replace(
        'log_level = "WARNING"', 'log_level = "DEBUG"\nlog_format = "json"'
    )
    env.config_path.write_text(config)
    result = env.cli("sync", "--as-of", AS_OF)
    assert result.returncode == EXIT_OK, result.stderr
    logs = result.stderr
    assert '"event"' in logs  # JSON lines were written
    secrets = [
        env.netvisor.credentials["customer_key"],
        env.netvisor.credentials["partner_key"],
        env.spotilla.credentials["token"],
    ]
    ledger_bytes = b"".join(
        p.read_bytes()
        for p in env.config.ledger_path.parent.glob(env.config.ledger_path.name + "*")
    )
    for needle in [*secrets, *PERSON_NAMES, STREET, "010190-999X", "yksi@example.invalid"]:
        assert needle not in logs, f"{needle!r} in the logs"
        assert needle.encode() not in ledger_bytes, f"{needle!r} in the ledger file"
    # the names did reach Netvisor, where the client's invoice needs them
    assert any(c["name"] == PERSON_NAMES[0] for c in env.netvisor.customers())


def test_demo_runs_the_whole_job_and_sends_nothing_twice():
    result = subprocess.run(
        # a pinned today: the demo's data and dates follow it, never the day the test runs
        [sys.executable, "-m", "connector", "demo", "--today", "2026-05-14"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    out = result.stdout
    assert "Netvisor-kirjoituksia toisessa ajossa: 0" in out  # Finnish by default
    assert "karanteenissa:" in out and "invalid_business_id" in out  # Finnish by default
    assert "org:" in out and "PSETELI" in out


def test_the_daemon_starts_with_its_schedules_and_stops_cleanly_on_sigterm(make_env):
    import signal

    env = make_env(work())
    text = env.config_path.read_text().replace('log_level = "WARNING"', 'log_level = "INFO"')
    # schedules far from "now", so no job fires during the test
    text += '\n[schedule]\nmaster_data = "0 0 1 1 *"\ninvoicing = "30 0 1 1 *"\n'
    env.config_path.write_text(text)
    proc = env.popen("daemon")
    watchdog = threading.Timer(60, proc.kill)  # a daemon that never logs must not hang the suite
    watchdog.start()
    try:
        started = ""
        while "daemon_started" not in started:  # the daemon logs JSON lines to stderr
            line = proc.stderr.readline()
            if not line:
                break
            started += line
        assert "daemon_started" in started, started
        event = json.loads(next(ln for ln in started.splitlines() if "daemon_started" in ln))
        assert event["timezone"] == "Europe/Helsinki"
        assert {job["job"] for job in event["jobs"]} == {"master_data", "invoicing"}
        assert {job["cron"] for job in event["jobs"]} == {"0 0 1 1 *", "30 0 1 1 *"}
        assert all(job["next_run"].startswith("20") for job in event["jobs"])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == EXIT_OK
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert env.netvisor.request_count() == 0  # no job was due
