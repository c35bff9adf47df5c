"""What a run did: the report behind the summary, the run row and the exit code; its display.

Both the command line and the demo print a run with :func:`print_summary`.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.core.domain import Quarantined
from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_PARTIAL
from connector.sync.doubt import HELD_RULE
from connector.sync.plan import Plan


@dataclass
class RunReport:
    """What a run did, for the summary, the ledger's run row and the exit code."""

    command: str
    run_id: int | None = None
    language: str = "en"  # of what print_summary prints: the config's ``language``
    today: date | None = None
    built: list[str] = field(default_factory=list)
    observed: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    quarantined: list[Quarantined] = field(default_factory=list)
    held: list[Quarantined] = field(default_factory=list)
    plan: Plan | None = None
    problems: list[str] = field(default_factory=list)  # rejected / unknown, for people
    notices: list[str] = field(default_factory=list)  # worth knowing, not a problem
    aborted: str | None = None
    aborted_type: str | None = None
    stopped: bool = False
    outbox: Path | None = None
    documents: int = 0
    document_total: Decimal = Decimal("0.00")
    netvisor_requests: int = 0
    netvisor_writes: int = 0
    seconds: float = 0.0
    # for the run report (connector/texts/run_report.py): one row per document built (figures, and
    # the billing customer's name: in memory only, never logged, never stored), correction lines
    # withheld for lack of a later document, and the report file written
    document_rows: list[Any] = field(default_factory=list, repr=False)
    deferred: tuple[Any, ...] = ()
    report_file: Path | None = None

    @property
    def exit_code(self) -> int:
        if self.aborted or self.stopped:  # a run cut short never exits 0
            return EXIT_ABORTED
        if (
            self.quarantined
            or self.held
            or self.counts["rejected"]
            or self.counts["unknown"]
            or self.counts["failed"]
            or self.counts["awaiting_person"]
        ):
            return EXIT_PARTIAL
        return EXIT_OK

    @property
    def status(self) -> str:
        if self.aborted:
            return "aborted"
        if self.stopped:
            return "stopped"
        return "ok" if self.exit_code == EXIT_OK else "partial"


def withheld_rows(report: RunReport) -> list[Any]:
    """What a run holds back, with amounts (``report_data.WithheldRow``): correction lines that
    wait for a later document (per period, net), documents not sent (held: rejected, frozen,
    already in Netvisor with other content; gross), writes in doubt (gross), records held for
    a person's review or correction, documents waiting for one in doubt. None of it is billed."""
    from collections import defaultdict

    from connector.sync.plan import ActionKind
    from connector.texts.report_data import WithheldRow

    out: list[Any] = []
    by_period: dict[str, list[Any]] = defaultdict(list)
    for line in report.deferred:
        by_period[str(line.period)].append(line)
    for period, lines in sorted(by_period.items()):
        amount = sum((ln.amount for ln in lines), Decimal("0.00"))
        out.append(WithheldRow("deferred_corrections", len(lines), amount, period))
    from connector.billing.vouchers import REVIEW_RULES

    actions = report.plan.actions if report.plan else []
    # documents computed from a document in doubt (connector/sync/doubt.py): what each waits for
    waiting = {q.record_id: q.related for q in report.held if q.rule == HELD_RULE}
    if waiting:
        keys = tuple(sorted(waiting))
        out.append(
            WithheldRow(
                "waiting_for_doubt",
                len(keys),
                keys=keys,
                reasons=tuple(",".join(waiting[k]) for k in keys),
            )
        )
    for kind, action_kind in (
        ("held_documents", ActionKind.HOLD),
        ("in_doubt", ActionKind.RECONCILE),
    ):
        chosen = [a for a in actions if a.kind is action_kind and a.obj.key not in waiting]
        if chosen:
            totals = [a.obj.total for a in chosen if a.obj.total is not None]
            amount = sum(totals, Decimal("0.00")) if totals else None
            keys = tuple(a.obj.key for a in chosen)
            reasons = tuple(a.reason for a in chosen)
            out.append(WithheldRow(kind, len(chosen), amount, keys=keys, reasons=reasons))
    review = [q for q in report.held if q.rule in REVIEW_RULES]
    if review:  # a person decides: `connector review approve|reject ID`
        out.append(
            WithheldRow("held_for_review", len(review), keys=tuple(q.record_id for q in review))
        )
    by_hand = [q for q in report.held if q.rule not in REVIEW_RULES and q.rule != HELD_RULE]
    if by_hand:  # corrections a person makes in Netvisor
        out.append(
            WithheldRow(
                "held_for_correction",
                len(by_hand),
                keys=tuple(q.record_id for q in by_hand),
                reasons=tuple(q.rule for q in by_hand),
            )
        )
    return out


def print_summary(
    report: RunReport, out: Any = None, *, detail: bool = True, withheld: bool = True
) -> None:
    """A run summary a person understands, in the configured language (``detail``: list the
    quarantined records). Rule names, keys and the records' reasons are not translated."""
    from connector.texts.i18n import texts

    t = texts(report.language)
    out = out or sys.stdout
    c = report.counts
    today = t.date(report.today) if report.today else "-"
    run = report.run_id or t("summary.read_only")
    print(t("summary.run", run=run, command=report.command, today=today), file=out)
    if report.built:
        print("  " + t("summary.periods", periods=", ".join(report.built)), file=out)
        extra = sorted(set(report.observed) - set(report.built))
        if extra:
            print("  " + t("summary.reread", periods=", ".join(extra)), file=out)
    print(
        "  "
        + t(
            "summary.read",
            records=t.n("record", c["extracted"]),
            documents=t.n("document", report.documents),
            total=t.money(report.document_total),
        ),
        file=out,
    )
    print(
        "  "
        + t(
            "summary.netvisor",
            created=c["created"],
            updated=c["updated"],
            skipped=c["skipped"],
            rejected=c["rejected"],
            unknown=c["unknown"],
            failed=c["failed"],
            requests=t.n("request", report.netvisor_requests),
            writes=t.n("write", report.netvisor_writes),
        ),
        file=out,
    )
    if c["reconciled"] or c["replanned"] or c["restored"]:
        print(
            "  "
            + t(
                "summary.reconciled",
                found=c["reconciled"],
                missing=c["replanned"] + c["restored"],
            ),
            file=out,
        )
    if report.quarantined or report.held:
        print(
            "  "
            + t("summary.quarantined", quarantined=len(report.quarantined), held=len(report.held)),
            file=out,
        )
        for q in [*report.quarantined, *report.held][: 20 if detail else 0]:
            kind = t.code("kind", q.kind)
            print(f"    - {kind} {q.record_id}: [{q.rule}] {t.text(q.reason)}", file=out)
        more = len(report.quarantined) + len(report.held) - (20 if detail else 0)
        if more > 0 and detail:
            print("    " + t("summary.more", more=more), file=out)
    if withheld:  # money not billed shows as such, with its amount (``plan`` lists it itself)
        from connector.texts.run_report import withheld_texts

        for row in withheld_rows(report):
            what, how = withheld_texts(row, t)
            print("  " + t("withheld.summary", what=what), file=out)
            print(f"    {t('plan.how')}: {how}", file=out)
    for problem in list(dict.fromkeys(report.problems))[:20]:  # each once
        print(f"  ! {t.text(problem)}", file=out)
    for notice in dict.fromkeys(report.notices):
        print("  " + t("summary.note", notice=t.text(notice)), file=out)
    if report.outbox:
        print("  " + t("summary.outbox", path=report.outbox), file=out)
    if report.report_file:
        print("  " + t("summary.report", path=report.report_file), file=out)
    if report.stopped:
        print("  " + t("summary.stopped"), file=out)
    if report.aborted:
        print("  " + t("summary.aborted", error=t.text(report.aborted)), file=out)


def summary_json(report: RunReport) -> dict[str, Any]:
    """The run summary for machines (``sync --json``): what :func:`print_summary` says, with
    counts as numbers, euros as decimal strings, dates ISO; rule names and reasons as recorded
    (no names: the records are named by their ids)."""

    def record(q: Quarantined) -> dict[str, Any]:
        return {"kind": q.kind, "id": q.record_id, "rule": q.rule, "reason": q.reason}

    return {
        "run_id": report.run_id,
        "command": report.command,
        "status": report.status,
        "exit_code": report.exit_code,
        "today": report.today,
        "periods": list(report.built),
        "observed": list(report.observed),
        "records_read": report.counts["extracted"],
        "documents": report.documents,
        "document_total": report.document_total,
        "netvisor": {
            **{
                key: report.counts[key]
                for key in ("created", "updated", "skipped", "rejected", "unknown", "failed")
            },
            "requests": report.netvisor_requests,
            "writes": report.netvisor_writes,
        },
        "reconciled": {
            "found": report.counts["reconciled"],
            "did_not_happen": report.counts["replanned"] + report.counts["restored"],
        },
        "quarantined": [record(q) for q in report.quarantined],
        "held": [record(q) for q in report.held],
        "problems": list(report.problems),
        "notices": list(report.notices),
        "outbox": None if report.outbox is None else str(report.outbox),
        "report_file": None if report.report_file is None else str(report.report_file),
        "stopped": report.stopped,
        "aborted": (
            None
            if report.aborted is None
            else {"error_type": report.aborted_type, "message": report.aborted}
        ),
        "seconds": round(report.seconds, 3),
    }


def terminal_progress(
    stream: Any = None,
    *,
    language: str = "en",
    after: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[[str, int, int], None] | None:
    """A one-line progress display (``sending to Netvisor: 120/900``) for a person at a
    terminal; None when ``stream`` (stderr) is not one: logs, pipes and the daemon get nothing.

    Only a long run shows it: nothing appears in the first ``after`` seconds, and the line is
    redrawn at most five times a second (a new phase at once). Each phase ends its line when
    it is done."""
    from connector.texts.i18n import MESSAGES, texts

    stream = stream or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        return None
    t = texts(language)
    started = clock()
    last = [0.0]
    showing: set[str] = set()  # phases whose line is on the screen

    def show(phase: str, done: int, total: int) -> None:
        now = clock()
        if now - started < after:
            return
        if done != total and phase in showing and now - last[0] < 0.2:
            return
        last[0] = now
        label = t(f"progress.{phase}") if f"progress.{phase}" in MESSAGES else phase
        stream.write(f"\r{label}: {done}/{total}")
        showing.add(phase)
        if done == total:
            stream.write("\n")
            showing.discard(phase)
        stream.flush()

    return show
