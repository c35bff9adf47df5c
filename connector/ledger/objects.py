"""Owned objects and their state machine; the billed lines each version carries.

planned -> sending -> sent -> confirmed; rejected; unknown. The version being sent is kept as
``pending`` (hash, action, billed lines) and becomes ``current`` only when Netvisor has it, in
the same transaction as the state change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from connector.billing.documents import (
    BilledLine,
    billed_lines_of,
    billed_row,
    document_owner,
)
from connector.ledger.base import LedgerBase, _clean, _now
from connector.ledger.records import (
    EDIT_UNCLEAR,
    OWNED_COLUMNS,
    LedgerState,
    ObjectKind,
    OwnedObject,
)


class ObjectsMixin(LedgerBase):
    def get(self, key: str) -> OwnedObject | None:
        sql = f"SELECT {OWNED_COLUMNS} FROM objects WHERE key = ?"
        row = self.db.execute(sql, [key]).fetchone()
        return OwnedObject.from_values(row) if row is not None else None

    def objects(
        self,
        *,
        kind: ObjectKind | None = None,
        states: Iterable[LedgerState] | None = None,
        periods: Iterable[str] | None = None,
    ) -> list[OwnedObject]:
        """The rows, by key; only of ``kind``, in ``states``, of ``periods`` when given."""
        sql, params = f"SELECT {OWNED_COLUMNS} FROM objects WHERE 1=1", []
        if periods is not None:
            periods = sorted(set(periods))
            if not periods:
                return []
            sql += f" AND period IN ({','.join('?' * len(periods))})"
            params.extend(periods)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(str(kind))
        if states is not None:
            states = list(states)
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params.extend(str(s) for s in states)
        make = OwnedObject.from_values
        return [make(r) for r in self.db.execute(sql + " ORDER BY key", params)]

    def counts_by_state(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self.db.query(
            "SELECT kind, state, COUNT(*) n FROM objects GROUP BY kind, state"
        ):
            out.setdefault(row["kind"], {})[row["state"]] = row["n"]
        return out

    def _update(self, key: str, **fields: Any) -> None:
        fields["updated_at"] = _now()
        sets = ", ".join(f"{k} = ?" for k in fields)
        cur = self.db.execute(f"UPDATE objects SET {sets} WHERE key = ?", [*fields.values(), key])
        if cur.rowcount != 1:
            raise KeyError(f"no ledger object {key!r}")

    def _drop_pending_lines(self, key: str) -> None:
        """Forget the lines of the version in flight (``pending``) of ``key``."""
        self.db.execute(
            "DELETE FROM billed_lines WHERE document_key = ? AND version = 'pending'", [key]
        )

    def mark_sending(
        self,
        key: str,
        kind: ObjectKind,
        *,
        pending_hash: str,
        action: str,
        lines: Sequence[BilledLine] = (),
        period: str | None = None,
        customer_code: str | None = None,
        total: Decimal | None = None,
        run_id: int | None = None,
        check: str | None = None,
        billed_on: str | None = None,
    ) -> None:
        """Commit the intent to write *before* the request leaves, with the lines it carries.

        One transaction: the row (created if new) goes to ``sending`` with the pending hash and
        action; the document's pending billed lines are replaced.
        """
        now = _now()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO objects (key, kind, state, pending_hash, pending_action, attempts,
                                     period, customer_code, total, run_id, created_at, updated_at,
                                     pending_check, billed_on)
                VALUES (?,?,?,?,?,1,?,?,?,?,?,?,?,?)
                ON CONFLICT(key) DO UPDATE SET
                    state = excluded.state, pending_hash = excluded.pending_hash,
                    pending_action = excluded.pending_action, attempts = objects.attempts + 1,
                    pending_check = excluded.pending_check,
                    period = COALESCE(excluded.period, objects.period),
                    customer_code = COALESCE(excluded.customer_code, objects.customer_code),
                    total = COALESCE(excluded.total, objects.total),
                    run_id = excluded.run_id, updated_at = excluded.updated_at,
                    billed_on = COALESCE(objects.billed_on, excluded.billed_on)
                """,
                [
                    key,
                    str(kind),
                    LedgerState.SENDING,
                    pending_hash,
                    action,
                    period,
                    customer_code,
                    str(total) if total is not None else None,
                    run_id,
                    now,
                    now,
                    check,
                    billed_on,
                ],
            )
            self._drop_pending_lines(key)
            self._insert_lines(key, "pending", lines)

    def adopt_invoice(
        self,
        key: str,
        *,
        netvisor_key: str,
        status: str | None,
        content_hash: str | None,
        check: str | None,
        lines: Sequence[BilledLine],
        period: str | None,
        customer_code: str | None,
        total: Decimal | None,
        run_id: int | None,
        billed_on: str | None,
    ) -> None:
        """An invoice found in Netvisor under a key the ledger did not know (a fresh, copied
        or restored ledger): recorded ``confirmed`` with what it holds, in one transaction.

        ``content_hash``/``lines``: the version billing produces when Netvisor shows exactly
        it; None/() when it shows something else (an edit is planned next). ``check``: the
        content fingerprint Netvisor shows. Refuses a key the ledger already has."""
        now = _now()
        with self.transaction():
            self.db.execute(
                """
                INSERT INTO objects (key, kind, state, netvisor_key, content_hash, content_check,
                                     netvisor_status, attempts, period, customer_code, total,
                                     run_id, created_at, updated_at, billed_on)
                VALUES (?,?,?,?,?,?,?,0,?,?,?,?,?,?,?)
                """,
                [
                    key,
                    str(ObjectKind.INVOICE),
                    LedgerState.CONFIRMED,
                    netvisor_key,
                    content_hash,
                    check,
                    status,
                    period,
                    customer_code,
                    str(total) if total is not None else None,
                    run_id,
                    now,
                    now,
                    billed_on,
                ],
            )
            self._insert_lines(key, "current", lines)

    def _insert_lines(self, key: str, version: str, lines: Sequence[BilledLine]) -> None:
        owner = document_owner(key)
        self.db.executemany(
            "INSERT INTO billed_lines (document_key, line_id, role, period, voucher_id, quantity,"
            " amount, product_code, unit_price, vat_percent, vat_code, psop_customer_number,"
            " version, seq, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(key, *billed_row(ln)[1:], version, i, owner) for i, ln in enumerate(lines)],
        )

    def _settle(self, key: str, state: LedgerState, netvisor_key: str | None) -> None:
        """The pending version (if any) becomes what Netvisor holds: hash and billed lines.

        Three statements, no row read: this runs once per write, on the hot path.
        """
        # An invoice's new version replaces its old lines even when it carries none (a
        # cancelled invoice); other objects only when the new version carries lines.
        self.db.execute(
            """
            DELETE FROM billed_lines WHERE document_key = :k AND version = 'current' AND EXISTS (
                SELECT 1 FROM objects WHERE key = :k AND pending_hash IS NOT NULL AND (
                    kind = 'invoice' OR EXISTS (
                        SELECT 1 FROM billed_lines WHERE document_key = :k AND version = 'pending')))
            """,
            {"k": key},
        )
        self.db.execute(
            "UPDATE billed_lines SET version = 'current' WHERE document_key = ? AND"
            " version = 'pending'",
            [key],
        )
        cur = self.db.execute(
            """
            UPDATE objects SET state = :state, netvisor_key = COALESCE(:nv, netvisor_key),
                content_hash = COALESCE(pending_hash, content_hash), pending_hash = NULL,
                content_check = CASE WHEN pending_hash IS NULL THEN content_check
                                     ELSE pending_check END,
                pending_action = NULL, pending_check = NULL, last_error_type = NULL,
                last_error = NULL,
                updated_at = :now
            WHERE key = :k
            """,
            {"state": str(state), "nv": netvisor_key or None, "now": _now(), "k": key},
        )
        if cur.rowcount != 1:
            raise KeyError(f"no ledger object {key!r}")

    def mark_sent(self, key: str, netvisor_key: str | None) -> None:
        """Netvisor answered OK: the pending version is now what Netvisor holds."""
        with self.outcome_transaction():
            self._settle(key, LedgerState.SENT, netvisor_key)

    def mark_confirmed(
        self, key: str, netvisor_key: str | None, *, status: str | None = None
    ) -> None:
        """Seen in Netvisor by a look-up (reconcile): adopt its key; a pending version settles."""
        with self.transaction():
            self._settle(key, LedgerState.CONFIRMED, netvisor_key)
            if status is not None:
                self._update(key, netvisor_status=status)

    def confirm_seen(self, seen: Sequence[tuple[str, str, str | None]]) -> None:
        """Objects a look-up saw in Netvisor: ``(key, netvisor_key, status)``, one transaction."""
        if not seen:
            return
        with self.transaction():
            for key, netvisor_key, status in seen:
                self._settle(key, LedgerState.CONFIRMED, netvisor_key)
                self._update(key, netvisor_status=status)

    def mark_unknown(self, key: str, error_type: str, message: str = "") -> None:
        """The write's outcome is unknown: reconcile decides later. Pending lines are kept."""
        with self.transaction():
            self._failed(key, LedgerState.UNKNOWN, error_type, message)

    def mark_rejected(self, key: str, error_type: str, message: str = "") -> None:
        """Definitive business error: a person must act; no automatic retry of this version."""
        with self.transaction():
            self._drop_pending_lines(key)
            self._failed(key, LedgerState.REJECTED, error_type, message)

    def _failed(self, key: str, state: LedgerState, error_type: str, message: str) -> None:
        self._update(key, state=state, last_error_type=error_type, last_error=_clean(message))

    def back_to_planned(self, key: str, reason: str = "") -> None:
        """Reconcile found the write did not happen: it may be sent again."""
        with self.transaction():
            self._drop_pending_lines(key)
            self._update(key, state=LedgerState.PLANNED, last_error=_clean(reason) or None)

    def restore_settled(self, key: str, reason: str = "") -> None:
        """An edit that provably did not apply (never left, or a look-up shows the old version):
        the row is again what Netvisor holds (``sent``, old hash and lines); the next run
        decides afresh whether the edit is still wanted and still allowed."""
        with self.transaction():
            self._restore(key, reason)

    def _restore(self, key: str, reason: str, **fields: Any) -> None:
        self._drop_pending_lines(key)
        self._update(
            key,
            state=LedgerState.SENT,
            pending_hash=None,
            pending_action=None,
            pending_check=None,
            last_error=_clean(reason) or None,
            **fields,
        )

    def resolve_unclear(self, key: str, netvisor_has: str, by: str) -> OwnedObject:
        """A person says which version of an undecided invoice edit (``EDIT_UNCLEAR``) Netvisor
        holds: ``new`` (the version sent: it settles, ``confirmed``) or ``old`` (the one before:
        the row is again that ``sent`` version and the next run decides the edit afresh).
        Recorded in ``doubt_resolutions`` with who and when, in the same transaction.

        Raises KeyError for an unknown key, ValueError when the row is not waiting for a
        person (use :meth:`get` to say why). Returns the row as it is now.
        """
        if netvisor_has not in ("new", "old"):
            raise ValueError(f"netvisor_has must be 'new' or 'old', not {netvisor_has!r}")
        with self.transaction():
            row = self.get(key)
            if row is None:
                raise KeyError(key)
            if row.state is not LedgerState.UNKNOWN or row.last_error_type != EDIT_UNCLEAR:
                raise ValueError(f"{key} is {row.state} ({row.last_error_type}), not undecided")
            self.db.execute(
                "INSERT INTO doubt_resolutions (key, netvisor_has, resolved_by, resolved_at,"
                " netvisor_key, content_hash, pending_hash, error) VALUES (?,?,?,?,?,?,?,?)",
                [
                    key,
                    netvisor_has,
                    _clean(by)[:100],
                    _now(),
                    row.netvisor_key,
                    row.content_hash,
                    row.pending_hash,
                    row.last_error,
                ],
            )
            if netvisor_has == "new":
                self._settle(key, LedgerState.CONFIRMED, None)
            else:
                self._restore(
                    key,
                    f"resolved by {_clean(by)[:100]}: Netvisor has the old version",
                    last_error_type=None,
                )
        resolved = self.get(key)
        assert resolved is not None
        return resolved

    def resolutions(self, key: str | None = None) -> list[dict[str, Any]]:
        """The recorded decisions on undecided edits (oldest first), all or one key's."""
        sql, params = "SELECT * FROM doubt_resolutions", []
        if key is not None:
            sql += " WHERE key = ?"
            params.append(key)
        return [dict(r) for r in self.db.query(sql + " ORDER BY id", params)]

    def replan_rejected(self, keys: Sequence[str] = ()) -> list[str]:
        """A person fixed what Netvisor refused: let rejected objects (all, or ``keys``) be sent
        again by the next run. Returns the keys replanned."""
        rows = [r for r in self.objects(states=[LedgerState.REJECTED]) if not keys or r.key in keys]
        with self.transaction():
            for row in rows:
                self._update(row.key, state=LedgerState.PLANNED)
        return [r.key for r in rows]

    # -- billed lines ------------------------------------------------------------------------

    def lines_in_netvisor(self, owner_prefix: str = "org:") -> set[tuple[str, str]]:
        """(owner, line id) of every billed line on a document Netvisor holds as the ledger
        records it: the current version of a settled (``sent``/``confirmed``) row. What a
        document planned, held or never written carries is not billed."""
        sql = (
            "SELECT DISTINCT b.owner, b.line_id FROM billed_lines b JOIN objects o"
            " ON o.key = b.document_key WHERE b.version = 'current' AND b.owner LIKE ?"
            " AND o.netvisor_key IS NOT NULL AND o.state IN (?, ?)"
        )
        params = [owner_prefix + "%", LedgerState.SENT, LedgerState.CONFIRMED]
        return {(r[0], r[1]) for r in self.db.execute(sql, params)}

    def billed_document_keys(self) -> set[str]:
        """The keys of the documents with billed lines."""
        sql = "SELECT DISTINCT document_key FROM billed_lines WHERE version = 'current'"
        return {r[0] for r in self.db.execute(sql)}

    def billed_lines(
        self,
        *,
        document_key: str | None = None,
        owner: str | None = None,
        documents: Iterable[str] | None = None,
    ) -> list[BilledLine]:
        """Lines of the versions Netvisor holds (``current``), oldest document first: all of
        them, one document's, or one owner's (``inv:<code>`` / ``org:<region>``); with
        ``documents``, only the lines of those documents."""
        sql = (
            "SELECT document_key, line_id, role, period, voucher_id, quantity, amount,"
            " product_code, unit_price, vat_percent, vat_code, psop_customer_number"
            " FROM billed_lines WHERE version = 'current'"
        )
        params: list[Any] = []
        if document_key:
            sql += " AND document_key = ?"
            params.append(document_key)
        if owner:
            sql += " AND owner = ?"
            params.append(owner)
        sql_end = " ORDER BY document_key, seq"
        if documents is None:
            return billed_lines_of(self.db.execute(sql + sql_end, params))
        keys = sorted(set(documents))
        if self.engine == "postgresql":  # one array parameter: one statement shape, prepared
            any_key = " AND document_key = ANY(?)"
            return billed_lines_of(self.db.execute(sql + any_key + sql_end, [*params, keys]))
        rows: list[Any] = []
        for i in range(0, len(keys), 500):  # SQLite caps the parameters of one statement
            chunk = keys[i : i + 500]
            in_chunk = f" AND document_key IN ({','.join('?' * len(chunk))})"
            rows += self.db.execute(sql + in_chunk + sql_end, [*params, *chunk]).fetchall()
        return billed_lines_of(rows)
