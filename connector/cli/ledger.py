"""The ledger's commands: ``status`` (what the connector owns and how the last runs went; ``--check``
for monitoring), ``quarantine`` (list what a rule stopped; ``retry`` re-checks it and resends
rejected writes), ``report`` (re-render a run's report) and ``ledger`` (``rebind``, ``backup``,
``resolve``: a person says which version of an undecided invoice edit Netvisor holds).

``--json`` outputs carry ``schema_version``; numbers are numbers, euros decimal strings, dates and
moments ISO 8601.
"""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connector.cli.common import (
    make_engine,
    print_json,
    print_table,
    refuse_future_as_of,
    run_config,
    stop_on_signals,
)
from connector.cli.psop import print_status_block, status_block, status_json
from connector.core.errors import EXIT_OK, UsageError
from connector.core.reasons import reason

HELSINKI = ZoneInfo("Europe/Helsinki")

#: version of the ``--json`` outputs of plan, status and quarantine list


def _last_withheld(stored: tuple[int, str] | None) -> tuple[int | None, list[Any]]:
    """(run id, withheld rows) of the latest run report the ledger keeps (none: (None, []))."""
    from connector.texts.report_data import ReportData

    if stored is None:
        return None, []
    run_id, data = stored
    try:
        return run_id, list(ReportData.from_json(data).withheld)
    except (ValueError, TypeError, KeyError):  # a report of another schema: nothing to show
        return run_id, []


def _for_person_json(rejected: list[Any], held: list[Any]) -> dict[str, Any]:
    """The rejected objects and the undecided edits held for a person, as status and quarantine
    print them in JSON."""
    return {
        "rejected": [
            {"key": o.key, "error_type": o.last_error_type, "error": o.last_error} for o in rejected
        ],
        "held_for_person": [
            {"key": o.key, "netvisor_key": o.netvisor_key, "error": o.last_error} for o in held
        ],
    }


def cmd_status(args: argparse.Namespace) -> int:
    from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, Ledger

    config = run_config(args)
    if getattr(args, "check", False):
        return _status_check(args, config)
    from connector.ledger import ledger_exists

    if not ledger_exists(config.ledger_path):
        if args.json:
            print_json({"ledger": str(config.ledger_path), "runs": [], "objects": {}})
            return EXIT_OK
        from connector.texts.i18n import texts

        print(texts(config.connector.language)("status.no_ledger", path=config.ledger_path))
        return EXIT_OK
    with Ledger(config.ledger_path) as ledger:
        runs = ledger.runs(args.runs)
        counts = ledger.counts_by_state()
        quarantine = ledger.quarantine()
        in_doubt = ledger.objects(states=IN_DOUBT)
        rejected = [o for o in ledger.objects() if o.state == "rejected"]
        psop = status_block(ledger)
        last = ledger.report()
    held = [o for o in in_doubt if o.last_error_type == EDIT_UNCLEAR]
    from connector.sync.doubt import HELD_RULE

    waiting = [q for q in quarantine if q.rule == HELD_RULE]
    withheld_run, withheld = _last_withheld(last)
    if args.json:
        print_json(
            {
                "ledger": str(config.ledger_path),
                "runs": [{**r, "dry_run": bool(r["dry_run"])} for r in runs],
                "objects": counts,
                "quarantined": len(quarantine),
                "pending_reconciliation": [o.key for o in in_doubt],
                **_for_person_json(rejected, held),
                "held_for_doubt": [
                    {
                        "key": q.record_id,
                        "waits_for": [r for r in q.related.split(",") if r],
                        "run": q.last_run_id,
                    }
                    for q in waiting
                ],
                "psop": status_json(psop),
                "withheld": {
                    "run": withheld_run,
                    "items": [
                        {
                            "kind": w.kind,
                            "count": w.count,
                            "amount": None if w.amount is None else str(w.amount),
                            "period": w.period,
                            "keys": list(w.keys),
                        }
                        for w in withheld
                    ],
                },
            }
        )
        return EXIT_OK
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    print(t("status.ledger", path=config.ledger_path) + "\n")
    print(t("status.runs"))
    print_table(
        [
            (
                r["id"],
                r["command"],
                t.datetime(r["started_at"]),
                t.code("status", r["status"]),
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
            (t.code("kind", kind), t.code("state", state), n)
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
        print(t("status.rejected", key=o.key, error_type=o.last_error_type, error=o.last_error))
    for o in held:
        print(
            "  "
            + t(
                "status.edit_unclear",
                key=o.key,
                netvisor_key=o.netvisor_key or "-",
                error=t.text(o.last_error or ""),
            )
        )
    if held:
        print(t("status.resolve_how"))
    for q in waiting:
        keys = ", ".join(r for r in q.related.split(",") if r)
        print("  " + t("status.doubt_held", key=q.record_id, keys=keys, run=q.last_run_id))
    if withheld:
        from connector.texts.run_report import withheld_texts

        print("\n" + t("withheld.status", run=withheld_run))
        for w in withheld:
            what, how = withheld_texts(w, t)
            print(f"  - {what}\n    {t('plan.how')}: {how}")
    print_status_block(psop, t)
    return EXIT_OK


def _status_check(args: argparse.Namespace, config: Any) -> int:
    """One line and 0/1/2 for Nagios/Icinga; never writes (a missing ledger is CRITICAL)."""
    from connector.ledger import Ledger, ledger_exists
    from connector.service.monitoring import CRITICAL, evaluate, facts_from_ledger

    if not ledger_exists(config.ledger_path):
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
                **_for_person_json(rejected, held),
            }
        )
        return EXIT_OK
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    for o in held:
        error = t.text(o.last_error)
        print(t("quarantine.held", key=o.key, netvisor_key=o.netvisor_key, error=error))
    if held:
        print(t("quarantine.held_how"))
        print(t("status.resolve_how") + "\n")
    for o in rejected:
        error, error_type = o.last_error or "", o.last_error_type
        print(t("quarantine.rejected", key=o.key, error_type=error_type, error=error))
    if rejected:
        print(t("quarantine.rejected_how") + "\n")
    if not entries:
        print(t("quarantine.empty"))
        return EXIT_OK

    def day(moment: str | None) -> str:
        return t.date(datetime.fromisoformat(moment).astimezone(HELSINKI).date()) if moment else ""

    print_table(
        [
            (
                q.id,
                t.code("kind", q.kind),
                q.record_id,
                q.rule,
                t.text(q.reason),
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
    from connector.ledger import Ledger, RunLock
    from connector.sync.outputs import not_rechecked_reason
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
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
                what = [t("retry.unknown_id", id=i) for i in unknown_ids]
                what += [t("retry.unknown_key", key=k) for k in unknown_keys]
                raise UsageError(t("retry.nothing", what=", ".join(what)))
            replanned = ledger.replan_rejected(keys) if keys or not ids else []
        for key in replanned:
            print(t("retry.replanned", key=key))
        from connector.sync import print_summary

        print(t("retry.running", count=len(before)))
        stop_on_signals(engine.stop)
        report = engine.run(command="quarantine-retry", lock=lock)
    finally:
        lock.release()
    with Ledger(config.ledger_path) as ledger:
        after = {q.id: q for q in ledger.quarantine(ids=list(before), include_resolved=True)}
    for qid, q in before.items():
        now = after.get(qid)
        if now is not None and now.resolved_at:
            verdict = t("retry.cleared")
        elif report.aborted or report.run_id is None:
            verdict = t("retry.aborted")
        elif now is not None and now.last_run_id == report.run_id:
            verdict = t("retry.still")
        else:
            verdict = t("retry.not_rechecked", why=t.text(not_rechecked_reason(q.kind)))
        print(f"  {qid}: {t.code('kind', q.kind)} {q.record_id} [{q.rule}]: {verdict}")
    print_summary(report)
    return report.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render a past run's report from the ledger (customer codes in place of names).

    The files are ``<run>-ledger.html``/``.csv``: the run's own report (``<run>.html``, the only
    one with names) is never overwritten."""
    from connector.ledger import Ledger
    from connector.texts.i18n import texts
    from connector.texts.report_data import ReportData
    from connector.texts.run_report import RERENDERED_SUFFIX, write_report

    config = run_config(args)
    t = texts(config.connector.language)
    from connector.ledger import ledger_exists

    if not ledger_exists(config.ledger_path):
        raise UsageError(t("report.no_ledger", path=config.ledger_path))
    with Ledger(config.ledger_path) as ledger:
        found = ledger.report(args.run)
    if found is None:
        if args.run is not None:
            raise UsageError(t("report.no_report", which=args.run))
        raise UsageError(t("report.no_report_any"))
    data = ReportData.from_json(found[1])
    folder = Path(args.out) if args.out else config.connector.reports
    html_path, csv_path = write_report(data, folder, t, suffix=RERENDERED_SUFFIX)
    print(t("report.wrote", html=html_path, csv=csv_path))
    return EXIT_OK


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        return "unknown"


def _ledger_resolve(args: argparse.Namespace, config: Any) -> int:
    """``ledger resolve KEY --netvisor-has new|old [--by NAME]``: a person's word on an invoice
    edit reconcile could not decide, recorded with who and when; the documents held for it go
    out with the next run. Holds the run lock, so no run is between its reconcile and billing."""
    from connector.ledger import Ledger, RunLock
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    who = (args.by or "").strip() or _os_user()
    lock = RunLock(config.ledger_path)
    lock.acquire(getattr(args, "wait_lock", 0.0))
    try:
        with Ledger(config.ledger_path) as ledger:
            try:
                ledger.resolve_unclear(args.key, args.netvisor_has, who)
            except KeyError:
                raise UsageError(t("resolve.unknown_key", key=args.key)) from None
            except ValueError:
                row = ledger.get(args.key)
                error = f", {row.last_error_type}" if row and row.last_error_type else ""
                state = row.state if row else "-"
                raise UsageError(
                    t("resolve.not_unclear", key=args.key, state=state, error=error)
                ) from None
            (done,) = ledger.resolutions(args.key)[-1:]
    finally:
        lock.release()
    when = t.datetime(done["resolved_at"])
    print(t(f"resolve.{args.netvisor_has}", key=args.key, who=done["resolved_by"], when=when))
    return EXIT_OK


def cmd_ledger(args: argparse.Namespace) -> int:
    from connector.ledger import Ledger, RunLock
    from connector.texts.i18n import texts

    config = run_config(args)
    t = texts(config.connector.language)
    from connector.ledger import ledger_exists

    if not ledger_exists(config.ledger_path):
        raise UsageError(t("ledger.none", path=config.ledger_path))
    if args.ledger_command == "migrate":
        return _migrate(args, config)
    if args.ledger_command == "backup":
        if config.ledger_on_postgres:
            raise UsageError(t("ledger.backup_postgres", company=config.connector.company))
        target = Path(args.file)
        if not target.parent.is_dir():
            from connector.texts.i18n import texts

            t = texts(config.connector.language)
            raise UsageError(t("ledger.backup_no_folder", folder=target.parent))
        with Ledger(config.ledger_path) as ledger:
            target = ledger.backup(target)
        print(t("ledger.backed_up", path=config.ledger_path, target=target))
        return EXIT_OK
    if args.ledger_command == "resolve":
        return _ledger_resolve(args, config)
    # rebind
    from connector.sync.outputs import environment

    here = environment(config)
    with RunLock(config.ledger_path), Ledger(config.ledger_path) as ledger:
        before = ledger.binding()
        ledger.bind(here)
    shown = ", ".join(f"{k.removeprefix('netvisor_')} {v}" for k, v in here.items())
    if before == here:
        print(t("ledger.already", path=config.ledger_path, shown=shown))
    else:
        print(t("ledger.now", path=config.ledger_path, shown=shown))
        if before:
            was = ", ".join(f"{k.removeprefix('netvisor_')} {v}" for k, v in before.items())
            print(t("ledger.was", was=was))
    return EXIT_OK


def _migrate(args: argparse.Namespace, config: Any) -> int:
    """``connector ledger migrate --to URL``: this config's SQLite ledger into PostgreSQL."""
    from connector.core.endpoints import COMPANY_KEY, PostgresLedger, check_ledger_url
    from connector.core.secrets import load_secret
    from connector.ledger.transfer import migrate_to_postgres
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    if config.ledger_on_postgres:
        raise UsageError(t("ledger.migrate_on_postgres"))
    try:
        url = check_ledger_url(args.to)
    except ValueError as exc:
        raise UsageError(reason("option_invalid", option="--to", why=exc)) from None
    company = args.company or config.connector.company
    if not company or not COMPANY_KEY.fullmatch(company):
        raise UsageError(t("ledger.migrate_company"))
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
    copied = migrate_to_postgres(
        config.ledger_path,
        target,
        progress=lambda table, rows: print(
            "  " + t("export.table", table=table, count=rows, path=target)
        ),
    )
    rows = sum(c.rows for c in copied)
    print(
        t(
            "ledger.migrate_copied",
            rows=rows,
            tables=len(copied),
            source=config.ledger_path,
            target=target,
        )
    )
    print(t("ledger.migrate_next", url=url, company=company))
    return EXIT_OK
