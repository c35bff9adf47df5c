"""The PSOP loop's commands: ``review`` (held work: list, approve, reject) and ``psop``
(``export`` the month's events, ``import`` PSOP's report, ``report`` the reconciliation), and
the per-organiser block of ``status``. Registered from ``cli.py`` with :func:`register`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from connector.cli_common import print_table, run_config
from connector.errors import EXIT_CONFIG, EXIT_OK, EXIT_PARTIAL
from connector.i18n import texts
from connector.money import format_eur


def _ledger(config: Any) -> Any:
    from connector.ledger import Ledger

    return Ledger(config.ledger_path)


# ------------------------------------------------------------------ review


def cmd_review(args: argparse.Namespace) -> int:
    from connector.psop.loop import decide, review_entries
    from connector.psop.reconcile import APPROVE, REJECT

    config = run_config(args)
    with _ledger(config) as ledger:
        if args.review_command == "list":
            entries = review_entries(ledger, args.period, include_decided=args.all)
            if args.json:
                from connector.cli_ledger import print_json

                print_json({"review": [e.as_json() for e in entries]})
                return EXIT_OK
            if not entries:
                print("nothing is held for review")
                return EXIT_OK
            print_table(
                [
                    (
                        e.item.item_id,
                        e.item.psop_customer_number,
                        e.item.voucher_id,
                        e.item.work_date.isoformat(),
                        e.item.psop_product,
                        e.item.quantity,
                        format_eur(e.item.voucher_share),
                        format_eur(e.item.self_pay),
                        e.item.reason,
                        e.effect or "",
                    )
                    for e in entries
                ],
                (
                    "ID",
                    "PSOP NO",
                    "VOUCHER",
                    "DATE",
                    "PRODUCT",
                    "QTY",
                    "VOUCHER SHARE",
                    "SELF-PAY",
                    "WHY",
                    "DECIDED",
                ),
            )
            return EXIT_OK
        decision = APPROVE if args.review_command == "approve" else REJECT
        outcome = decide(
            ledger,
            args.ids,
            decision,
            note=args.note,
            rejected_review=config.connector.rejected_review,
        )
    effect = "approved" if decision == APPROVE else f"rejected ({config.connector.rejected_review})"
    for item in outcome.decided:
        print(f"  {item}: {effect}")
    for item in outcome.already:
        print(f"  {item}: decided before; the first decision stands")
    for item in outcome.unknown:
        print(f"  {item}: no held item has this id (connector review list)")
    if outcome.decided:
        print("the next sync bills the decisions (connector sync)")
    return EXIT_PARTIAL if outcome.unknown else EXIT_OK


# ------------------------------------------------------------------ psop


def cmd_psop(args: argparse.Namespace) -> int:
    return {"export": _export, "import": _import, "report": _report}[args.psop_command](args)


def _export(args: argparse.Namespace) -> int:
    from connector.psop import events_csv, events_xlsx
    from connector.psop.loop import export_rows

    config = run_config(args)
    with _ledger(config) as ledger:
        rows = export_rows(ledger, args.period)
    data = events_xlsx(rows) if args.format == "xlsx" else events_csv(rows)
    out = Path(args.out) if args.out else Path(f"psop-tapahtumat-{args.period}.{args.format}")
    out.write_bytes(data)
    print(f"wrote {len(rows)} events of {args.period} to {out}")
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from connector.mapping import load_mappings
    from connector.psop import ReportError, load_report_mapping
    from connector.psop.loop import import_report

    config = run_config(args)
    mapping = load_report_mapping(config.mappings_folder)
    mappings = load_mappings(config.mappings_folder)
    path = Path(args.file)
    if not path.is_file():
        print(f"connector: no such file: {path}", file=sys.stderr)
        return EXIT_CONFIG
    with _ledger(config) as ledger:
        try:
            outcome = import_report(
                ledger,
                path,
                mapping=mapping,
                mappings=mappings,
                report_date=args.report_date or _today(),
                rejected_review=config.connector.rejected_review,
            )
        except ReportError as exc:
            print(f"connector: {exc.message}", file=sys.stderr)
            return EXIT_CONFIG
    if outcome.already_imported:
        print(f"{path.name}: imported before (same file content); nothing changed")
        return EXIT_OK
    print(f"{path.name}: {outcome.rows} rows, {outcome.states} billed lines got their PSOP state")
    for item in outcome.approved:
        print(f"  {item}: approved by PSOP's report")
    for item in outcome.rejected:
        print(f"  {item}: rejected by PSOP's report ({config.connector.rejected_review})")
    for item in outcome.pending_review:
        print(f"  {item}: still under the organiser's review")
    for conflict in outcome.conflicts:
        print(f"  {conflict}; the earlier decision stands: check it with the organiser")
    _print_differences(outcome.differences)
    if outcome.approved or outcome.rejected:
        print("the next sync bills the decisions (connector sync)")
    return EXIT_PARTIAL if outcome.differences or outcome.conflicts else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from connector.psop.loop import organiser_months, reconciliation

    config = run_config(args)
    with _ledger(config) as ledger:
        result = reconciliation(ledger, args.period)
        months = organiser_months(ledger, {args.period})
    if args.json:
        print(
            json.dumps(
                {
                    "period": args.period,
                    "organisers": [m.as_json() for m in months],
                    "states": [s.as_json() for s in _by_event(result.states)],
                    "pending_review": [_held_json(i) for i in _by_event(result.pending_items)],
                    "differences": [_difference_json(d) for d in result.differences],
                },
                indent=2,
            )
        )
        return EXIT_OK
    t = texts(config.connector.language)
    print(t("psop.title", period=args.period) + "\n")
    print_organiser_months(months)
    print_event_states(result, t)
    _print_differences(result.differences)
    return EXIT_OK


def _by_event(items: Any) -> list[Any]:
    """Events in the order a person looks them up: date, PSOP customer number, voucher."""
    return sorted(
        items, key=lambda i: (i.work_date or date.min, i.psop_customer_number, i.voucher_id)
    )


def _held_json(item: Any) -> dict[str, str]:
    return {
        "psop_customer_number": item.psop_customer_number,
        "voucher_id": item.voucher_id,
        "date": item.work_date.isoformat(),
        "psop_product": item.psop_product,
        "quantity": str(item.quantity),
        "why": item.reason,
    }


def print_event_states(result: Any, t: Any, out: Any = None) -> None:
    """Each billed event's PSOP state, and the held work PSOP still reviews, identified as PSOP
    knows them: PSOP customer number, voucher, date, product, quantity (never a name or an
    internal line id)."""
    out = out or sys.stdout
    states = _by_event(result.states)
    print("\n" + t("psop.events"), file=out)
    if not states:
        print("  " + t("psop.no_events"), file=out)
    else:
        print_table(
            [
                (
                    t.date(s.work_date),
                    s.psop_customer_number,
                    s.voucher_id,
                    s.psop_product,
                    t.quantity(s.quantity),
                    s.state.value,
                    t.date(s.report_date),
                    t.money(s.psop_amount),
                    t.money(s.billed_amount),
                )
                for s in states
            ],
            t("psop.events_head").split("|"),
            out,
        )
        counts: dict[str, int] = {}
        for s in states:
            counts[s.state.value] = counts.get(s.state.value, 0) + 1
        print(t("psop.by_state", counts=", ".join(f"{k} {v}" for k, v in counts.items())), file=out)
    pending = _by_event(result.pending_items)
    if pending:
        print("\n" + t("psop.pending"), file=out)
        print_table(
            [
                (
                    t.date(i.work_date),
                    i.psop_customer_number,
                    i.voucher_id,
                    i.psop_product,
                    t.quantity(i.quantity),
                    i.reason,
                )
                for i in pending
            ],
            t("psop.pending_head").split("|"),
            out,
        )


def _difference_json(d: Any) -> dict[str, Any]:
    return {
        "kind": str(d.kind),
        "psop_customer_number": d.psop_customer_number,
        "voucher_id": d.voucher_id,
        "date": d.work_date.isoformat(),
        "psop_product": d.psop_product,
        "quantity": str(d.quantity),
        "billed_amount": None if d.billed_amount is None else str(d.billed_amount),
        "psop_amount": None if d.psop_amount is None else str(d.psop_amount),
        "state": None if d.state is None else d.state.value,
        "line_id": d.line_id,
        "what_to_do": d.what_to_do,
    }


def _print_differences(differences: list[Any] | tuple[Any, ...]) -> None:
    if not differences:
        print("\nNo differences.")
        return
    print(f"\nDifferences ({len(differences)}):")
    for d in differences:
        print(f"  {d.describe()}")
        print(f"    what to do: {d.what_to_do}")


def print_organiser_months(months: list[Any], out: Any = None) -> None:
    """The per-organiser, per-month table of ``status`` and ``psop report``."""
    print_table(
        [
            (
                m.region,
                m.period,
                format_eur(m.billed),
                format_eur(m.approved),
                format_eur(m.settled),
                format_eur(m.paid),
                format_eur(m.open_difference),
            )
            for m in months
        ],
        ("ORGANISER", "MONTH", "BILLED", "APPROVED", "SETTLED", "PAID", "OPEN DIFFERENCE"),
        out,
    )


def status_block(ledger: Any) -> dict[str, Any]:
    """What ``status`` shows of the PSOP loop: held items, decisions, organiser months."""
    from connector.psop.loop import organiser_months, review_entries

    entries = review_entries(ledger, include_decided=True)
    return {
        "review": {
            "held": sum(1 for e in entries if e.decision is None),
            "approved": sum(1 for e in entries if e.decision == "approve"),
            "rejected": sum(1 for e in entries if e.decision == "reject"),
        },
        "organisers": organiser_months(ledger),
    }


def print_status_block(block: dict[str, Any]) -> None:
    review = block["review"]
    print(
        f"\nHeld for review: {review['held']} (connector review list); decided: "
        f"{review['approved']} approved, {review['rejected']} rejected"
    )
    if block["organisers"]:
        print("\nPSOP by organiser and month:")
        print_organiser_months(block["organisers"])


def status_json(block: dict[str, Any]) -> dict[str, Any]:
    return {**block, "organisers": [m.as_json() for m in block["organisers"]]}


# ------------------------------------------------------------------ parser


def _today() -> date:
    from connector.sync.context import helsinki_today

    return helsinki_today()


def register(
    sub: Any,
    common: argparse.ArgumentParser,
    period_arg: Callable[[str], str],
    date_arg: Callable[[str], date],
) -> None:
    """Add ``review`` and ``psop`` to the command line's subparsers."""
    p = sub.add_parser("review", parents=[common], help="work held for the organiser's review")
    rsub = p.add_subparsers(dest="review_command", metavar="SUBCOMMAND", required=True)
    r = rsub.add_parser("list", parents=[common], help="held items, with why")
    r.add_argument("--period", type=period_arg, help="YYYY-MM (default: every month)")
    r.add_argument("--all", action="store_true", help="include items already decided")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(func=cmd_review)
    for name, what in (
        ("approve", "approve: the voucher pays, the client pays self-pay"),
        ("reject", "reject: the client pays in full or it is written off (rejected_review)"),
    ):
        r = rsub.add_parser(name, parents=[common], help=what)
        r.add_argument("ids", nargs="+", metavar="ID", help="ids from `connector review list`")
        r.add_argument("--note", help="why (kept with the decision; no names, please)")
        r.set_defaults(func=cmd_review)

    p = sub.add_parser("psop", parents=[common], help="PSOP files: event export, report import")
    psub = p.add_subparsers(dest="psop_command", metavar="SUBCOMMAND", required=True)
    x = psub.add_parser("export", parents=[common], help="the month's voucher events for PSOP")
    x.add_argument("--period", type=period_arg, required=True, help="YYYY-MM")
    x.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    x.add_argument("--out", help="file to write (default psop-tapahtumat-YYYY-MM.<format>)")
    x.set_defaults(func=cmd_psop)
    x = psub.add_parser("import", parents=[common], help="import PSOP's event/settlement report")
    x.add_argument("file", help="the report as downloaded from PSOP (CSV or XLSX)")
    x.add_argument(
        "--report-date", type=date_arg, help="the report's date, YYYY-MM-DD (default: today)"
    )
    x.set_defaults(func=cmd_psop)
    x = psub.add_parser("report", parents=[common], help="the reconciliation of a month")
    x.add_argument("--period", type=period_arg, required=True, help="YYYY-MM")
    x.add_argument("--json", action="store_true", help="machine-readable output")
    x.set_defaults(func=cmd_psop)
