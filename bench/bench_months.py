"""Benchmark: Netvisor requests of a monthly cycle, and of a fresh ledger's run after it.

Run from the repository root: ``python bench/bench_months.py`` (about a minute) or with
``--customers 150 300 600``. See bench/README.md.

For each company size: three months of work (August to October 2026) in a generated Spotilla
sandbox, billed one month at a time as a daemon does (on the 2nd of the next month) against a
Netvisor sandbox over loopback, with a real ledger file. Printed per run: the requests by
resource. Then the ledger is moved away and October billed again from a fresh ledger, as after
a lost ledger or a second config against the same company: every invoice must be adopted (no
invoice created twice), and the requests it took are printed too.

The figure to watch is ``salesinvoicelist.nv`` in the monthly runs: the adoption look-up before
the first invoice the ledger does not know (``connector/sync/adopt.py``). Nothing here is a
pass/fail test; timing is not measured (see bench_sync.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's connector, not an installed one
    sys.path.insert(0, str(ROOT))

MONTHS = ((2026, 8), (2026, 9), (2026, 10))
RUN_DAYS = ("2026-09-02", "2026-10-02", "2026-11-02")  # each month billed once it has closed


def cycle(customers: int, workdir: Path) -> list[tuple[str, int, Counter[str], int]]:
    """(run, exit code, requests by resource, invoices in Netvisor after it) for each run."""
    from connector.cli.demo import example_mappings, write_config
    from connector.core.config import load_config
    from connector.core.domain import Period
    from connector.core.logging import configure
    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox
    from connector.sync import SyncEngine

    spotilla = SpotillaSandbox.generated(
        seed=7,
        customers=customers,
        depth=3,
        leaves=customers,
        tasks_per_leaf_per_month=2,
        months=[Period(*m) for m in MONTHS],
        bad_records=False,
        today=date(2026, 11, 22),
    )
    netvisor = NetvisorSandbox()
    servers = [serve(netvisor, name="netvisor-months"), serve(spotilla, name="spotilla-months")]
    try:
        config = load_config(
            write_config(
                workdir,
                netvisor_url=servers[0].url,
                netvisor_credentials=netvisor.credentials,
                spotilla_url=f"{servers[1].url}/api",
                spotilla_credentials=spotilla.credentials,
                mappings=example_mappings(),
                start_period="2026-08",
            )
        )
        configure(level=config.connector.log_level)  # the config says WARNING: quiet
        rows = []

        def run(name: str, as_of: str) -> None:
            before = Counter(netvisor.stats()["requests"])
            engine = SyncEngine(config, config.load_secrets(), as_of=date.fromisoformat(as_of))
            report = engine.run()
            after = Counter(netvisor.stats()["requests"])
            rows.append((name, report.exit_code, after - before, len(netvisor.invoices())))

        for (year, month), as_of in zip(MONTHS, RUN_DAYS, strict=True):
            run(f"monthly run as of {as_of} (bills {year}-{month:02d})", as_of)
        ledger = config.ledger_path
        for suffix in ("", "-wal", "-shm"):  # a fresh ledger: the old one kept aside
            part = Path(f"{ledger}{suffix}")
            if part.exists():
                part.rename(workdir / f"old{suffix}.sqlite")
        run(f"a fresh ledger, the last run again (as of {RUN_DAYS[-1]})", RUN_DAYS[-1])
        return rows
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="*", default=[150, 300])
    args = parser.parse_args()
    for customers in args.customers:
        print(f"\n== {customers} company customers, one invoice each a month ==")
        with tempfile.TemporaryDirectory(prefix="bench-months-") as tmp:
            for name, exit_code, requests, invoices in cycle(customers, Path(tmp)):
                shown = ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
                print(f"  {name}: exit {exit_code}; {invoices} invoices in Netvisor; {shown}")


if __name__ == "__main__":
    main()
