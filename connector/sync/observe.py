"""Observe: the Netvisor reads a run needs before it plans. Reads only; returns values.

- which invoices the ledger thinks editable are no longer ``unsent`` (a person sent them): read
  from the invoice list of the rows' months (one light request gives every status), and only
  invoices the list does not show with a status (a person moved the date, a truncated list) are
  read one by one in full;
- the statuses of credit notes and invoices a match needs (both must be ``open``).

The ledger writes these reads lead to (``confirm_seen``) are made by the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector.core.domain import Period
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
    statuses = {k: v for k, v in _listed_statuses(client, by_key.values()).items() if v}
    missing = [k for k in by_key if k not in statuses]
    if missing:
        statuses.update((d.netvisor_key, d.status) for d in client.sales_invoices_by_keys(missing))
    frozen: set[str] = set()
    seen = []
    for netvisor_key, status in statuses.items():
        row = by_key.get(netvisor_key)
        if row is None:
            continue
        if status != row.netvisor_status or row.state is not LedgerState.CONFIRMED:
            seen.append((row.key, netvisor_key, status))
        if not still_editable(status):
            frozen.add(row.key)
    return EditableCheck(frozenset(frozen), tuple(seen))


def _listed_statuses(client: NetvisorClient, rows: Iterable[OwnedObject]) -> dict[str, str | None]:
    """NetvisorKey -> status from ``salesinvoicelist.nv`` over the rows' months and the month
    after (a period's invoices are dated in the next month); {} when the rows name no period.
    Only keys of ``rows`` are kept; a key the list leaves out is simply absent."""
    periods = [Period.parse(r.period) for r in rows if r.period]
    wanted = {r.netvisor_key for r in rows}
    if not periods:
        return {}
    listed = client.sales_invoices(begin=min(periods).first_day, end=max(periods).next().last_day)
    return {s.netvisor_key: s.status for s in listed if s.netvisor_key in wanted}


def invoice_statuses(client: NetvisorClient, netvisor_keys: Iterable[str]) -> dict[str, str | None]:
    """NetvisorKey -> status of each invoice (or credit note) named."""
    keys = sorted(set(netvisor_keys))
    if not keys:
        return {}
    return {d.netvisor_key: d.status for d in client.sales_invoices_by_keys(keys)}
