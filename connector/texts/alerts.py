"""Alerts: tell a person once about each NEW problem a run found.

A problem is a run that aborted, a record quarantined or held for review, or a document Netvisor
rejected. Each has a fingerprint; the ledger remembers which fingerprints were announced
(``Ledger.unannounced``), so the next run that sees the same problem stays quiet. An abort is
forgotten when a run succeeds again (a new abort alerts again); a quarantined record when it
leaves the quarantine.

Delivery (``[alerts]`` in the config), both optional:

- ``command``: a program (a list of arguments, or a string split like a shell would split it,
  but never run by a shell) that receives the JSON summary on stdin; killed after ``timeout``.
- ``webhook_url``: the same JSON POSTed with httpx, ``timeout`` seconds.

A failing alert is logged and never fails the run. The summary carries ids, rules and reasons
(reasons name ids and codes only), never names.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from connector.core.logging import get_logger

log = get_logger("alerts")
ALERT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Problem:
    kind: str  # "aborted" | "quarantine" | "rejected"
    fingerprint: str
    summary: str
    detail: dict[str, Any]


def problems_of_run(
    *,
    aborted: str | None,
    aborted_type: str | None,
    command: str,
    quarantined: Iterable[Any] = (),
    held: Iterable[Any] = (),
    rejected: Iterable[Any] = (),
) -> list[Problem]:
    """The problems standing after a run.

    ``quarantined``: the ledger's open quarantine entries (or Quarantined records);
    ``held``: this run's records held for review (marked as such); ``rejected``: ledger rows.
    """
    out: list[Problem] = []
    if aborted:
        out.append(
            Problem(
                "aborted",
                f"aborted:{command}:{aborted_type or 'error'}",
                f"run {command} aborted: {aborted}",
                {"command": command, "error_type": aborted_type, "message": aborted},
            )
        )
    held_ids = {(q.kind, q.record_id, q.rule) for q in held}
    seen: set[tuple[str, str, str]] = set()
    for q in [*quarantined, *held]:
        ident = (q.kind, q.record_id, q.rule)
        if ident in seen:
            continue
        seen.add(ident)
        kind = "held" if ident in held_ids else "quarantined"
        out.append(
            Problem(
                "quarantine",
                f"quarantine:{q.kind}:{q.record_id}:{q.rule}",
                f"{q.kind} {q.record_id} [{q.rule}]: {q.reason}",
                {
                    "held_for_review": kind == "held",
                    "kind": q.kind,
                    "id": q.record_id,
                    "rule": q.rule,
                    "reason": q.reason,
                },
            )
        )
    for row in rejected:
        out.append(
            Problem(
                "rejected",
                f"rejected:{row.key}:{row.pending_hash or row.content_hash or ''}",
                f"{row.key} rejected by Netvisor ({row.last_error_type})",
                {"key": row.key, "error_type": row.last_error_type, "error": row.last_error},
            )
        )
    return out


def new_problems(ledger: Any, problems: Sequence[Problem], *, run_ok: bool) -> list[Problem]:
    """The problems no alert announced yet; remembers them all. ``run_ok``: forget the
    announced aborts (the connector works again, so a new abort is news)."""
    if run_ok:
        ledger.forget_alerts("aborted")
    for kind in ("quarantine", "rejected"):
        ledger.forget_alerts(kind, keep=[p.fingerprint for p in problems if p.kind == kind])
    fresh = set(ledger.unannounced([(p.fingerprint, p.kind) for p in problems]))
    return [p for p in problems if p.fingerprint in fresh]


def payload(
    run_id: int | None, status: str, problems: Sequence[Problem], company: str | None = None
) -> dict[str, Any]:
    """The alert's JSON; ``company``: the fleet company whose run it is (absent otherwise)."""
    return {
        "schema_version": ALERT_SCHEMA_VERSION,
        "source": "connector",
        **({"company": company} if company else {}),
        "run_id": run_id,
        "status": status,
        "new_problems": len(problems),
        "problems": [{"problem": p.kind, "summary": p.summary, **p.detail} for p in problems],
    }


def _argv(command: Sequence[str] | str) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def send(alerts: Any, body: dict[str, Any]) -> list[str]:
    """Deliver ``body`` to the configured command and/or webhook; returns what failed (for the
    log and the summary). Never raises."""
    failures: list[str] = []
    data = json.dumps(body, ensure_ascii=False)
    if alerts.command:
        argv = _argv(alerts.command)
        try:
            done = subprocess.run(  # no shell: the config names a program and its arguments
                argv,
                input=data.encode(),
                capture_output=True,
                timeout=alerts.timeout,
                check=False,
            )
            if done.returncode != 0:
                failures.append(f"alert command exited {done.returncode}")
        except subprocess.TimeoutExpired:
            failures.append(f"alert command timed out after {alerts.timeout:g} s")
        except OSError as exc:
            failures.append(f"alert command could not start: {type(exc).__name__}")
    if alerts.webhook_url:
        import httpx

        try:
            reply = httpx.post(
                alerts.webhook_url,
                content=data.encode(),
                headers={"Content-Type": "application/json"},
                timeout=alerts.timeout,
            )
            if reply.status_code >= 300:
                failures.append(f"alert webhook answered HTTP {reply.status_code}")
        except httpx.HTTPError as exc:
            failures.append(f"alert webhook failed: {type(exc).__name__}")
    for failure in failures:
        log.warning("alert_failed", detail=failure)
    return failures


def announce(
    ledger: Any,
    alerts: Any,
    run_id: int | None,
    status: str,
    problems: Sequence[Problem],
    *,
    run_ok: bool,
    company: str | None = None,
) -> list[Problem]:
    """Send one alert with the run's NEW problems (if alerts are configured and there are any)."""
    if not (alerts.command or alerts.webhook_url):
        return []
    fresh = new_problems(ledger, problems, run_ok=run_ok)
    if fresh:
        if send(alerts, payload(run_id, status, fresh, company)):
            # not delivered: the next run announces them again
            ledger.unannounce([p.fingerprint for p in fresh])
            return []
        log.info("alert_sent", run_id=run_id, problems=len(fresh))
    return fresh
