"""Benchmark: the full sync against the sandboxes with a fixed Netvisor latency.

Run: ``python bench/bench_sync.py [--customers N] [--latency SECONDS]`` (defaults 1100, 0.020).

Prints, for a first full sync and an unchanged re-run:
- wall time, Netvisor calls (as counted by the sandbox) and writes;
- overhead ratio = wall time / (Netvisor calls x latency) — target <= 1.15 for the full sync;
- peak memory (ru_maxrss) of the connector's process.

Both sandboxes run in a child process, so the connector's figures are its own. Nothing here is a
pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

from connector.config import load_config
from connector.demo import example_mappings, write_config
from connector.domain import Period
from connector.logging import configure
from connector.sync import SyncEngine

PERIOD = Period(2026, 10)
AS_OF = date(2026, 11, 2)


def _serve(customers: int, latency: float, conn) -> None:  # child process
    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox

    spotilla = SpotillaSandbox.generated(
        seed=7,
        customers=customers,
        depth=3,
        leaves=customers,
        tasks_per_leaf_per_month=3,
        months=[PERIOD],
        bad_records=False,
        today=date(2026, 11, 22),
    )
    netvisor = NetvisorSandbox()
    netvisor.inject("latency", seconds=latency)
    nv = serve(netvisor, name="netvisor-bench")
    sp = serve(spotilla, name="spotilla-bench")
    conn.send((nv.url, netvisor.credentials, sp.url, spotilla.credentials, spotilla.count("tasks")))
    conn.recv()
    nv.stop()
    sp.stop()


def _stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_sandbox/stats") as answer:
        return json.load(answer)


def _calls(stats: dict) -> int:
    return sum(v for k, v in stats["requests"].items() if not k.startswith("_sandbox"))


def _writes(stats: dict) -> int:
    return sum(stats["writes"].values())


def _floor(latency: float, calls: int = 300) -> float:
    """wall / (calls x latency) for bare httpx POSTs to a loopback app that only sleeps."""
    import httpx

    from connector.sandbox.server import serving

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        environ["wsgi.input"].read()
        time.sleep(latency)
        body = b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus></Root>"
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]

    with serving(app, name="floor") as url, httpx.Client() as client:
        started = time.perf_counter()
        for _ in range(calls):
            client.post(f"{url}/salesinvoice.nv", content=b"<Root/>" * 300)
        return (time.perf_counter() - started) / (calls * latency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1100)
    parser.add_argument("--latency", type=float, default=0.020)
    args = parser.parse_args()

    parent, child = mp.Pipe()
    proc = mp.get_context("fork").Process(
        target=_serve, args=(args.customers, args.latency, child), daemon=True
    )
    proc.start()
    nv_url, nv_creds, sp_url, sp_creds, tasks = parent.recv()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        config = load_config(
            write_config(
                work,
                netvisor_url=nv_url,
                netvisor_credentials=nv_creds,
                spotilla_url=f"{sp_url}/api",
                spotilla_credentials=sp_creds,
                mappings=example_mappings(),
            )
        )
        secrets = config.load_secrets()
        configure(level="WARNING")  # the figures, not 2 000 log lines
        print(
            f"sandbox: {tasks} tasks in {PERIOD}, Netvisor latency {args.latency * 1000:.0f} ms fixed"
        )
        for title in ("full sync", "unchanged re-run"):
            before = _stats(nv_url)
            started = time.perf_counter()
            report = SyncEngine(config, secrets, as_of=AS_OF).run()
            wall = time.perf_counter() - started
            after = _stats(nv_url)
            calls = _calls(after) - _calls(before)
            writes = _writes(after) - _writes(before)
            floor = calls * args.latency
            ratio = wall / floor if floor else float("nan")
            invoices = sum(
                1 for a in (report.plan.actions if report.plan else []) if a.obj.kind == "invoice"
            )
            print(
                f"{title:>17}: {wall:7.2f} s wall, {calls:5d} Netvisor calls, {writes:5d} writes, "
                f"{invoices} invoices; wall / (calls x latency) = {ratio:.3f}; exit {report.exit_code}"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the connector process (ru_maxrss): {peak:.0f} MiB")
        print(
            f"{'transport floor':>17}: {_floor(args.latency):.3f} (bare httpx to the same loopback "
            "server, an app that only sleeps the latency: what no connector can beat here)"
        )
    finally:
        parent.send("stop")
        proc.join(timeout=10)


if __name__ == "__main__":
    main()
