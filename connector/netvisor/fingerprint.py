"""The content fingerprint of a sales invoice: what we sent and what Netvisor shows, compared.

Reconcile decides "was this version applied?" from content, not from counts: the same function
runs over the payload we send (:class:`SalesInvoice`) and over what ``getsalesinvoice.nv`` returns
(:class:`InvoiceDetail`), and the two fingerprints are equal exactly when Netvisor holds the
version we sent.

What goes in, per product line: product code, quantity, unit price, VAT percent and the line's
free text; plus the invoice's gross total in cents. What stays out: comment lines (Netvisor
returns them only when asked, and a person may add some), product names (Netvisor may show its own
product name), line sums (Netvisor may write four decimals) and the order of the lines (a person
may reorder rows in Netvisor's UI and ``getsalesinvoice.nv`` keeps that order, so the lines are
compared as a multiset: sorted before hashing).

Normalisation: decimals compare by value (``2``, ``2,00`` and ``2.000`` are one quantity); signs
are kept as sent (a credit or deduction is a negative quantity with a positive unit price; a line
written with a negative price instead is a different fingerprint, as it is a different document);
free text is stripped, inner whitespace collapsed, empty means absent; the total is rounded half
up to cents. A reply missing a value a line needs (no product code, quantity, unit price or VAT
percent, or no total) has no fingerprint (``None``): reconcile must not call it a match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

from connector.core.money import round_money
from connector.netvisor.documents import InvoiceDetail, SalesInvoice

#: Bumped whenever the recipe changes, so stored fingerprints of another recipe never match.
FINGERPRINT_VERSION = "f1"


def _number(value: Decimal) -> str:
    """A decimal by value: no trailing zeros, no exponent, ``-0`` as ``0``."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def _free_text(value: str | None) -> str:
    return " ".join((value or "").split())


def _line_key(
    code: str, quantity: Decimal, unit_price: Decimal, vat: Decimal, free_text: str | None
) -> str:
    parts = [
        code.strip(),
        _number(quantity),
        _number(unit_price),
        _number(vat),
        _free_text(free_text),
    ]
    # Unit separator between fields: no field value can fake a boundary.
    return "\x1f".join(parts)


def _digest(lines: Iterable[str], total: Decimal) -> str:
    cents = int(round_money(total) * 100)
    body = "\x1e".join(sorted(lines)) + "\x1d" + str(cents)
    return f"{FINGERPRINT_VERSION}:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def invoice_fingerprint(invoice: SalesInvoice | InvoiceDetail) -> str | None:
    """The content fingerprint of an invoice we send or an invoice Netvisor shows.

    ``None`` only for a reply that lacks what the fingerprint needs (see the module docstring).
    """
    if isinstance(invoice, SalesInvoice):
        keys = [
            _line_key(
                line.product_code, line.quantity, line.unit_price, line.vat_percent, line.free_text
            )
            for line in invoice.product_lines
        ]
        return _digest(keys, invoice.total)
    if invoice.total is None:
        return None
    keys = []
    for line in invoice.product_lines:
        if (
            line.product_code is None
            or line.quantity is None
            or line.unit_price is None
            or line.vat_percent is None
        ):
            return None
        keys.append(
            _line_key(
                line.product_code, line.quantity, line.unit_price, line.vat_percent, line.free_text
            )
        )
    return _digest(keys, invoice.total)


__all__ = ["FINGERPRINT_VERSION", "invoice_fingerprint"]
