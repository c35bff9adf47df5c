"""The ledger's commands: ``status`` (what the connector owns and how the last runs went; ``--check``
for monitoring), ``quarantine`` (list what a rule stopped; ``retry`` re-checks it and resends
rejected writes), ``report`` (re-render a run's report) and ``ledger`` (``rebind``, ``backup``).

``--json`` outputs carry ``schema_version``; numbers are numbers, euros decimal strings, dates and
moments ISO 8601.
"""

from __future__ import annotations

import argparse
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connector.cli.common import make_engine, print_table, run_config, stop_on_signals
from connector.cli.psop import print_status_block, status_block, status_json
from connector.core.errors import EXIT_OK, UsageError

HELSINKI = ZoneInfo("Europe/Helsinki")

#: version of the ``--json`` outputs of plan, status and quarantine list
JSON_SCHEMA_VERSION = 1


def print_json(value: Any) -> None:
    def enc(obj: Any) -> Any:
        from decimal import Decimal

        if isinstance(obj, Decimal):
            return str(obj)  # euros as decimal strings: no float rounding
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        return str(obj)

    print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, **value}, indent=2, default=enc))


def cmd_status(args: argparse.Namespace) -> int:
    from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, Ledger

    config = run_config(args)
    if getattr(args, "check", False):
        return _status_check(args, config)
    if not config.ledger_path.exists():
        if args.json:
            print_json({"ledger": str(config.ledger_path), "runs": [], "objects": {}})
            return EXIT_OK
        print(f"no ledger yet at {config.ledger_path}: nothing has run")
        return EXIT_OK
    with Ledger(config.ledger_path) as ledger:
        runs = ledger.runs(args.runs)
        counts = ledger.counts_by_state()
        quarantine = ledger.quarantine()
        in_doubt = ledger.objects(states=IN_DOUBT)
        rejected = [o for o in ledger.objects() if o.state == "rejected"]
        psop = status_block(ledger)
    held = [o for o in in_doubt if o.last_error_type == EDIT_UNCLEAR]
    if args.json:
        print_json(
            {
                "ledger": str(config.ledger_path),
                "runs": [{**r, "dry_run": bool(r["dry_run"])} for r in runs],
                "objects": counts,
                "quarantined": len(quarantine),
                "pending_reconciliation": [o.key for o in in_doubt],
                "rejected": [
                    {"key": o.key, "error_type": o.last_error_type, "error": o.last_error}
                    for o in rejected
                ],
                "held_for_person": [
                    {"key": o.key, "netvisor_key": o.netvisor_key, "error": o.last_error}
                    for o in held
                ],
                "psop": status_json(psop),
            }
        )
        return EXIT_OK
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    print(f"ledger {config.ledger_path}\n")
    print(t("status.runs"))
    print_table(
        [
            (
                r["id"],
                r["command"],
                t.datetime(r["started_at"]),
                r["status"],
                r["created"],
                r["updated"],
                r["skipped"],
                r["rejected"],
                r["unknown"],
                r["quarantined"],
            )
            for r in runs
        ],
        t("status.runs_head").split("|"),
    )
    print("\n" + t("status.objects"))
    print_table(
        [
            (kind, state, n)
            for kind, states in sorted(counts.items())
            for state, n in sorted(states.items())
        ],
        t("status.objects_head").split("|"),
    )
    print("\n" + t("status.quarantined", count=len(quarantine)))
    print(
        t("status.in_doubt", count=len(in_doubt)) + (" (connector reconcile)" if in_doubt else "")
    )
    for o in rejected:
        print(f"  rejected {o.key}: {o.last_error_type}: {o.last_error}")
    for o in held:
        print(f"  held for a person {o.key}: {o.last_error}")
    print_status_block(psop)
    return EXIT_OK


def _status_check(args: argparse.Namespace, config: Any) -> int:
    """One line and 0/1/2 for Nagios/Icinga; never writes (a missing ledger is CRITICAL)."""
    from connector.ledger import Ledger
    from connector.service.monitoring import CRITICAL, evaluate, facts_from_ledger

    if not config.ledger_path.exists():
        print(f"CONNECTOR CRITICAL - no ledger at {config.ledger_path}: nothing has run")
        return CRITICAL
    with Ledger(config.ledger_path) as ledger:
        facts = facts_from_ledger(ledger, datetime.now(UTC))
    code, line = evaluate(facts, warning_hours=args.warn_hours, critical_hours=args.crit_hours)
    print(line)
    return code


def cmd_quarantine(args: argparse.Namespace) -> int:
    from connector.ledger import EDIT_UNCLEAR, Ledger

    config = run_config(args)
    if args.quarantine_command == "retry":
        return _quarantine_retry(args, config)
    with Ledger(config.ledger_path) as ledger:
        entries = ledger.quarantine(include_resolved=args.all)
        rejected = ledger.objects(states=["rejected"])
        held = [o for o in ledger.objects(states=["unknown"]) if o.last_error_type == EDIT_UNCLEAR]
    if getattr(args, "json", False):
        print_json(
            {
                "quarantine": [
                    {
                        "id": q.id,
                        "kind": q.kind,
                        "record": q.record_id,
                        "rule": q.rule,
                        "reason": q.reason,
                        "related": [r for r in q.related.split(",") if r],
                        "first_seen": q.first_seen,
                        "last_seen": q.last_seen,
                        "seen_count": q.seen_count,
                        "resolved_at": q.resolved_at,
                    }
                    for q in entries
                ],
                "rejected": [
                    {"key": o.key, "error_type": o.last_error_type, "error": o.last_error}
                    for o in rejected
                ],
                "held_for_person": [
                    {"key": o.key, "netvisor_key": o.netvisor_key, "error": o.last_error}
                    for o in held
                ],
            }
        )
        return EXIT_OK
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    for o in held:
        print(f"held for a person: {o.key} (NetvisorKey {o.netvisor_key}) {o.last_error or ''}")
    if held:
        print(
            "  (make the invoice in Netvisor show either version; the next run or "
            "`connector reconcile` settles it)\n"
        )
    for o in rejected:
        print(f"rejected by Netvisor: {o.key} [{o.last_error_type}] {o.last_error or ''}")
    if rejected:
        print("  (fix it, then `connector quarantine retry KEY` sends it again)\n")
    if not entries:
        print(t("quarantine.empty"))
        return EXIT_OK

    def day(moment: str | None) -> str:
        return t.date(datetime.fromisoformat(moment).astimezone(HELSINKI).date()) if moment else ""

    print_table(
        [
            (
                q.id,
                q.kind,
                q.record_id,
                q.rule,
                q.reason,
                day(q.first_seen),
                day(q.last_seen),
                day(q.resolved_at),
            )
            for q in entries
        ],
        t("quarantine.head").split("|"),
    )
    return EXIT_OK


def _quarantine_retry(args: argparse.Namespace, config: Any) -> int:
    """Re-run and say, per entry, cleared / still quarantined / not re-checked (and why).

    An id that is no quarantine entry, or a key that is no rejected object, is a usage error:
    nothing runs."""
    from connector.cli.main import refuse_future_as_of
    from connector.ledger import Ledger, RunLock
    from connector.sync.outputs import not_rechecked_reason

    refuse_future_as_of(args, dry_run=False)
    ids = [int(x) for x in args.ids if x.isdigit()]
    keys = [x for x in args.ids if not x.isdigit()]
    engine = make_engine(args, config, stop=threading.Event())
    # One lock from the ledger change through the sync: no other run (the daemon) can send
    # in between.
    lock = RunLock(config.ledger_path)
    lock.acquire(getattr(args, "wait_lock", 0.0))
    try:
        with Ledger(config.ledger_path) as ledger:
            before = {q.id: q for q in ledger.quarantine(ids=ids)} if ids or not keys else {}
            unknown_ids = sorted(set(ids) - set(before))
            rejected = {o.key for o in ledger.objects(states=["rejected"])}
            unknown_keys = sorted(set(keys) - rejected)
            if unknown_ids or unknown_keys:
                what = [f"{i} (no open quarantine entry)" for i in unknown_ids]
                what += [f"{k} (no object Netvisor rejected)" for k in unknown_keys]
                raise UsageError(
                    f"nothing to retry for {', '.join(what)}; `connector quarantine list` "
                    "shows what is open"
                )
            replanned = ledger.replan_rejected(keys) if keys or not ids else []
        for key in replanned:
            print(f"  {key}: rejected by Netvisor earlier; will be sent again")
        from connector.sync import print_summary

        print(f"re-running sync to re-check {len(before)} quarantined records…")
        stop_on_signals(engine.stop)
        report = engine.run(command="quarantine-retry", lock=lock)
    finally:
        lock.release()
    with Ledger(config.ledger_path) as ledger:
        after = {q.id: q for q in ledger.quarantine(ids=list(before), include_resolved=True)}
    for qid, q in before.items():
        now = after.get(qid)
        if now is not None and now.resolved_at:
            verdict = "cleared (re-checked and passed)"
        elif report.aborted or report.run_id is None:
            verdict = "not re-checked: the run aborted"
        elif now is not None and now.last_run_id == report.run_id:
            verdict = "still quarantined"
        else:
            verdict = f"not re-checked: {not_rechecked_reason(q.kind)}"
        print(f"  {qid}: {q.kind} {q.record_id} [{q.rule}]: {verdict}")
    print_summary(report)
    return report.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a past run's report from the ledger (customer codes in place of names)."""
    from connector.ledger import Ledger
    from connector.texts.i18n import texts
    from connector.texts.run_report import ReportData, write_report

    config = run_config(args)
    if not config.ledger_path.exists():
        raise UsageError(f"no ledger at {config.ledger_path}: no run has a report yet")
    with Ledger(config.ledger_path) as ledger:
        found = ledger.report(args.run)
    if found is None:
        which = f"run {args.run}" if args.run is not None else "any run"
        raise UsageError(f"the ledger holds no report for {which} (`connector status` lists runs)")
    data = ReportData.from_json(found[1])
    folder = Path(args.out) if args.out else config.connector.reports
    html_path, csv_path = write_report(data, folder, texts(config.connector.language))
    print(f"wrote {html_path} and {csv_path}")
    return EXIT_OK


def cmd_ledger(args: argparse.Namespace) -> int:
    from connector.ledger import Ledger, RunLock

    config = run_config(args)
    if not config.ledger_path.exists():
        raise UsageError(f"no ledger at {config.ledger_path}")
    if args.ledger_command == "migrate":
        return _migrate(args, config)
    if args.ledger_command == "backup":
        if config.ledger_on_postgres:
            raise UsageError(
                "a PostgreSQL ledger is backed up with the server's tools (pg_dump --schema "
                f"ledger_{config.connector.company} plus the connector schema)"
            )
        with Ledger(config.ledger_path) as ledger:
            target = ledger.backup(Path(args.file))
        print(f"backed up {config.ledger_path} to {target}")
        return EXIT_OK
    # rebind
    from connector.sync.outputs import environment

    here = environment(config)
    with RunLock(config.ledger_path), Ledger(config.ledger_path) as ledger:
        before = ledger.binding()
        ledger.bind(here)
    shown = ", ".join(f"{k.removeprefix('netvisor_')} {v}" for k, v in here.items())
    if before == here:
        print(f"ledger {config.ledger_path} already belongs to {shown}")
    else:
        print(f"ledger {config.ledger_path} now belongs to {shown}")
        if before:
            was = ", ".join(f"{k.removeprefix('netvisor_')} {v}" for k, v in before.items())
            print(f"  (was {was})")
    return EXIT_OK


def _migrate(args: argparse.Namespace, config: Any) -> int:
    """``connector ledger migrate --to URL``: this config's SQLite ledger into PostgreSQL."""
    from connector.core.config import COMPANY_KEY, PostgresLedger, check_ledger_url
    from connector.core.secrets import load_secret
    from connector.ledger.transfer import migrate_to_postgres

    if config.ledger_on_postgres:
        raise UsageError(
            "this config's ledger is already on PostgreSQL; migrate copies a SQLite one"
        )
    try:
        url = check_ledger_url(args.to)
    except ValueError as exc:
        raise UsageError(f"--to: {exc}") from None
    company = args.company or config.connector.company
    if not company or not COMPANY_KEY.fullmatch(company):
        raise UsageError(
            "give the company key (--company KEY, or [connector] company in the config): lower "
            "case letters, digits and _, starting with a letter"
        )
    section = config.connector
    password = None
    if section.ledger_password_env or section.ledger_password_file:
        try:
            password = load_secret(
                "connector.ledger_password",
                env=section.ledger_password_env,
                file=section.ledger_password_file,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    target = PostgresLedger(
        url=url,
        company=company,
        password=password,
        lease_seconds=section.lease_seconds,
        request_timeout=config.netvisor.timeout,
    )
    copied = migrate_to_postgres(config.ledger_path, target, progress=lambda t: print(f"  {t}"))
    rows = sum(c.rows for c in copied)
    print(
        f"copied {rows} rows of {len(copied)} tables from {config.ledger_path} to {target}; "
        "counts and amount sums verified"
    )
    print(
        f'now set [connector] ledger = "{url}" and company = "{company}" in the config (the '
        "SQLite file stays as it was: keep it as a backup)"
    )
    return EXIT_OK
