"""Benchmark: read N tasks from the Spotilla sandbox on loopback through SpotillaSource.

Run: ``python bench/bench_spotilla.py [N ...]`` (default 5000 50000). The sandbox runs in a
forked child process, so every figure is the reading process's own. Per N, two reads of the
same data:

- timed, three times (no tracing; the read with the least CPU is reported): wall time and
  tasks per second, and the CPU time (user + system, every thread of the process: the page
  fetchers too) of ``billable_work`` alone, also per 10 000 tasks served -- the figure issue
  13's budget is about; master data is read before it and timed apart;
- traced: the tracemalloc peak of Python allocations while reading, and ``ru_maxrss`` of the
  whole process at the end.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import tracemalloc
from datetime import date

from connector.core.domain import BillableTask, Period
from connector.core.secrets import Secret
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, SpotillaSource

PERIOD = Period(2026, 10)
LEAVES = 1000
REPEATS = 3  # timed reads per size; the least CPU is reported (noise only adds)


def _serve(tasks: int, conn) -> None:  # child process
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox

    sandbox = SpotillaSandbox.generated(
        seed=1,
        customers=100,
        depth=4,
        leaves=LEAVES,
        tasks_per_leaf_per_month=max(1, tasks // LEAVES),
        months=[PERIOD],
        bad_records=False,
        today=date(2026, 11, 22),
    )
    running = serve(sandbox, name="spotilla-bench")
    conn.send((running.url, sandbox.credentials, sandbox.count("tasks")))
    conn.recv()  # wait until told to stop
    running.stop()


def _read(url: str, creds: dict[str, str]) -> tuple[int, int, int, float, float, float]:
    """One read: (billable tasks, their rows, quarantined, master-data CPU s, task CPU s,
    task wall s)."""
    with SpotillaClient(
        f"{url}/api",
        subdomain=creds["subdomain"],
        user_id=creds["user_id"],
        token=Secret(creds["token"]),
        per_page=100,
        concurrency=4,
    ) as client:
        source = SpotillaSource(client, BillableWorkRules())
        cpu0 = time.process_time()
        master = source.master_data()
        cpu1, wall1 = time.process_time(), time.perf_counter()
        billable = rows = other = 0
        for item in source.billable_work(PERIOD, master):
            if isinstance(item, BillableTask):
                billable += 1
                rows += len(item.rows)
            else:
                other += 1
        cpu2, wall2 = time.process_time(), time.perf_counter()
    return billable, rows, other, cpu1 - cpu0, cpu2 - cpu1, wall2 - wall1


def run(tasks: int) -> None:
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(tasks, child), daemon=True)
    proc.start()
    url, creds, served = parent.recv()
    try:
        _read(url, creds)  # warm-up: imports, first connections, the sandbox's filter cache
        timed = [_read(url, creds) for _ in range(REPEATS)]
        billable, rows, other, master_cpu, cpu, wall = min(timed, key=lambda t: t[4])
        tracemalloc.start()
        _read(url, creds)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tasks served {served:>6} | billable {billable:>6} rows {rows:>6} "
        f"quarantined {other} | "
        f"{wall:6.2f} s | {served / wall:7.0f} tasks/s | "
        f"CPU (least of {REPEATS}) {cpu:5.2f} s = {cpu / served * 10_000:5.3f} s per 10 000 tasks "
        f"(master data {master_cpu:4.2f} s) | "
        f"tracemalloc peak {peak / 2**20:5.1f} MiB | ru_maxrss {maxrss_mb:6.1f} MiB",
        flush=True,
    )


def main(argv: list[str]) -> None:
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    sizes = [int(a) for a in argv] or [5000, 50000]
    for size in sizes:
        run(size)


if __name__ == "__main__":
    main(sys.argv[1:])
