"""The PSOP loop's rows: voucher events, review decisions, imported reports, line states.

Only ids, codes, PSOP customer numbers, dates, amounts and states: never a name. A decision
records what was decided, when, why (a note) and by what (a person's review or PSOP's report);
a decision made in the web console also records the console user who made it. A report is recorded once, by the sha256 of its file, in one transaction with its
rows, the states it gives and the decisions it makes: importing the same file twice changes
nothing, and a refused or interrupted import leaves nothing behind. The file's name is not kept
(a person may name a file after a client).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connector.billing.documents import VoucherEvent
from connector.ledger.base import LedgerBase, _clean, _now

_EVENT_COLUMNS = (
    "event_id",
    "line_id",
    "period",
    "region",
    "psop_customer_number",
    "voucher_id",
    "psop_product",
    "work_date",
    "quantity",
    "unit_price",
    "voucher_share",
    "self_pay",
    "held_rule",
    "approved",
    "updated_at",
)
#: an event already recorded (under another period) takes the new values: the SQL both engines
#: run for SQLite's ``INSERT OR REPLACE``
_EVENT_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _EVENT_COLUMNS[1:])
_ROW_COLUMNS = (
    "row",
    "work_date",
    "psop_customer_number",
    "voucher_id",
    "psop_product",
    "quantity",
    "unit_price",
    "amount",
    "state",
)


class PsopMixin(LedgerBase):
    # ------------------------------------------------------------------ voucher events

    def record_psop_events(self, periods: Iterable[str], events: Iterable[VoucherEvent]) -> int:
        """Replace the voucher events of ``periods`` (``YYYY-MM``, read whole) with ``events``."""
        wanted = sorted(set(periods))
        now = _now()
        rows = [
            (
                e.event_id,
                e.line_id,
                str(e.period),
                e.region,
                e.psop_customer_number,
                e.voucher_id,
                e.psop_product,
                e.work_date.isoformat(),
                str(e.quantity),
                str(e.unit_price),
                str(e.voucher_share),
                str(e.self_pay),
                e.held_rule,
                int(e.approved),
                now,
            )
            for e in events
            if str(e.period) in wanted
        ]
        with self.transaction():
            if wanted:
                marks = ",".join("?" * len(wanted))
                self.db.execute(f"DELETE FROM psop_events WHERE period IN ({marks})", wanted)
            self.db.executemany(
                f"INSERT INTO psop_events ({','.join(_EVENT_COLUMNS)}) "
                f"VALUES ({','.join('?' * len(_EVENT_COLUMNS))}) "
                f"ON CONFLICT (event_id) DO UPDATE SET {_EVENT_UPDATE}",
                rows,
            )
        return len(rows)

    def psop_events(self, period: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM psop_events", []
        if period is not None:
            sql += " WHERE period = ?"
            params.append(period)
        return list(self.db.query(sql + " ORDER BY work_date, event_id", params))

    # ------------------------------------------------------------------ review decisions

    def record_review_decisions(
        self,
        decisions: Sequence[tuple[str, str, str, str | None]],
        *,
        source: str,
        decided_by: str | None = None,
    ) -> list[str]:
        """Record ``(item id, decision, effect, note)`` rows once; returns the ids newly decided.

        An item already decided keeps its first decision (exactly once, like every write).
        ``decided_by`` is the console user who decided (None from the command line); the same
        transaction writes the console's audit rows.
        """
        with self.transaction():
            fresh = self._decide(decisions, source, decided_by)
            if decided_by is not None and fresh:
                notes = {d[0]: d[3] for d in decisions}
                now = _now()
                self.db.executemany(
                    "INSERT INTO console_audit (at, actor, action, subject, note)"
                    " VALUES (?,?,?,?,?)",
                    [
                        (now, decided_by, f"review:{d[1]}", d[0], _clean(notes[d[0]] or "") or None)
                        for d in decisions
                        if d[0] in fresh
                    ],
                )
            return fresh

    def _decide(
        self,
        decisions: Sequence[tuple[str, str, str, str | None]],
        source: str,
        decided_by: str | None = None,
    ) -> list[str]:
        now, fresh = _now(), []
        for item_id, decision, effect, note in decisions:
            cursor = self.db.execute(
                "INSERT INTO review_decisions (item_id, decision, effect, source, note,"
                " decided_at, decided_by) VALUES (?,?,?,?,?,?,?) ON CONFLICT (item_id) DO NOTHING",
                [
                    item_id,
                    decision,
                    effect,
                    source,
                    _clean(note) if note else None,
                    now,
                    decided_by,
                ],
            )
            if cursor.rowcount:
                fresh.append(item_id)
        return fresh

    def review_decisions(self) -> dict[str, dict[str, Any]]:
        """Item id -> its decision row (decision, effect, source, note, decided_at,
        decided_by)."""
        return {r["item_id"]: r for r in self.db.query("SELECT * FROM review_decisions")}

    def decision_effects(self) -> dict[str, str]:
        """Item id -> what billing does with it: ``approve`` | ``bill_client`` | ``write_off``."""
        return {item: row["effect"] for item, row in self.review_decisions().items()}

    # ------------------------------------------------------------------ reports

    def psop_report(self, sha256: str) -> dict[str, Any] | None:
        """The import of the file with this sha256, if it was imported."""
        rows = list(self.db.query("SELECT * FROM psop_reports WHERE sha256 = ?", [sha256]))
        return rows[0] if rows else None

    def record_psop_report(
        self,
        *,
        sha256: str,
        report_date: str,
        rows: Sequence[Mapping[str, Any]],
        states: Sequence[Mapping[str, Any]],
        decisions: Sequence[tuple[str, str, str, str | None]],
    ) -> tuple[int, list[str]] | None:
        """Record one report with its rows, the states it gives and its decisions, at once.

        Returns (report id, ids newly decided), or None when this file was imported before. A
        line's state is replaced only by a report of the same or a later date.
        """
        with self.transaction():
            if self.psop_report(sha256) is not None:
                return None
            cursor = self.db.execute(
                "INSERT INTO psop_reports (sha256, report_date, rows, imported_at) "
                "VALUES (?,?,?,?) RETURNING id",
                [sha256, report_date, len(rows), _now()],
            )
            report_id = int(cursor.fetchall()[0][0])
            self.db.executemany(
                f"INSERT INTO psop_report_rows (report_id, {','.join(_ROW_COLUMNS)}) "
                f"VALUES (?, {','.join('?' * len(_ROW_COLUMNS))})",
                [(report_id, *(str(r[c]) for c in _ROW_COLUMNS)) for r in rows],
            )
            for s in states:
                self.db.execute(
                    """
                    INSERT INTO psop_line_states
                        (document_key, line_id, state, report_date, psop_amount, report_id)
                    VALUES (?,?,?,?,?,?)
                    ON CONFLICT(document_key, line_id) DO UPDATE SET
                        state = excluded.state, report_date = excluded.report_date,
                        psop_amount = excluded.psop_amount, report_id = excluded.report_id
                    WHERE excluded.report_date >= psop_line_states.report_date
                    """,
                    [
                        s["document_key"],
                        s["line_id"],
                        s["state"],
                        s["report_date"],
                        str(s["psop_amount"]),
                        report_id,
                    ],
                )
            fresh = self._decide(decisions, "psop_report")
        return report_id, fresh

    def psop_reports(self) -> list[dict[str, Any]]:
        """Every imported report, in import order, with its rows under ``"rows"``."""
        reports = list(self.db.query("SELECT * FROM psop_reports ORDER BY id"))
        for report in reports:
            report["rows"] = list(
                self.db.query(
                    "SELECT * FROM psop_report_rows WHERE report_id = ? ORDER BY row",
                    [report["id"]],
                )
            )
        return reports

    def psop_line_states(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(document key, line id) -> its latest PSOP state row."""
        return {
            (r["document_key"], r["line_id"]): r
            for r in self.db.query("SELECT * FROM psop_line_states")
        }
