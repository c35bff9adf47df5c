"""Plan: desired Netvisor state vs the ledger -> an ordered list of actions. Changes nothing.

Desired state is built here from what billing produced and the master data it needs: customers
(billing customers and organisers), products (mapped products and voucher-deduction products),
and invoices. Each desired object carries the exact wire payload, so its content hash is a hash
of what would be sent: "unchanged" means byte-for-byte the same intent.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connector.domain import BillingCustomer, Product
from connector.ledger import LedgerLine, LedgerState, ObjectKind, OwnedObject
from connector.money import format_eur
from connector.netvisor import documents as nv

KIND_ORDER = {
    ObjectKind.CUSTOMER: 0,
    ObjectKind.PRODUCT: 1,
    ObjectKind.INVOICE: 2,
    ObjectKind.MATCH: 3,
}


class ActionKind(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    MATCH = "match"
    SKIP = "skip"  # unchanged
    HOLD = "hold"  # cannot act: rejected version unchanged, frozen document, dependency missing
    RECONCILE = "reconcile"  # in doubt: resolved by the reconcile phase before anything is sent


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _canon(value: Any) -> Any:
    """A plain, ordered rendering of a payload: dataclasses by field, Decimals by their text."""
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            *(_canon(getattr(value, n)) for n in _field_names(type(value))),
        )
    if isinstance(value, list | tuple):
        return tuple(_canon(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def content_hash(payload: Any) -> str:
    """sha256 over a canonical rendering of a wire payload (what would be sent)."""
    return hashlib.sha256(repr(_canon(payload)).encode()).hexdigest()


@dataclass(frozen=True)
class DesiredObject:
    """One Netvisor object as this run wants it to be."""

    key: str
    kind: ObjectKind
    payload: nv.CustomerRecord | nv.ProductRecord | nv.SalesInvoice | tuple[str, str]
    content_hash: str
    summary: str  # for people and logs: ids, codes, amounts only — never names
    lines: tuple[LedgerLine, ...] = ()
    period: str | None = None
    customer_code: str | None = None
    total: Decimal | None = None
    depends_on: tuple[str, ...] = ()
    editable: bool = True

    @classmethod
    def of(cls, key: str, kind: ObjectKind, payload: Any, summary: str, **kw: Any) -> DesiredObject:
        return cls(
            key=key,
            kind=kind,
            payload=payload,
            content_hash=content_hash(payload),
            summary=summary,
            **kw,
        )


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    obj: DesiredObject
    reason: str
    netvisor_key: str | None = None

    @property
    def writes(self) -> bool:
        return self.kind in (ActionKind.CREATE, ActionKind.EDIT, ActionKind.MATCH)


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)

    def writes(self) -> list[Action]:
        return [a for a in self.actions if a.writes]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            out[f"{a.obj.kind}:{a.kind}"] = out.get(f"{a.obj.kind}:{a.kind}", 0) + 1
        return out


# -- desired master data ---------------------------------------------------------------------


def customer_key(code: str) -> str:
    return f"cust:{code}"


def product_key(code: str) -> str:
    return f"prod:{code}"


def customer_record(
    customer: BillingCustomer,
    *,
    code: str,
    payment_term_days: int | None,
    einvoice_address: str | None = None,
    einvoice_operator: str | None = None,
) -> nv.CustomerRecord:
    """The Netvisor customer for a Spotilla billing customer (no identity code, ever)."""
    return nv.CustomerRecord(
        code=code,
        name=customer.name,
        business_id=None if customer.is_person else customer.business_id,
        is_private=customer.is_person,
        street=customer.street,
        city=customer.city,
        post_number=customer.postal_code,
        country=customer.country or "FI",
        email=customer.email,
        phone=customer.phone,
        einvoice_address=einvoice_address or customer.einvoice_address,
        einvoice_operator=einvoice_operator or customer.einvoice_operator,
        payment_term_days=payment_term_days,
    )


def product_record(
    *, code: str, name: str, unit: str | None, vat_percent: Decimal, register: Product | None
) -> nv.ProductRecord:
    """A Netvisor sales product; the price is Spotilla's register price (0 when it has none)."""
    return nv.ProductRecord(
        code=code,
        name=name,
        unit=unit,
        unit_price=register.price if register is not None else Decimal("0.00"),
        vat_percent=vat_percent,
    )


# -- planning --------------------------------------------------------------------------------


def decide(obj: DesiredObject, row: OwnedObject | None) -> Action:
    """What to do with one desired object given its ledger row."""
    if row is None:
        return Action(ActionKind.CREATE, obj, "new")
    if row.state in (LedgerState.SENDING, LedgerState.UNKNOWN):
        return Action(ActionKind.RECONCILE, obj, f"{row.state}: reconcile first", row.netvisor_key)
    if row.state is LedgerState.REJECTED and row.pending_hash == obj.content_hash:
        return Action(
            ActionKind.HOLD,
            obj,
            f"rejected ({row.last_error_type}); a person must act",
            row.netvisor_key,
        )
    if row.netvisor_key is None:
        return Action(ActionKind.CREATE, obj, "not yet in Netvisor")
    if row.content_hash == obj.content_hash:
        return Action(ActionKind.SKIP, obj, "unchanged", row.netvisor_key)
    if obj.kind is ObjectKind.MATCH:
        return Action(ActionKind.SKIP, obj, "already matched", row.netvisor_key)
    if not obj.editable:
        return Action(
            ActionKind.HOLD,
            obj,
            "frozen in Netvisor; changes go to the next document",
            row.netvisor_key,
        )
    return Action(ActionKind.EDIT, obj, "changed", row.netvisor_key)


def make_plan(desired: Iterable[DesiredObject], ledger_rows: Mapping[str, OwnedObject]) -> Plan:
    """Actions in dependency order: customers, products, invoices, credit-note matches."""
    ordered = sorted(desired, key=lambda o: (KIND_ORDER[o.kind], o.key))
    plan = Plan()
    seen: set[str] = set()
    for obj in ordered:
        if obj.key in seen:
            raise ValueError(f"two desired objects share the key {obj.key!r}")
        seen.add(obj.key)
        action = decide(obj, ledger_rows.get(obj.key))
        if obj.kind is ObjectKind.MATCH and action.kind is ActionKind.CREATE:
            action = Action(ActionKind.MATCH, obj, "credit note and invoice both open")
        plan.actions.append(action)
    return plan


def render_table(actions: Sequence[Action], *, include_skips: bool = False) -> str:
    """A plain-text table of actions for people."""
    rows = [a for a in actions if include_skips or a.kind is not ActionKind.SKIP]
    if not rows:
        return "Nothing to do: Netvisor already holds everything as desired."
    head = ("ACTION", "KIND", "KEY", "DETAIL", "WHY")
    body = [(a.kind.value, a.obj.kind.value, a.obj.key, a.obj.summary, a.reason) for a in rows]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(5)]
    widths[3] = min(widths[3], 48)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [
        fmt.format(
            *(c if len(c) <= widths[i] else c[: widths[i] - 1] + "…" for i, c in enumerate(r))
        )
        for r in body
    ]
    return "\n".join(lines)


def invoice_summary(
    period: str, customer_code: str, n_lines: int, total: Decimal, credit: bool
) -> str:
    what = "credit note" if credit else "invoice"
    return f"{what} {period} {customer_code}: {n_lines} lines, {format_eur(total)}"
