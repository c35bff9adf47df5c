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

from connector.cli.common import print_table, run_config
from connector.core.errors import EXIT_CONFIG, EXIT_OK, EXIT_PARTIAL


def _texts(config: Any) -> Any:
    from connector.texts.i18n import texts

    return texts(config.connector.language)


def _ledger(config: Any) -> Any:
    from connector.ledger import Ledger

    return Ledger(config.ledger_path)


# ------------------------------------------------------------------ review


def cmd_review(args: argparse.Namespace) -> int:
    from connector.psop.loop import decide, review_entries
    from connector.psop.reconcile import APPROVE, REJECT

    config = run_config(args)
    t = _texts(config)
    with _ledger(config) as ledger:
        if args.review_command == "list":
            entries = review_entries(ledger, args.period, include_decided=args.all)
            if args.json:
                from connector.cli.common import print_json

                print_json({"review": [e.as_json() for e in entries]})
                return EXIT_OK
            if not entries:
                print(t("review.empty"))
                return EXIT_OK
            print_table(
                [
                    (
                        e.item.item_id,
                        e.item.psop_customer_number,
                        e.item.voucher_id,
                        t.date(e.item.work_date),
                        e.item.psop_product,
                        t.quantity(e.item.quantity),
                        t.money(e.item.voucher_share),
                        t.money(e.item.self_pay),
                        t.code("held", e.item.reason),
                        t.code("decision", e.effect) if e.effect else "",
                    )
                    for e in entries
                ],
                t("review.head").split("|"),
            )
            return EXIT_OK
        decision = APPROVE if args.review_command == "approve" else REJECT
        _refuse_unknown_items(ledger, args.ids, config.connector.language)
        outcome = decide(
            ledger,
            args.ids,
            decision,
            note=args.note,
            rejected_review=config.connector.rejected_review,
        )
    fate = t.code("decision", config.connector.rejected_review)
    effect = t("review.approved") if decision == APPROVE else t("review.rejected", fate=fate)
    for item in outcome.decided:
        print(t("review.decided", item=item, effect=effect))
    for item in outcome.already:
        print(t("review.already", item=item))
    for item in outcome.unknown:
        print(t("review.unknown", item=item))
    if outcome.decided:
        print(t("review.next_sync"))
    return EXIT_PARTIAL if outcome.unknown else EXIT_OK


def _refuse_unknown_items(ledger: Any, ids: list[str], language: str) -> None:
    """An id that names no held item is a wrong command line (exit 64, as in `quarantine
    retry`): nothing is decided, not even the ids that are right."""
    from connector.core.errors import UsageError
    from connector.psop.loop import held_items
    from connector.texts.i18n import texts

    held = {h.item_id for h in held_items(ledger.psop_events())}
    unknown = [i for i in dict.fromkeys(ids) if i not in held]
    if unknown:
        t = texts(language)
        raise UsageError(t("review.unknown_ids", ids=", ".join(unknown)))


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
    print(_texts(config)("psop.exported", count=len(rows), period=args.period, path=out))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from connector.psop import ReportError
    from connector.psop.report_import import company_import

    config = run_config(args)
    t = _texts(config)
    import_report = company_import(config)
    path = Path(args.file)
    if not path.is_file():
        print("connector: " + t("psop.no_file", path=path), file=sys.stderr)
        return EXIT_CONFIG
    with _ledger(config) as ledger:
        try:
            outcome = import_report(ledger, path, report_date=args.report_date or _today())
        except ReportError as exc:
            print("connector: " + t("psop.refused", count=len(exc.problems)), file=sys.stderr)
            for p in exc.problems[:50]:
                row = t("psop.problem_row", row=p.row) if p.row is not None else ""
                column = t("psop.problem_column", column=p.column) if p.column else ""
                print(f"  {p.file}{row}{column}: {t.text(p.message)}", file=sys.stderr)
            if len(exc.problems) > 50:
                print(
                    "  " + t("summary.more_problems", more=len(exc.problems) - 50), file=sys.stderr
                )
            return EXIT_CONFIG
    if outcome.already_imported:
        print(t("psop.imported_before", name=path.name))
        return EXIT_OK
    print(t("psop.imported", name=path.name, rows=outcome.rows, states=outcome.states))
    fate = t.code("decision", config.connector.rejected_review)
    for item in outcome.approved:
        print(t("psop.approved", item=item))
    for item in outcome.rejected:
        print(t("psop.rejected", item=item, fate=fate))
    for item in outcome.pending_review:
        print(t("psop.pending", item=item))
    for conflict in outcome.conflicts:
        print(t("psop.conflict", conflict=t.text(conflict)))
    _print_differences(outcome.differences, t)
    if outcome.approved or outcome.rejected:
        print(t("review.next_sync"))
    return EXIT_PARTIAL if outcome.differences or outcome.conflicts else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from connector.psop.loop import imported_reports, reconciliation
    from connector.psop.organiser_status import organiser_months

    config = run_config(args)
    with _ledger(config) as ledger:
        result = reconciliation(ledger, args.period)
        months = organiser_months(ledger, {args.period})
        covered = _covers(imported_reports(ledger), args.period)
    if args.json:
        print(
            json.dumps(
                {
                    "period": args.period,
                    "organisers": [m.as_json() for m in months],
                    "states": [s.as_json() for s in _by_event(result.states)],
                    "pending_review": [_held_json(i) for i in _by_event(result.pending_items)],
                    "differences": [_difference_json(d) for d in result.differences],
                    "psop_report_covers_period": covered,
                },
                indent=2,
            )
        )
        return EXIT_OK
    t = _texts(config)
    print(t("psop.reconciliation", period=args.period) + "\n")
    if not covered:
        # every billed event would show as "not in PSOP": say what is missing instead
        billed = sum(1 for d in result.differences if str(d.kind) == "billed_not_in_psop")
        print(t("psop.no_report", period=args.period, billed=billed))
        print_organiser_months(months, t=t)
        return EXIT_OK
    print_organiser_months(months, t=t)
    print_event_states(result, t)
    _print_differences(result.differences, t)
    return EXIT_OK


def _by_event(items: Any) -> list[Any]:
    """Events in the order a person looks them up: date, PSOP customer number, voucher."""
    return sorted(
        items, key=lambda i: (i.work_date or date.min, i.psop_customer_number, i.voucher_id)
    )


def _event_cells(t: Any, item: Any) -> tuple[Any, ...]:
    """The columns every event table starts with: date, customer number, voucher, product,
    quantity."""
    return (
        t.date(item.work_date),
        item.psop_customer_number,
        item.voucher_id,
        item.psop_product,
        t.quantity(item.quantity),
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
                    *_event_cells(t, s),
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
        print("\n" + t("psop.pending_title"), file=out)
        print_table(
            [
                (
                    *_event_cells(t, i),
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


def _print_differences(differences: list[Any] | tuple[Any, ...], t: Any) -> None:
    if not differences:
        print("\n" + t("psop.no_differences"))
        return
    print("\n" + t("psop.differences", count=len(differences)))
    by_kind: dict[str, list[Any]] = {}
    for d in differences:
        by_kind.setdefault(str(d.kind), []).append(d)
    for same in by_kind.values():  # the advice once per kind, after its events
        for d in same:
            print(f"  {_describe(d, t)}")
        print(t("psop.todo", todo=t(f"todo.{same[0].kind}")))


def _covers(reports: list[Any], period: str) -> bool:
    """Whether an imported PSOP report has events of ``period`` (YYYY-MM)."""
    return any(
        f"{row.work_date.year:04d}-{row.work_date.month:02d}" == period
        for report in reports
        for row in report.rows
    )


def _describe(d: Any, t: Any) -> str:
    """One line for people: the event (PSOP's own Finnish words), both figures, the kind."""
    event = t(
        "psop.event",
        date=t.date(d.work_date),
        customer=d.psop_customer_number,
        voucher=d.voucher_id,
        product=d.psop_product,
        quantity=t.quantity(d.quantity),
    )
    figures = []
    if d.billed_amount is not None:
        figures.append(t("psop.billed", amount=t.money(d.billed_amount)))
    if d.psop_amount is not None:
        figures.append(t("psop.psop_amount", amount=t.money(d.psop_amount)))
    return f"{t.code('difference', d.kind)}: {event} ({', '.join(figures)})"


def print_organiser_months(months: list[Any], out: Any = None, t: Any = None) -> None:
    """The per-organiser, per-month table of ``status`` and ``psop report``; BILLED is what
    documents in Netvisor carry, NOT BILLED what billing meant for the organiser that no
    document in Netvisor carries yet (withheld, deferred, not sent)."""
    from connector.texts.i18n import Texts

    t = t or Texts("en")
    print_table(
        [
            (
                m.region,
                m.period,
                t.money(m.billed),
                t.money(m.approved),
                t.money(m.settled),
                t.money(m.paid),
                t.money(m.open_difference),
                t.money(m.not_billed),
            )
            for m in months
        ],
        t("organisers.head").split("|"),
        out,
    )
    for m in months:
        if m.not_billed:
            print(
                "  "
                + t(
                    "psop.not_billed",
                    region=m.region,
                    period=m.period,
                    amount=t.money(m.not_billed),
                ),
                file=out,
            )


def status_block(ledger: Any) -> dict[str, Any]:
    """What ``status`` shows of the PSOP loop: held items, decisions, organiser months."""
    from connector.psop.loop import review_entries
    from connector.psop.organiser_status import organiser_months

    entries = review_entries(ledger, include_decided=True)
    return {
        "review": {
            "held": sum(1 for e in entries if e.decision is None),
            "approved": sum(1 for e in entries if e.decision == "approve"),
            "rejected": sum(1 for e in entries if e.decision == "reject"),
        },
        "organisers": organiser_months(ledger),
    }


def print_status_block(block: dict[str, Any], t: Any = None) -> None:
    from connector.texts.i18n import Texts

    t = t or Texts("en")
    review = block["review"]
    print("\n" + t("status.review", **review))
    if block["organisers"]:
        print("\n" + t("status.organisers"))
        print_organiser_months(block["organisers"], t=t)


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
