"""The daemon's Prometheus textfile (node_exporter's textfile collector reads it).

Written after every daemon job — and once at start — to ``[connector] metrics_file``, atomically
(a temporary file in the same folder, fsync, rename): a scraper never reads half a file. The
figures are counts and times only, never names or keys:

- ``connector_last_success_timestamp_seconds``: end of the newest run that finished (ok or
  partial), from the ledger, so it survives a restart; 0 before the first one;
- ``connector_last_run_timestamp_seconds``, ``connector_last_run_exit_code`` and
  ``connector_last_run_status{status="..."}`` (1 for the last run's status, 0 for the others);
- ``connector_last_run_documents_written`` (created + updated), ``connector_last_run_held``
  (lines held for review);
- from the ledger now: ``connector_quarantined`` (open quarantine entries), ``connector_in_doubt``
  (writes waiting for reconcile), ``connector_rejected`` (refused by Netvisor, waiting for a
  person), ``connector_held_for_person`` (edits that showed neither version).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

STATUSES = ("ok", "partial", "stopped", "aborted", "failed")


@dataclass(frozen=True)
class Metrics:
    last_success: float | None
    last_run_at: float | None
    last_run_status: str | None
    last_run_exit_code: int | None
    documents_written: int
    held: int
    quarantined: int
    in_doubt: int
    rejected: int
    held_for_person: int


def _timestamp(moment: str | None) -> float | None:
    return datetime.fromisoformat(moment).timestamp() if moment else None


def collect(ledger_path: Path, last_job: Mapping[str, Any] | None = None) -> Metrics:
    """Read the figures from the ledger (and the last job's outcome, when there was one)."""
    from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, Ledger, LedgerState

    job = last_job or {}
    runs: list[Any] = []
    doubt: list[Any] = []
    rejected = quarantined = 0
    from connector.ledger import ledger_exists

    if ledger_exists(ledger_path):
        with Ledger(ledger_path) as ledger:
            runs = [r for r in ledger.runs(200) if r["status"] != "running"]
            doubt = ledger.objects(states=IN_DOUBT)
            rejected = len(ledger.objects(states=[LedgerState.REJECTED]))
            quarantined = len(ledger.quarantine())
    success = next((r for r in runs if r["status"] in ("ok", "partial")), None)
    last = runs[0] if runs else None
    if job:
        written = int(job.get("created", 0)) + int(job.get("updated", 0))
    else:
        written = int(last["created"]) + int(last["updated"]) if last else 0
    return Metrics(
        last_success=_timestamp(success["finished_at"]) if success else None,
        last_run_at=_timestamp(last["finished_at"]) if last else None,
        last_run_status=job.get("status") or (last["status"] if last else None),
        last_run_exit_code=job.get("exit_code"),
        documents_written=written,
        held=int(job.get("held_for_review", 0)),
        quarantined=quarantined,
        in_doubt=len(doubt),
        rejected=rejected,
        held_for_person=sum(1 for o in doubt if o.last_error_type == EDIT_UNCLEAR),
    )


def render(m: Metrics, company: str | None = None) -> str:
    """The textfile; ``company`` (a fleet's company name) labels every series."""
    return render_many([(company, m)])


def render_many(companies: list[tuple[str | None, Metrics]]) -> str:
    """One textfile for several companies (a fleet's), each series labelled ``company``."""
    lines: list[str] = []
    for company, m in companies:
        _render_into(lines, m, f'company="{company}"' if company else "")
    return "\n".join(lines) + "\n"


def _render_into(lines: list[str], m: Metrics, company: str) -> None:
    def gauge(name: str, text: str, value: float | int | None, labels: str = "") -> None:
        if not any(ln.startswith(f"# HELP {name} ") for ln in lines):
            lines.append(f"# HELP {name} {text}")
            lines.append(f"# TYPE {name} gauge")
        if company:
            labels = f"{{{company},{labels[1:]}" if labels else f"{{{company}}}"
        lines.append(f"{name}{labels} {0 if value is None else value:g}")

    gauge(
        "connector_last_success_timestamp_seconds",
        "Unix time the last successful run finished (0: never).",
        m.last_success,
    )
    gauge("connector_last_run_timestamp_seconds", "Unix time the last run finished.", m.last_run_at)
    gauge(
        "connector_last_run_exit_code",
        "Exit code of the last daemon job (0 ok, 1 partial, 3 aborted or stopped; -1 unknown).",
        -1 if m.last_run_exit_code is None else m.last_run_exit_code,
    )
    for status in STATUSES:
        gauge(
            "connector_last_run_status",
            "1 for the status of the last run.",
            int(m.last_run_status == status),
            f'{{status="{status}"}}',
        )
    gauge(
        "connector_last_run_documents_written",
        "Netvisor objects created or updated by the last run.",
        m.documents_written,
    )
    gauge("connector_last_run_held", "Lines the last run held for review.", m.held)
    gauge("connector_quarantined", "Open quarantine entries.", m.quarantined)
    gauge("connector_in_doubt", "Writes in doubt, waiting for reconcile.", m.in_doubt)
    gauge("connector_rejected", "Objects Netvisor rejected, waiting for a person.", m.rejected)
    gauge(
        "connector_held_for_person",
        "Invoice edits held for a person (Netvisor shows neither version).",
        m.held_for_person,
    )


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_metrics(
    path: Path,
    ledger_path: Path,
    last_job: Mapping[str, Any] | None = None,
    *,
    company: str | None = None,
) -> None:
    write_atomically(path, render(collect(ledger_path, last_job), company))
