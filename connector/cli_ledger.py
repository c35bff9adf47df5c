"""The ledger's commands: ``status`` (what the connector owns and how the last runs went) and
``quarantine`` (list what a rule stopped; ``retry`` re-checks it and resends rejected writes)."""

from __future__ import annotations

import argparse
import json
import threading

from connector.cli_common import make_engine, print_table, run_config, stop_on_signals
from connector.cli_psop import print_status_block, status_block, status_json
from connector.errors import EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, Ledger

    config = run_config(args)
    if not config.ledger_path.exists():
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
        print(
            json.dumps(
                {
                    "ledger": str(config.ledger_path),
                    "runs": runs,
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
                },
                indent=2,
                default=str,
            )
        )
        return EXIT_OK
    print(f"ledger {config.ledger_path}\n")
    print("Last runs:")
    print_table(
        [
            (
                r["id"],
                r["command"],
                r["started_at"][:19],
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
        (
            "RUN",
            "COMMAND",
            "STARTED (UTC)",
            "STATUS",
            "CREATED",
            "UPDATED",
            "UNCHANGED",
            "REJECTED",
            "UNKNOWN",
            "QUARANTINED",
        ),
    )
    print("\nNetvisor objects by state:")
    print_table(
        [
            (kind, state, n)
            for kind, states in sorted(counts.items())
            for state, n in sorted(states.items())
        ],
        ("KIND", "STATE", "COUNT"),
    )
    print(f"\nQuarantined records: {len(quarantine)} (connector quarantine list)")
    print(
        f"Pending reconciliation: {len(in_doubt)}" + (" (connector reconcile)" if in_doubt else "")
    )
    for o in rejected:
        print(f"  rejected {o.key}: {o.last_error_type}: {o.last_error}")
    for o in held:
        print(f"  held for a person {o.key}: {o.last_error}")
    print_status_block(psop)
    return EXIT_OK


def cmd_quarantine(args: argparse.Namespace) -> int:
    from connector.ledger import EDIT_UNCLEAR, Ledger

    config = run_config(args)
    if args.quarantine_command == "retry":
        from connector.ledger import RunLock

        ids = [int(x) for x in args.ids if x.isdigit()]
        keys = [x for x in args.ids if not x.isdigit()]
        with RunLock(config.ledger_path), Ledger(config.ledger_path) as ledger:
            before = {q.id: q for q in ledger.quarantine(ids=ids)} if ids or not keys else {}
            replanned = ledger.replan_rejected(keys) if keys or not ids else []
        for key in replanned:
            print(f"  {key}: rejected by Netvisor earlier; will be sent again")
        from connector.sync import print_summary

        print(f"re-running sync to re-check {len(before)} quarantined records…")
        stop = threading.Event()
        stop_on_signals(stop)
        report = make_engine(args, config, stop=stop).run(command="quarantine-retry")
        with Ledger(config.ledger_path) as ledger:
            still = {q.id for q in ledger.quarantine(ids=list(before))} if before else set()
        for qid, q in before.items():
            verdict = "still quarantined" if qid in still else "cleared"
            print(f"  {qid}: {q.kind} {q.record_id} [{q.rule}]: {verdict}")
        print_summary(report)
        return report.exit_code
    with Ledger(config.ledger_path) as ledger:
        entries = ledger.quarantine(include_resolved=args.all)
        rejected = ledger.objects(states=["rejected"])
        held = [o for o in ledger.objects(states=["unknown"]) if o.last_error_type == EDIT_UNCLEAR]
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
        print("quarantine is empty")
        return EXIT_OK
    print_table(
        [
            (
                q.id,
                q.kind,
                q.record_id,
                q.rule,
                q.reason,
                q.first_seen[:10],
                q.last_seen[:10],
                q.resolved_at and q.resolved_at[:10],
            )
            for q in entries
        ],
        ("ID", "KIND", "RECORD", "RULE", "REASON", "FIRST SEEN", "LAST SEEN", "RESOLVED"),
    )
    return EXIT_OK
