"""Observe: the Netvisor reads a run needs before it plans. Reads only; returns values.

- which invoices the ledger thinks editable are no longer ``unsent`` (a person sent them);
- the statuses of credit notes and invoices a match needs (both must be ``open``).

The ledger writes these reads lead to (``confirm_seen``) are made by the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector.ledger import LedgerState, OwnedObject
from connector.netvisor.client import NetvisorClient
from connector.sync.scope import still_editable


@dataclass(frozen=True)
class EditableCheck:
    frozen: frozenset[str]  # document keys Netvisor no longer lets the connector edit
    seen: tuple[tuple[str, str, str | None], ...]  # (key, NetvisorKey, status) to confirm


def check_editable(client: NetvisorClient, rows: Iterable[OwnedObject]) -> EditableCheck:
    """Read the invoices ``rows`` name: which are frozen now, which the ledger should confirm."""
    by_key = {r.netvisor_key: r for r in rows if r.netvisor_key}
    if not by_key:
        return EditableCheck(frozenset(), ())
    frozen: set[str] = set()
    seen = []
    for detail in client.sales_invoices_by_keys(list(by_key)):
        row = by_key.get(detail.netvisor_key)
        if row is None:
            continue
        if detail.status != row.netvisor_status or row.state is not LedgerState.CONFIRMED:
            seen.append((row.key, detail.netvisor_key, detail.status))
        if not still_editable(detail.status):
            frozen.add(row.key)
    return EditableCheck(frozenset(frozen), tuple(seen))


def invoice_statuses(client: NetvisorClient, netvisor_keys: Iterable[str]) -> dict[str, str | None]:
    """NetvisorKey -> status of each invoice (or credit note) named."""
    keys = sorted(set(netvisor_keys))
    if not keys:
        return {}
    return {d.netvisor_key: d.status for d in client.sales_invoices_by_keys(keys)}
