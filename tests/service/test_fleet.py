"""The fleet's parts on their own: the fleet file, schedules and back-off, the daemon's queue
(with a stand-in for a company's run), the multi-company Netvisor sandbox, labels."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import structlog

from connector.core.errors import ConfigError
from connector.core.logging import carry_log_context
from connector.sandbox.netvisor import NetvisorCompanies
from connector.service.fleet import load_fleet
from connector.service.fleet_daemon import FleetDaemon
from connector.service.fleet_run import CompanyOutcome, fleet_exit_code, run_fleet
from connector.service.fleet_schedule import backoff_delay, company_triggers, next_run

HELSINKI = ZoneInfo("Europe/Helsinki")


def company_config(folder: Path, customer_id: str, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        f'[spotilla]\nsubdomain = "x"\n\n[netvisor]\ncustomer_id = "{customer_id}"\n'
        f'partner_id = "P"\norganisation_id = "1234567-1"\n{extra}',
        encoding="utf-8",
    )


def write_fleet(tmp: Path, names: list[str], head: str = "", extra: dict | None = None) -> Path:
    for name in names:
        company_config(tmp / name, f"CID-{name}", (extra or {}).get(name, ""))
    path = tmp / "fleet.toml"
    path.write_text(
        f"[fleet]\n{head}\n"
        + "".join(f'\n[[company]]\nname = "{n}"\nconfig = "{n}/config.toml"\n' for n in names),
        encoding="utf-8",
    )
    return path


# -- the fleet file ----------------------------------------------------------------------------


def test_companies_resolve_their_paths_in_their_own_folders(tmp_path):
    fleet = load_fleet(write_fleet(tmp_path, ["acme", "beta-2"], "max_parallel = 3"))
    assert fleet.max_parallel == 3
    assert [c.name for c in fleet.companies] == ["acme", "beta-2"]
    acme = fleet.company("acme")
    assert acme.config_path == tmp_path / "acme" / "config.toml"
    assert acme.config.ledger_path == tmp_path / "acme" / "connector-ledger.sqlite"
    assert acme.config.company == "acme", "logs, metrics and alerts of its runs name it"


def test_every_problem_of_the_fleet_file_is_named_with_its_line(tmp_path):
    path = write_fleet(tmp_path, ["acme", "beta"])
    path.write_text(
        path.read_text() + '\n[[company]]\nname = "Bad Name"\nconfig = "acme/config.toml"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    (problem,) = caught.value.problems
    assert problem.key == "company.2.name" and problem.line == 13
    assert "lower-case" in problem.message


def test_two_companies_on_one_netvisor_company_or_one_ledger_are_refused(tmp_path):
    path = write_fleet(tmp_path, ["acme", "beta"])
    company_config(tmp_path / "beta", "CID-acme")  # acme's Netvisor company
    path.write_text(
        path.read_text() + '\n[[company]]\nname = "copy"\nconfig = "acme/config.toml"\n'
        '\n[[company]]\nname = "acme"\nconfig = "beta/config.toml"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_fleet(path)
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "'acme' twice" in text
    assert "'beta' and 'acme' are the same Netvisor company" in text
    assert "'copy' and 'acme' share the ledger" in text
    assert all(p.line is not None for p in caught.value.problems), text


def test_a_broken_company_config_stops_only_a_strict_load(tmp_path):
    path = write_fleet(tmp_path, ["acme", "beta"])
    (tmp_path / "beta" / "config.toml").write_text("[netvisor]\ncustomer_id = 1\n")
    with pytest.raises(ConfigError):
        load_fleet(path)
    fleet = load_fleet(path, strict=False)
    assert fleet.company("acme").config is not None
    beta = fleet.company("beta")
    assert beta.config is None and beta.problems
    assert all(p.file.endswith("beta/config.toml") for p in beta.problems)


# -- schedules and back-off --------------------------------------------------------------------


def test_fleet_schedule_with_a_fixed_jitter_per_company_or_the_companys_own(tmp_path):
    path = write_fleet(
        tmp_path,
        ["acme", "beta", "own"],
        '[fleet.schedule]\nmaster_data = "off"\ninvoicing = "30 6 * * *"\njitter_seconds = 600',
        extra={"own": '\n[schedule]\nmaster_data = "off"\ninvoicing = "0 5 * * *"\n'},
    )
    fleet = load_fleet(path)
    now = datetime(2026, 5, 2, 1, 0, tzinfo=HELSINKI)
    jitters = {c.name: c.jitter(fleet) for c in fleet.companies}
    assert jitters["own"] == 0 and all(0 <= j < 600 for j in jitters.values())
    assert jitters == {c.name: c.jitter(load_fleet(path)) for c in fleet.companies}, "fixed"
    for name in ("acme", "beta"):
        job, moment = next_run(fleet.company(name), fleet, now)
        assert job == "invoicing"
        assert (moment - datetime(2026, 5, 2, 6, 30, tzinfo=HELSINKI)).total_seconds() == (
            jitters[name]
        )
    assert next_run(fleet.company("own"), fleet, now)[1].hour == 5
    assert set(company_triggers(fleet.company("own"), fleet)) == {"invoicing"}


def test_backoff_doubles_from_a_minute_and_is_capped():
    minutes = [backoff_delay(n, 240).total_seconds() / 60 for n in range(0, 11)]
    assert minutes == [0, 1, 2, 4, 8, 16, 32, 64, 128, 240, 240]


def test_fleet_exit_code_is_the_worst_company():
    def outcome(code: int) -> CompanyOutcome:
        return CompanyOutcome("x", "ok", code)

    assert fleet_exit_code([outcome(0), outcome(0)]) == 0
    assert fleet_exit_code([outcome(0), outcome(1)]) == 1
    assert fleet_exit_code([outcome(1), outcome(3), outcome(0)]) == 3
    assert fleet_exit_code([outcome(2)]) == 3, "a company's broken config is that company's failure"


# -- one pass ----------------------------------------------------------------------------------


def test_run_fleet_keeps_to_max_parallel_and_a_stop_starts_no_more(tmp_path):
    fleet = load_fleet(write_fleet(tmp_path, [f"c{i}" for i in range(6)]))
    stop = threading.Event()
    lock = threading.Lock()
    running, most, seen = [0], [0], []
    gate = threading.Barrier(2)

    def one(company):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            seen.append(company.name)
        if company.name in ("c0", "c1"):
            gate.wait(timeout=30)  # both at once: two run side by side
            stop.set()  # then a stop: nothing after them starts
        with lock:
            running[0] -= 1
        return CompanyOutcome(company.name, "ok", 0)

    wrapped = lambda c: one(c) if not stop.is_set() else CompanyOutcome(c.name, "x", 3)  # noqa: E731
    outcomes = run_fleet(fleet.companies, wrapped, max_parallel=2, stop=stop)
    assert most[0] == 2
    assert [o.company for o in outcomes] == [c.name for c in fleet.companies]
    assert [o.company for o in outcomes if o.exit_code == 3] == ["c2", "c3", "c4", "c5"]
    assert seen == ["c0", "c1"] or seen == ["c1", "c0"]


# -- the daemon's queue ------------------------------------------------------------------------


class Runs:
    """A stand-in for a company's run that records who runs when, and can be held."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.together = 0
        self.calls: list[tuple[str, str]] = []
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.status = "ok"

    def __call__(self, company, scope, stop) -> CompanyOutcome:
        with self.lock:
            self.calls.append((company.name, scope))
            self.now[company.name] += 1
            self.most[company.name] = max(self.most[company.name], self.now[company.name])
            self.together = max(self.together, sum(self.now.values()))
        self.started.release()
        self.release.wait(30)
        with self.lock:
            self.now[company.name] -= 1
        code = {"ok": 0, "failed": 3}[self.status]
        return CompanyOutcome(company.name, self.status, code, error_type="X" * (code == 3))

    def wait_started(self, n: int) -> None:
        for _ in range(n):
            assert self.started.acquire(timeout=30)


def daemon_for(path: Path, runs: Runs, clock=None) -> FleetDaemon:
    daemon = FleetDaemon(path, runs, clock=clock or (lambda: 1000.0))
    assert daemon.load()
    return daemon


def test_two_companies_due_together_run_side_by_side_never_one_twice(tmp_path):
    runs = Runs()
    daemon = daemon_for(write_fleet(tmp_path, ["acme", "beta"], "max_parallel = 2"), runs)
    daemon.due("acme", "master")
    daemon.due("beta", "full")
    runs.wait_started(2)
    for _ in range(5):  # due again while running: one more run each, later
        daemon.due("acme", "full")
        daemon.due("beta", "master")
    runs.release.set()
    runs.wait_started(2)
    daemon.stop.set()
    assert daemon.shutdown() == 0
    assert runs.together == 2
    assert max(runs.most.values()) == 1, "never the same company twice at once"
    assert sorted(runs.calls) == [
        ("acme", "full"),
        ("acme", "master"),
        ("beta", "full"),
        ("beta", "master"),
    ]


def test_a_due_company_waits_for_a_free_worker_and_is_queued_once(tmp_path):
    runs = Runs()
    daemon = daemon_for(write_fleet(tmp_path, ["a", "b", "c"], "max_parallel = 1"), runs)
    daemon.due("a", "full")
    runs.wait_started(1)
    daemon.due("b", "master")
    daemon.due("c", "full")
    daemon.due("b", "full")  # merged into b's place in the queue
    assert list(daemon.queue) == ["b", "c"]
    runs.release.set()
    runs.wait_started(2)
    assert daemon.shutdown() == 0
    assert runs.calls == [("a", "full"), ("b", "full"), ("c", "full")]
    assert runs.together == 1


def test_a_failing_company_backs_off_and_its_due_turn_waits_for_it(tmp_path):
    runs = Runs()
    runs.status = "failed"
    runs.release.set()
    now = [1000.0]
    daemon = daemon_for(write_fleet(tmp_path, ["acme"]), runs, clock=lambda: now[0])
    daemon.due("acme", "full")
    runs.wait_started(1)
    daemon.cond.acquire()
    while daemon.companies["acme"].running or daemon.companies["acme"].retry_at is None:
        daemon.cond.wait(1)
    daemon.cond.release()
    state = daemon.companies["acme"]
    assert state.failures == 1 and state.retry_at == 1060.0
    daemon.due("acme", "master")  # a cron firing inside the back-off
    assert not daemon.queue and state.deferred == "full"
    now[0] = 1061.0
    daemon.tick()
    runs.wait_started(1)
    assert daemon.shutdown() == 0
    assert runs.calls == [("acme", "full"), ("acme", "full")]


def test_a_reload_adds_and_removes_companies(tmp_path):
    runs = Runs()
    path = write_fleet(tmp_path, ["acme", "beta"])
    daemon = daemon_for(path, runs)
    daemon.start_clock()
    try:
        assert {j.id for j in daemon.scheduler.get_jobs()} == {
            "acme:master_data",
            "acme:invoicing",
            "beta:master_data",
            "beta:invoicing",
        }
        write_fleet(tmp_path, ["beta", "gamma"])
        assert daemon.changed_on_disk()
        assert daemon.load()
        assert set(daemon.companies) == {"beta", "gamma"}
        assert {j.id.split(":")[0] for j in daemon.scheduler.get_jobs()} == {"beta", "gamma"}
        path.write_text("[fleet\n")  # broken: the companies stay as they were
        assert not daemon.load()
        assert set(daemon.companies) == {"beta", "gamma"}
    finally:
        assert daemon.shutdown() == 0


def test_shutdown_with_companies_still_queued_exits_3(tmp_path):
    runs = Runs()
    daemon = daemon_for(write_fleet(tmp_path, ["a", "b"], "max_parallel = 1"), runs)
    daemon.due("a", "full")
    runs.wait_started(1)
    daemon.due("b", "full")
    daemon.stop.set()
    runs.release.set()
    assert daemon.shutdown() == 3
    assert [c for c, _ in runs.calls] == ["a"]


# -- the sandbox, logs, metrics, alerts --------------------------------------------------------


def test_the_sandbox_serves_companies_side_by_side_but_one_request_at_a_time_each():
    from connector.core.secrets import Secret
    from connector.netvisor.auth import NetvisorCredentials, signed_headers

    companies = NetvisorCompanies()
    acme, beta = companies.add("acme"), companies.add("beta")
    hold = threading.Event()
    acme._sleep = lambda s: hold.wait(30)  # acme's answer waits
    acme.inject("hold_after_commit", resource="customerlist.nv", times=1, seconds=1)

    def get(creds: dict, key: str | None = None) -> httpx.Response:
        c = NetvisorCredentials(
            sender=creds["sender"],
            customer_id=creds["customer_id"],
            partner_id=creds["partner_id"],
            organisation_id=creds["organisation_id"],
            customer_key=Secret(key or creds["customer_key"]),
            partner_key=Secret(creds["partner_key"]),
        )
        url = "http://netvisor.test/customerlist.nv"
        with httpx.Client(transport=companies.transport()) as client:
            return client.get(url, headers=signed_headers(url, c))

    first: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: first.append(get(acme.credentials)))
    slow.start()
    assert _wait_until(lambda: acme._busy.locked())
    assert b"<Status>OK</Status>" in get(beta.credentials).content, "another company: served"
    assert b"TECHNICAL_ERROR" in get(acme.credentials).content, "the same company: refused"
    hold.set()
    slow.join(30)
    assert acme.overlap_count() == 1 and beta.overlap_count() == 0
    assert companies.overlap_count() == 1
    wrong = get(beta.credentials, key=acme.credentials["customer_key"])
    assert wrong.status_code == 401 and b"Invalid MAC" in wrong.content


def _wait_until(predicate, tries: int = 3000) -> bool:
    import time

    for _ in range(tries):
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_runs_helper_threads_log_with_its_company():
    from concurrent.futures import ThreadPoolExecutor

    with (
        structlog.contextvars.bound_contextvars(company="acme"),
        ThreadPoolExecutor(1, initializer=carry_log_context()) as pool,
    ):
        seen = pool.submit(structlog.contextvars.get_contextvars).result()
    assert seen == {"company": "acme"}


def test_metrics_and_alerts_name_the_company():
    from connector.service.metrics import Metrics, render_many
    from connector.texts.alerts import payload

    m = Metrics(None, None, "ok", 0, 2, 0, 1, 0, 0, 0)
    text = render_many([("acme", m), ("beta", m)])
    assert 'connector_last_run_status{company="acme",status="ok"} 1' in text
    assert 'connector_quarantined{company="beta"} 1' in text
    assert text.count("# HELP connector_quarantined ") == 1
    assert payload(7, "partial", [], "acme")["company"] == "acme"
    assert "company" not in payload(7, "partial", [])


def test_the_fleet_unit_in_the_operations_guide_reloads_on_sighup_and_stops_gently():
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    block = re.search(
        r"```ini\n# /etc/systemd/system/connector-fleet.service\n(.*?)```", text, re.S
    )
    assert block, "the guide shows the fleet's unit"
    unit: dict[str, str] = {}
    for line in block.group(1).splitlines():
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            assert "#" not in value, f"inline comment in {line!r}"  # systemd would keep it
            unit[key] = value
    assert unit["Type"] == "notify" and int(unit["WatchdogSec"]) > 0
    assert unit["ExecStart"].endswith("connector fleet daemon")
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert set(unit["RestartPreventExitStatus"].split()) == {"2", "64"}
    assert unit["KillSignal"] == "SIGTERM" and int(unit["TimeoutStopSec"]) >= 60
