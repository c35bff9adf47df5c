"""The sync job, one module per phase of the data flow (see docs/architecture.md):

``engine`` (phase order) -> ``reconcile`` -> ``scope`` -> ``extract`` (Spotilla, then billing)
-> ``observe`` (Netvisor reads) -> ``desired`` (``desired_build``, ``desired_ledger``) -> ``plan``
-> ``apply`` or ``outbox`` -> ``report``. Per-run state travels in ``context.RunContext``.

May import: every package below it (core, mapping, netvisor, spotilla, billing, ledger,
psop, texts); never service, console or cli.
"""

from connector.sync.engine import SyncEngine
from connector.sync.report import RunReport, print_summary, summary_json, terminal_progress

__all__ = ["RunReport", "SyncEngine", "print_summary", "summary_json", "terminal_progress"]
