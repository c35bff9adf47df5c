"""Benchmark: read N tasks from the Spotilla sandbox on loopback through SpotillaSource.

Run: ``python bench/bench_spotilla.py [N ...]`` (default 5000 50000). Prints records per second and
peak memory of the reading process: the sandbox runs in a child process, so the figures are the
connector's own (tracemalloc peak of Python allocations, and ru_maxrss of the whole process).
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import tracemalloc
from datetime import date

from connector.domain import BillableTask, Period
from connector.secrets import Secret
from connector.spotilla.client import SpotillaClient
from connector.spotilla.source import BillableWorkRules, SpotillaSource

PERIOD = Period(2026, 10)
LEAVES = 1000


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


def run(tasks: int) -> None:
    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(target=_serve, args=(tasks, child), daemon=True)
    proc.start()
    url, creds, served = parent.recv()
    try:
        tracemalloc.start()
        started = time.perf_counter()
        with SpotillaClient(
            f"{url}/api",
            subdomain=creds["subdomain"],
            user_id=creds["user_id"],
            token=Secret(creds["token"]),
            per_page=100,
            concurrency=4,
        ) as client:
            source = SpotillaSource(client, BillableWorkRules())
            master = source.master_data()
            billable = rows = other = 0
            for item in source.billable_work(PERIOD, master):
                if isinstance(item, BillableTask):
                    billable += 1
                    rows += len(item.rows)
                else:
                    other += 1
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"tasks served {served:>6} | billable {billable:>6} rows {rows:>6} quarantined {other} | "
        f"{elapsed:6.2f} s | {served / elapsed:8.0f} tasks/s | "
        f"tracemalloc peak {peak / 2**20:6.1f} MiB | ru_maxrss {maxrss_mb:6.1f} MiB",
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
