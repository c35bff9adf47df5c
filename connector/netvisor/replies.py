"""Reading Netvisor's replies: the response envelope, customer/product/payment-term/invoice
lists and ``getsalesinvoice.nv`` details, in every layout Netvisor writes (docs/netvisor.md).

Every reply is parsed by :func:`connector.netvisor.xml.parse_untrusted` (no entities, no DTD, no
network); this module only reads the tree."""

from __future__ import annotations

import re
from dataclasses import dataclass

from connector.netvisor.documents import (
    CommentLine,
    CustomerSummary,
    DetailProductLine,
    InvoiceDetail,
    InvoiceSummary,
    PaymentTerm,
    ProductSummary,
)
from connector.netvisor.xml import (
    Element,
    UnparseableXML,
    child,
    children,
    descendants,
    local_name,
    parse_date,
    parse_decimal,
    parse_untrusted,
    text_of,
)

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
    root: Element | None  # None only for a write's plain OK answer read without a tree

    @property
    def tree(self) -> Element:
        """The parsed answer (a read's answer always has one)."""
        if self.root is None:
            raise ValueError("this answer was read without a tree")
        return self.root


# A write's plain OK answer, exactly as Netvisor writes it: the status, an optional time stamp and
# an optional inserted key, nothing else. Such a body has no DTD, no entity, no comment and no
# attribute, so reading it takes no parser: anything else is parsed (``parse_untrusted``).
_PLAIN_OK = re.compile(
    rb"\A\s*(?:<\?xml[ a-zA-Z0-9=\"'._-]*\?>)?\s*<Root>\s*<ResponseStatus>\s*<Status>OK</Status>"
    rb"\s*(?:<TimeStamp>[0-9 :.TZ+-]*</TimeStamp>\s*)?</ResponseStatus>\s*"
    rb"(?:<Replies>\s*<InsertedDataIdentifier>([0-9]{1,20})</InsertedDataIdentifier>\s*</Replies>\s*)?"
    rb"</Root>\s*\Z"
)


def parse_envelope(body: bytes | str, *, tree: bool = True) -> ResponseEnvelope | None:
    """The response envelope, or None when the body has no ``ResponseStatus`` (gateway HTML,
    empty body, not XML, DTD-carrying XML).

    ``tree=False`` (a write, which reads nothing but the status and the inserted key): a plain
    OK answer is read without building a tree (``root`` None); every other body is parsed."""
    if not tree and isinstance(body, bytes):
        plain = _PLAIN_OK.match(body)
        if plain is not None:
            key = plain.group(1)
            return ResponseEnvelope(True, None, None, key.decode("ascii") if key else None, None)
    try:
        root = parse_untrusted(body)
    except UnparseableXML:
        return None
    status_el = child(root, "ResponseStatus") if local_name(root.tag) == "root" else None
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
        if local_name(el.tag) == "salesinvoiceproductline":
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


def _is_empty(el: Element) -> bool:
    """An element with neither children nor text, e.g. ``<SalesInvoice />``."""
    return len(el) == 0 and not (el.text or "").strip()


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
    # An unknown netvisorkey is answered OK with an empty ``<SalesInvoice />``: no such invoice.
    # It still holds its place, so it counts for the mapping by position below.
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
        if _is_empty(s):
            continue
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
