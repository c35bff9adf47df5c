"""Benchmark: a firm's fleet — many companies side by side against per-company sandboxes.

Run from the repository root: ``python bench/bench_fleet.py`` (100 companies x ~25 invoices,
Netvisor at 20 ms, ``max_parallel = 16``, idle daemon with 200 companies; several minutes) or
``python bench/bench_fleet.py --quick``. See bench/README.md. Nothing here asserts a figure.

1. **alone** — every company's first sync, one after the other, in one child process (the
   same ``run_company`` the fleet uses), against fresh sandboxes: each company's wall time.
   ``ideal = sum(walls) / max_parallel``.
2. **fleet** — ``connector fleet sync`` in a child process against *another* fresh set of the
   same sandboxes: its pass time (printed by the command), its wall time from outside, its
   peak RSS and user+system CPU (``os.wait4``), CPU per company run; the sandboxes' count of
   overlapping requests per company (must be 0: one request at a time per company).
3. **idle daemon** — ``connector fleet daemon`` with ``--idle`` companies whose schedules
   are far off: RSS (``VmRSS``) once it is up and idle; then, with ``--idle-run``, the same
   after it has run every company once (``--run-now``), to show that a company's master data
   does not stay in memory after its run.

The sandboxes (one multi-company Netvisor on one port, one Spotilla per company on its own
port) run in a forked child process, so every connector figure is its own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
MONTH = (2026, 10)
AS_OF = "2026-11-02"
TODAY = "2026-11-22"


def _serve(companies: int, invoices: int, latency: float, conn: Any) -> None:  # child
    from datetime import date

    from connector.core.domain import Period
    from connector.sandbox.netvisor import NetvisorCompanies
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox

    netvisor = NetvisorCompanies()
    servers = [serve(netvisor, name="netvisor-companies")]
    info: dict[str, Any] = {"nv_url": servers[0].url, "companies": []}
    for i in range(companies):
        name = f"c{i:03d}"
        nv = netvisor.add(name)
        if latency > 0:
            nv.inject("latency", seconds=latency)
        sp = SpotillaSandbox.generated(
            seed=100 + i,
            customers=invoices,
            depth=3,
            leaves=invoices,
            tasks_per_leaf_per_month=3,
            months=[Period(*MONTH)],
            bad_records=False,
            today=date.fromisoformat(TODAY),
            credentials={
                "token": f"bench-spotilla-token-{name}",
                "user_id": f"{5000 + i}",
                "subdomain": f"bench-{name}",
                "username": f"{name}@example.invalid",
                "password": "unused",
            },
        )
        server = serve(sp, name=f"spotilla-{name}")
        servers.append(server)
        info["companies"].append(
            {
                "name": name,
                "nv_creds": nv.credentials,
                "sp_url": f"{server.url}/api",
                "sp_creds": sp.credentials,
                "tasks": sp.count("tasks"),
            }
        )
    conn.send(info)
    conn.recv()
    for server in servers:
        server.stop()


class Sandboxes:
    def __init__(self, companies: int, invoices: int, latency: float) -> None:
        self._parent, child = mp.Pipe()
        self._proc = mp.get_context("fork").Process(
            target=_serve, args=(companies, invoices, latency, child), daemon=True
        )
        self._proc.start()
        while not self._parent.poll(1.0):  # a child that died says nothing: do not wait forever
            if not self._proc.is_alive():
                raise SystemExit(f"the sandboxes' process exited {self._proc.exitcode}")
        self.info: dict[str, Any] = self._parent.recv()

    def overlaps(self) -> int:
        with urllib.request.urlopen(f"{self.info['nv_url']}/_sandbox/companies") as answer:
            return sum(c["overlaps"] for c in json.load(answer))

    def writes(self) -> int:
        total = 0
        for c in self.info["companies"]:
            url = f"{self.info['nv_url']}/_sandbox/companies/{c['nv_creds']['customer_id']}/stats"
            with urllib.request.urlopen(url) as answer:
                total += sum(json.load(answer)["writes"].values())
        return total

    def close(self) -> None:
        self._parent.send("stop")
        self._proc.join(timeout=30)


def write_fleet(root: Path, info: dict[str, Any], parallel: int, schedule: str = "") -> Path:
    from connector.cli.demo import example_mappings, write_config

    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for c in info["companies"]:
        write_config(
            root / c["name"],
            netvisor_url=info["nv_url"],
            netvisor_credentials=c["nv_creds"],
            spotilla_url=c["sp_url"],
            spotilla_credentials=c["sp_creds"],
            mappings=example_mappings(),
            language="en",
            start_period=f"{MONTH[0]:04d}-{MONTH[1]:02d}",  # the month the bench bills
        )
        entries.append(f'[[company]]\nname = "{c["name"]}"\nconfig = "{c["name"]}/config.toml"\n')
    path = root / "fleet.toml"
    path.write_text(
        f'[fleet]\nmax_parallel = {parallel}\nlanguage = "en"\nlog_level = "WARNING"\n'
        f"{schedule}\n" + "\n".join(entries),
        encoding="utf-8",
    )
    return path


def _alone_child(fleet_path: str, out: str) -> None:
    """Every company's first sync, one after the other (the fleet's own code path)."""
    import threading
    from datetime import date

    from connector.core.logging import configure
    from connector.service.fleet import load_fleet
    from connector.service.fleet_run import run_company

    configure(level="WARNING")
    fleet = load_fleet(fleet_path)
    walls, cpus, codes = [], [], []
    for company in fleet.companies:
        cpu0, t0 = time.process_time(), time.perf_counter()
        outcome = run_company(
            company, stop=threading.Event(), as_of=date.fromisoformat(AS_OF), command="sync"
        )
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - cpu0)
        codes.append(outcome.exit_code)
    Path(out).write_text(json.dumps({"walls": walls, "cpus": cpus, "codes": codes}))


def child_usage(argv: list[str], **kw: Any) -> tuple[int, float, float, float, str]:
    """(exit code, wall s, user+system CPU s, peak RSS MiB, stdout) of a child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, **kw)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    return code, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_daemon(root: Path, info: dict[str, Any], run_now: bool, env: dict[str, str]) -> str:
    """RSS of a fleet daemon with every company of ``info``, idle (and after one run each)."""
    far_off = '[fleet.schedule]\nmaster_data = "off"\ninvoicing = "0 3 1 1 *"\n'
    path = write_fleet(root, info, 16, far_off)
    path.write_text(path.read_text().replace('log_level = "WARNING"', 'log_level = "INFO"'))
    argv = [sys.executable, "-m", "connector", "fleet", "daemon", "--fleet", str(path)]
    if run_now:
        argv += ["--run-now", "--as-of", AS_OF]
    log = root / "daemon.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
    n = len(info["companies"])
    try:
        wanted = "fleet_daemon_started"
        while wanted not in log.read_text():
            if proc.poll() is not None:
                raise SystemExit(f"daemon exited {proc.returncode}: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        time.sleep(2)
        up = rss_mib(proc.pid)
        text = f"{n} companies, up and idle: {up:.1f} MiB"
        if run_now:
            started = time.perf_counter()
            while '"company_done"' not in log.read_text():
                time.sleep(0.05)
            first = rss_mib(proc.pid)  # the sync stack's modules are loaded by now
            text += f"; after its first company run: {first:.1f} MiB"
            while log.read_text().count('"company_done"') < n:
                if proc.poll() is not None:
                    raise SystemExit(f"daemon exited {proc.returncode}")
                time.sleep(0.5)
            took = time.perf_counter() - started
            time.sleep(2)
            text += f"; after running all {n} once ({took:.0f} s): {rss_mib(proc.pid):.1f} MiB"
        return text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 companies, 4 at once")
    parser.add_argument("--companies", type=int)
    parser.add_argument("--invoices", type=int, default=25, help="client invoices per company")
    parser.add_argument("--parallel", type=int)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--idle", type=int, help="companies of the idle daemon")
    parser.add_argument("--idle-run", action="store_true", help="also run them all once")
    parser.add_argument("--skip-alone", action="store_true", help="only the fleet pass")
    parser.add_argument("--alone-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone_child:
        _alone_child(*args.alone_child)
        return
    companies = args.companies or (10 if args.quick else 100)
    parallel = args.parallel or (4 if args.quick else 16)
    idle = args.idle or (20 if args.quick else 200)
    tmp = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {companies} companies x "
        f"~{args.invoices} invoices, Netvisor {args.latency * 1000:.0f} ms, "
        f"max_parallel {parallel}"
    )

    alone: dict[str, Any] | None = None
    if not args.skip_alone:
        box = Sandboxes(companies, args.invoices, args.latency)
        try:
            tasks = sum(c["tasks"] for c in box.info["companies"])
            path = write_fleet(tmp / "alone", box.info, parallel)
            out = tmp / "alone.json"
            argv = [sys.executable, __file__, "--alone-child", str(path), str(out)]
            code, wall, cpu, rss, _ = child_usage(argv, env=env, cwd=ROOT)
            alone = json.loads(out.read_text())
            writes = box.writes()
        finally:
            box.close()
        print(
            f"\n== alone: {companies} first syncs one after the other ({tasks} tasks) ==\n"
            f"  sum of walls {sum(alone['walls']):.1f} s (min {min(alone['walls']):.2f}, "
            f"max {max(alone['walls']):.2f}); CPU {sum(alone['cpus']):.1f} s "
            f"({sum(alone['cpus']) / companies:.3f} s a company); peak RSS {rss:.0f} MiB; "
            f"{writes} writes; exits {sorted(set(alone['codes']))}"
        )

    box = Sandboxes(companies, args.invoices, args.latency)
    try:
        path = write_fleet(tmp / "fleet", box.info, parallel)
        load0 = os.getloadavg()[0]
        argv = [sys.executable, "-m", "connector", "fleet", "sync", "--fleet", str(path)]
        argv += ["--as-of", AS_OF]
        code, wall, cpu, rss, out = child_usage(argv, env=env, cwd=ROOT)
        load1 = os.getloadavg()[0]
        overlaps, writes = box.overlaps(), box.writes()
    finally:
        box.close()
    found = re.search(r"\(([\d.,]+) s\)\s*$", out.strip())  # English: 1,234.5
    fleet_pass = float(found.group(1).replace(",", "")) if found else wall
    print(
        f"\n== fleet sync: {companies} companies, max_parallel {parallel} ==\n"
        f"  exit {code}; pass {fleet_pass:.1f} s (process wall {wall:.1f} s); CPU {cpu:.1f} s "
        f"= {cpu / companies:.3f} s a company run; peak RSS {rss:.0f} MiB; {writes} writes; "
        f"overlapping requests refused: {overlaps}; load {load0:.2f} -> {load1:.2f}"
    )
    if alone is not None:
        ideal = sum(alone["walls"]) / parallel
        print(
            f"  ideal (sum of walls alone / {parallel}) {ideal:.1f} s; "
            f"fleet pass / ideal {fleet_pass / ideal:.3f} (target <= 1.15); "
            f"CPU floors: one interpreter lock (fleet CPU / 1) {cpu:.1f} s = "
            f"{cpu / ideal:.2f} x ideal; all {os.cpu_count()} cores {cpu / os.cpu_count():.1f} s"
        )

    print(f"\n== idle fleet daemon ==\n  {idle_daemon_with_sandboxes(tmp, idle, args, env)}")
    print(f"\nload average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def idle_daemon_with_sandboxes(tmp: Path, idle: int, args: Any, env: dict[str, str]) -> str:
    box = Sandboxes(idle, args.invoices if args.idle_run else 1, 0.0)
    try:
        return idle_daemon(tmp / "idle", box.info, args.idle_run, env)
    finally:
        box.close()


if __name__ == "__main__":
    main()
