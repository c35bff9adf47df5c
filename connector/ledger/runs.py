"""Run rows (one per run, with its counts and outcome) and the request audit (no bodies)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connector.core.logging import redact_text
from connector.ledger.base import LedgerBase, _now

_COUNTED = frozenset(
    {"extracted", "quarantined", "created", "updated", "skipped", "failed", "unknown", "rejected"}
)


class RunsMixin(LedgerBase):
    def start_run(
        self, command: str, *, period: str | None = None, as_of: str | None = None, dry_run=False
    ) -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (command, period, as_of, dry_run, started_at)"
                " VALUES (?,?,?,?,?) RETURNING id",
                [command, period, as_of, int(dry_run), _now()],
            )
            return int(cur.fetchall()[0][0])

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int] | None = None,
        *,
        error_type: str | None = None,
        message: str | None = None,
    ) -> None:
        fields = {k: int(v) for k, v in (counts or {}).items() if k in _COUNTED}
        sets = ", ".join(f"{k} = ?" for k in fields)
        message = redact_text(message) if message else message
        with self.transaction():
            self.db.execute(
                f"UPDATE runs SET status = ?, finished_at = ?, error_type = ?, message = ?"
                f"{', ' + sets if sets else ''} WHERE id = ?",
                [status, _now(), error_type, message, *fields.values(), run_id],
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))

    def audit_many(self, run_id: int | None, records: Sequence[Any]) -> None:
        """Write a batch of request records (objects with the RequestRecord fields)."""
        if not records:
            return
        with self.transaction():
            self.db.executemany(
                "INSERT INTO requests (run_id, at, transaction_id, method, resource, outcome,"
                " http_status, duration_ms) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        r.at.isoformat(timespec="milliseconds"),
                        r.transaction_id,
                        r.method,
                        r.resource,
                        r.outcome,
                        r.http_status,
                        r.duration_ms,
                    )
                    for r in records
                ],
            )
