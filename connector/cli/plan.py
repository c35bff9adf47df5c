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
        print_summary(report, withheld=False)
    return report.exit_code


def withheld(report: Any, t: Any = None) -> list[dict[str, Any]]:
    """What a run holds back, with how to bill it: correction lines that wait for a later
    document, changes to frozen documents, rejected documents, writes in doubt, records held
    for review, with their amounts. ``what``/``how`` are in ``t``'s language (English
    without it)."""
    from connector.sync.report import withheld_rows
    from connector.texts.i18n import Texts
    from connector.texts.run_report import withheld_texts

    t = t or Texts("en")
    out: list[dict[str, Any]] = []
    for row in withheld_rows(report):
        what, how = withheld_texts(row, t)
        item: dict[str, Any] = {"kind": row.kind, "count": row.count}
        if row.period is not None:
            item["period"] = row.period
        if row.amount is not None:
            item["amount"] = row.amount
        if row.kind in ("held_for_review", "held_for_correction"):
            item["ids"] = list(row.keys)
        elif row.keys:
            item["keys"] = list(row.keys)
        if row.kind == "waiting_for_doubt":
            item["waits_for"] = sorted({k for r in row.reasons for k in r.split(",") if k})
        out.append({**item, "what": what, "how": how})
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
