"""``connector plan``: what a sync would do, and what it withholds, for people and as JSON."""

from __future__ import annotations

import argparse
from typing import Any

from connector.cli.common import make_engine as _engine
from connector.cli.common import parse_period as _period
from connector.cli.common import print_json as _print_json
from connector.cli.common import run_config as _config
from connector.cli.common import say_waiting


def cmd_plan(args: argparse.Namespace) -> int:
    from connector.sync import print_summary
    from connector.sync.plan import ActionKind, render_table
    from connector.texts.i18n import texts

    config = _config(args)
    t = texts(config.connector.language)
    report = _engine(args, config).run(
        command="plan",
        period=_period(args.period),
        plan_only=True,
        lock_wait=args.wait_lock,
        on_lock_wait=say_waiting(args.wait_lock),
    )
    actions = report.plan.actions if report.plan else []
    if args.json:
        _print_json(plan_json(report))
    else:
        held_back = withheld(report, t)
        if all(a.kind is ActionKind.SKIP for a in actions):
            # never "Nothing to do" while something is withheld
            print(t("plan.no_writes") if held_back else t("plan.nothing"))
        else:
            print(render_table(actions, t=t))
        skips = sum(1 for a in actions if a.kind is ActionKind.SKIP)
        writes = sum(1 for a in actions if a.writes)
        print("\n" + t("plan.footer", writes=t.n("write", writes), skips=skips))
        if held_back:
            print("\n" + t("plan.withheld"))
            for item in held_back:
                print(f"  - {item['what']}")
                print(f"    {t('plan.how')}: {item['how']}")
        print_summary(report)
    return report.exit_code


def withheld(report: Any, t: Any = None) -> list[dict[str, Any]]:
    """What a run holds back, with how to bill it: correction lines that wait for a later
    document, changes to frozen documents, rejected documents, writes in doubt, records held
    for review. ``what``/``how`` are in ``t``'s language (English without it)."""
    from collections import defaultdict
    from decimal import Decimal

    from connector.sync.plan import ActionKind
    from connector.texts.i18n import Texts

    t = t or Texts("en")
    out: list[dict[str, Any]] = []
    by_period: dict[str, list[Any]] = defaultdict(list)
    for line in report.deferred:
        by_period[str(line.period)].append(line)
    for period, lines in sorted(by_period.items()):
        amount = sum((ln.amount for ln in lines), Decimal("0.00"))
        out.append(
            {
                "kind": "deferred_corrections",
                "period": period,
                "count": len(lines),
                "amount": amount,
                "what": t(
                    "withheld.deferred", count=len(lines), period=period, amount=t.money(amount)
                ),
                "how": t("withheld.deferred_how"),
            }
        )
    actions = report.plan.actions if report.plan else []
    holds = [a for a in actions if a.kind is ActionKind.HOLD]
    doubts = [a for a in actions if a.kind is ActionKind.RECONCILE]
    if holds:
        shown = "; ".join(f"{a.obj.key} ({a.reason})" for a in holds[:5])
        out.append(
            {
                "kind": "held_documents",
                "count": len(holds),
                "keys": [a.obj.key for a in holds],
                "what": t("withheld.documents", count=len(holds), shown=shown)
                + (" …" if len(holds) > 5 else ""),
                "how": t("withheld.documents_how"),
            }
        )
    if doubts:
        out.append(
            {
                "kind": "in_doubt",
                "count": len(doubts),
                "keys": [a.obj.key for a in doubts],
                "what": t("withheld.in_doubt", count=len(doubts)),
                "how": t("withheld.in_doubt_how"),
            }
        )
    if report.held:
        out.append(
            {
                "kind": "held_for_review",
                "count": len(report.held),
                "what": t("withheld.review", count=len(report.held)),
                "how": t("withheld.review_how"),
            }
        )
    return out


def plan_json(report: Any) -> dict[str, Any]:
    """``plan --json``: ISO dates, euros as decimal strings, counts as numbers."""
    actions = report.plan.actions if report.plan else []
    return {
        "today": report.today,
        "periods": report.built,
        "observed": report.observed,
        "actions": [
            {
                "action": str(a.kind),
                "kind": str(a.obj.kind),
                "key": a.obj.key,
                "period": a.obj.period,
                "total": a.obj.total,
                "summary": a.obj.summary,
                "reason": a.reason,
                "netvisor_key": a.netvisor_key,
            }
            for a in actions
        ],
        "writes": sum(1 for a in actions if a.writes),
        "quarantined": [  # quarantined and held for review, as before; "held": the latter
            {"kind": q.kind, "id": q.record_id, "rule": q.rule, "reason": q.reason}
            for q in [*report.quarantined, *report.held]
        ],
        "held": [
            {"kind": q.kind, "id": q.record_id, "rule": q.rule, "reason": q.reason}
            for q in report.held
        ],
        "withheld": withheld(report),
        "aborted": report.aborted,
    }
