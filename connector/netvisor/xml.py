"""Netvisor XML: one builder per document kind, and lenient parsers for what comes back.

Builders emit elements in Netvisor's schema order, comma decimals (``money.format_comma``), dates
``YYYY-MM-DD`` with ``format="ansi"``, and *omit* empty optional elements (on ``edit`` an empty
element erases the stored value). Line sums are pre-rounded so the total is their exact sum.

Parsers never trust the body: no DTD, no entity expansion, no network (:func:`parse_untrusted`);
tag names match case-insensitively (``Netvisorkey`` vs ``NetvisorKey``); one child may stand where a
list is expected; unknown elements and attributes are ignored; FI-localised values are understood.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from connector.core.money import format_comma, to_decimal
from connector.netvisor.documents import (
    CustomerRecord,
    ProductLine,
    ProductRecord,
    SalesInvoice,
)

Element = Any  # lxml's _Element (kept loose: lxml ships no stable public type)


class UnparseableXML(ValueError):
    """The body is not well-formed XML, or carries a DTD (Netvisor never sends one)."""


# ---------------------------------------------------------------------------------------------
# Safe parsing


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(body: bytes | str) -> Element:
    """Parse an untrusted XML body: entities are neither expanded nor fetched.

    Raises :class:`UnparseableXML` for anything not well-formed and for any document that
    declares a DTD (a billion-laughs or external-entity body never reaches the caller).
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    if not data or not data.strip():
        raise UnparseableXML("empty body")
    try:
        root = etree.fromstring(data, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnparseableXML(f"not XML: {exc}") from None
    if root is None:
        raise UnparseableXML("empty document")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UnparseableXML("document declares a DTD; refused")
    return root


# ---------------------------------------------------------------------------------------------
# Lenient navigation


def local_name(tag: Any) -> str:
    if not isinstance(tag, str):  # comments, entities, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children(el: Element, *names: str) -> list[Element]:
    """Direct children whose tag matches one of ``names``, case-insensitively."""
    wanted = {n.lower() for n in names}
    return [c for c in el if local_name(c.tag) in wanted]


def child(el: Element | None, *names: str) -> Element | None:
    """The first direct child matching one of ``names`` (case-insensitive), else None."""
    if el is None:
        return None
    found = children(el, *names)
    return found[0] if found else None


def descendants(el: Element, *names: str) -> Iterator[Element]:
    """All descendants matching one of ``names`` (case-insensitive), document order."""
    wanted = {n.lower() for n in names}
    for d in el.iter():
        if d is not el and local_name(d.tag) in wanted:
            yield d


def text_of(el: Element | None, *names: str) -> str | None:
    """Stripped text of the first child matching ``names`` (or of ``el`` itself with no
    names); None when missing or empty."""
    target = child(el, *names) if names else el
    if target is None:
        return None
    value = "".join(target.itertext()).strip()
    return value or None


def parse_decimal(value: str | None) -> Decimal | None:
    """A comma or dot decimal; None when blank or unreadable (lenient on purpose)."""
    if value is None or not value.strip():
        return None
    try:
        return to_decimal(value)
    except ValueError:
        return None


def parse_date(value: str | None) -> date | None:
    """``YYYY-MM-DD`` (ansi) or ``D.M.YYYY`` (FI); None when blank or unreadable."""
    if value is None or not value.strip():
        return None
    v = value.strip()[:10]
    try:
        if "." in v:
            d, m, y = v.split(".")[:3]
            return date(int(y), int(m), int(d))
        return date.fromisoformat(v)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Builders


def _sub(parent: Element, tag: str, value: str | None = None, **attrs: str) -> Element:
    el = etree.SubElement(parent, tag, attrs)
    if value is not None:
        el.text = value
    return el


def _opt(parent: Element, tag: str, value: str | None, **attrs: str) -> None:
    """Add ``tag`` only when ``value`` is not empty (Netvisor: omit, never send empty)."""
    if value is not None and str(value).strip() != "":
        _sub(parent, tag, str(value), **attrs)


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _decimal(value: Decimal) -> str:
    """A quantity, unit price or VAT % with its own precision (trailing zeros dropped)."""
    if value == value.to_integral_value():
        return format_comma(value, places=0)
    return format_comma(value.normalize(), places=None)


def _price(value: Decimal) -> str:
    """A unit price in euros: at least 2 decimals, more only when the price has them."""
    if value.normalize().as_tuple().exponent >= -2:  # type: ignore[operator]
        return format_comma(value, places=2)
    return format_comma(value.normalize(), places=None)


def _ansi(d: date) -> str:
    return d.isoformat()


def _serialise(root: Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", xml_declaration=False)


def customer_xml(rec: CustomerRecord) -> bytes:
    """``customer.nv`` body (add or edit) for one customer."""
    root = etree.Element("Root")
    customer = _sub(root, "Customer")
    base = _sub(customer, "CustomerBaseInformation")
    _opt(base, "InternalIdentifier", rec.code)
    _opt(base, "ExternalIdentifier", None if rec.is_private else rec.business_id)
    _sub(base, "Name", rec.name)
    _opt(base, "StreetAddress", rec.street)
    _opt(base, "City", rec.city)
    _opt(base, "PostNumber", rec.post_number)
    _opt(base, "Country", rec.country, type="ISO-3166")
    _opt(base, "PhoneNumber", rec.phone)
    _opt(base, "Email", rec.email)
    _sub(base, "IsActive", _flag(rec.is_active))
    _sub(base, "IsPrivateCustomer", _flag(rec.is_private))
    if rec.einvoice_address or rec.einvoice_operator:
        finvoice = _sub(customer, "CustomerFinvoiceDetails")
        _opt(finvoice, "FinvoiceAddress", rec.einvoice_address)
        _opt(finvoice, "FinvoiceRouterCode", rec.einvoice_operator)
    if rec.payment_term_key is not None:
        extra = _sub(customer, "CustomerAdditionalInformation")
        # A reference to a payment term by its NetvisorKey (type="netvisor"), never a day count.
        _sub(extra, "DefaultPaymentTerm", rec.payment_term_key, type="netvisor")
    return _serialise(root)


def product_xml(rec: ProductRecord) -> bytes:
    """``product.nv`` body (add or edit); ``UnitPrice`` is net euros."""
    root = etree.Element("Root")
    product = _sub(root, "Product")
    base = _sub(product, "ProductBaseInformation")
    _sub(base, "ProductCode", rec.code)
    _opt(base, "ProductGroup", rec.group)
    _sub(base, "Name", rec.name)
    _opt(base, "Description", rec.description)
    _sub(base, "UnitPrice", _price(rec.unit_price), type="net")
    _opt(base, "Unit", rec.unit)
    _sub(base, "IsActive", _flag(rec.is_active))
    _sub(base, "IsSalesProduct", _flag(rec.is_sales_product))
    book = _sub(product, "ProductBookkeepingDetails")
    _sub(book, "DefaultVatPercentage", _decimal(rec.vat_percent))
    return _serialise(root)


def _product_line(parent: Element, line: ProductLine) -> None:
    pl = _sub(_sub(parent, "InvoiceLine"), "SalesInvoiceProductLine")
    _sub(pl, "ProductIdentifier", line.product_code, type="customer")
    _sub(pl, "ProductName", line.name)
    _sub(pl, "ProductUnitPrice", _price(line.unit_price), type="net")
    _sub(pl, "ProductVatPercentage", _decimal(line.vat_percent), vatcode=line.vat_code)
    _sub(pl, "SalesInvoiceProductLineQuantity", _decimal(line.quantity))
    _opt(pl, "SalesInvoiceProductLineFreeText", line.free_text)
    _sub(pl, "SalesInvoiceProductLineVatSum", format_comma(line.vat_sum))
    _sub(pl, "SalesInvoiceProductLineSum", format_comma(line.gross_sum))
    for name, item in line.dimensions:
        dim = _sub(pl, "Dimension")
        _sub(dim, "DimensionName", name)
        _sub(dim, "DimensionItem", item)


def sales_invoice_xml(inv: SalesInvoice) -> bytes:
    """``salesinvoice.nv`` body: an invoice, or a credit note (negative quantities and total,
    positive unit prices). ``SalesInvoiceAmount`` is the gross total = sum of rounded lines."""
    if not inv.product_lines:
        raise ValueError("a sales invoice needs at least one product line")
    root = etree.Element("Root")
    si = _sub(root, "SalesInvoice")
    _sub(si, "SalesInvoiceDate", _ansi(inv.invoice_date), format="ansi")
    if inv.delivery_date is not None:
        _sub(si, "SalesInvoiceDeliveryDate", _ansi(inv.delivery_date), format="ansi")
    _sub(si, "SalesInvoiceAmount", format_comma(inv.total))
    _sub(si, "SalesInvoiceStatus", inv.status, type="netvisor")
    _opt(si, "SalesInvoiceFreeTextBeforeLines", inv.free_text_before)
    _opt(si, "SalesInvoiceFreeTextAfterLines", inv.free_text_after)
    _opt(si, "SalesInvoiceOurReference", inv.our_reference)
    _opt(si, "SalesInvoiceYourReference", inv.your_reference)
    _opt(si, "SalesInvoicePrivateComment", inv.private_comment)
    _sub(si, "InvoicingCustomerIdentifier", inv.customer_code, type="customer")
    _sub(si, "PaymentTermNetDays", str(inv.payment_term_days))
    lines = _sub(si, "InvoiceLines")
    for line in inv.lines:
        if isinstance(line, ProductLine):
            _product_line(lines, line)
        else:
            comment = _sub(_sub(lines, "InvoiceLine"), "SalesInvoiceCommentLine")
            _sub(comment, "Comment", line.text)
    return _serialise(root)


def match_credit_note_xml(credit_note_key: str, invoice_key: str) -> bytes:
    """``matchcreditnote.nv`` body: match a credit note to the invoice it credits."""
    root = etree.Element("Root")
    match = _sub(root, "MatchCreditNote")
    _sub(match, "CreditNoteNetvisorKey", credit_note_key)
    _sub(match, "InvoiceNetvisorKey", invoice_key)
    return _serialise(root)


def canonical(body: bytes | str) -> bytes:
    """C14N form of an XML body, whitespace between elements dropped (for comparisons)."""
    parser = etree.XMLParser(
        remove_blank_text=True, resolve_entities=False, no_network=True, load_dtd=False
    )
    data = body.encode("utf-8") if isinstance(body, str) else body
    return etree.tostring(etree.fromstring(data, parser), method="c14n")
