"""``connector fleet status``: one row per company, from each company's own ledger.

Each row is what ``connector status --config <company>`` would say of that company (the same
:mod:`connector.service.monitoring` facts and verdict), plus the fleet's view: the next
scheduled run and the consecutive failures (and the back-off they cause).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connector.service.fleet import Company, Fleet
from connector.service.fleet_schedule import backoff_until, next_run
from connector.service.monitoring import CRITICAL, OK, STATE_NAMES, evaluate, facts_from_ledger


@dataclass(frozen=True)
class CompanyRow:
    company: str
    last_run_at: str | None = None
    result: str | None = None  # the last finished run's status; None: never run
    documents: int = 0  # Netvisor objects the last run created or updated
    held: int = 0  # held for review, waiting for a decision
    quarantined: int = 0
    in_doubt: int = 0
    rejected: int = 0
    next_run: datetime | None = None
    next_job: str | None = None
    failures: int = 0
    backoff_until: datetime | None = None
    running: bool = False
    held_by: str | None = None  # on a PostgreSQL ledger: the host holding the company's lease
    check_code: int = OK
    check_line: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "last_run_at": self.last_run_at,
            "result": self.result,
            "running": self.running,
            "held_by": self.held_by,
            "documents": self.documents,
            "held": self.held,
            "quarantined": self.quarantined,
            "in_doubt": self.in_doubt,
            "rejected": self.rejected,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "next_job": self.next_job,
            "consecutive_failures": self.failures,
            "backoff_until": self.backoff_until.isoformat() if self.backoff_until else None,
            "check": {"code": self.check_code, "line": self.check_line},
        }

    def cells(self, t: Any) -> list[Any]:
        result = "running" if self.running else (self.result or "never")
        return [
            self.company,
            t.datetime(self.last_run_at) if self.last_run_at else "",
            t(f"fleet.status.{result}") if result in _RESULTS else result,
            self.documents,
            self.held,
            self.quarantined,
            self.in_doubt,
            self.rejected,
            t.datetime(self.next_run) if self.next_run else "",
            self.failures,
            self.held_by or "",
        ]


_RESULTS = frozenset(
    {"ok", "partial", "stopped", "aborted", "failed", "locked", "not_started", "running", "never"}
)


def lease_holder(location: Any) -> str | None:
    """Which host holds the company's lease now (``host (pid N)``), on a PostgreSQL ledger;
    None on SQLite, or when no host holds it."""
    from connector.core.config import PostgresLedger

    if not isinstance(location, PostgresLedger):
        return None
    from connector.ledger.lease import lease_holders

    info = lease_holders(location, [location.company]).get(location.company)
    return f"{info.host} (pid {info.pid})" if info is not None and info.held else None


def company_row(
    company: Company,
    fleet: Fleet,
    now: datetime,
    *,
    warning_hours: float = 26.0,
    critical_hours: float = 50.0,
) -> CompanyRow:
    """One company's row; opens its ledger read-only for a moment (never its run lock)."""
    upcoming = next_run(company, fleet, now)
    nxt = {"next_run": upcoming[1], "next_job": upcoming[0]} if upcoming else {}
    if company.config is None:
        problem = company.problems[0] if company.problems else "config cannot be read"
        return CompanyRow(
            company.name,
            result="failed",
            check_code=CRITICAL,
            check_line=f"CONNECTOR CRITICAL - config: {problem}",
            **nxt,
        )
    config = company.config
    from connector.ledger import ledger_exists

    if not ledger_exists(config.ledger_path):
        return CompanyRow(
            company.name,
            check_code=CRITICAL,
            check_line=f"CONNECTOR CRITICAL - no ledger at {config.ledger_path}: nothing has run",
            **nxt,
        )
    from connector.ledger import IN_DOUBT, Ledger, LedgerState
    from connector.psop.loop import review_entries

    with Ledger(config.ledger_path) as ledger:
        facts = facts_from_ledger(ledger, now)
        runs = ledger.runs(50)
        held = sum(1 for e in review_entries(ledger) if e.decision is None)
        in_doubt = len(ledger.objects(states=IN_DOUBT))
        rejected = len(ledger.objects(states=[LedgerState.REJECTED]))
        quarantined = len(ledger.quarantine())
    finished = [r for r in runs if r["status"] != "running"]
    last = finished[0] if finished else None
    code, line = evaluate(facts, warning_hours=warning_hours, critical_hours=critical_hours)
    last_failure = (
        datetime.fromisoformat(last["finished_at"])
        if last and last["status"] in ("aborted", "failed") and last["finished_at"]
        else None
    )
    return CompanyRow(
        company.name,
        last_run_at=(last["finished_at"] or last["started_at"]) if last else None,
        result=last["status"] if last else None,
        documents=int(last["created"] or 0) + int(last["updated"] or 0) if last else 0,
        held=held,
        quarantined=quarantined,
        in_doubt=in_doubt,
        rejected=rejected,
        failures=facts.failed_jobs,
        backoff_until=_future(
            backoff_until(facts.failed_jobs, last_failure, fleet.settings.backoff_max_minutes),
            now,
        ),
        running=bool(runs) and runs[0]["status"] == "running",
        held_by=lease_holder(config.ledger_path),
        check_code=code,
        check_line=line,
        **nxt,
    )


def _future(moment: datetime | None, now: datetime) -> datetime | None:
    return moment if moment is not None and moment > now else None


def fleet_rows(
    fleet: Fleet,
    names: list[str] | None = None,
    *,
    now: datetime | None = None,
    warning_hours: float = 26.0,
    critical_hours: float = 50.0,
) -> list[CompanyRow]:
    now = now or datetime.now(UTC)
    return [
        company_row(c, fleet, now, warning_hours=warning_hours, critical_hours=critical_hours)
        for c in fleet.select(names)
    ]


def worst(rows: list[CompanyRow], t: Any) -> tuple[int, str]:
    """``fleet status --check``: the worst company's state and line, naming it; the counts."""
    if not rows:
        return OK, t("fleet.check_all_ok", total=0)
    bad = max(rows, key=lambda r: r.check_code)  # the first of the worst, in fleet order
    if bad.check_code == OK:
        return OK, t("fleet.check_all_ok", total=len(rows))
    counts = ", ".join(
        f"{sum(r.check_code == code for r in rows)} {STATE_NAMES[code]}"
        for code in sorted(STATE_NAMES, reverse=True)
    )
    line = t(
        "fleet.check_line",
        state=STATE_NAMES[bad.check_code],
        company=bad.company,
        line=bad.check_line.removeprefix("CONNECTOR "),
    )
    text, _, perf = line.partition(" | ")
    return bad.check_code, f"{text} ({counts})" + (f" | {perf}" if perf else "")
