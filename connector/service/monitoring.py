"""``connector status --check``: one line and an exit code for Nagios/Icinga-style checks.

A pure function of ledger facts (:class:`HealthFacts`), so every rule is tested without a ledger:

- CRITICAL (2): nothing ever succeeded; the last success is older than ``critical_hours``; the
  last run aborted; Netvisor rejected a document and it still waits for a person.
- WARNING (1): the last success is older than ``warning_hours``; the last run finished with
  quarantined or held records; writes are in doubt (``connector reconcile``); records wait in
  quarantine.
- OK (0): otherwise.

The line follows the plugin convention ``CONNECTOR <STATE> - <text> | <perfdata>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

OK, WARNING, CRITICAL = 0, 1, 2
STATE_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL"}


@dataclass(frozen=True)
class HealthFacts:
    now: datetime
    # "ok" | "partial" | "aborted" | "failed" (a job that crashed) | "stopped" | "running" | None
    last_run_status: str | None
    last_run_command: str | None
    last_success_at: datetime | None  # finish of the newest run with status ok or partial
    quarantined: int
    in_doubt: int
    rejected: int
    failed_jobs: int = 0  # daemon jobs that failed since the last success


def _parse(moment: str | None) -> datetime | None:
    if not moment:
        return None
    return datetime.fromisoformat(moment)


def facts_from_ledger(ledger: Any, now: datetime) -> HealthFacts:
    """Collect :class:`HealthFacts` from an open ledger."""
    from connector.ledger import IN_DOUBT

    runs: Sequence[Mapping[str, Any]] = ledger.runs(50)
    finished = [r for r in runs if r["status"] != "running"]
    last = finished[0] if finished else None
    success = next((r for r in finished if r["status"] in ("ok", "partial")), None)
    failed = 0
    for r in finished:
        if r is success:
            break
        if r["status"] in ("aborted", "failed"):
            failed += 1
    return HealthFacts(
        now=now,
        last_run_status=last["status"] if last else None,
        last_run_command=last["command"] if last else None,
        last_success_at=_parse(success["finished_at"]) if success else None,
        quarantined=len(ledger.quarantine()),
        in_doubt=len(ledger.objects(states=IN_DOUBT)),
        rejected=len(ledger.objects(states=["rejected"])),
        failed_jobs=failed,
    )


def evaluate(
    facts: HealthFacts, *, warning_hours: float = 26.0, critical_hours: float = 50.0
) -> tuple[int, str]:
    """(exit code, one line) for ``facts``."""
    critical: list[str] = []
    warning: list[str] = []
    age_h = None
    if facts.last_success_at is None:
        critical.append("no run has succeeded yet")
    else:
        age_h = (facts.now - facts.last_success_at).total_seconds() / 3600
        if age_h > critical_hours:
            critical.append(f"last success {age_h:.0f} h ago (limit {critical_hours:g} h)")
        elif age_h > warning_hours:
            warning.append(f"last success {age_h:.0f} h ago (limit {warning_hours:g} h)")
    if facts.last_run_status in ("aborted", "failed"):
        critical.append(f"last run ({facts.last_run_command}) aborted")
    elif facts.last_run_status == "partial":
        warning.append(f"last run ({facts.last_run_command}) finished with problems")
    if facts.rejected:
        critical.append(f"{facts.rejected} rejected by Netvisor")
    if facts.in_doubt:
        warning.append(f"{facts.in_doubt} writes in doubt")
    if facts.quarantined:
        warning.append(f"{facts.quarantined} quarantined")
    code = CRITICAL if critical else WARNING if warning else OK
    text = "; ".join(critical + warning) or (
        f"last success {age_h:.1f} h ago" if age_h is not None else "ok"
    )
    perf = (f"last_success_age_hours={age_h:.2f} " if age_h is not None else "") + (
        f"quarantined={facts.quarantined} in_doubt={facts.in_doubt} "
        f"rejected={facts.rejected} failed_jobs={facts.failed_jobs}"
    )
    return code, f"CONNECTOR {STATE_NAMES[code]} - {text} | {perf}"
