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


def print_summary(report: RunReport, out: Any = None, *, detail: bool = True) -> None:
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


def terminal_progress(stream: Any = None) -> Callable[[str, int, int], None] | None:
    """A one-line progress display on a terminal; None when not attached to one."""
    stream = stream or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        return None
    last = [0.0]

    def show(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done != total and now - last[0] < 0.2:
            return
        last[0] = now
        stream.write(f"\r{phase}: {done}/{total}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show
