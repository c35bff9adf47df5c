"""Observe: the Netvisor reads a run needs before it plans. Reads only; returns values.

- which invoices the ledger thinks editable are no longer ``unsent`` (a person sent them): read
  from the invoice list of the rows' months (one light request gives every status), and only
  invoices the list does not show with a status (a person moved the date, a truncated list) are
  read one by one in full;
- the statuses of credit notes and invoices a match needs (both must be ``open``);
- every invoice of a list read in full, failing closed (:func:`read_every_invoice`: adopt and
  reconcile search Netvisor with it).

What the invoice list shows of every invoice the ledger owns (number, date, status, gross, open
sum) comes back too, for the console's "paid / open" (``Ledger.record_invoice_balances``).

The ledger writes these reads lead to (``confirm_seen``) are made by the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.core.domain import Period
from connector.core.errors import TransientError
from connector.ledger import LedgerState, OwnedObject
from connector.netvisor import documents as nv
from connector.netvisor.client import NetvisorClient
from connector.sync.scope import still_editable


@dataclass(frozen=True)
class EditableCheck:
    frozen: frozenset[str]  # document keys Netvisor no longer lets the connector edit
    seen: tuple[tuple[str, str, str | None], ...]  # (key, NetvisorKey, status) to confirm
    # (key, NetvisorKey, number, date, status, gross, open sum) of every owned invoice listed
    balances: tuple[tuple[Any, ...], ...] = ()


def check_editable(
    client: NetvisorClient, rows: Iterable[OwnedObject], owned: Mapping[str, str] | None = None
) -> EditableCheck:
    """Read the invoices ``rows`` name: which are frozen now, which the ledger should confirm.

    ``owned`` (NetvisorKey -> ledger key of every invoice the ledger owns): the list's money
    figures of those invoices come back as ``balances``."""
    by_key = {r.netvisor_key: r for r in rows if r.netvisor_key}
    if not by_key:
        return EditableCheck(frozenset(), ())
    listed = _listed(client, by_key.values())
    balances = tuple(
        (
            owned[s.netvisor_key],
            s.netvisor_key,
            s.number,
            s.invoice_date,
            s.status,
            s.total,
            s.open_sum,
        )
        for s in listed
        if owned and s.netvisor_key in owned
    )
    statuses = {s.netvisor_key: s.status for s in listed if s.netvisor_key in by_key and s.status}
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
    return EditableCheck(frozenset(frozen), tuple(seen), balances)


def _listed(client: NetvisorClient, rows: Iterable[OwnedObject]) -> list[Any]:
    """``salesinvoicelist.nv`` over the rows' months and the month after (a period's invoices
    are dated in the next month); [] when the rows name no period. A key the list leaves out is
    simply absent."""
    periods = [Period.parse(r.period) for r in rows if r.period]
    if not periods:
        return []
    return client.sales_invoices(begin=min(periods).first_day, end=max(periods).next().last_day)


def invoice_statuses(client: NetvisorClient, netvisor_keys: Iterable[str]) -> dict[str, str | None]:
    """NetvisorKey -> status of each invoice (or credit note) named."""
    keys = sorted(set(netvisor_keys))
    if not keys:
        return {}
    return {d.netvisor_key: d.status for d in client.sales_invoices_by_keys(keys)}


def read_every_invoice(
    client: NetvisorClient,
    summaries: Sequence[nv.InvoiceSummary],
    *,
    unread: Callable[[int], str],
    error_type: str,
) -> list[nv.InvoiceDetail]:
    """Every invoice of ``summaries`` read in full. Fails closed: when any of them could not be
    read, a :class:`TransientError` (``unread(how many)`` its message), never a shorter list."""
    details = client.sales_invoices_by_keys([s.netvisor_key for s in summaries])
    if {d.netvisor_key for d in details} != {s.netvisor_key for s in summaries}:
        raise TransientError(unread(len(summaries) - len(details)), error_type=error_type)
    return details
