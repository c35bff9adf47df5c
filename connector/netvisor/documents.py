"""Wire payload value classes for Netvisor: what we send and what look-ups give back.

Frozen dataclasses, ``Decimal`` money in euros, ``date`` dates; no I/O. The XML shape lives in
``connector.netvisor.xml``; these classes only hold values and the sums derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from connector.core.money import ZERO, round_money

#: Invoice statuses the sales-invoice import accepts (``SalesInvoiceStatus type="netvisor"``).
IMPORT_STATUSES = frozenset({"unsent", "open"})
#: Statuses ``updatesalesinvoicestatus.nv`` and look-ups know.
INVOICE_STATUSES = frozenset({"unsent", "open", "sent", "paid", "overdue", "invoicedraft"})


@dataclass(frozen=True)
class CustomerRecord:
    """A Netvisor customer as the connector writes it; ``code`` is our deterministic key."""

    code: str
    name: str
    business_id: str | None = None
    is_private: bool = False
    street: str | None = None
    city: str | None = None
    post_number: str | None = None
    country: str | None = "FI"
    email: str | None = None
    phone: str | None = None
    einvoice_address: str | None = None
    einvoice_operator: str | None = None
    payment_term_days: int | None = None
    #: NetvisorKey of the customer's default payment term (``paymenttermlist.nv``); Netvisor's
    #: DefaultPaymentTerm names a payment term, not a day count, so ``payment_term_days`` is
    #: never sent on the customer (invoices carry their own PaymentTermNetDays).
    payment_term_key: str | None = None
    is_active: bool = True

    def __repr__(self) -> str:  # personal data never lands in logs through a repr
        return f"CustomerRecord(code={self.code!r}, is_private={self.is_private})"


@dataclass(frozen=True)
class ProductRecord:
    """A Netvisor sales product; ``unit_price`` is net euros, ``vat_percent`` e.g. 25.5."""

    code: str
    name: str
    unit: str | None
    unit_price: Decimal
    vat_percent: Decimal
    description: str | None = None
    is_active: bool = True
    is_sales_product: bool = True
    #: Product group name (``ProductGroup``); sent when given (public examples always send one).
    group: str | None = None


@dataclass(frozen=True)
class CommentLine:
    """A free-text invoice line without money (e.g. a self-pay specification row)."""

    text: str


@dataclass(frozen=True)
class ProductLine:
    """An invoice product line. ``unit_price`` is net euros and stays positive on credit notes;
    a credit or voucher deduction is a negative ``quantity``.
    """

    product_code: str
    name: str
    unit_price: Decimal
    quantity: Decimal
    vat_percent: Decimal
    vat_code: str
    free_text: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def net_sum(self) -> Decimal:
        """Net euros: quantity x unit price, rounded half up to cents."""
        return round_money(self.quantity * self.unit_price)

    @property
    def vat_sum(self) -> Decimal:
        """VAT euros of the rounded net sum, rounded half up to cents."""
        return round_money(self.net_sum * self.vat_percent / Decimal(100))

    @property
    def gross_sum(self) -> Decimal:
        """Gross euros (net + VAT), each part already rounded; what Netvisor's line sum holds."""
        return self.net_sum + self.vat_sum


@dataclass(frozen=True)
class SalesInvoice:
    """A sales invoice or credit note (negative total) as imported through salesinvoice.nv."""

    invoice_date: date
    customer_code: str
    payment_term_days: int
    lines: tuple[ProductLine | CommentLine, ...]
    status: str = "unsent"
    private_comment: str | None = None
    free_text_before: str | None = None
    free_text_after: str | None = None
    our_reference: str | None = None
    your_reference: str | None = None
    delivery_date: date | None = None

    @property
    def product_lines(self) -> tuple[ProductLine, ...]:
        return tuple(line for line in self.lines if isinstance(line, ProductLine))

    @property
    def total(self) -> Decimal:
        """Gross euros: the sum of the lines' rounded gross sums.

        Netvisor's ``SalesInvoiceAmount`` is the invoice sum *including VAT* (the amount the
        customer pays), and ``SalesInvoiceProductLineSum`` the line's gross sum; we send both
        pre-rounded, so the total is exactly the sum of the lines. (Gross semantics: see
        ``docs/netvisor.md``; to be confirmed against Netvisor's test environment.)
        """
        return sum((line.gross_sum for line in self.product_lines), ZERO)

    @property
    def net_total(self) -> Decimal:
        """Net euros: the sum of the lines' rounded net sums."""
        return sum((line.net_sum for line in self.product_lines), ZERO)

    @property
    def is_credit_note(self) -> bool:
        return self.total < 0


@dataclass(frozen=True)
class CustomerSummary:
    """A customer found by ``customerlist.nv``."""

    netvisor_key: str
    code: str
    name: str | None
    business_id: str | None


@dataclass(frozen=True)
class ProductSummary:
    """A product found by ``getproduct.nv``/``productlist.nv``; ``unit_price`` net euros."""

    netvisor_key: str
    code: str
    name: str | None
    unit_price: Decimal | None


@dataclass(frozen=True)
class PaymentTerm:
    """A row of ``paymenttermlist.nv``: what a customer's ``DefaultPaymentTerm`` refers to."""

    netvisor_key: str
    description: str | None
    net_days: int | None
    is_default: bool = False


@dataclass(frozen=True)
class InvoiceSummary:
    """A row of ``salesinvoicelist.nv``; ``total`` and ``open_sum`` in gross euros."""

    netvisor_key: str
    number: str | None
    invoice_date: date | None
    status: str | None
    customer_code: str | None
    total: Decimal | None
    open_sum: Decimal | None


@dataclass(frozen=True)
class DetailProductLine:
    """A product line as ``getsalesinvoice.nv`` shows it. Money in euros as Netvisor wrote it
    (line sums may carry four decimals); ``None`` where the reply left a value out."""

    product_code: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    vat_percent: Decimal | None
    free_text: str | None = None
    line_sum: Decimal | None = None
    vat_sum: Decimal | None = None
    name: str | None = None


@dataclass(frozen=True)
class InvoiceDetail:
    """What ``getsalesinvoice.nv`` tells reconcile about one invoice.

    ``netvisor_key`` is the key the reply carried, or the key we asked for when the reply does not
    repeat it (``key_in_reply`` says which). ``comment_lines`` is only meaningful when
    ``comment_lines_included`` (the request carried ``showcommentlines=1``).
    """

    netvisor_key: str
    number: str | None
    invoice_date: date | None
    status: str | None
    customer_code: str | None
    total: Decimal | None
    private_comment: str | None
    product_lines: tuple[DetailProductLine, ...] = ()
    comment_lines: tuple[CommentLine, ...] = ()
    comment_lines_included: bool = False
    customer_netvisor_key: str | None = None
    key_in_reply: bool = True

    @property
    def line_count(self) -> int:
        """Product lines plus the comment lines the reply carried (kept for older callers;
        compare content with :func:`connector.netvisor.fingerprint.invoice_fingerprint`)."""
        return len(self.product_lines) + len(self.comment_lines)

    @property
    def total_cents(self) -> int | None:
        """The gross total in whole cents (half up), or None when the reply had none."""
        if self.total is None:
            return None
        return int(round_money(self.total) * 100)


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP attempt, for the ledger's request audit. Never holds bodies or query values.

    ``resource`` is the path plus the ``method`` parameter only (``salesinvoice.nv?method=add``);
    ``outcome`` is ``ok``, a Netvisor error type, ``timeout``, ``connect_error``, ``dropped``,
    ``http_<status>`` ...; ``duration_ms`` in milliseconds; ``at`` aware UTC.
    """

    transaction_id: str
    method: str
    resource: str
    outcome: str
    http_status: int | None
    duration_ms: int
    at: datetime
