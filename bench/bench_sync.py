"""Benchmark: the connector's sync against a paired bare replay of its own Netvisor requests.

Run from the repository root: ``python bench/bench_sync.py`` (about 10 minutes) or
``python bench/bench_sync.py --quick`` (under a minute, small workloads). See bench/README.md.

Prints every figure of the performance targets; nothing here is a pass/fail test:

1. **full sync / bare replay** — each pair runs the connector's first sync against fresh
   sandboxes (Netvisor at a fixed latency), recording the exact request sequence it sent
   (method, URL, body), and replays that sequence with a bare ``httpx`` loop, re-signed
   (``connector.netvisor.auth``), against another fresh Netvisor sandbox at the same latency. The
   order alternates (connector first, replay first, ...); min and median of the pairs' ratios.
2. **unchanged re-run** — a second sync against the same sandboxes: Netvisor writes (counted by
   the sandbox) and the local CPU time of the run (user + system of the connector's process
   during ``SyncEngine.run``), per 10 000 tasks.
3. **peak RSS** — a first sync and a re-run at N tasks, each in its own child process: the
   parent reads the child's ``ru_maxrss`` with ``os.wait4``, so one run never pollutes another.
   Two sizes are measured to show whether memory is flat in N.
4. **``connector check`` start-up** — wall time of ``python -m connector check`` (offline) in a
   fresh interpreter, min and median of several runs (with ``python -c pass`` for reference).

The sandboxes always run in a separate process, so every connector figure is its own.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing as mp
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's connector, not an installed one
    sys.path.insert(0, str(ROOT))
PERIOD = (2026, 10)
AS_OF = "2026-11-02"
TODAY = "2026-11-22"


# -- sandboxes in a child process --------------------------------------------------------------


def _months(n: int) -> list[Any]:
    """The ``n`` months ending with PERIOD, oldest first."""
    from connector.core.domain import Period

    months = [Period(*PERIOD)]
    while len(months) < n:
        months.insert(0, months[0].prev())
    return months


@dataclass(frozen=True)
class Workload:
    customers: int  # company customers (about one invoice each)
    leaves: int
    tasks_per_leaf: int
    latency: float  # Netvisor answer time, seconds
    months: int = 1  # months of work, the last one PERIOD


def _serve(work: Workload, conn: Any) -> None:  # child process
    from datetime import date
    from decimal import Decimal

    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox

    spotilla = SpotillaSandbox.generated(
        seed=7,
        customers=work.customers,
        depth=3,
        leaves=work.leaves,
        tasks_per_leaf_per_month=work.tasks_per_leaf,
        months=_months(work.months),
        bad_records=False,
        today=date.fromisoformat(TODAY),
    )
    netvisor = NetvisorSandbox()
    if work.latency > 0:
        netvisor.inject("latency", seconds=work.latency)
    nv = serve(netvisor, name="netvisor-bench")
    sp = serve(spotilla, name="spotilla-bench")
    conn.send(
        {
            "nv_url": nv.url,
            "nv_creds": netvisor.credentials,
            "sp_url": f"{sp.url}/api",
            "sp_creds": spotilla.credentials,
            "tasks": spotilla.count("tasks"),
        }
    )
    while True:  # the parent's commands, as a person would act between runs
        command, *args = conn.recv()
        if command == "stop":
            break
        if command == "more_hours":  # a task's hours corrected in Spotilla after it was billed
            task = spotilla.update_task(args[0], {})  # the task as it stands
            hours = [dict(h) for h in task["hours"]]
            hours[0]["hours"] = f"{Decimal(hours[0]['hours']) + Decimal('0.25'):.2f}"
            spotilla.update_task(args[0], {"hours": hours})
        elif command == "mark_open":  # every invoice sent to its customer in Netvisor
            for inv in netvisor.invoices():
                netvisor.set_invoice_status(inv["key"], "open")
        conn.send("done")
    nv.stop()
    sp.stop()


class Sandboxes:
    """A fresh Spotilla + Netvisor pair in a forked child process."""

    def __init__(self, work: Workload, *, pin: bool = False) -> None:
        self._parent, child = mp.Pipe()
        self._proc = mp.get_context("fork").Process(target=_serve, args=(work, child), daemon=True)
        self._proc.start()
        self.info: dict[str, Any] = self._parent.recv()
        self._cpus: set[int] | None = None
        cpus = sorted(os.sched_getaffinity(0))
        if pin and len(cpus) >= 2:
            # the stand-ins on a core of their own, as a remote Netvisor is on a machine of its
            # own; this process (the bare replay) and the connector child it starts on the rest
            self._cpus = set(cpus)
            os.sched_setaffinity(self._proc.pid, {cpus[-1]})
            os.sched_setaffinity(0, set(cpus[:-1]))

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.info['nv_url']}/_sandbox/stats") as answer:
            return json.load(answer)

    def writes(self) -> int:
        return sum(self.stats()["writes"].values())

    def command(self, *command: Any) -> None:
        """Act on the sandboxes' data between runs (see ``_serve``)."""
        self._parent.send(command)
        self._parent.recv()

    def close(self) -> None:
        self._parent.send(("stop",))
        self._proc.join(timeout=10)
        if self._cpus is not None:
            os.sched_setaffinity(0, self._cpus)

    def __enter__(self) -> Sandboxes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the connector, one run per child process --------------------------------------------------


def _child(spec_path: str) -> None:
    """One ``SyncEngine.run`` in this fresh process; figures to ``spec['out']``."""
    spec = json.loads(Path(spec_path).read_text())
    from datetime import date

    import httpx

    from connector.cli.demo import example_mappings, write_config
    from connector.core.config import load_config
    from connector.core.logging import configure
    from connector.sync import SyncEngine

    workdir = Path(spec["workdir"])
    config_path = workdir / "config.toml"
    if not config_path.exists():
        write_config(
            workdir,
            netvisor_url=spec["nv_url"],
            netvisor_credentials=spec["nv_creds"],
            spotilla_url=spec["sp_url"],
            spotilla_credentials=spec["sp_creds"],
            mappings=example_mappings(),
            start_period=spec.get("start_period") or "2026-10",  # the month AS_OF bills first
        )
        if spec.get("ledger_url"):  # the same run on a PostgreSQL ledger (a company of its own)
            text = config_path.read_text(encoding="utf-8").replace(
                'ledger = "ledger.sqlite"',
                f'ledger = "{spec["ledger_url"]}"\ncompany = "{spec["company"]}"',
            )
            config_path.write_text(text, encoding="utf-8")
    config = load_config(config_path)
    secrets = config.load_secrets()
    configure(level="WARNING")  # the figures, not thousands of log lines

    record: list[tuple[str, str, bytes | None, float, float]] = []
    keep_bodies = bool(spec.get("record"))
    inner = httpx.HTTPTransport()

    class Recording(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            started = time.perf_counter()
            response = inner.handle_request(request)
            response.read()
            # the bodies only when the sequence is to be replayed: a kept copy of every body
            # would count in the peak RSS measured here, and it is not the connector's memory
            body = request.content if keep_bodies and request.method == "POST" else None
            record.append((request.method, str(request.url), body, started, time.perf_counter()))
            return response

        def close(self) -> None:
            inner.close()

    if spec.get("ledger_url"):
        # the PostgreSQL driver loads before the clock starts, as sqlite3 does with the sync
        # engine's import above: the figures compare the engines' work, not their imports
        import connector.ledger.lease  # noqa: F401

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    engine = SyncEngine(
        config,
        secrets,
        as_of=date.fromisoformat(spec.get("as_of") or AS_OF),
        netvisor_transport=Recording(),
    )
    report = engine.run()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    out: dict[str, Any] = {
        "wall": wall,
        "cpu": cpu,
        "exit": report.exit_code,
        "requests": len(record),
        "before_first": (record[0][3] - t0) if record else None,
        "after_last": (t0 + wall - record[-1][4]) if record else None,
        "gaps": [b[3] - a[4] for a, b in itertools.pairwise(record)],
        "why": _why(report),
    }
    if spec.get("record"):
        with open(spec["record"], "wb") as f:
            pickle.dump([(m, u, b) for m, u, b, _, _ in record], f)
    Path(spec["out"]).write_text(json.dumps(out))


def _why(report: Any) -> str:
    """What kept a run from exit 0, briefly (rules of what was held or quarantined, aborts)."""
    from collections import Counter

    from connector.sync.report import summary_json

    summary = summary_json(report)
    rules = Counter(q["rule"] for q in summary["quarantined"] + summary["held"])
    parts = [f"{rule} x{n}" for rule, n in sorted(rules.items())]
    if summary["aborted"]:
        parts.append(str(summary["aborted"]["error_type"]))
    parts += [
        f"{n} {key}" for key in ("rejected", "unknown", "failed") if (n := summary["netvisor"][key])
    ]
    return ", ".join(parts) + f" (periods {summary['periods']}, observed {summary['observed']})"


@dataclass(frozen=True)
class ChildRun:
    wall: float
    cpu: float
    maxrss_mib: float
    exit: int
    requests: int
    before_first: float | None
    after_last: float | None
    median_gap: float | None
    why: str


def _company(workdir: Path) -> str:
    return "bench_" + "".join(c if c.isalnum() else "_" for c in workdir.name.lower())


def drop_company(url: str, company: str) -> None:
    """A fresh start for a PostgreSQL bench company (its schema and rows removed)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS ledger_{company} CASCADE")
        if conn.execute("SELECT to_regclass('connector.companies')").fetchone()[0]:
            conn.execute("DELETE FROM connector.companies WHERE company = %s", [company])
            conn.execute("DELETE FROM connector.leases WHERE company = %s", [company])


def run_connector(
    box: Sandboxes,
    workdir: Path,
    record: Path | None = None,
    ledger_url: str | None = None,
    as_of: str = AS_OF,
    start_period: str | None = None,
) -> ChildRun:
    """One sync in a fresh child process (ledger in ``workdir``, or on PostgreSQL at
    ``ledger_url`` in a company named after ``workdir``); its figures and ru_maxrss."""
    fresh = not workdir.exists()
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "figures.json"
    spec = workdir / "spec.json"
    company = _company(workdir)
    if ledger_url and fresh:
        drop_company(ledger_url, company)
    spec.write_text(
        json.dumps(
            {
                **box.info,
                "workdir": str(workdir),
                "out": str(out),
                "record": str(record or ""),
                "ledger_url": ledger_url or "",
                "company": company,
                "as_of": as_of,
                "start_period": start_period or "",
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(spec)], cwd=ROOT, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"connector child failed with exit status {proc.returncode}")
    figures = json.loads(out.read_text())
    gaps = figures["gaps"]
    return ChildRun(
        wall=figures["wall"],
        cpu=figures["cpu"],
        maxrss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        exit=figures["exit"],
        requests=figures["requests"],
        before_first=figures["before_first"],
        after_last=figures["after_last"],
        median_gap=statistics.median(gaps) if gaps else None,
        why=figures["why"],
    )


# -- the bare replay ---------------------------------------------------------------------------


def bare_replay(box: Sandboxes, record: Path) -> tuple[float, int, int]:
    """The recorded requests, re-signed, from a bare httpx loop: (wall, requests, not OK)."""
    import httpx

    from connector.core.secrets import Secret
    from connector.netvisor.auth import NetvisorCredentials, signed_headers

    with open(record, "rb") as f:
        requests: list[tuple[str, str, bytes | None]] = pickle.load(f)
    c = box.info["nv_creds"]
    creds = NetvisorCredentials(
        sender=c["sender"],
        customer_id=c["customer_id"],
        partner_id=c["partner_id"],
        organisation_id=c["organisation_id"],
        customer_key=Secret(c["customer_key"]),
        partner_key=Secret(c["partner_key"]),
        language=c.get("language", "EN"),
    )
    base = box.info["nv_url"]
    bad = 0
    with httpx.Client(timeout=120) as client:
        started = time.perf_counter()
        for method, url, body in requests:
            parts = httpx.URL(url)
            target = base + parts.raw_path.decode("ascii")
            headers = signed_headers(target, creds)
            if body is not None:
                headers["Content-Type"] = "text/xml; charset=utf-8"
            answer = client.request(method, target, content=body, headers=headers)
            if b"<Status>OK</Status>" not in answer.content:
                bad += 1
        wall = time.perf_counter() - started
    return wall, len(requests), bad


# -- connector check ---------------------------------------------------------------------------


def check_startup(runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of ``python -m connector check`` (offline) and of ``python -c pass``."""
    from connector.cli.demo import example_mappings, write_config

    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    creds = {
        "sender": "bench",
        "customer_id": "c",
        "partner_id": "p",
        "organisation_id": "o",
        "customer_key": "k",
        "partner_key": "k",
    }
    config = write_config(
        work,
        netvisor_url="http://127.0.0.1:9",
        netvisor_credentials=creds,
        spotilla_url="http://127.0.0.1:9/api",
        spotilla_credentials={"subdomain": "x", "user_id": "1", "token": "t"},
        mappings=example_mappings(),
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def timed(argv: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(argv, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    check = [timed([sys.executable, "-m", "connector", "check", "--config", str(config)])]
    check += [
        timed([sys.executable, "-m", "connector", "check", "--config", str(config)])
        for _ in range(runs)
    ]
    bare = [timed([sys.executable, "-c", "pass"]) for _ in range(runs)]
    return check[1:], bare  # the first run only warms the file cache


# -- the steady state: re-runs at many documents ---------------------------------------------

#: November closed, October locked (lock_day 9): October is observed, its invoices frozen
AFTER_LOCK = "2026-12-02"


def _task_on_one_invoice(ledger: Path) -> str:
    """A task whose hours went onto one company invoice only (no voucher: no organiser's
    document shares it), so that changing them is exactly one invoice edit."""
    import sqlite3

    with sqlite3.connect(ledger) as db:
        (line_id,) = db.execute(
            "SELECT line_id FROM billed_lines WHERE version = 'current' AND line_id LIKE '%:h0' "
            "GROUP BY line_id HAVING count(*) = 1 ORDER BY line_id LIMIT 1"
        ).fetchone()
    return str(line_id).partition(":")[0]


@dataclass(frozen=True)
class SteadyRun:
    name: str
    run: ChildRun
    writes: dict[str, int]  # Netvisor writes of this run, by resource


def steady_state(
    customers: int, tasks_per_customer: int, workdir: Path, leaves_per_customer: int = 1
) -> list[SteadyRun]:
    """A first sync and the re-runs of the steady state at ``customers`` company customers.

    One leaf folder a customer, ``tasks_per_customer`` tasks in it (about one invoice a
    customer); Netvisor answers at once. In order, against the same sandboxes and ledger: the
    first sync; an unchanged re-run; a re-run after one task changed (one invoice edit); and,
    once every invoice is ``open`` in Netvisor (sent to its customer), a re-run after the lock
    day, which computes corrections against what was billed."""
    leaves = customers * leaves_per_customer
    work = Workload(customers, leaves, max(1, tasks_per_customer // leaves_per_customer), 0)
    runs: list[SteadyRun] = []
    with Sandboxes(work) as box:

        def one(name: str, as_of: str = AS_OF) -> None:
            before = box.stats()["writes"]
            run = run_connector(box, workdir, as_of=as_of)
            after = box.stats()["writes"]
            writes = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
            runs.append(SteadyRun(name, run, writes))
            print(
                f"  {name:<34} {run.maxrss_mib:6.1f} MiB, {run.wall:6.2f} s wall, "
                f"{run.cpu:6.2f} s CPU, {run.requests:5d} requests, writes "
                + (", ".join(f"{k} {n}" for k, n in sorted(writes.items())) or "0")
                + f"; exit {run.exit}: {run.why}"
            )

        print(
            f"\n== steady state: {customers} customers x {tasks_per_customer} tasks "
            f"in {leaves_per_customer} leaf folder(s) each "
            f"({box.info['tasks']} tasks), Netvisor latency 0 =="
        )
        one("first sync")
        one("unchanged re-run")
        box.command("more_hours", _task_on_one_invoice(workdir / "ledger.sqlite"))
        one("one task changed")
        one("unchanged re-run again")
        box.command("mark_open")
        one(f"after the lock day ({AFTER_LOCK}), open", as_of=AFTER_LOCK)
        one("after the lock day, unchanged", as_of=AFTER_LOCK)
    return runs


def steady_rows(runs: list[SteadyRun], customers: int, tasks: int) -> list[tuple[str, ...]]:
    """The steady state's rows of the figures table."""
    by = {r.name.split(" (")[0]: r for r in runs}
    first, same = by["first sync"], by["unchanged re-run again"]
    changed, locked = by["one task changed"], by["after the lock day, unchanged"]
    at = f"{customers} customers x {tasks}"
    return [
        (
            f"peak RSS at {at}: first sync / unchanged re-run / after the lock day (open)",
            f"{first.run.maxrss_mib:.0f} / {same.run.maxrss_mib:.0f} / "
            f"{locked.run.maxrss_mib:.0f} MiB",
            "re-runs < 120 MiB and <= the first sync",
        ),
        (
            f"one task changed at {at}: writes; CPU vs the unchanged re-run",
            f"{sum(changed.writes.values())} ({', '.join(sorted(changed.writes))}); "
            f"{changed.run.cpu:.2f} s vs {same.run.cpu:.2f} s "
            f"({changed.run.cpu / same.run.cpu - 1:+.0%})",
            "1 invoice edit; <= +10 %",
        ),
        (
            f"unchanged re-runs at {at}: writes",
            f"{sum(same.writes.values())} / {sum(locked.writes.values())} (after the lock day)",
            "0",
        ),
    ]


# -- a ledger with history: the unchanged re-run after months of monthly runs ------------------


@dataclass(frozen=True)
class HistoryPoint:
    months: int  # months billed into the ledger
    invoices: int  # invoice rows in the ledger
    lines: int  # billed lines in the ledger
    run: ChildRun  # the unchanged re-run at that point


def _ledger_size(ledger: Path) -> tuple[int, int]:
    import sqlite3

    with sqlite3.connect(ledger) as db:
        (invoices,) = db.execute("SELECT count(*) FROM objects WHERE kind = 'invoice'").fetchone()
        (lines,) = db.execute("SELECT count(*) FROM billed_lines").fetchone()
    return int(invoices), int(lines)


def history(customers: int, months: int, workdir: Path, at: list[int]) -> list[HistoryPoint]:
    """``months`` months billed as a daemon bills them, each on the 2nd of the next month (its
    invoices then sent to their customers: ``open``), one ledger throughout; after the months
    in ``at``, an unchanged re-run on the same day. Three tasks a customer a month in one leaf
    folder; Netvisor answers at once."""
    work = Workload(customers, customers, 3, 0, months=months)
    points: list[HistoryPoint] = []
    periods = _months(months)
    with Sandboxes(work) as box:
        print(
            f"\n== history: {customers} customers, {months} months billed monthly "
            f"({box.info['tasks']} tasks), Netvisor latency 0 =="
        )
        for n, period in enumerate(periods, start=1):
            as_of = period.next().first_day.replace(day=2).isoformat()
            monthly = run_connector(box, workdir, as_of=as_of, start_period=str(periods[0]))
            box.command("mark_open")
            if n not in at:
                continue
            run = run_connector(box, workdir, as_of=as_of, start_period=str(periods[0]))
            invoices, lines = _ledger_size(workdir / "ledger.sqlite")
            points.append(HistoryPoint(n, invoices, lines, run))
            print(
                f"  after {n:2d} months ({invoices} invoices, {lines} lines in the ledger): "
                f"monthly run {monthly.cpu:5.2f} s CPU; unchanged re-run {run.maxrss_mib:6.1f} "
                f"MiB, {run.wall:5.2f} s wall, {run.cpu:5.2f} s CPU, {run.requests} requests; "
                f"exit {run.exit}: {run.why}"
            )
    return points


# -- main --------------------------------------------------------------------------------------


def _workload_for_tasks(tasks: int) -> Workload:
    """``tasks`` tasks: 10 a leaf, 2.5 leaves a company customer; Netvisor answers at once."""
    leaves = max(10, tasks // 10)
    return Workload(customers=max(1, leaves * 2 // 5), leaves=leaves, tasks_per_leaf=10, latency=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, under a minute")
    parser.add_argument(
        "--customers", type=int, help="company customers of the ratio (and --steady) workload"
    )
    parser.add_argument(
        "--steady",
        action="store_true",
        help="only the steady state: re-runs at --customers (default 1000) x --steady-tasks",
    )
    parser.add_argument(
        "--steady-tasks", type=int, default=50, help="tasks a customer in the steady state"
    )
    parser.add_argument(
        "--steady-leaves", type=int, default=1, help="leaf folders a customer in the steady state"
    )
    parser.add_argument("--latency", type=float, default=0.020, help="Netvisor latency, s")
    parser.add_argument("--pairs", type=int, default=3, help="connector/replay pairs (>= 3)")
    parser.add_argument("--rss-tasks", type=int, nargs="*", help="task counts for peak RSS")
    parser.add_argument("--check-runs", type=int, default=7)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the ratio with the stand-ins on a core of their own and the connector and the bare "
        "replay on the others (Linux, 2 cores or more)",
    )
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="also run every connector figure on a PostgreSQL ledger at URL (a local server; "
        "the password from PGPASSWORD/PGPASSFILE), side by side with SQLite",
    )
    parser.add_argument(
        "--history",
        type=int,
        metavar="MONTHS",
        help="only the history: MONTHS months billed monthly at --customers (default 1000), "
        "an unchanged re-run after the first, the middle and the last",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    if args.history:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {_load()}")
        at = sorted({1, (args.history + 1) // 2, args.history})
        history(args.customers or 1000, args.history, tmp / "history", at)
        print(f"\nload average now {_load()} on {os.cpu_count()} cores")
        return
    if args.steady:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {_load()}")
        steady_customers = args.customers or 1000
        runs = steady_state(steady_customers, args.steady_tasks, tmp / "steady", args.steady_leaves)
        print(f"\nload average now {_load()} on {os.cpu_count()} cores\n")
        _table(steady_rows(runs, steady_customers, args.steady_tasks))
        return
    customers = args.customers or (60 if args.quick else 1100)
    rss_tasks = args.rss_tasks or ([2000, 5000] if args.quick else [10000, 50000])
    pairs = max(3, args.pairs)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {_load()}")

    # 1. ratio against the paired bare replay; 2. the unchanged re-run of the first pair
    ratio_work = Workload(customers, customers, 3, args.latency)
    record = tmp / "requests.pickle"
    ratios: list[float] = []
    pg_ratios: list[float] = []
    rerun: tuple[ChildRun, int, int] | None = None
    pg_rerun: ChildRun | None = None
    pinned = ", the stand-ins on a core of their own" if args.pin else ""
    print(
        f"\n== full sync vs bare replay, Netvisor latency {args.latency * 1000:.0f} ms{pinned} =="
    )
    for i in range(pairs):
        order = ("connector", "replay") if i % 2 == 0 else ("replay", "connector")
        walls: dict[str, float] = {}
        for who in order:
            with Sandboxes(ratio_work, pin=args.pin) as box:
                if who == "replay":
                    walls["replay"], n, bad = bare_replay(box, record)
                    print(
                        f"  pair {i + 1}: bare replay {walls['replay']:7.2f} s, {n} requests"
                        + (f", {bad} not OK" if bad else "")
                    )
                    continue
                tasks = box.info["tasks"]
                run = run_connector(box, tmp / f"pair{i}", record)
                walls["connector"] = run.wall
                print(
                    f"  pair {i + 1}: connector   {run.wall:7.2f} s, {run.requests} requests, "
                    f"{tasks} tasks; {run.before_first:.2f} s before the first request, "
                    f"median gap answer->next request {run.median_gap * 1000:.2f} ms, "
                    f"{run.after_last:.2f} s after the last; exit {run.exit}"
                )
                if rerun is None:
                    before = box.writes()
                    again = run_connector(box, tmp / f"pair{i}")
                    rerun = (again, box.writes() - before, tasks)
            if who == "connector" and args.postgresql:
                with Sandboxes(ratio_work, pin=args.pin) as box:
                    run = run_connector(box, tmp / f"pgpair{i}", ledger_url=args.postgresql)
                    walls["postgresql"] = run.wall
                    print(
                        f"  pair {i + 1}: PostgreSQL  {run.wall:7.2f} s, {run.requests} "
                        f"requests; median gap {run.median_gap * 1000:.2f} ms; exit {run.exit}"
                    )
                    if pg_rerun is None:
                        pg_rerun = run_connector(
                            box, tmp / f"pgpair{i}", ledger_url=args.postgresql
                        )
        ratios.append(walls["connector"] / walls["replay"])
        print(f"  pair {i + 1}: ratio {ratios[-1]:.3f} ({' first, '.join(order)} second)")
        if args.postgresql:
            pg_ratios.append(walls["postgresql"] / walls["replay"])
            print(f"  pair {i + 1}: PostgreSQL ratio {pg_ratios[-1]:.3f}")
    assert rerun is not None
    again, rerun_writes, ratio_tasks = rerun
    print(
        f"  unchanged re-run at {ratio_tasks} tasks: {again.wall:.2f} s wall, "
        f"{again.cpu:.2f} s CPU, {again.requests} Netvisor requests, {rerun_writes} writes"
    )

    # 3. peak RSS, first sync and re-run, each in its own process
    print("\n== peak RSS (ru_maxrss of the connector's child process), Netvisor latency 0 ==")
    rss: list[tuple[int, ChildRun, ChildRun, int]] = []
    pg_rss: list[tuple[int, ChildRun, ChildRun]] = []
    for n in rss_tasks:
        with Sandboxes(_workload_for_tasks(n)) as box:
            first = run_connector(box, tmp / f"rss{n}")
            before = box.writes()
            second = run_connector(box, tmp / f"rss{n}")
            writes = box.writes() - before
            served = box.info["tasks"]
        rss.append((served, first, second, writes))
        print(
            f"  {served:6d} tasks: first sync {first.maxrss_mib:6.1f} MiB ({first.wall:.1f} s, "
            f"{first.requests} requests); re-run {second.maxrss_mib:6.1f} MiB "
            f"({second.wall:.2f} s wall, {second.cpu:.2f} s CPU, {writes} writes)"
        )
        if args.postgresql:
            with Sandboxes(_workload_for_tasks(n)) as box:
                pg_first = run_connector(box, tmp / f"pgrss{n}", ledger_url=args.postgresql)
                pg_second = run_connector(box, tmp / f"pgrss{n}", ledger_url=args.postgresql)
            pg_rss.append((served, pg_first, pg_second))
            print(
                f"  {served:6d} tasks, PostgreSQL ledger: first sync {pg_first.maxrss_mib:6.1f}"
                f" MiB ({pg_first.wall:.1f} s); re-run {pg_second.maxrss_mib:6.1f} MiB "
                f"({pg_second.wall:.2f} s wall, {pg_second.cpu:.2f} s CPU)"
            )

    # 4. the steady state at many documents (--customers of it: 100 with --quick)
    steady_customers = 100 if args.quick else 1000
    runs = steady_state(steady_customers, args.steady_tasks, tmp / "steady")

    # 5. connector check start-up
    check, bare = check_startup(args.check_runs)

    # the table
    big_tasks, _, big_second, big_writes = rss[-1]
    cpu_per_10k = big_second.cpu / big_tasks * 10000
    rows = [
        (
            f"full sync / bare replay of the same requests, {args.latency * 1000:.0f} ms",
            f"min {min(ratios):.3f}, median {statistics.median(ratios):.3f} ({pairs} pairs)",
            "<= 1.01",
        ),
        ("unchanged re-run: writes", f"{rerun_writes} / {big_writes}", "0"),
        (
            "unchanged re-run: local CPU per 10 000 tasks",
            f"{cpu_per_10k:.2f} s (at {big_tasks}); "
            f"{again.cpu / ratio_tasks * 10000:.2f} s (at {ratio_tasks})",
            "< 1 s",
        ),
        *(
            (
                f"peak RSS at {served} tasks, first sync / re-run",
                f"{first.maxrss_mib:.0f} / {second.maxrss_mib:.0f} MiB",
                "< 150 MiB both, flat in N",
            )
            for served, first, second, _ in rss
        ),
        (
            "`connector check` start-up",
            f"min {min(check):.3f} s, median {statistics.median(check):.3f} s "
            f"(python -c pass: {min(bare):.3f} s)",
            "<= 0.15 s",
        ),
        *steady_rows(runs, steady_customers, args.steady_tasks),
    ]
    if args.postgresql and pg_rerun is not None:
        rows.insert(
            1,
            (
                "PostgreSQL ledger: full sync / bare replay",
                f"min {min(pg_ratios):.3f}, median {statistics.median(pg_ratios):.3f}; "
                f"median {statistics.median(pg_ratios) / statistics.median(ratios):.3f} x SQLite's",
                "<= 1.03 x SQLite's",
            ),
        )
        for served, first, second in pg_rss:
            sqlite_second = next(r[2] for r in rss if r[0] == served)
            rows.append(
                (
                    f"re-run at {served} tasks, SQLite / PostgreSQL: CPU; peak RSS",
                    f"{sqlite_second.cpu:.2f} / {second.cpu:.2f} s; "
                    f"{sqlite_second.maxrss_mib:.0f} / {second.maxrss_mib:.0f} MiB "
                    f"(first sync {first.maxrss_mib:.0f} MiB)",
                    "side by side",
                )
            )
    print(f"\nload average now {_load()} on {os.cpu_count()} cores\n")
    _table(rows)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def _table(rows: list[tuple[str, ...]]) -> None:
    print("| figure | measured | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
