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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from connector.money import format_comma, to_decimal
from connector.netvisor.documents import (
    CommentLine,
    CustomerRecord,
    CustomerSummary,
    DetailProductLine,
    InvoiceDetail,
    InvoiceSummary,
    PaymentTerm,
    ProductLine,
    ProductRecord,
    ProductSummary,
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


def _local(tag: Any) -> str:
    if not isinstance(tag, str):  # comments, entities, processing instructions
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children(el: Element, *names: str) -> list[Element]:
    """Direct children whose tag matches one of ``names``, case-insensitively."""
    wanted = {n.lower() for n in names}
    return [c for c in el if _local(c.tag) in wanted]


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
        if d is not el and _local(d.tag) in wanted:
            yield d


def text_of(el: Element | None, *names: str) -> str | None:
    """Stripped text of the first child matching ``names`` (or of ``el`` itself with no
    names); None when missing or empty."""
    target = child(el, *names) if names else el
    if target is None:
        return None
    value = "".join(target.itertext()).strip()
    return value or None


_TRUE = frozenset({"1", "true", "yes", "y", "kyllä", "kylla", "k", "on", "tosi"})
_FALSE = frozenset({"0", "false", "no", "n", "ei", "e", "off", "epätosi"})


def parse_bool(value: str | None) -> bool | None:
    """A boolean as Netvisor writes it in EN or FI (``1``/``true``/``Kyllä`` ...); None if blank."""
    if value is None or not value.strip():
        return None
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


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


_STATUS_ALIASES = {
    "lähettämätön": "unsent",
    "lahettamaton": "unsent",
    "avoin": "open",
    "lähetetty": "sent",
    "lahetetty": "sent",
    "maksettu": "paid",
    "erääntynyt": "overdue",
    "eraantynyt": "overdue",
    "laskuluonnos": "invoicedraft",
}


def normalise_status(value: str | None) -> str | None:
    """An invoice status in Netvisor's EN form (``unsent``/``open``/...), FI names mapped."""
    if value is None or not value.strip():
        return None
    v = value.strip().lower()
    return _STATUS_ALIASES.get(v, v)


# ---------------------------------------------------------------------------------------------
# Response envelope


@dataclass(frozen=True)
class ResponseEnvelope:
    """``Root/ResponseStatus`` of any answer. ``error_type``/``error_text`` split once on ``::``."""

    ok: bool
    error_type: str | None
    error_text: str | None
    inserted_key: str | None
    root: Element


def parse_envelope(body: bytes | str) -> ResponseEnvelope | None:
    """The response envelope, or None when the body has no ``ResponseStatus`` (gateway HTML,
    empty body, not XML, DTD-carrying XML)."""
    try:
        root = parse_untrusted(body)
    except UnparseableXML:
        return None
    status_el = child(root, "ResponseStatus") if _local(root.tag) == "root" else None
    if status_el is None:
        status_el = next(descendants(root, "ResponseStatus"), None)
    if status_el is None:
        return None
    statuses = [text_of(s) or "" for s in children(status_el, "Status")]
    if not statuses:
        return None
    ok = statuses[0].strip().upper() == "OK"
    error_type = error_text = None
    if not ok:
        detail = next((s for s in statuses[1:] if s), "")
        if " :: " in detail:
            error_type, _, error_text = detail.partition(" :: ")
        elif "::" in detail:
            error_type, _, error_text = detail.partition("::")
        else:
            error_type, error_text = (detail or "UNKNOWN_ERROR"), detail
        error_type = error_type.strip().upper().replace(" ", "_") or "UNKNOWN_ERROR"
        error_text = error_text.strip()
    inserted = None
    replies = next(descendants(root, "InsertedDataIdentifier"), None)
    if replies is not None:
        inserted = text_of(replies)
    return ResponseEnvelope(ok, error_type, error_text, inserted, root)


# ---------------------------------------------------------------------------------------------
# Look-up parsers


def parse_customer_list(root: Element) -> list[CustomerSummary]:
    """``customerlist.nv``: ``Customerlist/Customer`` with Netvisorkey, Code, Name,
    OrganisationIdentifier (one or many)."""
    found: list[CustomerSummary] = []
    for c in descendants(root, "Customer"):
        key = text_of(c, "Netvisorkey", "NetvisorKey")
        code = text_of(c, "Code", "CustomerCode")
        if key is None or code is None:
            continue
        found.append(
            CustomerSummary(
                netvisor_key=key,
                code=code,
                name=text_of(c, "Name"),
                business_id=text_of(c, "OrganisationIdentifier", "OrganizationIdentifier"),
            )
        )
    return found


def parse_product_list(root: Element) -> list[ProductSummary]:
    """``productlist.nv`` (``ProductList/Product``) or ``getproduct.nv``
    (``Product/ProductBaseInformation``); case-insensitive, one or many."""
    found: list[ProductSummary] = []
    for p in descendants(root, "Product"):
        info = child(p, "ProductBaseInformation")
        src = info if info is not None else p
        key = text_of(src, "NetvisorKey", "Netvisorkey") or text_of(p, "NetvisorKey", "Netvisorkey")
        code = text_of(src, "ProductCode", "Code")
        if key is None or code is None:
            continue
        found.append(
            ProductSummary(
                netvisor_key=key,
                code=code,
                name=text_of(src, "Name", "ProductName"),
                unit_price=parse_decimal(text_of(src, "UnitPrice", "ProductUnitPrice")),
            )
        )
    return found


def parse_payment_terms(root: Element) -> list[PaymentTerm]:
    """``paymenttermlist.nv``: ``PaymentTermList/PaymentTerm`` with NetvisorKey, Description,
    NetDays, IsDefault."""
    found: list[PaymentTerm] = []
    for t in descendants(root, "PaymentTerm"):
        key = text_of(t, "NetvisorKey", "Netvisorkey")
        if key is None:
            continue
        days = text_of(t, "NetDays")
        found.append(
            PaymentTerm(
                netvisor_key=key,
                description=text_of(t, "Description"),
                net_days=int(days) if days is not None and days.strip().isdigit() else None,
                is_default=text_of(t, "IsDefault") == "1",
            )
        )
    return found


def parse_invoice_list(root: Element) -> list[InvoiceSummary]:
    """``salesinvoicelist.nv``: ``SalesInvoiceList/SalesInvoice`` rows."""
    found: list[InvoiceSummary] = []
    for s in descendants(root, "SalesInvoice"):
        key = text_of(s, "NetvisorKey", "Netvisorkey")
        if key is None:
            continue
        found.append(
            InvoiceSummary(
                netvisor_key=key,
                number=text_of(s, "InvoiceNumber", "SalesInvoiceNumber"),
                invoice_date=parse_date(text_of(s, "InvoiceDate", "SalesInvoiceDate")),
                status=normalise_status(text_of(s, "InvoiceStatus", "SalesInvoiceStatus")),
                customer_code=text_of(s, "CustomerCode"),
                total=parse_decimal(text_of(s, "InvoiceSum", "SalesInvoiceAmount")),
                open_sum=parse_decimal(text_of(s, "OpenSum")),
            )
        )
    return found


def _detail_product_line(pl: Element) -> DetailProductLine:
    return DetailProductLine(
        product_code=text_of(pl, "ProductIdentifier", "ProductCode"),
        quantity=parse_decimal(text_of(pl, "SalesInvoiceProductLineQuantity")),
        unit_price=parse_decimal(text_of(pl, "ProductUnitPrice")),
        vat_percent=parse_decimal(text_of(pl, "ProductVatPercentage")),
        free_text=text_of(pl, "SalesInvoiceProductLineFreeText", "SalesInvoiceProductLineFreetext"),
        line_sum=parse_decimal(text_of(pl, "SalesInvoiceProductLineSum")),
        vat_sum=parse_decimal(text_of(pl, "SalesInvoiceProductLineVatSum")),
        name=text_of(pl, "ProductName"),
    )


def _invoice_lines(
    invoice: Element,
) -> tuple[tuple[DetailProductLine, ...], tuple[CommentLine, ...]]:
    """Product and comment lines under ``InvoiceLines``, in document order, whatever the layout:
    every line inside ONE ``InvoiceLine`` wrapper (Netvisor's documented reply), one wrapper per
    line (what we send), or lines directly under ``InvoiceLines``."""
    lines_el = child(invoice, "InvoiceLines")
    if lines_el is None:
        return (), ()
    products: list[DetailProductLine] = []
    comments: list[CommentLine] = []
    for el in descendants(lines_el, "SalesInvoiceProductLine", "SalesInvoiceCommentLine"):
        if _local(el.tag) == "salesinvoiceproductline":
            products.append(_detail_product_line(el))
        else:
            comments.append(CommentLine(text_of(el, "Comment") or ""))
    return tuple(products), tuple(comments)


def _invoice_status(invoice: Element) -> str | None:
    """``SalesInvoiceStatus`` (our sandbox, older replies) or ``InvoiceStatus`` whose
    ``status`` attribute holds the machine value and whose text may be a localised label."""
    el = child(invoice, "InvoiceStatus", "SalesInvoiceStatus", "Status")
    if el is None:
        return None
    attr = next((v for k, v in el.attrib.items() if str(k).lower() == "status"), None)
    return normalise_status(attr or text_of(el))


def parse_invoice_details(
    root: Element,
    *,
    requested_keys: list[str] | None = None,
    comment_lines_included: bool = False,
) -> list[InvoiceDetail]:
    """``getsalesinvoice.nv``: one ``SalesInvoice``, or many under ``SalesInvoices`` for
    ``netvisorkeylist``.

    A reply may carry no ``SalesInvoiceNetvisorKey`` (older documented replies have none). The
    rule for mapping such an invoice back to a key:

    - one invoice in the reply and exactly one key asked for: that key;
    - several invoices: only when *none* of them carries a key and their number equals the
      number of keys asked for, the n-th invoice gets the n-th key (Netvisor answers in the order
      asked; an unknown key would shift the rest, so a count mismatch maps nothing);
    - otherwise an invoice without a key is left out (reconcile then treats it as not found and
      holds the row for a person rather than guessing).
    """
    invoices = list(descendants(root, "SalesInvoice"))
    keys_in_reply = [
        text_of(s, "SalesInvoiceNetvisorKey", "NetvisorKey", "Netvisorkey") for s in invoices
    ]
    asked = list(requested_keys or [])
    positional = (
        bool(invoices) and all(k is None for k in keys_in_reply) and len(invoices) == len(asked)
    )
    found: list[InvoiceDetail] = []
    for i, (s, key) in enumerate(zip(invoices, keys_in_reply, strict=True)):
        in_reply = key is not None
        if key is None:
            if positional:
                key = asked[i]
            else:
                continue
        products, comments = _invoice_lines(s)
        found.append(
            InvoiceDetail(
                netvisor_key=key,
                number=text_of(s, "SalesInvoiceNumber", "InvoiceNumber"),
                invoice_date=parse_date(text_of(s, "SalesInvoiceDate", "InvoiceDate")),
                status=_invoice_status(s),
                customer_code=text_of(
                    s,
                    "InvoicingCustomerCode",
                    "InvoicingCustomerIdentifier",
                    "SalesInvoiceCustomerCode",
                    "CustomerCode",
                ),
                total=parse_decimal(text_of(s, "SalesInvoiceAmount", "InvoiceSum")),
                private_comment=text_of(s, "SalesInvoicePrivateComment", "PrivateComment"),
                product_lines=products,
                comment_lines=comments,
                comment_lines_included=comment_lines_included,
                customer_netvisor_key=text_of(s, "InvoicingCustomerNetvisorKey"),
                key_in_reply=in_reply,
            )
        )
    return found


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
