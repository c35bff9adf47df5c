"""What the ledger hands out: object states, kinds, rows, quarantine entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any


class LedgerState(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class ObjectKind(StrEnum):
    CUSTOMER = "customer"
    PRODUCT = "product"
    INVOICE = "invoice"
    MATCH = "match"


#: states in which Netvisor holds the object as the ledger describes it
SETTLED = frozenset({LedgerState.SENT, LedgerState.CONFIRMED})
#: states reconcile must resolve before anything new is sent
IN_DOUBT = frozenset({LedgerState.SENDING, LedgerState.UNKNOWN})
#: ``last_error_type`` of an ``unknown`` row reconcile could not decide: held for a person
EDIT_UNCLEAR = "EDIT_UNCLEAR"


@dataclass(frozen=True)
class OwnedObject:
    """A ledger row: one Netvisor object the connector owns."""

    key: str
    kind: ObjectKind
    state: LedgerState
    netvisor_key: str | None
    content_hash: str | None  # what Netvisor holds (as far as we know)
    pending_hash: str | None  # what is being (or will be) sent
    pending_action: str | None  # "create" | "edit" | "status" | "match"
    attempts: int
    last_error_type: str | None
    last_error: str | None
    period: str | None
    customer_code: str | None
    total: Decimal | None
    netvisor_status: str | None
    created_at: str
    updated_at: str
    # An invoice's content fingerprint (connector.netvisor.fingerprint): of the version being
    # sent (``pending_check``) and of the version Netvisor holds (``content_check``). Reconcile
    # compares what Netvisor shows with both to decide an edit whose answer was lost.
    pending_check: str | None = None
    content_check: str | None = None
    # the business day of the object's first write intent (the run's today), ISO
    billed_on: str | None = None

    @classmethod
    def from_values(cls, v: Sequence[Any]) -> OwnedObject:
        """A row selected as :data:`OWNED_COLUMNS`, in that order. A run reads every row of a
        ledger that keeps every document ever billed: built positionally from the selected
        tuple, a row takes about half the time it took read as a dict and built by keyword.
        (Setting ``__dict__`` at once would be faster still, but each object would then keep a
        dict of its own instead of sharing its keys with the others: twice the memory.)"""
        key, kind, state, nv_key, content, pending, action, attempts, *more = v
        error_type, error, period, customer, total, *rest = more
        return cls(
            key,
            _KINDS[kind],
            _STATES[state],
            nv_key,
            content,
            pending,
            action,
            attempts,
            error_type,
            error,
            period,
            customer,
            None if total is None else Decimal(total),
            *rest,
        )


#: the ``objects`` columns in :class:`OwnedObject`'s field order (:meth:`OwnedObject.from_values`)
OWNED_COLUMNS = (
    "key, kind, state, netvisor_key, content_hash, pending_hash, pending_action, attempts,"
    " last_error_type, last_error, period, customer_code, total, netvisor_status, created_at,"
    " updated_at, pending_check, content_check, billed_on"
)
_KINDS = {kind.value: kind for kind in ObjectKind}
_STATES = {state.value: state for state in LedgerState}


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    kind: str
    record_id: str
    rule: str
    reason: str
    related: str
    first_seen: str
    last_seen: str
    seen_count: int
    resolved_at: str | None
    last_run_id: int | None = None  # the last run that found it still failing
