"""What the console's pages show, read from the ledger. No HTML here and no Starlette: plain
values the templates lay out, so the figures are testable on their own.

Organiser-facing values (an organiser document, the PSOP page) name clients only by PSOP
customer number; a client invoice shows the billing customer's code (never a name: the ledger
has none).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connector.billing.documents import (
    CORRECTION_PREFIX,
    VOUCHER_DEDUCTION,
    VOUCHER_SHARE,
    BilledLine,
    base_role,
)
from connector.billing.vat import gross_of
from connector.core.config import Config
from connector.core.money import round_money
from connector.ledger import EDIT_UNCLEAR, IN_DOUBT, Ledger, LedgerState, ObjectKind, OwnedObject

ZERO = Decimal("0.00")
CLIENT, ORGANISER = "client", "organiser"

# what is still to do, worst first: its weight orders a fleet's companies
SEVERITY = {
    "in_doubt": 50,
    "rejected": 40,
    "held_person": 40,
    "quarantined": 30,
    "review": 20,
    "differences": 15,
    "overdue": 10,
    "no_report": 5,
}


def task_of(line_id: str) -> str:
    """The Spotilla task a billed line's id belongs to (``<task>:<row>`` or the task itself)."""
    return line_id.split(":", 1)[0]


def kind_of(key: str) -> str:
    return ORGANISER if key.startswith("org:") else CLIENT


def owner_of(key: str) -> str:
    """A document key's owner code: the billing customer's code or the organiser's region."""
    return key.split(":", 2)[2] if key.count(":") >= 2 else key


# ------------------------------------------------------------------ money received


@dataclass(frozen=True)
class Balance:
    """An invoice's money as Netvisor's invoice list last showed it."""

    state: str  # paid | partly_paid | open | overdue | unsent | credit | unknown
    number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    gross: Decimal | None = None
    open_sum: Decimal | None = None
    seen_at: str | None = None


def balance_of(
    obj: OwnedObject | None, row: dict[str, Any] | None, *, today: date, term_days: int
) -> Balance:
    if row is None:
        status = obj.netvisor_status if obj is not None else None
        return Balance("unsent" if status == "unsent" else "unknown")
    gross = Decimal(row["gross"]) if row["gross"] is not None else None
    open_sum = Decimal(row["open_sum"]) if row["open_sum"] is not None else None
    day = date.fromisoformat(row["invoice_date"][:10]) if row["invoice_date"] else None
    due = day + timedelta(days=term_days) if day else None
    if row["status"] == "unsent":
        state = "unsent"
    elif open_sum is None or gross is None:
        state = "unknown"
    elif gross < 0:
        state = "credit"
    elif open_sum == 0:
        state = "paid"
    elif open_sum < gross:
        state = "partly_paid"
    elif due is not None and due < today:
        state = "overdue"
    else:
        state = "open"
    if state == "partly_paid" and due is not None and due < today:
        state = "overdue"
    return Balance(state, row["invoice_number"], day, due, gross, open_sum, row["seen_at"])


# ------------------------------------------------------------------ documents


@dataclass(frozen=True)
class DocumentRow:
    key: str
    kind: str  # client | organiser
    period: str
    owner: str  # customer code (client) or region (organiser)
    state: str
    netvisor_key: str | None
    netvisor_status: str | None
    lines: int
    net: Decimal
    vat: Decimal
    gross: Decimal
    voucher: Decimal
    self_pay: Decimal
    corrections: int
    correction_net: Decimal
    psop_numbers: tuple[str, ...]
    balance: Balance
    error_type: str | None = None


def figures(lines: Sequence[BilledLine], kind: str) -> dict[str, Any]:
    """Net, VAT (per line, half up, as Netvisor does), gross, voucher share, corrections."""
    net = sum((ln.amount for ln in lines), ZERO)
    gross = sum((gross_of(ln.amount, ln.vat_percent or Decimal(0)) for ln in lines), ZERO)
    voucher_role = VOUCHER_DEDUCTION if kind == CLIENT else VOUCHER_SHARE
    voucher = sum((ln.amount for ln in lines if base_role(ln.role) == voucher_role), ZERO)
    corrections = [ln for ln in lines if ln.role.startswith(CORRECTION_PREFIX)]
    return {
        "lines": len(lines),
        "net": round_money(net),
        "vat": round_money(gross - net),
        "gross": round_money(gross),
        "voucher": round_money(abs(voucher)),
        "self_pay": round_money(gross) if kind == CLIENT else ZERO,
        "corrections": len(corrections),
        "correction_net": round_money(sum((ln.amount for ln in corrections), ZERO)),
    }


def document_rows(
    ledger: Ledger, config: Config, today: date, period: str | None = None
) -> list[DocumentRow]:
    """Every invoice document the ledger owns (of ``period``), with its figures and money."""
    objs = [
        o
        for o in ledger.objects(kind=ObjectKind.INVOICE)
        if (period is None or o.period == period) and o.key[:4] in ("inv:", "org:")
    ]
    by_doc: dict[str, list[BilledLine]] = defaultdict(list)
    for line in ledger.billed_lines(documents=[o.key for o in objs]):
        by_doc[line.document_key].append(line)
    balances = ledger.invoice_balances()
    term = config.netvisor.payment_term_days
    rows = []
    for o in objs:
        kind = kind_of(o.key)
        lines = by_doc.get(o.key, [])
        rows.append(
            DocumentRow(
                key=o.key,
                kind=kind,
                period=o.period or "",
                owner=owner_of(o.key),
                state=str(o.state),
                netvisor_key=o.netvisor_key,
                netvisor_status=o.netvisor_status,
                psop_numbers=tuple(
                    sorted({ln.psop_customer_number for ln in lines if ln.psop_customer_number})
                ),
                balance=balance_of(o, balances.get(o.key), today=today, term_days=term),
                error_type=o.last_error_type,
                **figures(lines, kind),
            )
        )
    return rows


# ------------------------------------------------------------------ month close


@dataclass(frozen=True)
class Todo:
    what: str  # a catalogue key under console.todo.
    count: int
    path: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class MonthClose:
    period: str | None
    periods: list[str]
    clients: list[DocumentRow]
    organisers: list[DocumentRow]
    held: list[Any]  # ReviewEntry, undecided
    decided: list[Decided]
    quarantined: list[Any]
    rejected: list[OwnedObject]
    in_doubt: list[OwnedObject]
    held_person: list[OwnedObject]
    todo: list[Todo] = field(default_factory=list)

    @property
    def severity(self) -> int:
        return sum(SEVERITY.get(t.what, 1) * 1000 + t.count for t in self.todo)

    def totals(self, rows: Iterable[DocumentRow]) -> dict[str, Decimal]:
        rows = list(rows)
        return {
            name: sum((getattr(r, name) for r in rows), ZERO)
            for name in ("net", "vat", "gross", "voucher", "self_pay", "correction_net")
        }


@dataclass(frozen=True)
class Decided:
    """A decision on held work, with the event it was about (still held or billed since)."""

    item_id: str
    period: str
    psop_customer_number: str
    voucher_share: Decimal
    decision: str
    effect: str
    source: str
    decided_by: str | None
    decided_at: str
    note: str | None


def decided(ledger: Ledger, period: str | None = None) -> list[Decided]:
    """Every decision on work of ``period`` (all months when None), newest first. A decided
    item stays listed after the next sync billed it (it is no longer held then)."""
    decisions = ledger.review_decisions()
    out = []
    for e in ledger.psop_events(period):
        row = decisions.get(e["line_id"])
        if row is None:
            continue
        out.append(
            Decided(
                e["line_id"],
                e["period"],
                e["psop_customer_number"],
                Decimal(e["voucher_share"]),
                row["decision"],
                row["effect"],
                row["source"],
                row.get("decided_by"),
                row["decided_at"],
                row["note"],
            )
        )
    return sorted(
        {d.item_id: d for d in out}.values(), key=lambda d: (d.decided_at, d.item_id), reverse=True
    )


def known_periods(ledger: Ledger) -> list[str]:
    """Months the ledger has documents or voucher events of, newest first."""
    found = {o.period for o in ledger.objects(kind=ObjectKind.INVOICE) if o.period}
    found |= {r[0] for r in ledger.db.execute("SELECT DISTINCT period FROM psop_events").fetchall()}
    return sorted(found, reverse=True)


def month_close(
    ledger: Ledger, config: Config, today: date, period: str | None = None
) -> MonthClose:
    """The month close of ``period`` (default: the newest month the ledger knows)."""
    from connector.psop.loop import reconciliation, review_entries

    periods = known_periods(ledger)
    if period is None and periods:
        period = periods[0]
    docs = document_rows(ledger, config, today, period) if period else []
    entries = review_entries(ledger, period, include_decided=True) if period else []
    unknown = ledger.objects(states=[LedgerState.UNKNOWN])
    close = MonthClose(
        period=period,
        periods=periods,
        clients=[d for d in docs if d.kind == CLIENT],
        organisers=[d for d in docs if d.kind == ORGANISER],
        held=[e for e in entries if e.decision is None],
        decided=decided(ledger, period),
        quarantined=ledger.quarantine(),
        rejected=ledger.objects(states=[LedgerState.REJECTED]),
        in_doubt=[
            o
            for o in ledger.objects(states=IN_DOUBT)
            if not (o.state is LedgerState.UNKNOWN and o.last_error_type == EDIT_UNCLEAR)
        ],
        held_person=[o for o in unknown if o.last_error_type == EDIT_UNCLEAR],
    )
    month = {"period": period} if period else {}
    todo = [
        Todo("in_doubt", len(close.in_doubt), "/runs"),
        Todo("held_person", len(close.held_person), "/runs"),
        Todo("rejected", len(close.rejected), "/quarantine"),
        Todo("quarantined", len(close.quarantined), "/quarantine"),
        Todo("review", len(close.held), "/review", month),
        Todo("overdue", sum(1 for d in docs if d.balance.state == "overdue"), "/", month),
    ]
    if period and close.organisers:
        if not any(_report_covers(r, period) for r in ledger.psop_reports()):
            todo.append(Todo("no_report", 1, "/psop", month))
        else:
            diffs = reconciliation(ledger, period).differences
            todo.append(Todo("differences", len(diffs), "/psop", month))
    close.todo = [t for t in todo if t.count]
    return close


def _report_covers(report: dict[str, Any], period: str) -> bool:
    return any(str(r["work_date"]).startswith(period) for r in report["rows"])


# ------------------------------------------------------------------ one document


@dataclass(frozen=True)
class LineView:
    line: BilledLine
    task: str
    state: str | None  # PSOP state from the last imported report
    state_date: str | None
    refers_to: tuple[str, ...]  # other documents that billed the same task line


@dataclass
class DocumentView:
    row: DocumentRow
    lines: list[LineView]
    corrections_elsewhere: list[tuple[str, BilledLine]]  # (document key, correction line)
    held: list[Any]  # undecided ReviewEntry of this document's tasks (or PSOP numbers)
    decided: list[Decided]
    audit: list[dict[str, Any]]
    error: str | None


def psop_state_index(ledger: Ledger) -> dict[str, tuple[str, str]]:
    """Task line id -> (PSOP state, report date) of its voucher event, from the last report."""
    from connector.billing.documents import organiser_document_key
    from connector.core.domain import Period

    states = ledger.psop_line_states()
    out: dict[str, tuple[str, str]] = {}
    for e in ledger.psop_events():
        key = organiser_document_key(Period.parse(e["period"]), e["region"])
        found = states.get((key, e["event_id"]))
        if found is not None:
            out[e["line_id"]] = (found["state"], found["report_date"])
            out[e["event_id"]] = out[e["line_id"]]
    return out


def document_view(ledger: Ledger, config: Config, key: str, today: date) -> DocumentView | None:
    from connector.psop.loop import review_entries

    obj = ledger.get(key)
    if obj is None or obj.kind is not ObjectKind.INVOICE:
        return None
    (row,) = [r for r in document_rows(ledger, config, today, obj.period) if r.key == key]
    lines = ledger.billed_lines(document_key=key)
    ids = {ln.line_id for ln in lines}
    states = psop_state_index(ledger)
    # every other document that billed one of these task lines (earlier versions, corrections)
    others: dict[str, set[str]] = defaultdict(set)
    elsewhere = []
    for other in ledger.billed_lines(owner=f"{key[:3]}:{owner_of(key)}"):
        if other.document_key == key or other.line_id not in ids:
            continue
        others[other.line_id].add(other.document_key)
        if other.role.startswith(CORRECTION_PREFIX):
            elsewhere.append((other.document_key, other))
    tasks = {task_of(i) for i in ids}

    def ours(item_id: str, psop_number: str) -> bool:
        return task_of(item_id) in tasks or (
            row.kind == ORGANISER and psop_number in row.psop_numbers
        )

    held = [
        e
        for e in review_entries(ledger, obj.period)
        if ours(e.item.item_id, e.item.psop_customer_number)
    ]
    done = [d for d in decided(ledger, obj.period) if ours(d.item_id, d.psop_customer_number)]
    return DocumentView(
        row=row,
        lines=[
            LineView(
                ln,
                task_of(ln.line_id),
                *(states.get(ln.line_id) or (None, None)),
                tuple(sorted(others.get(ln.line_id, ()))),
            )
            for ln in lines
        ],
        corrections_elsewhere=sorted(elsewhere, key=lambda x: x[0]),
        held=held,
        decided=done,
        audit=ledger.audit(
            subjects={key, *ids, *(e.item.item_id for e in held), *(d.item_id for d in done)}
        ),
        error=obj.last_error,
    )


@dataclass
class TaskView:
    task: str
    lines: list[tuple[BilledLine, str | None, str | None]]  # line, PSOP state, report date
    events: list[dict[str, Any]]
    decisions: dict[str, dict[str, Any]]


def task_view(ledger: Ledger, task: str) -> TaskView:
    """Every billed line of one Spotilla task, its voucher events and their PSOP states."""
    rows = ledger.db.execute(
        "SELECT DISTINCT document_key FROM billed_lines WHERE version = 'current' AND"
        " (line_id = ? OR line_id LIKE ? ESCAPE '\\')",
        [task, task.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ":%"],
    ).fetchall()
    states = psop_state_index(ledger)
    lines = [
        (ln, *(states.get(ln.line_id) or (None, None)))
        for ln in ledger.billed_lines(documents=[r[0] for r in rows])
        if task_of(ln.line_id) == task
    ]
    events = [e for e in ledger.psop_events() if task_of(e["line_id"]) == task]
    for e in events:
        e["psop_state"] = (states.get(e["event_id"]) or (None, None))[0]
    decisions = {k: v for k, v in ledger.review_decisions().items() if task_of(k) == task}
    return TaskView(task, lines, events, decisions)


# ------------------------------------------------------------------ runs


@dataclass
class RunsView:
    runs: list[dict[str, Any]]
    unclear: dict[int, list[dict[str, Any]]]  # run id -> requests whose answer was unclear
    in_doubt: list[OwnedObject]
    held_person: list[OwnedObject]
    resolved: list[OwnedObject]  # confirmed by a look-up (reconcile found them)
    reports: set[int]


def runs_view(ledger: Ledger, limit: int = 50) -> RunsView:
    runs = ledger.runs(limit)
    ids = [r["id"] for r in runs]
    unclear: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        for r in ledger.db.query(
            f"SELECT * FROM requests WHERE outcome <> 'ok' AND run_id IN ({','.join('?' * len(ids))})"
            " ORDER BY id",
            ids,
        ):
            unclear[r["run_id"]].append(r)
    reports = {r[0] for r in ledger.db.execute("SELECT run_id FROM run_reports").fetchall()}
    doubt = ledger.objects(states=IN_DOUBT)
    return RunsView(
        runs=runs,
        unclear=dict(unclear),
        in_doubt=[o for o in doubt if o.last_error_type != EDIT_UNCLEAR],
        held_person=[o for o in doubt if o.last_error_type == EDIT_UNCLEAR],
        resolved=[o for o in ledger.objects(states=[LedgerState.CONFIRMED]) if o.attempts > 0][
            -50:
        ],
        reports=reports,
    )


# ------------------------------------------------------------------ fleet


@dataclass(frozen=True)
class FleetRow:
    name: str
    close: MonthClose | None
    error: str | None = None

    @property
    def severity(self) -> int:
        return 10**9 if self.error else (self.close.severity if self.close else 0)
