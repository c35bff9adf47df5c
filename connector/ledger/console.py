"""What the web console (``connector/console/``) keeps in the ledger: the audit of decisions made
in it, and each invoice's money as Netvisor's invoice list last showed it.

The audit names the console user (a login name an administrator chose for a member of staff),
never a client: a subject is a held item's id, a quarantine id or a ledger key, and a note is
cleaned like every free text (identity codes and secrets masked, length capped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from connector.ledger.base import LedgerBase, _clean, _now


class ConsoleMixin(LedgerBase):
    # ------------------------------------------------------------------ audit

    def record_audit(
        self, user: str, action: str, subjects: Sequence[str], note: str | None = None
    ) -> None:
        """One audit row per subject: ``user`` did ``action`` to it (with ``note``), now."""
        now, cleaned = _now(), (_clean(note) if note else None)
        with self.transaction():
            self.db.executemany(
                "INSERT INTO console_audit (at, actor, action, subject, note) VALUES (?,?,?,?,?)",
                [(now, user, action, subject, cleaned) for subject in subjects],
            )

    def audit(
        self, *, subjects: Iterable[str] | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first: all of them, or those about ``subjects``."""
        sql, params = "SELECT * FROM console_audit", []
        if subjects is not None:
            wanted = sorted(set(subjects))[:500]
            if not wanted:
                return []
            sql += f" WHERE subject IN ({','.join('?' * len(wanted))})"
            params.extend(wanted)
        params.append(limit)
        return list(self.db.query(sql + " ORDER BY id DESC LIMIT ?", params))

    # ------------------------------------------------------------------ invoice balances

    def record_invoice_balances(self, rows: Iterable[Sequence[Any]]) -> int:
        """``(key, netvisor_key, number, invoice date, status, gross, open sum)`` as the invoice
        list showed them; replaces what an earlier list showed."""
        now = _now()
        values = [
            (
                key,
                nv,
                number,
                None if day is None else str(day),
                status,
                None if gross is None else str(gross),
                None if open_sum is None else str(open_sum),
                now,
            )
            for key, nv, number, day, status, gross, open_sum in rows
        ]
        if not values:
            return 0
        with self.transaction():
            self.db.executemany(
                "INSERT INTO invoice_balances (key, netvisor_key, invoice_number, invoice_date,"
                " status, gross, open_sum, seen_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (key)"
                " DO UPDATE SET netvisor_key = excluded.netvisor_key,"
                " invoice_number = excluded.invoice_number, invoice_date = excluded.invoice_date,"
                " status = excluded.status, gross = excluded.gross,"
                " open_sum = excluded.open_sum, seen_at = excluded.seen_at",
                values,
            )
        return len(values)

    def invoice_balances(self) -> dict[str, dict[str, Any]]:
        """Ledger key -> the invoice's last seen number, date, status, gross and open sum."""
        return {r["key"]: r for r in self.db.query("SELECT * FROM invoice_balances")}
