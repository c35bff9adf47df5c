"""Invoice documents: what would be sent to Netvisor, with keys, hashes and billed lines."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from connector.core import hashing
from connector.core.domain import Period
from connector.core.money import line_amount, total

# Roles of billed lines. A correction keeps the role it corrects: "correction:work", ...
WORK = "work"
VOUCHER_DEDUCTION = "voucher_deduction"  # customer side, negative: the voucher's share
VOUCHER_SHARE = "voucher_share"  # organiser side, positive: the voucher's share
CAPITATION_FEE = "capitation_fee"  # organiser side: one fixed fee per month
CORRECTION = "correction"
CORRECTION_PREFIX = "correction:"

# Reason codes of correction rows
DELETED = "DELETED"  # billed, then removed from the source
CHANGED = "CHANGED"  # billed, then its quantity, price or coverage changed
MISSING = "MISSING"  # never billed on a frozen document, now billable
APPROVED_IN_REVIEW = "APPROVED"  # held for review, approved by the organiser after billing


def base_role(role: str) -> str:
    """The role a billed line counts towards (``correction:work`` counts as ``work``)."""
    return role.removeprefix(CORRECTION_PREFIX)


class DocumentKind(StrEnum):
    CUSTOMER_INVOICE = "customer_invoice"
    ORGANISER = "organiser"


def customer_document_key(period: Period, customer_code: str) -> str:
    return f"inv:{period}:{customer_code}"


def organiser_document_key(period: Period, region_code: str) -> str:
    return f"org:{period}:{region_code}"


def document_period(key: str) -> Period:
    """The period of a document key made by this module."""
    return Period.parse(key.split(":")[1])


def document_owner(key: str) -> str:
    """A document key without its period: ``inv:<customer code>`` / ``org:<region>``."""
    prefix, _, rest = key.partition(":")
    return f"{prefix}:{rest.partition(':')[2]}"


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One task line's contribution, in one role, to one document (the ledger stores these).

    ``period`` is the period of the WORK (a correction in May of April's work says April).
    ``amount`` is in euros, signed; ``quantity`` in the product's unit (hours, pieces).
    The optional product fields let a later correction reverse the line on the same Netvisor
    product and VAT even after the task is gone; a ledger should keep them when it can.
    ``voucher_id`` and ``psop_customer_number`` are stored for the same reason: a reversal names
    the client and voucher as the billed line did, never as today's mapping says.
    """

    document_key: str
    line_id: str
    role: str
    period: Period
    voucher_id: str | None
    quantity: Decimal
    amount: Decimal
    product_code: str | None = None  # Netvisor product code
    unit_price: Decimal | None = None  # euros per unit
    vat_percent: Decimal | None = None
    vat_code: str | None = None
    # the client's PSOP customer number as billed: a later correction names the client by it
    psop_customer_number: str | None = None


#: a billed line as plain values, in this order (what the ledger stores and a packed invoice
#: keeps): document key, line id, role, period, voucher, quantity, amount, product code,
#: unit price, VAT percent, VAT code, PSOP customer number; numbers and the period as text
BilledRow = tuple[str | None, ...]


def billed_row(line: BilledLine) -> BilledRow:
    """``line`` as plain values (:data:`BilledRow`): Decimals by their exact text."""
    return (
        line.document_key,
        line.line_id,
        line.role,
        str(line.period),
        line.voucher_id,
        str(line.quantity),
        str(line.amount),
        line.product_code,
        None if line.unit_price is None else str(line.unit_price),
        None if line.vat_percent is None else str(line.vat_percent),
        line.vat_code,
        line.psop_customer_number,
    )


def billed_lines_of(rows: Iterable[Sequence[Any]]) -> list[BilledLine]:
    """The billed lines of :data:`BilledRow` rows. Equal values (keys, roles, codes, periods,
    quantities, prices) share one immutable object instead of one per row: a history can be
    every line ever billed."""
    texts: dict[Any, Any] = {None: None}
    decimals: dict[Any, Decimal | None] = {None: None}
    periods: dict[str, Period] = {}

    def one(value: Any) -> Any:
        found = texts.get(value)
        if found is None:
            found = texts[value] = value
        return found

    def dec(text: str | None) -> Decimal | None:
        try:
            return decimals[text]
        except KeyError:
            found = decimals[text] = Decimal(text)  # type: ignore[arg-type]
            return found

    def period(text: str) -> Period:
        found = periods.get(text)
        if found is None:
            found = periods[text] = Period.parse(text)
        return found

    return [
        BilledLine(
            one(key),
            line_id,
            one(role),
            period(month),
            one(voucher_id),
            dec(quantity),  # type: ignore[arg-type]
            dec(amount),  # type: ignore[arg-type]
            one(product_code),
            dec(unit_price),
            dec(vat_percent),
            one(vat_code),
            one(psop),
        )
        for (
            key,
            line_id,
            role,
            month,
            voucher_id,
            quantity,
            amount,
            product_code,
            unit_price,
            vat_percent,
            vat_code,
            psop,
        ) in rows
    ]


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """A priced invoice line. ``amount`` = quantity x unit price rounded half up (euros)."""

    product_code: str  # NETVISOR product code
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_percent: Decimal
    vat_code: str
    amount: Decimal
    role: str
    source_line_id: str | None
    voucher_id: str | None = None
    reason_code: str | None = None
    explanation: str | None = None
    free_text: str | None = None

    def __post_init__(self) -> None:
        if self.amount != line_amount(self.quantity, self.unit_price):
            raise ValueError(
                f"line amount {self.amount} != {self.quantity} x {self.unit_price} rounded"
            )


@dataclass(frozen=True, slots=True)
class CommentLine:
    """A text-only invoice line."""

    text: str


@dataclass(frozen=True)
class InvoiceDocument:
    """One Netvisor sales invoice (or credit note): a customer's or an organiser's."""

    key: str
    kind: DocumentKind
    period: Period
    customer_code: str  # the Netvisor customer code of the billing customer or the organiser
    billing_customer_id: str | None
    invoice_date: date
    payment_term_days: int
    lines: tuple[DocumentLine | CommentLine, ...]
    billed: tuple[BilledLine, ...]
    free_text_before: str | None = None
    free_text_after: str | None = None
    # a client invoice's self-pay (omavastuu), euros with VAT: what the client pays for the work
    # its vouchers cover, as its specification says; not sent (the lines carry the money)
    self_pay: Decimal = Decimal("0.00")

    @functools.cached_property
    def content_hash(self) -> str:
        """The content hash of everything that would be sent, computed only when asked for:
        the sync compares the hash of the wire payload (``connector.sync.desired``), so a run
        hashes each document once."""
        return content_hash(
            key=self.key,
            kind=self.kind,
            period=self.period,
            customer_code=self.customer_code,
            invoice_date=self.invoice_date,
            payment_term_days=self.payment_term_days,
            lines=self.lines,
            free_text_before=self.free_text_before,
            free_text_after=self.free_text_after,
        )

    @functools.cached_property
    def priced_lines(self) -> tuple[DocumentLine, ...]:
        return tuple(line for line in self.lines if isinstance(line, DocumentLine))

    @functools.cached_property
    def total(self) -> Decimal:
        """Sum of the rounded line amounts, euros (VAT excluded)."""
        return total(line.amount for line in self.priced_lines)

    @property
    def is_credit_note(self) -> bool:
        return self.total < 0


def content_hash(
    *,
    key: str,
    kind: DocumentKind,
    period: Period,
    customer_code: str,
    invoice_date: date,
    payment_term_days: int,
    lines: tuple[DocumentLine | CommentLine, ...],
    free_text_before: str | None,
    free_text_after: str | None,
) -> str:
    """The content hash (``connector.core.hashing``) of everything that would be sent."""
    payload = {
        "key": key,
        "kind": str(kind),
        "period": str(period),
        "customer_code": customer_code,
        "invoice_date": invoice_date.isoformat(),
        "payment_term_days": payment_term_days,
        "free_text_before": free_text_before,
        "free_text_after": free_text_after,
        "lines": lines,
    }
    return hashing.content_hash(payload)


def priced(quantity: Decimal, amount: Decimal) -> tuple[Decimal, Decimal]:
    """A (quantity, unit price >= 0) whose rounded product is exactly ``amount`` euros.

    Keeps ``quantity`` when some unit price with at most 6 decimals reproduces the amount, else
    falls back to quantity +-1 at the amount itself (exact by construction).
    """
    if quantity != 0:
        exact = amount / quantity
        for places in (2, 4, 6):
            price = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if line_amount(quantity, price) == amount:
                return (quantity, price) if price >= 0 else (-quantity, -price)
    return (Decimal(-1), -amount) if amount < 0 else (Decimal(1), amount)


#: suffix of the event id of a line's units held for (or approved in) the organiser's review
REVIEW_EVENT_SUFFIX = "#review"


@dataclass(frozen=True)
class VoucherEvent:
    """One voucher event as PSOP records it: a line's units within the grant, or its units held
    for (or approved in) the organiser's review, which PSOP lists as an event of their own.

    ``event_id`` is the task line id, plus :data:`REVIEW_EVENT_SUFFIX` for the review part.
    ``unit_price`` (per unit), ``voucher_share`` and ``self_pay`` are euros with VAT.
    ``held_rule`` is set while the units are held (``over_grant`` / ``outside_validity``).
    """

    event_id: str
    line_id: str
    period: Period
    region: str
    psop_customer_number: str
    voucher_id: str
    psop_product: str
    work_date: date
    quantity: Decimal
    unit_price: Decimal
    voucher_share: Decimal
    self_pay: Decimal
    held_rule: str | None = None
    approved: bool = False
