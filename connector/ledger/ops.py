"""What the operator's tools keep in the ledger: the Netvisor environment it is bound to, each
run's report (name-free), the problems an alert has already announced, and backups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from connector.ledger import schema
from connector.ledger.base import LedgerBase, _now

#: the settings that bind a ledger to one Netvisor environment
BINDING_KEYS = ("netvisor_host", "netvisor_customer_id", "netvisor_organisation_id")


class OpsMixin(LedgerBase):
    # -- settings and the environment binding ------------------------------------------------

    def setting(self, key: str) -> str | None:
        rows = list(self.db.query("SELECT value FROM settings WHERE key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_settings(self, values: Mapping[str, str]) -> None:
        now = _now()
        with self.transaction():
            for key, value in values.items():
                self.db.execute(
                    "INSERT INTO settings (key, value, updated_at) VALUES (?,?,?) ON CONFLICT"
                    "(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    [key, value, now],
                )

    def binding(self) -> dict[str, str] | None:
        """The Netvisor environment this ledger belongs to (None: not bound yet)."""
        values = {k: self.setting(k) for k in BINDING_KEYS}
        if all(v is None for v in values.values()):
            return None
        return {k: v or "" for k, v in values.items()}

    def bind(self, environment: Mapping[str, str]) -> None:
        self.set_settings({k: environment[k] for k in BINDING_KEYS})

    # -- run reports ---------------------------------------------------------------------------

    def save_report(self, run_id: int, data_json: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO run_reports (run_id, data, created_at) VALUES (?,?,?) ON CONFLICT"
                "(run_id) DO UPDATE SET data = excluded.data",
                [run_id, data_json, _now()],
            )

    def report(self, run_id: int | None = None) -> tuple[int, str] | None:
        """(run id, stored report JSON) of ``run_id``, or of the latest run that has one."""
        if run_id is None:
            rows = list(self.db.query("SELECT * FROM run_reports ORDER BY run_id DESC LIMIT 1"))
        else:
            rows = list(self.db.query("SELECT * FROM run_reports WHERE run_id = ?", [run_id]))
        return (rows[0]["run_id"], rows[0]["data"]) if rows else None

    # -- alerts ----------------------------------------------------------------------------------

    def unannounced(self, fingerprints: Iterable[tuple[str, str]]) -> list[str]:
        """Of ``(fingerprint, kind)`` pairs, those no alert announced yet; all are remembered
        (``last_seen`` refreshed) so the next run does not announce them again."""
        now = _now()
        new: list[str] = []
        with self.transaction():
            for fingerprint, kind in fingerprints:
                cur = self.db.execute(
                    "UPDATE alerts SET last_seen = ? WHERE fingerprint = ?", [now, fingerprint]
                )
                if cur.rowcount == 0:
                    self.db.execute(
                        "INSERT INTO alerts (fingerprint, kind, first_sent, last_seen)"
                        " VALUES (?,?,?,?)",
                        [fingerprint, kind, now, now],
                    )
                    new.append(fingerprint)
        return new

    def forget_alerts(self, kind: str, keep: Iterable[str] = ()) -> None:
        """Forget announced problems of ``kind`` that are gone, so a recurrence alerts again."""
        keep = list(keep)
        sql = "DELETE FROM alerts WHERE kind = ?"
        if keep:
            sql += f" AND fingerprint NOT IN ({','.join('?' * len(keep))})"
        with self.transaction():
            self.db.execute(sql, [kind, *keep])

    def unannounce(self, fingerprints: Iterable[str]) -> None:
        """Forget these fingerprints (their alert was not delivered)."""
        fingerprints = list(fingerprints)
        if fingerprints:
            with self.transaction():
                self.db.execute(
                    f"DELETE FROM alerts WHERE fingerprint IN ({','.join('?' * len(fingerprints))})",
                    fingerprints,
                )

    # -- backup ----------------------------------------------------------------------------------

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of the ledger (SQLite's online backup API; WAL-safe)."""
        return schema.backup(self.db, Path(target))
