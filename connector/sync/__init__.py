"""The sync job, one module per phase of the data flow (see docs/architecture.md):

``engine`` (phase order) -> ``reconcile`` -> ``scope`` -> ``extract`` (Spotilla) -> one stream,
``planning``: billing owner by owner (``extract.bill_documents``), ``observe`` (Netvisor reads),
``desired`` (``desired_build``, ``desired_ledger``), ``plan``, ``adopt`` -> ``apply`` (sending
while the next owners are billed) or ``outbox`` -> ``report``. Per-run state travels in
``context.RunContext``.

May import: every package below it (core, mapping, netvisor, spotilla, billing, ledger,
psop, texts); never service, console or cli.
"""

from connector.core.models import build_deferred_models
from connector.sync.engine import SyncEngine
from connector.sync.report import RunReport, print_summary, summary_json, terminal_progress

__all__ = [
    "RunReport",
    "SyncEngine",
    "prepare_threads",
    "print_summary",
    "summary_json",
    "terminal_progress",
]


def prepare_threads() -> None:
    """Builds, in the calling thread, every deferred model a run uses (the mapping records, the
    config sections): call it before starting threads that run companies or serve the console,
    so no two threads ever build a model at once (see connector/core/models.py)."""
    build_deferred_models()
