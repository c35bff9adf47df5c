"""The sandbox's own schema tables, written from Netvisor's documentation and never from the
connector's builders (so a builder bug cannot hide), and the validator that enforces element
order, required elements, attributes, lengths and number formats."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from connector.sandbox.netvisor.wire import NetvisorFailure

# ------------------------------------------------------------------------------------------------
# The sandbox's own schema tables (written from Netvisor's documentation, not from the builders)


@dataclass(frozen=True)
class Node:
    """One element of a document schema, in order. ``kind``: text, decimal, int, date, bool,
    group (has ``children``) or choice (exactly one of ``children``)."""

    name: str
    required: bool = False
    kind: str = "text"
    repeat: bool = False
    children: tuple[Node, ...] = ()
    attrs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # required attribute -> allowed values
    max_len: int | None = None


def T(name: str, required: bool = False, max_len: int | None = 255, **kw: Any) -> Node:
    return Node(name, required, "text", max_len=max_len, **kw)


def D(name: str, required: bool = False, **kw: Any) -> Node:
    return Node(name, required, "decimal", **kw)


def I(name: str, required: bool = False, **kw: Any) -> Node:  # noqa: E743
    return Node(name, required, "int", **kw)


def B(name: str, required: bool = False) -> Node:
    return Node(name, required, "bool")


def DT(name: str, required: bool = False) -> Node:
    return Node(name, required, "date", attrs=(("format", ("ansi",)),))


def G(name: str, *children: Node, required: bool = False, repeat: bool = False) -> Node:
    return Node(name, required, "group", repeat=repeat, children=children)


CUSTOMER_SCHEMA = G(
    "Root",
    G(
        "Customer",
        G(
            "CustomerBaseInformation",
            T("InternalIdentifier", max_len=16),
            T("ExternalIdentifier", max_len=50),
            T("OrganizationUnitNumber"),
            T("Name", required=True, max_len=250),
            T("NameExtension"),
            T("StreetAddress"),
            T("AdditionalAddressLine"),
            T("City"),
            T("PostNumber", max_len=50),
            Node("Country", kind="text", attrs=(("type", ("ISO-3166",)),), max_len=2),
            T("CustomerGroupName"),
            T("PhoneNumber"),
            T("FaxNumber"),
            T("Email"),
            T("HomePageUri"),
            B("IsActive"),
            B("IsPrivateCustomer"),
            T("EmailInvoicingAddress"),
            required=True,
        ),
        G("CustomerFinvoiceDetails", T("FinvoiceAddress"), T("FinvoiceRouterCode")),
        G(
            "CustomerDeliveryDetails",
            T("DeliveryName"),
            T("DeliveryStreetAddress"),
            T("DeliveryCity"),
            T("DeliveryPostNumber"),
            T("DeliveryCountry"),
        ),
        G(
            "CustomerContactDetails",
            T("ContactPerson"),
            T("ContactPersonEmail"),
            T("ContactPersonPhone"),
        ),
        G(
            "CustomerAdditionalInformation",
            T("Comment"),
            T("CustomerReferenceNumber"),
            T("InvoicingLanguage"),
            # a payment term by NetvisorKey (type="netvisor") or by name (type="customer")
            Node("DefaultPaymentTerm", kind="text", attrs=(("type", ("netvisor", "customer")),)),
            T("YourDefaultReference"),
        ),
        required=True,
    ),
    required=True,
)

PRODUCT_SCHEMA = G(
    "Root",
    G(
        "Product",
        G(
            "ProductBaseInformation",
            T("ProductCode", required=True, max_len=100),
            T("ProductGroup"),
            T("Name", required=True, max_len=200),
            T("Description"),
            Node("UnitPrice", True, "decimal", attrs=(("type", ("net", "gross")),)),
            T("Unit"),
            D("PurchasePrice"),
            T("TariffHeading"),
            D("ComissionPercentage"),
            B("IsActive"),
            B("IsSalesProduct"),
            required=True,
        ),
        G(
            "ProductBookkeepingDetails",
            D("DefaultVatPercentage"),
            T("DefaultDomesticAccountNumber"),
        ),
        G("ProductAdditionalInformation", T("ProductNetWeight"), T("ProductGrossWeight")),
        required=True,
    ),
    required=True,
)

_PRODUCT_LINE = G(
    "SalesInvoiceProductLine",
    Node("ProductIdentifier", True, "text", attrs=(("type", ("customer", "netvisor")),)),
    T("ProductName", required=True, max_len=200),
    Node("ProductUnitPrice", True, "decimal", attrs=(("type", ("net", "gross")),)),
    Node("ProductVatPercentage", True, "decimal", attrs=(("vatcode", ()),)),
    D("SalesInvoiceProductLineQuantity", required=True),
    D("SalesInvoiceProductLineDiscountPercentage"),
    T("SalesInvoiceProductLineFreeText", max_len=500),
    D("SalesInvoiceProductLineVatSum"),
    D("SalesInvoiceProductLineSum"),
    T("AccountingAccountSuggestion"),
    G(
        "Dimension",
        T("DimensionName", required=True),
        T("DimensionItem", required=True),
        repeat=True,
    ),
)
_COMMENT_LINE = G("SalesInvoiceCommentLine", T("Comment", required=True, max_len=500))

SALES_INVOICE_SCHEMA = G(
    "Root",
    G(
        "SalesInvoice",
        T("SalesInvoiceNumber"),
        DT("SalesInvoiceDate", required=True),
        DT("SalesInvoiceEventDate"),
        DT("SalesInvoiceDueDate"),
        DT("SalesInvoiceValueDate"),
        DT("SalesInvoiceDeliveryDate"),
        T("SalesInvoiceReferenceNumber"),
        D("SalesInvoiceAmount", required=True),
        T("SellerIdentifier"),
        T("InvoiceType"),
        Node("SalesInvoiceStatus", True, "text", attrs=(("type", ("netvisor",)),)),
        T("SalesInvoiceFreeTextBeforeLines", max_len=500),
        T("SalesInvoiceFreeTextAfterLines", max_len=500),
        T("SalesInvoiceOurReference", max_len=200),
        T("SalesInvoiceYourReference", max_len=200),
        T("SalesInvoicePrivateComment", max_len=255),
        Node(
            "InvoicingCustomerIdentifier", True, "text", attrs=(("type", ("customer", "netvisor")),)
        ),
        T("InvoicingCustomerName"),
        T("InvoicingCustomerNameExtension"),
        T("InvoicingCustomerAddressline"),
        T("InvoicingCustomerAdditionalAddressLine"),
        T("InvoicingCustomerPostnumber"),
        T("InvoicingCustomerTown"),
        T("InvoicingCustomerCountryCode"),
        I("PaymentTermNetDays"),
        I("PaymentTermCashDiscountDays"),
        D("PaymentTermCashDiscount"),
        G(
            "InvoiceLines",
            Node(
                "InvoiceLine", True, "choice", repeat=True, children=(_PRODUCT_LINE, _COMMENT_LINE)
            ),
            required=True,
        ),
        required=True,
    ),
    required=True,
)

MATCH_CREDIT_NOTE_SCHEMA = G(
    "Root",
    G(
        "MatchCreditNote",
        I("CreditNoteNetvisorKey", required=True),
        I("InvoiceNetvisorKey", required=True),
        required=True,
    ),
    required=True,
)

_DECIMAL = re.compile(r"^-?\d+(,\d+)?$")
_INT = re.compile(r"^-?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOL = frozenset({"0", "1", "true", "false"})


def _tag(el: Any) -> str:
    return el.tag if isinstance(el.tag, str) else ""


def validate(el: Any, node: Node, path: str = "") -> None:
    """Check ``el`` against ``node``: name, attributes, value format, child order, required
    children. Raises :class:`NetvisorFailure` (INVALID_DATA / INVALID_DATA_SIZE)."""
    here = f"{path}/{node.name}"
    if _tag(el) != node.name:
        raise NetvisorFailure(
            "INVALID_DATA", f"expected element {node.name} at {path or '/'}, got {_tag(el)}"
        )
    for attr, allowed in node.attrs:
        value = el.get(attr)
        if value is None:
            raise NetvisorFailure("INVALID_DATA", f"{here}: attribute {attr} is required")
        if allowed and value not in allowed:
            raise NetvisorFailure(
                "INVALID_DATA",
                f"{here}: attribute {attr}={value!r} not one of {', '.join(allowed)}",
            )
    elements = [c for c in el if _tag(c)]
    if node.kind == "choice":
        if len(elements) != 1:
            raise NetvisorFailure("INVALID_DATA", f"{here}: exactly one line element expected")
        options = {c.name: c for c in node.children}
        chosen = options.get(_tag(elements[0]))
        if chosen is None:
            raise NetvisorFailure(
                "INVALID_DATA", f"{here}: unknown line element {_tag(elements[0])}"
            )
        validate(elements[0], chosen, here)
        return
    if node.kind == "group":
        if (el.text or "").strip():
            raise NetvisorFailure("INVALID_DATA", f"{here}: unexpected text")
        _validate_children(elements, node, here)
        return
    if elements:
        raise NetvisorFailure(
            "INVALID_DATA", f"{here}: unexpected child element {_tag(elements[0])}"
        )
    text = (el.text or "").strip()
    if not text:
        raise NetvisorFailure(
            "INVALID_DATA", f"{here}: empty element (omit optional elements instead)"
        )
    if node.max_len is not None and len(text) > node.max_len:
        raise NetvisorFailure("INVALID_DATA_SIZE", f"{here}: longer than {node.max_len} characters")
    if node.kind == "decimal" and not _DECIMAL.match(text):
        raise NetvisorFailure("INVALID_DATA", f"{here}: {text!r} is not a comma decimal")
    if node.kind == "int" and not _INT.match(text):
        raise NetvisorFailure("INVALID_DATA", f"{here}: {text!r} is not an integer")
    if node.kind == "bool" and text.lower() not in _BOOL:
        raise NetvisorFailure("INVALID_DATA", f"{here}: {text!r} is not a boolean")
    if node.kind == "date":
        try:
            if not _DATE.match(text):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise NetvisorFailure(
                "INVALID_DATA", f"{here}: {text!r} is not a YYYY-MM-DD date"
            ) from None


def _validate_children(elements: list[Any], node: Node, here: str) -> None:
    specs = node.children
    index = {spec.name: i for i, spec in enumerate(specs)}
    pos = 0
    seen: Counter[str] = Counter()
    present = {_tag(c) for c in elements}
    for child in elements:
        name = _tag(child)
        i = index.get(name)
        if i is None:
            raise NetvisorFailure("INVALID_DATA", f"{here}: unknown element {name}")
        if i < pos or (i == pos and seen[name] and not specs[i].repeat):
            later = specs[pos].name if pos < len(specs) else "the end"
            raise NetvisorFailure(
                "INVALID_DATA",
                f"{here}: element {name} is misplaced or repeated (found after {later})",
            )
        for skipped in specs[pos:i]:
            if skipped.required and not seen[skipped.name]:
                if skipped.name in present:
                    raise NetvisorFailure(
                        "INVALID_DATA",
                        f"{here}: element {name} is misplaced (it must come after {skipped.name})",
                    )
                raise NetvisorFailure(
                    "INVALID_DATA", f"{here}: required element {skipped.name} is missing"
                )
        pos = i
        seen[name] += 1
        validate(child, specs[i], here)
    for spec in specs[pos:]:
        if spec.required and not seen[spec.name]:
            raise NetvisorFailure(
                "INVALID_DATA", f"{here}: required element {spec.name} is missing"
            )
