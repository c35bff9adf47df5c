"""A firm's fleet end to end over loopback: several client companies, each its own Netvisor
company (own customer id, organisation id and key) and its own Spotilla, run by the real
``connector fleet`` CLI in a separate process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
from e2e.fleet_harness import company_data, read_json_lines

from connector.core.errors import EXIT_ABORTED, EXIT_CONFIG, EXIT_OK
from connector.ledger import LedgerState

pytestmark = pytest.mark.slow
AS_OF = "2026-05-02"
NAMES = ["acme", "beta", "gamma"]


def alone(make_env, n: int) -> dict:
    """What company ``n`` alone (plain `connector sync` engine, own sandboxes) ends up with."""
    env = make_env(company_data(n), name=f"alone{n}")
    assert env.sync(AS_OF).exit_code == EXIT_OK
    return env.totals()


def settled(fleet, name: str) -> bool:
    with fleet.ledger(name) as ledger:
        return all(o.state in (LedgerState.SENT, LedgerState.CONFIRMED) for o in ledger.objects())


def test_a_fleet_syncs_each_company_exactly_as_it_would_alone(make_fleet, make_env):
    fleet = make_fleet(NAMES, max_parallel=2)
    for sandbox in fleet.companies.values():
        sandbox.inject("latency", seconds=0.02)  # so runs really overlap

    done = fleet.cli("sync", "--as-of", AS_OF)

    assert done.returncode == EXIT_OK, done.stdout + done.stderr
    lines = [ln for ln in done.stdout.splitlines() if ln.split(":")[0] in NAMES]
    assert sorted(ln.split(":")[0] for ln in lines) == NAMES, "one summary line per company"
    for n, name in enumerate(NAMES):
        assert fleet.totals(name) == alone(make_env, n), name
        assert settled(fleet, name)
        # each ledger row names the document its own company's Netvisor holds under that key
        with fleet.ledger(name) as ledger:
            rows = [o for o in ledger.objects() if o.key.startswith(("inv:", "org:"))]
        assert len(rows) == 4
        for row in rows:
            held = fleet.companies[name].invoice(row.netvisor_key)
            assert held is not None and held["private_comment"] == row.key, (name, row.key)
    # the companies differ (unit prices per company), so no invoice went to the wrong one
    assert len({tuple(sorted(fleet.totals(n).values())) for n in NAMES}) == len(NAMES)
    assert fleet.netvisor.overlap_count() == 0, "one request at a time per company"

    again = fleet.cli("sync", "--as-of", AS_OF)
    assert again.returncode == EXIT_OK
    assert sum(s.write_count() for s in fleet.companies.values()) == 3 * 12, "a re-run writes 0"


def test_one_company_with_a_wrong_key_fails_alone(make_fleet):
    fleet = make_fleet(NAMES, max_parallel=3)
    (fleet.tmp / "beta" / "secrets" / "netvisor_customer_key").write_text("not-the-key\n")

    done = fleet.cli("sync", "--as-of", AS_OF, "--log-json")

    assert done.returncode == EXIT_ABORTED
    beta = next(ln for ln in done.stdout.splitlines() if ln.startswith("beta:"))
    assert "AUTHENTICATION_FAILED" in beta
    assert "not-the-key" not in done.stdout + done.stderr, "a secret is never printed"
    assert fleet.totals("beta") == {}
    for name in ("acme", "gamma"):
        assert len(fleet.totals(name)) == 4 and settled(fleet, name)
    # every log line of a company's run says whose run it is; beta's error is beta's
    events = read_json_lines(done.stderr)
    aborted = [e for e in events if e["event"] == "run_aborted"]
    assert [e["company"] for e in aborted] == ["beta"]
    assert all("company" in e for e in events if e.get("component") in ("sync", "netvisor.client"))
    status = fleet.cli("status", "--check")
    assert status.returncode == 2 and "beta" in status.stdout, status.stdout
    # and through the company's own config, as for a single company
    single = subprocess.run(
        [sys.executable, "-m", "connector", "status", "--check"],
        capture_output=True,
        text=True,
        env=fleet.env({"CONNECTOR_CONFIG": str(fleet.tmp / "beta" / "config.toml")}),
        timeout=120,
    )
    assert single.returncode == 2 and "aborted" in single.stdout, single.stdout


def test_sigkill_of_the_fleet_mid_way_then_a_rerun_leaves_every_company_exactly_once(
    make_fleet, make_env
):
    fleet = make_fleet(NAMES, max_parallel=3)
    for sandbox in fleet.companies.values():
        sandbox.inject("latency", seconds=0.01)
    # the failpoint counts hits across the process: the 5th invoice answer of any company
    killed = fleet.popen(
        "sync", "--as-of", AS_OF, env={"CONNECTOR_FAILPOINTS": "after_answer:invoice@5"}
    )
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    assert any(not settled(fleet, n) or len(fleet.totals(n)) < 4 for n in NAMES)

    rerun = fleet.cli("sync", "--as-of", AS_OF)

    assert rerun.returncode == EXIT_OK, rerun.stdout + rerun.stderr
    for n, name in enumerate(NAMES):
        assert fleet.totals(name) == alone(make_env, n), name  # totals() fails on a double
        assert settled(fleet, name)
    assert fleet.netvisor.overlap_count() == 0


def test_fleet_check_names_every_problem_of_every_company(make_fleet):
    fleet = make_fleet(NAMES)
    (fleet.tmp / "acme" / "secrets" / "netvisor_partner_key").unlink()
    mappings = fleet.tmp / "gamma" / "mappings"
    import shutil

    from connector.cli.demo import example_mappings

    shutil.copytree(example_mappings(), mappings)
    products = mappings / "products.toml"
    products.write_text(products.read_text().replace("netvisor_code", "netvisor_kode", 1))
    config = fleet.tmp / "gamma" / "config.toml"
    text = config.read_text()
    start = text.index('folder = "')
    end = text.index("\n", start)
    config.write_text(text[:start] + 'folder = "mappings"' + text[end:])

    done = fleet.cli("check")

    assert done.returncode == EXIT_CONFIG, done.stdout + done.stderr
    out = done.stdout
    assert "beta: config and mappings OK" in out
    assert "netvisor.partner_key" in out and "acme" in out
    line = next(
        n for n, t in enumerate(products.read_text().splitlines(), 1) if "netvisor_kode" in t
    )
    assert f"products.toml:{line}: product[KOTIHOITO-H].netvisor_kode" in out, out
    assert "3 companies, 2 with problems" in out


def test_daemon_runs_two_companies_due_together_side_by_side_and_stops_on_sigterm(make_fleet):
    fleet = make_fleet(["acme", "beta"], max_parallel=2, log_level="INFO")
    for sandbox in fleet.companies.values():
        sandbox.inject("latency", seconds=0.05)

    daemon = fleet.popen("daemon", "--run-now", "--as-of", AS_OF)
    try:
        deadline = time.monotonic() + 120
        while not all(len(fleet.totals(n)) == 4 for n in ("acme", "beta")):
            assert daemon.poll() is None, daemon.communicate()
            assert time.monotonic() < deadline, "the daemon did not run both companies"
            time.sleep(0.05)
        fleet.netvisor.wait_idle(30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=120)
    assert daemon.returncode in (EXIT_OK, EXIT_ABORTED)  # idle or finishing a write
    events = read_json_lines(err)
    problems = [e for e in events if e.get("level") in ("warning", "error", "critical")]
    first: dict[str, dict[str, datetime]] = {"start": {}, "end": {}}
    for e in events:
        edge = {"company_start": "start", "company_done": "end"}.get(e["event"])
        if e["event"] in ("company_failed", "company_crashed"):
            edge = "end"
        if edge and e.get("company"):
            first[edge].setdefault(e["company"], datetime.fromisoformat(e["timestamp"]))
    for name in ("acme", "beta"):
        with fleet.ledger(name) as ledger:
            rows = [r for r in ledger.runs(10) if r["command"] == "daemon:full"]
        # when this fails, say why: each run's outcome and what the daemon warned about
        why = [
            {k: r[k] for k in ("id", "status", "started_at", "error_type", "message")} for r in rows
        ] + problems
        # exactly one run, and it ended well: a first attempt that failed (and the daemon's
        # back-off then retried) was, once, pydantic building a model in two workers at once
        assert [r["status"] for r in rows] == ["ok"], f"{name} ran once, to the end: {why}"
    # side by side: each company's first attempt began before the other's ended
    starts, ends = first["start"], first["end"]
    assert sorted(starts) == sorted(ends) == ["acme", "beta"], first
    assert max(starts.values()) < min(ends.values()), f"the companies ran side by side: {first}"
    assert fleet.netvisor.overlap_count() == 0, "never two requests at once to one company"


def test_sigterm_to_the_fleet_daemon_finishes_every_write_in_flight_and_exits_3(make_fleet):
    fleet = make_fleet(["acme", "beta"], max_parallel=2, log_level="INFO")
    for sandbox in fleet.companies.values():
        sandbox.inject("latency", seconds=0.4, resource="salesinvoice.nv")

    daemon = fleet.popen("daemon", "--run-now", "--as-of", AS_OF)
    deadline = time.monotonic() + 120
    while not all(s.write_count("salesinvoice.nv") for s in fleet.companies.values()):
        assert daemon.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=120)

    assert daemon.returncode == EXIT_ABORTED, err[-2000:]
    for name in ("acme", "beta"):
        assert settled(fleet, name), "every write in flight finished and was recorded"
        assert len(fleet.totals(name)) < 4, "and nothing more was sent"
        with fleet.ledger(name) as ledger:
            assert ledger.runs(1)[0]["status"] == "stopped"
    stopped = next(e for e in read_json_lines(err) if e["event"] == "fleet_daemon_stopped")
    assert stopped["cut_short"] == ["acme", "beta"]

    finish = fleet.cli("sync", "--as-of", AS_OF)
    assert finish.returncode == EXIT_OK
    for name in ("acme", "beta"):
        assert len(fleet.totals(name)) == 4 and settled(fleet, name)


def test_fleet_status_and_metrics_name_each_company(make_fleet):
    fleet = make_fleet(["acme", "beta"], fleet_extra='metrics_file = "fleet.prom"')
    assert fleet.cli("sync", "--as-of", AS_OF).returncode == EXIT_OK

    status = fleet.cli("status", "--json")
    rows = json.loads(status.stdout)["companies"]
    assert [r["company"] for r in rows] == ["acme", "beta"]
    assert all(r["result"] == "ok" and r["documents"] == 12 for r in rows)
    assert all(r["consecutive_failures"] == 0 and r["next_run"] for r in rows)
    check = fleet.cli("status", "--check")
    assert check.returncode == 0 and check.stdout.startswith("FLEET OK"), check.stdout
    metrics = (fleet.tmp / "fleet.prom").read_text()
    for name in ("acme", "beta"):
        assert f'connector_last_run_status{{company="{name}",status="ok"}} 1' in metrics
        assert f'connector_in_doubt{{company="{name}"}} 0' in metrics
    # a pass over some companies keeps the others in the file
    assert fleet.cli("sync", "--as-of", AS_OF, "--company", "acme").returncode == EXIT_OK
    assert 'company="beta"' in (fleet.tmp / "fleet.prom").read_text()


def test_sighup_or_a_changed_fleet_file_adds_and_removes_companies_without_a_restart(
    make_fleet,
):
    import threading

    fleet = make_fleet(["acme", "beta"], log_level="INFO")
    both = fleet.path.read_text()
    acme_only = both.split('[[company]]\nname = "beta"')[0]
    beta_only = both.replace('[[company]]\nname = "acme"\nconfig = "acme/config.toml"\n', "")
    fleet.path.write_text(acme_only)
    daemon = fleet.popen("daemon")
    events: list[dict] = []
    reader = threading.Thread(
        target=lambda: [events.extend(read_json_lines(line)) for line in daemon.stderr],
        daemon=True,
    )
    reader.start()

    def loaded(n: int) -> list[dict]:
        deadline = time.monotonic() + 60
        while len([e for e in events if e["event"] == "fleet_loaded"]) < n:
            assert daemon.poll() is None and time.monotonic() < deadline, events[-5:]
            time.sleep(0.05)
        return [e for e in events if e["event"] == "fleet_loaded"]

    try:
        assert loaded(1)[0]["added"] == ["acme"]
        fleet.path.write_text(both)
        daemon.send_signal(signal.SIGHUP)
        assert loaded(2)[1]["added"] == ["beta"]
        fleet.path.write_text(beta_only)  # no signal: the daemon sees the file change
        assert loaded(3)[2]["removed"] == ["acme"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        reader.join(10)
    assert daemon.returncode == EXIT_OK
    assert any(e["event"] == "fleet_reload_requested" for e in events)
