"""The per-run state every phase is handed: a :class:`RunContext`, built by the engine per run.

Nothing here outlives a run: the ledger connection, the run id, the report and the request
audit buffer belong to one run and are passed down, never kept on the long-lived engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from connector.billing import BillingRules
from connector.core.config import Config
from connector.core.domain import HELSINKI
from connector.core.errors import ConnectorError
from connector.ledger import Ledger
from connector.mapping import Mappings
from connector.netvisor import documents as nv
from connector.sync.report import RunReport


class RunAborted(Exception):
    """Stops the run's phases; the engine records ``error`` as the run's outcome."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(str(error))
        self.error = error


def helsinki_today() -> date:
    return datetime.now(HELSINKI).date()


@dataclass
class RequestAudit:
    """Counts Netvisor requests into the report and buffers their audit rows.

    ``record`` runs on the sender thread, so it only counts and queues; ``flush`` writes the
    rows from the run's own thread (an SQLite connection stays on the thread that opened it).
    """

    report: RunReport
    _records: list[nv.RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, record: nv.RequestRecord) -> None:
        with self._lock:
            self.report.netvisor_requests += 1
            if record.method != "GET" and record.outcome == "ok":
                self.report.netvisor_writes += 1
            self._records.append(record)

    def pending(self) -> int:
        with self._lock:
            return len(self._records)

    def flush(self, ledger: Ledger | None, run_id: int | None) -> None:
        with self._lock:
            records, self._records = self._records, []
        if records and ledger is not None:
            ledger.audit_many(run_id, records)


@dataclass(frozen=True)
class RunContext:
    """One run's state: what it reads, where it writes, what it reports."""

    config: Config
    mappings: Mappings
    rules: BillingRules
    ledger: Ledger
    report: RunReport
    audit: RequestAudit
    today: date
    run_id: int | None
    read_only: bool
    stop: threading.Event
    progress: Callable[[str, int, int], None] | None = None
    #: writes in a row without a clear answer before the run stops writing
    max_unknown_in_a_row: int = 3

    def flush_audit(self) -> None:
        """Write the buffered request audit rows (never in a read-only run)."""
        if not self.read_only:
            self.audit.flush(self.ledger, self.run_id)
        else:
            self.audit.flush(None, None)
