"""A line's value in one role for one document owner, and what goes onto a document being built."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from connector.billing.documents import (
    customer_document_key,
    organiser_document_key,
)
from connector.billing.vouchers import Coverage
from connector.core.domain import Period

CUSTOMER_OWNER = "inv"
ORGANISER_OWNER = "org"
ROUNDING_SUFFIX = ":alv-pyoristys"  # line id of a one-cent line that makes a gross exact


@dataclass(frozen=True, slots=True)
class LineValue:
    """One line's value in one role for one document owner, as the source says now."""

    owner: str  # "inv:<customer code>" | "org:<region code>"
    line_id: str
    role: str
    period: Period
    voucher_id: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # euros, signed
    product_code: str  # Netvisor
    name: str
    unit: str
    vat_percent: Decimal
    vat_code: str
    task_id: str
    work_date: date | None = None
    target_id: str | None = None
    customer_id: str | None = None
    psop_customer_number: str | None = None
    coverage: Coverage | None = None


@dataclass(frozen=True)
class Correction:
    value: LineValue  # quantity / unit price / amount are the correction row's own (signed)
    reason: str
    explanation: str


@dataclass
class Slot:
    """What goes onto one document being built."""

    values: list[LineValue] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    review: list[Coverage] = field(default_factory=list)  # wholly held: on the specification


def owner_key(owner: str, period: Period) -> str:
    prefix, _, code = owner.partition(":")
    if prefix == CUSTOMER_OWNER:
        return customer_document_key(period, code)
    return organiser_document_key(period, code)


def with_rounding(value: LineValue, remainder: Decimal) -> list[LineValue]:
    """``value`` and, when its gross cannot be hit exactly, a one-cent line that makes it so."""
    if not remainder:
        return [value]
    cent = replace(
        value,
        line_id=value.line_id + ROUNDING_SUFFIX,
        quantity=Decimal(1) if remainder > 0 else Decimal(-1),
        unit_price=abs(remainder),
        amount=remainder,
        name=f"{value.name}, arvonlisäveron pyöristys",
        unit="",
    )
    return [value, cent]


def days_in(period: Period, start: date, end: date | None) -> int:
    """Days of ``period`` inside ``start..end`` (inclusive; None = open-ended)."""
    first = max(period.first_day, start)
    last = min(period.last_day, end or period.last_day)
    return max((last - first).days + 1, 0)
