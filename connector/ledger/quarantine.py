"""Records a rule stopped: rule, reason, first/last seen; resolved only when a run re-checked the
record and it passed. An entry the run did not re-read (its period was not in scope) stays open:
a quarantine list must never clear itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from connector.core.domain import Quarantined
from connector.ledger.base import LedgerBase, _clean, _now
from connector.ledger.records import QuarantineEntry


class QuarantineMixin(LedgerBase):
    def record_quarantine(
        self,
        run_id: int | None,
        items: Iterable[Quarantined],
        *,
        resolve_others: bool = True,
        rechecked: Callable[[str, str], bool] | None = None,
    ) -> int:
        """Upsert this run's quarantined records; resolve earlier ones this run re-checked.

        ``rechecked(kind, record_id)`` says whether this run read the record again (and so would
        have quarantined it again if it still failed); entries it did not re-read stay open.
        ``None`` means the run re-read everything. Returns how many distinct records this run
        quarantined.
        """
        now = _now()
        seen: set[tuple[str, str, str]] = set()
        with self.transaction():
            for q in items:
                ident = (q.kind, q.record_id, q.rule)
                if ident in seen:
                    continue
                seen.add(ident)
                self.db.execute(
                    """
                    INSERT INTO quarantine (kind, record_id, rule, reason, related, first_seen,
                                            last_seen, last_run_id)
                    VALUES (?,?,?,?,?,?,?,?)
                    ON CONFLICT(kind, record_id, rule) DO UPDATE SET
                        reason = excluded.reason, related = excluded.related,
                        last_seen = excluded.last_seen, last_run_id = excluded.last_run_id,
                        seen_count = quarantine.seen_count + 1, resolved_at = NULL
                    """,
                    [
                        q.kind,
                        q.record_id,
                        q.rule,
                        _clean(q.reason),
                        ",".join(q.related),
                        now,
                        now,
                        run_id,
                    ],
                )
            if resolve_others and run_id is not None:
                stale = self.db.execute(
                    "SELECT id, kind, record_id FROM quarantine WHERE resolved_at IS NULL AND"
                    " (last_run_id IS NULL OR last_run_id <> ?)",
                    [run_id],
                ).fetchall()
                passed = [
                    qid
                    for qid, kind, record_id in stale
                    if rechecked is None or rechecked(kind, record_id)
                ]
                for qid in passed:
                    self.db.execute(
                        "UPDATE quarantine SET resolved_at = ? WHERE id = ?", [now, qid]
                    )
        return len(seen)

    def quarantine(
        self, *, include_resolved: bool = False, ids: Sequence[int] = ()
    ) -> list[QuarantineEntry]:
        sql, params = "SELECT * FROM quarantine WHERE 1=1", []
        if not include_resolved:
            sql += " AND resolved_at IS NULL"
        if ids:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params.extend(ids)
        return [
            QuarantineEntry(
                r["id"],
                r["kind"],
                r["record_id"],
                r["rule"],
                r["reason"],
                r["related"],
                r["first_seen"],
                r["last_seen"],
                r["seen_count"],
                r["resolved_at"],
                r["last_run_id"],
            )
            for r in self.db.query(sql + " ORDER BY id", params)
        ]
