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

Replies without free texts: some ``getsalesinvoice.nv`` replies carry no
``SalesInvoiceProductLineFreeText`` on any line, so the full fingerprint of an invoice that has
free texts never matches them. For those, the *bare* fingerprint (``b1:``, the same recipe with
every free text left out) is kept beside the full one: :func:`invoice_check` stores both in one
text (``f1:… b1:…``), and :func:`decide_version` compares a reply without free texts on what it
carries, deciding only when exactly one of the two versions matches (two versions that differ
only in free texts cannot be told apart that way, so they stay undecided).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

from connector.core.money import round_money
from connector.netvisor.documents import (
    DetailProductLine,
    InvoiceDetail,
    ProductLine,
    SalesInvoice,
)

#: Bumped whenever the recipe changes, so stored fingerprints of another recipe never match.
FINGERPRINT_VERSION = "f1"
#: The recipe without the lines' free texts (for replies that carry none).
BARE_VERSION = "b1"


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


def _digest(lines: Iterable[str], total: Decimal, version: str = FINGERPRINT_VERSION) -> str:
    cents = int(round_money(total) * 100)
    body = "\x1e".join(sorted(lines)) + "\x1d" + str(cents)
    return f"{version}:" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]


def invoice_fingerprint(
    invoice: SalesInvoice | InvoiceDetail, *, free_text: bool = True
) -> str | None:
    """The content fingerprint of an invoice we send or an invoice Netvisor shows
    (``free_text=False``: the bare fingerprint, every line's free text left out).

    ``None`` only for a reply that lacks what the fingerprint needs (see the module docstring).
    """
    version = FINGERPRINT_VERSION if free_text else BARE_VERSION
    if invoice.total is None:
        return None
    keys = []
    for line in invoice.product_lines:
        key = _key_of(line, free_text)
        if key is None:
            return None
        keys.append(key)
    return _digest(keys, invoice.total, version)


def _key_of(line: ProductLine | DetailProductLine, free_text: bool) -> str | None:
    """A line's key, without its free text when not `free_text`; ``None`` when a reply's line
    lacks a field the key needs (a line we send always has them)."""
    if (
        line.product_code is None
        or line.quantity is None
        or line.unit_price is None
        or line.vat_percent is None
    ):
        return None
    return _line_key(
        line.product_code,
        line.quantity,
        line.unit_price,
        line.vat_percent,
        line.free_text if free_text else None,
    )


def invoice_check(invoice: SalesInvoice) -> str | None:
    """What the ledger stores of a version it sends: the full and the bare fingerprint, in one
    text (``f1:… b1:…``)."""
    full = invoice_fingerprint(invoice)
    bare = invoice_fingerprint(invoice, free_text=False)
    return " ".join(f for f in (full, bare) if f)


def check_parts(check: str | None) -> dict[str, str]:
    """A stored check by recipe: ``{"f1": "f1:…", "b1": "b1:…"}`` (a check stored before bare
    fingerprints has only ``f1``; an unknown recipe is ignored)."""
    parts: dict[str, str] = {}
    for part in (check or "").split():
        recipe = part.split(":", 1)[0]
        if recipe in (FINGERPRINT_VERSION, BARE_VERSION):
            parts[recipe] = part
    return parts


def has_free_texts(detail: InvoiceDetail) -> bool:
    """Whether any product line of a reply carries a free text."""
    return any(_free_text(line.free_text) for line in detail.product_lines)


def decide_version(
    detail: InvoiceDetail, *, pending: str | None, current: str | None
) -> str | None:
    """Which stored version a reply shows: ``"pending"`` (the version sent), ``"current"`` (the
    one before it), ``"both"`` (a reply without free texts matches both: they differ only in
    free texts) or None (neither, or it cannot be told).

    The full fingerprints decide first. A reply with no free text on any line is then compared
    on what it does carry (the bare fingerprints), and decides only when both versions have one
    stored and exactly one of them matches.
    """
    shown = invoice_fingerprint(detail)
    if shown is None:
        return None
    sent, before = check_parts(pending), check_parts(current)
    if sent.get(FINGERPRINT_VERSION) == shown:
        return "pending"
    if before.get(FINGERPRINT_VERSION) == shown:
        return "current"
    if has_free_texts(detail) or BARE_VERSION not in sent or BARE_VERSION not in before:
        return None  # a version without a bare fingerprint might match too: no guess
    bare = invoice_fingerprint(detail, free_text=False)
    is_sent = sent[BARE_VERSION] == bare
    is_before = before[BARE_VERSION] == bare
    if is_sent and not is_before:
        return "pending"
    if is_before and not is_sent:
        return "current"
    return "both" if is_sent else None


__all__ = [
    "BARE_VERSION",
    "FINGERPRINT_VERSION",
    "check_parts",
    "decide_version",
    "has_free_texts",
    "invoice_check",
    "invoice_fingerprint",
]
