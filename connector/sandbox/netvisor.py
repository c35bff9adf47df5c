"""A validating Netvisor stand-in: a WSGI app that enforces what Netvisor enforces.

It checks every header and recomputes the MAC itself, the timestamp skew, transaction-id
uniqueness (``REQUEST_NOT_UNIQUE``), one request at a time (an overlapping request fails), and the
element order, required fields and number formats of each document against **its own** schema
tables below — never the client's builders, so a builder bug cannot hide. It keeps customers,
products and invoices with NetvisorKeys, serves them through the same list/get resources, lets
tests act as a person (mark an invoice open/sent/paid, edit or delete it) and injects faults.

Use it in-process (``httpx.Client(transport=sandbox.transport())``) or on loopback
(``connector.sandbox.server.serve(sandbox, name="netvisor")``); a test in another process drives a
served sandbox through the admin endpoints under ``/_sandbox/``.

Unverified against real Netvisor (kept in one place each): the HTTP status per error type
(``_HTTP_STATUS``), the error an overlapping request gets (``_OVERLAP_ERROR``), and gross
semantics of ``SalesInvoiceProductLineSum``/``SalesInvoiceAmount``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, quote

import httpx
from lxml import etree

from connector.sandbox.server import ARRIVED, DropConnection

# ------------------------------------------------------------------------------------------------
# Netvisor's error envelope and HTTP codes

# unverified: the exact codes Netvisor pairs with UseHTTPResponseStatusCodes: 1
_HTTP_STATUS = {
    "AUTHENTICATION_FAILED": 401,
    "SERVICE_ACCESS_ERROR": 403,
    "INVALID_DATA": 400,
    "INVALID_DATA_SIZE": 400,
    "DUPLICATE_DATA": 409,
    "REQUEST_NOT_UNIQUE": 409,
    "PERIOD_LOCK": 400,
    "SYSTEM_MAINTANANCE": 503,
    "TECHNICAL_ERROR": 500,
}
# unverified: what Netvisor answers to a request that overlaps another of the same company
_OVERLAP_ERROR = ("TECHNICAL_ERROR", "Another request of this company is still being processed")

_HEADERS = (
    "X-Netvisor-Authentication-Sender",
    "X-Netvisor-Authentication-CustomerId",
    "X-Netvisor-Authentication-PartnerId",
    "X-Netvisor-Authentication-Timestamp",
    "X-Netvisor-Authentication-TimestampUnix",
    "X-Netvisor-Authentication-TransactionId",
    "X-Netvisor-Interface-Language",
    "X-Netvisor-Organisation-ID",
    "X-Netvisor-Authentication-MAC",
    "X-Netvisor-Authentication-MACHashCalculationAlgorithm",
)

DEFAULT_CREDENTIALS: dict[str, str] = {
    "sender": "connector-sandbox",
    "customer_id": "SANDBOX-CUSTOMER-1",
    "partner_id": "SANDBOX-PARTNER-1",
    "organisation_id": "1234567-1",
    "customer_key": "sandbox-customer-key-0001",
    "partner_key": "sandbox-partner-key-0001",
}


class NetvisorFailure(Exception):
    """A refusal the sandbox answers with Netvisor's FAILED envelope."""

    def __init__(self, error_type: str, text: str) -> None:
        super().__init__(f"{error_type} :: {text}")
        self.error_type = error_type
        self.text = text


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _envelope(
    ok: bool,
    *,
    detail: str | None = None,
    payload: list[etree._Element] | None = None,
    inserted: str | None = None,
) -> bytes:
    root = etree.Element("Root")
    status = etree.SubElement(root, "ResponseStatus")
    etree.SubElement(status, "Status").text = "OK" if ok else "FAILED"
    if detail:
        etree.SubElement(status, "Status").text = detail
    etree.SubElement(status, "TimeStamp").text = _now_text()
    if inserted is not None:
        replies = etree.SubElement(root, "Replies")
        etree.SubElement(replies, "InsertedDataIdentifier").text = inserted
    for el in payload or []:
        root.append(el)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


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


# ------------------------------------------------------------------------------------------------
# Values


def _dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise NetvisorFailure("INVALID_DATA", f"{text!r} is not a number") from None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _comma4(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.0001")), "f").replace(".", ",")


def _comma(value: Decimal) -> str:
    return format(_cents(value), "f").replace(".", ",")


def _find(el: Any, name: str) -> Any:
    return el.find(name) if el is not None else None


def _text(el: Any, name: str) -> str | None:
    found = _find(el, name)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _parse_body(body: bytes) -> Any:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise NetvisorFailure("INVALID_DATA", f"XML is not well-formed: {exc}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise NetvisorFailure("INVALID_DATA", "DTDs are not accepted")
    return root


# ------------------------------------------------------------------------------------------------
# Faults


FAULT_KINDS = frozenset(
    {
        "latency",
        "http_5xx",
        "technical_error",
        "drop_before_commit",
        "drop_after_commit",
        "hold_after_commit",
        "authentication_failed",
        "period_lock",
    }
)


@dataclass
class Fault:
    """An injected fault; matches ``resource`` (``salesinvoice.nv``) and ``method`` (``add``)
    when given; ``times`` None = until cleared."""

    kind: str
    resource: str | None = None
    method: str | None = None
    times: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, resource: str, method: str | None) -> bool:
        if self.resource is not None and self.resource.lstrip("/") != resource:
            return False
        return self.method is None or self.method == method

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "resource": self.resource,
            "method": self.method,
            "times": self.times,
            **{k: str(v) for k, v in self.params.items()},
        }


# ------------------------------------------------------------------------------------------------
# The app


_WRITE_RESOURCES = frozenset(
    {
        "customer.nv",
        "product.nv",
        "salesinvoice.nv",
        "matchcreditnote.nv",
        "updatesalesinvoicestatus.nv",
    }
)
_READ_RESOURCES = frozenset(
    {
        "customerlist.nv",
        "productlist.nv",
        "getproduct.nv",
        "salesinvoicelist.nv",
        "getsalesinvoice.nv",
    }
)
_INVOICE_STATUSES = frozenset({"unsent", "open", "sent", "paid", "overdue"})
#: The localised label getsalesinvoice.nv writes as InvoiceStatus text (status in the attribute).
_STATUS_LABELS = {
    "unsent": "Lähettämätön",
    "open": "Avoin",
    "sent": "Lähetetty",
    "paid": "Maksettu",
    "overdue": "Erääntynyt",
}
#: How getsalesinvoice.nv replies may be laid out. ``wrapper``: ``one`` (every line inside ONE
#: InvoiceLine, Netvisor's documented reply; the default) or ``per_line`` (one InvoiceLine per
#: line, as we send). ``key``: the reply carries SalesInvoiceNetvisorKey (newer documents) or not
#: (older documented replies). Comment lines come back only with ``showcommentlines=1``.
REPLY_LAYOUTS = {"wrapper": ("one", "per_line"), "key": (True, False)}
DEFAULT_REPLY_LAYOUT: dict[str, Any] = {"wrapper": "one", "key": True}


class NetvisorSandbox:
    """The Netvisor stand-in. The instance is the WSGI app; its Python API is thread-safe.

    ``max_skew_seconds``: accepted difference between the request timestamp and the sandbox's
    clock. ``clock`` (aware UTC) and ``sleep`` (seconds) are injectable for tests.
    """

    def __init__(
        self,
        *,
        credentials: dict[str, str] | None = None,
        max_skew_seconds: int = 600,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        reply_layout: dict[str, Any] | None = None,
    ) -> None:
        self.credentials: dict[str, str] = {**DEFAULT_CREDENTIALS, **(credentials or {})}
        self.max_skew_seconds = max_skew_seconds
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._state = threading.RLock()
        self._busy = threading.Lock()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._overlaps = 0
        self.reply_layout: dict[str, Any] = dict(DEFAULT_REPLY_LAYOUT)
        self.set_reply_layout(**(reply_layout or {}))
        self._seen_transactions: set[str] = set()
        self._customers: dict[str, dict[str, Any]] = {}
        self._products: dict[str, dict[str, Any]] = {}
        self._invoices: dict[str, dict[str, Any]] = {}
        self._keys = itertools.count(1001)
        self._invoice_numbers = itertools.count(20001)
        self._faults: list[Fault] = []
        self._requests: Counter[str] = Counter()
        self._writes: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"NetvisorSandbox(customers={len(self._customers)}, products={len(self._products)}, "
            f"invoices={len(self._invoices)})"
        )

    # -- Python API: state ----------------------------------------------------------------------

    def customers(self) -> list[dict[str, Any]]:
        with self._state:
            return [dict(c) for c in self._customers.values()]

    def products(self) -> list[dict[str, Any]]:
        with self._state:
            return [dict(p) for p in self._products.values()]

    def invoices(self) -> list[dict[str, Any]]:
        with self._state:
            return [_copy_invoice(i) for i in self._invoices.values()]

    def invoice(self, key: str) -> dict[str, Any] | None:
        with self._state:
            inv = self._invoices.get(str(key))
            return _copy_invoice(inv) if inv else None

    # -- Python API: a person's actions ---------------------------------------------------------

    def set_invoice_status(self, key: str, status: str) -> None:
        """As a person in Netvisor: mark an invoice unsent/open/sent/paid."""
        if status not in _INVOICE_STATUSES:
            raise ValueError(f"unknown invoice status {status!r}")
        with self._state:
            inv = self._require_invoice(str(key))
            inv["status"] = status
            inv["open_sum"] = Decimal("0.00") if status == "paid" else inv["total"]

    def edit_invoice(self, key: str, **changes: Any) -> None:
        """As a person: change stored fields (private_comment, invoice_date, customer_code,
        status, total, lines ...)."""
        with self._state:
            inv = self._require_invoice(str(key))
            unknown = set(changes) - set(inv)
            if unknown:
                raise ValueError(f"unknown invoice fields: {sorted(unknown)}")
            inv.update(changes)
            if "total" in changes and "open_sum" not in changes:
                inv["open_sum"] = changes["total"]

    def delete_invoice(self, key: str) -> None:
        """As a person: delete an invoice."""
        with self._state:
            self._require_invoice(str(key))
            del self._invoices[str(key)]

    def _require_invoice(self, key: str) -> dict[str, Any]:
        inv = self._invoices.get(key)
        if inv is None:
            raise KeyError(f"no invoice with NetvisorKey {key}")
        return inv

    # -- Python API: reply layout ---------------------------------------------------------------

    def set_reply_layout(self, **layout: Any) -> None:
        """Choose how getsalesinvoice.nv replies look (see ``REPLY_LAYOUTS``), e.g.
        ``set_reply_layout(wrapper="per_line", key=False)``; unnamed parts keep their value."""
        for name, value in layout.items():
            if name not in REPLY_LAYOUTS:
                raise ValueError(f"unknown reply layout part {name!r}")
            if value not in REPLY_LAYOUTS[name]:
                raise ValueError(f"reply layout {name} must be one of {REPLY_LAYOUTS[name]}")
        with self._state:
            self.reply_layout = {**self.reply_layout, **layout}

    # -- Python API: stats and faults -----------------------------------------------------------

    def stats(self) -> dict[str, dict[str, int]]:
        """Counters: ``requests`` and committed ``writes`` per resource
        (``salesinvoice.nv?method=add``), and ``outcomes`` (``ok`` or the error type)."""
        with self._state:
            return {
                "requests": dict(self._requests),
                "writes": dict(self._writes),
                "outcomes": dict(self._outcomes),
                "overlaps": {"refused": self._overlaps},
            }

    def write_count(self, resource: str | None = None) -> int:
        """Committed writes, all or of one resource (``salesinvoice.nv`` or with ``?method=``)."""
        return self._count(self._writes, resource)

    def request_count(self, resource: str | None = None) -> int:
        """Requests received (any outcome), all or of one resource."""
        return self._count(self._requests, resource)

    def _count(self, counter: Counter[str], resource: str | None) -> int:
        with self._state:
            if resource is None:
                return sum(counter.values())
            return sum(
                n for k, n in counter.items() if k == resource or k.split("?")[0] == resource
            )

    def inject(
        self,
        kind: str,
        *,
        resource: str | None = None,
        method: str | None = None,
        times: int | None = None,
        **params: Any,
    ) -> None:
        """Inject a fault (see ``FAULT_KINDS``); ``times`` None = until :meth:`clear_faults`."""
        if kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {kind!r}; known: {', '.join(sorted(FAULT_KINDS))}"
            )
        if kind == "period_lock":
            params["start"] = _as_date(params["start"])
            params["end"] = _as_date(params["end"])
        with self._state:
            self._faults.append(Fault(kind, resource, method, times, params))

    def clear_faults(self) -> None:
        with self._state:
            self._faults.clear()

    def _take_fault(self, kinds: Iterable[str], resource: str, method: str | None) -> Fault | None:
        kinds = set(kinds)
        with self._state:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(resource, method):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport; a dropped connection becomes ``httpx.ReadError``
        (as over a socket) instead of the app's exception."""
        return _SandboxTransport(self)

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/_sandbox/") or path == "/_sandbox":
            status, headers, body = self._admin(environ, path)
        else:
            status, headers, body = self._api(environ, path)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _api(self, environ: dict[str, Any], path: str) -> tuple[str, list[tuple[str, str]], bytes]:
        resource = path.lstrip("/")
        query = {
            k: v[-1]
            for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        method = query.get("method")
        label = f"{resource}?method={method}" if method else resource
        body = _read_body(environ)
        with self._state:
            self._requests[label] += 1
        with self._idle:
            self._in_flight += 1
        try:
            if not self._busy.acquire(blocking=False):
                with self._state:
                    self._overlaps += 1
                return self._fail(label, *_OVERLAP_ERROR)
            try:
                return self._handle(environ, resource, method, label, query, body)
            except NetvisorFailure as failure:
                return self._fail(label, failure.error_type, failure.text)
            finally:
                self._busy.release()
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def overlap_count(self) -> int:
        """Requests refused because another request of the company was still being processed."""
        with self._state:
            return self._overlaps

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no API request is being processed (or ``timeout`` seconds pass); for
        tests that must wait for the sandbox, never sleep."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _fail(
        self, label: str, error_type: str, text: str
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        with self._state:
            self._outcomes[error_type] += 1
        code = _HTTP_STATUS.get(error_type, 500)
        return (
            _status_line(code),
            [("Content-Type", "text/xml; charset=utf-8")],
            _envelope(False, detail=f"{error_type} :: {text}"),
        )

    def _handle(
        self,
        environ: dict[str, Any],
        resource: str,
        method: str | None,
        label: str,
        query: dict[str, str],
        body: bytes,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        # A latency fault is the service's response time: the answer leaves `seconds` after the
        # request arrived, whatever the sandbox's own processing took (not on top of it).
        latency = self._take_fault(["latency"], resource, method)
        if latency is None:
            return self._process(environ, resource, method, label, query, body)
        p = latency.params
        seconds = (
            float(p["seconds"])
            if "seconds" in p
            else random.uniform(float(p.get("min_seconds", 0)), float(p.get("max_seconds", 1)))
        )
        arrived = environ.get(ARRIVED, time.monotonic())
        try:
            return self._process(environ, resource, method, label, query, body)
        finally:
            remaining = seconds - (time.monotonic() - arrived)
            if remaining > 0:
                self._sleep(remaining)

    def _process(
        self,
        environ: dict[str, Any],
        resource: str,
        method: str | None,
        label: str,
        query: dict[str, str],
        body: bytes,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        self._authenticate(environ)
        if self._take_fault(["authentication_failed"], resource, method):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Authentication failed (injected)")
        five = self._take_fault(["http_5xx"], resource, method)
        if five is not None:
            code = int(five.params.get("status", 502))
            return (
                _status_line(code),
                [("Content-Type", "text/html")],
                f"<html><body><h1>{code} Bad Gateway</h1></body></html>".encode(),
            )
        if self._take_fault(["drop_before_commit"], resource, method):
            raise DropConnection()
        tech = self._take_fault(["technical_error"], resource, method)
        if tech is not None and not tech.params.get("after_commit"):
            raise NetvisorFailure("TECHNICAL_ERROR", "Technical error (injected)")

        is_write = resource in _WRITE_RESOURCES
        expected = "POST" if is_write else "GET"
        if resource not in _WRITE_RESOURCES | _READ_RESOURCES:
            raise NetvisorFailure("INVALID_DATA", f"unknown resource {resource}")
        if environ.get("REQUEST_METHOD") != expected:
            raise NetvisorFailure("INVALID_DATA", f"{resource} expects HTTP {expected}")

        with self._state:
            if is_write:
                inserted, payload = self._write(resource, method, query, body)
                self._writes[label] += 1
            else:
                inserted, payload = None, self._read(resource, query)
        # committed from here on
        if tech is not None:
            raise NetvisorFailure("TECHNICAL_ERROR", "Technical error (injected after commit)")
        if self._take_fault(["drop_after_commit"], resource, method):
            raise DropConnection()
        hold = self._take_fault(["hold_after_commit"], resource, method)
        if hold is not None:
            self._sleep(float(hold.params.get("seconds", 30)))
        with self._state:
            self._outcomes["ok"] += 1
        return (
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8")],
            _envelope(True, payload=payload, inserted=inserted),
        )

    # -- authentication -------------------------------------------------------------------------

    def _authenticate(self, environ: dict[str, Any]) -> None:
        def header(name: str) -> str | None:
            return environ.get("HTTP_" + name.upper().replace("-", "_"))

        values = {name: header(name) for name in _HEADERS}
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise NetvisorFailure("AUTHENTICATION_FAILED", f"Missing header {missing[0]}")
        c = self.credentials
        if header("X-Netvisor-Authentication-MACHashCalculationAlgorithm") != "HMACSHA256":
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Unsupported MAC algorithm")
        checks = {
            "X-Netvisor-Authentication-Sender": c["sender"],
            "X-Netvisor-Authentication-CustomerId": c["customer_id"],
            "X-Netvisor-Authentication-PartnerId": c["partner_id"],
            "X-Netvisor-Organisation-ID": c["organisation_id"],
        }
        for name, expected in checks.items():
            if values[name] != expected:
                raise NetvisorFailure("AUTHENTICATION_FAILED", f"Invalid {name.rsplit('-', 1)[-1]}")
        if values["X-Netvisor-Interface-Language"] not in ("EN", "FI", "SE"):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid interface language")
        stamp = values["X-Netvisor-Authentication-Timestamp"] or ""
        try:
            moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
            unix = int(values["X-Netvisor-Authentication-TimestampUnix"] or "")
        except ValueError:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid timestamp") from None
        if abs(int(moment.timestamp()) - unix) > 1:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Timestamp and TimestampUnix differ")
        if abs((self._clock() - moment).total_seconds()) > self.max_skew_seconds:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Timestamp is too far from server time")
        url = _request_url(environ)
        message = "&".join(
            [
                url,
                values["X-Netvisor-Authentication-Sender"] or "",
                values["X-Netvisor-Authentication-CustomerId"] or "",
                stamp,
                values["X-Netvisor-Interface-Language"] or "",
                values["X-Netvisor-Organisation-ID"] or "",
                values["X-Netvisor-Authentication-TransactionId"] or "",
                values["X-Netvisor-Authentication-TimestampUnix"] or "",
                c["customer_key"],
                c["partner_key"],
            ]
        )
        key = f"{c['customer_key']}&{c['partner_key']}"
        try:
            digest = hmac.new(
                key.encode("latin-1"), message.encode("latin-1"), hashlib.sha256
            ).hexdigest()
        except UnicodeEncodeError:
            raise NetvisorFailure(
                "AUTHENTICATION_FAILED", "Request not ISO-8859-1 encodable"
            ) from None
        if not hmac.compare_digest(digest, values["X-Netvisor-Authentication-MAC"] or ""):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid MAC")
        txn = values["X-Netvisor-Authentication-TransactionId"] or ""
        with self._state:
            if txn in self._seen_transactions:
                raise NetvisorFailure("REQUEST_NOT_UNIQUE", "Transaction id has already been used")
            self._seen_transactions.add(txn)

    # -- writes ---------------------------------------------------------------------------------

    def _write(
        self, resource: str, method: str | None, query: dict[str, str], body: bytes
    ) -> tuple[str | None, list[Any]]:
        if resource == "updatesalesinvoicestatus.nv":
            key, status = query.get("netvisorkey", ""), query.get("status", "")
            inv = self._invoices.get(key)
            if inv is None:
                raise NetvisorFailure("INVALID_DATA", f"Sales invoice {key} not found")
            if status not in _INVOICE_STATUSES:
                raise NetvisorFailure("INVALID_DATA", f"Unknown status {status}")
            inv["status"] = status
            inv["open_sum"] = Decimal("0.00") if status == "paid" else inv["total"]
            return None, []
        root = _parse_body(body)
        if resource == "matchcreditnote.nv":
            validate(root, MATCH_CREDIT_NOTE_SCHEMA)
            self._match(root)
            return None, []
        if method not in ("add", "edit"):
            raise NetvisorFailure("INVALID_DATA", f"method must be add or edit, got {method}")
        edit_key = query.get("id") if method == "edit" else None
        if method == "edit" and not edit_key:
            raise NetvisorFailure("INVALID_DATA", "edit needs id")
        if resource == "customer.nv":
            validate(root, CUSTOMER_SCHEMA)
            return self._save_customer(root, edit_key), []
        if resource == "product.nv":
            validate(root, PRODUCT_SCHEMA)
            return self._save_product(root, edit_key), []
        validate(root, SALES_INVOICE_SCHEMA)
        return self._save_invoice(root, edit_key), []

    def _new_key(self) -> str:
        return str(next(self._keys))

    def _save_customer(self, root: Any, edit_key: str | None) -> str | None:
        base = root.find("Customer/CustomerBaseInformation")
        fields = {
            "code": _text(base, "InternalIdentifier"),
            "business_id": _text(base, "ExternalIdentifier"),
            "name": _text(base, "Name"),
            "street": _text(base, "StreetAddress"),
            "city": _text(base, "City"),
            "post_number": _text(base, "PostNumber"),
            "country": _text(base, "Country"),
            "phone": _text(base, "PhoneNumber"),
            "email": _text(base, "Email"),
            "is_active": _flag(_text(base, "IsActive")),
            "is_private": _flag(_text(base, "IsPrivateCustomer")),
            "einvoice_address": _text(root, "Customer/CustomerFinvoiceDetails/FinvoiceAddress"),
            "einvoice_operator": _text(root, "Customer/CustomerFinvoiceDetails/FinvoiceRouterCode"),
            "payment_term": self._payment_term(root),
        }
        code = fields["code"]
        if edit_key is None:
            if code and any(c["code"] == code for c in self._customers.values()):
                raise NetvisorFailure("DUPLICATE_DATA", f"Customer with code {code} already exists")
            key = self._new_key()
            fields["code"] = code or key
            self._customers[key] = {"key": key, **{k: v for k, v in fields.items()}}
            return key
        stored = self._customers.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Customer {edit_key} not found")
        if code and any(c["code"] == code and k != edit_key for k, c in self._customers.items()):
            raise NetvisorFailure("DUPLICATE_DATA", f"Customer with code {code} already exists")
        stored.update({k: v for k, v in fields.items() if v is not None})  # omitted = kept
        return None

    def _payment_term(self, root: Any) -> str | None:
        el = root.find("Customer/CustomerAdditionalInformation/DefaultPaymentTerm")
        if el is None:
            return None
        value = (el.text or "").strip()
        if el.get("type") == "netvisor" and not value.isdigit():
            raise NetvisorFailure(
                "INVALID_DATA", f"DefaultPaymentTerm {value!r} is not a payment term NetvisorKey"
            )
        return value

    def _save_product(self, root: Any, edit_key: str | None) -> str | None:
        base = root.find("Product/ProductBaseInformation")
        fields = {
            "code": _text(base, "ProductCode"),
            "group": _text(base, "ProductGroup"),
            "name": _text(base, "Name"),
            "description": _text(base, "Description"),
            "unit_price": _dec(_text(base, "UnitPrice")),
            "unit_price_type": base.find("UnitPrice").get("type"),
            "unit": _text(base, "Unit"),
            "is_active": _flag(_text(base, "IsActive")),
            "is_sales_product": _flag(_text(base, "IsSalesProduct")),
            "vat_percent": _dec(
                _text(root, "Product/ProductBookkeepingDetails/DefaultVatPercentage")
            ),
        }
        code = fields["code"]
        if edit_key is None:
            if any(p["code"] == code for p in self._products.values()):
                raise NetvisorFailure("DUPLICATE_DATA", f"Product with code {code} already exists")
            key = self._new_key()
            self._products[key] = {"key": key, **fields}
            return key
        stored = self._products.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Product {edit_key} not found")
        if any(p["code"] == code and k != edit_key for k, p in self._products.items()):
            raise NetvisorFailure("DUPLICATE_DATA", f"Product with code {code} already exists")
        stored.update({k: v for k, v in fields.items() if v is not None})
        return None

    def _customer_code(self, el: Any) -> str:
        return _code_of(el, self._customers, "Customer")

    def _product_code(self, el: Any) -> str:
        return _code_of(el, self._products, "Product")

    def _save_invoice(self, root: Any, edit_key: str | None) -> str | None:
        si = root.find("SalesInvoice")
        invoice_date = date.fromisoformat(_text(si, "SalesInvoiceDate") or "")
        with self._state:
            locks = [f for f in self._faults if f.kind == "period_lock"]
        for lock in locks:
            if lock.params["start"] <= invoice_date <= lock.params["end"]:
                raise NetvisorFailure(
                    "PERIOD_LOCK", f"Accounting period is locked for {invoice_date.isoformat()}"
                )
        status = _text(si, "SalesInvoiceStatus") or ""
        if status not in ("unsent", "open"):
            raise NetvisorFailure(
                "INVALID_DATA", f"Sales invoice status {status} cannot be imported"
            )
        customer_code = self._customer_code(si.find("InvoicingCustomerIdentifier"))
        if _text(si, "PaymentTermNetDays") is None and _text(si, "SalesInvoiceDueDate") is None:
            raise NetvisorFailure("INVALID_DATA", "Payment term net days or due date is required")
        lines: list[dict[str, Any]] = []
        line_sum_total = Decimal("0.00")
        for line_el in si.find("InvoiceLines"):
            if not isinstance(line_el.tag, str):
                continue
            pl = line_el.find("SalesInvoiceProductLine")
            if pl is None:
                lines.append({"comment": _text(line_el, "SalesInvoiceCommentLine/Comment")})
                continue
            line, gross = self._product_line(pl)
            lines.append(line)
            line_sum_total += gross
        if not any("product_code" in line for line in lines):
            raise NetvisorFailure("INVALID_DATA", "At least one product line is required")
        total = _dec(_text(si, "SalesInvoiceAmount"))
        assert total is not None
        if total != line_sum_total:
            raise NetvisorFailure(
                "INVALID_DATA",
                f"SalesInvoiceAmount {_comma(total)} differs from the sum of lines {_comma(line_sum_total)}",
            )
        if _cents(total) != total:
            raise NetvisorFailure("INVALID_DATA", "SalesInvoiceAmount has more than 2 decimals")
        record = {
            "invoice_date": invoice_date,
            "delivery_date": _opt_date(_text(si, "SalesInvoiceDeliveryDate")),
            "total": total,
            "status": status,
            "customer_code": customer_code,
            "payment_term_days": _int_or_none(_text(si, "PaymentTermNetDays")),
            "private_comment": _text(si, "SalesInvoicePrivateComment"),
            "free_text_before": _text(si, "SalesInvoiceFreeTextBeforeLines"),
            "free_text_after": _text(si, "SalesInvoiceFreeTextAfterLines"),
            "our_reference": _text(si, "SalesInvoiceOurReference"),
            "your_reference": _text(si, "SalesInvoiceYourReference"),
            "lines": lines,
        }
        if edit_key is None:
            key = self._new_key()
            self._invoices[key] = {
                "key": key,
                "number": str(next(self._invoice_numbers)),
                **record,
                "open_sum": total,
                "matched_to": None,
            }
            return key
        stored = self._invoices.get(edit_key)
        if stored is None:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {edit_key} not found")
        if stored["status"] != "unsent":
            raise NetvisorFailure(
                "INVALID_DATA",
                f"Sales invoice {edit_key} is {stored['status']} and cannot be edited",
            )
        stored.update(record)
        stored["open_sum"] = total
        return None

    def _product_line(self, pl: Any) -> tuple[dict[str, Any], Decimal]:
        code = self._product_code(pl.find("ProductIdentifier"))
        price = _dec(_text(pl, "ProductUnitPrice"))
        qty = _dec(_text(pl, "SalesInvoiceProductLineQuantity"))
        vat = _dec(_text(pl, "ProductVatPercentage"))
        assert price is not None and qty is not None and vat is not None
        if price < 0:
            raise NetvisorFailure(
                "INVALID_DATA", "Unit price must not be negative; credit with a negative quantity"
            )
        discount = _dec(_text(pl, "SalesInvoiceProductLineDiscountPercentage")) or Decimal(0)
        net = _cents(qty * price * (Decimal(100) - discount) / Decimal(100))
        vat_sum = _cents(net * vat / Decimal(100))
        gross = net + vat_sum
        given_vat = _dec(_text(pl, "SalesInvoiceProductLineVatSum"))
        given_sum = _dec(_text(pl, "SalesInvoiceProductLineSum"))
        if (given_vat is None) != (given_sum is None):
            raise NetvisorFailure("INVALID_DATA", "Give both line VAT sum and line sum, or neither")
        if given_sum is not None and (given_vat != vat_sum or given_sum != gross):
            raise NetvisorFailure(
                "INVALID_DATA",
                f"Line sums {_comma(given_sum)}/{_comma(given_vat)} do not match "
                f"{_comma(gross)}/{_comma(vat_sum)} for product {code}",
            )
        line = {
            "product_code": code,
            "name": _text(pl, "ProductName"),
            "unit_price": price,
            "quantity": qty,
            "vat_percent": vat,
            "vat_code": pl.find("ProductVatPercentage").get("vatcode"),
            "free_text": _text(pl, "SalesInvoiceProductLineFreeText"),
            "vat_sum": vat_sum,
            "sum": gross,
            "dimensions": [
                (_text(d, "DimensionName"), _text(d, "DimensionItem"))
                for d in pl.findall("Dimension")
            ],
        }
        return line, gross

    def _match(self, root: Any) -> None:
        credit_key = _text(root, "MatchCreditNote/CreditNoteNetvisorKey") or ""
        invoice_key = _text(root, "MatchCreditNote/InvoiceNetvisorKey") or ""
        credit, invoice = self._invoices.get(credit_key), self._invoices.get(invoice_key)
        if credit is None:
            raise NetvisorFailure("INVALID_DATA", f"Credit note {credit_key} not found")
        if invoice is None:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {invoice_key} not found")
        if credit["total"] >= 0:
            raise NetvisorFailure(
                "INVALID_DATA", f"Sales invoice {credit_key} is not a credit note"
            )
        if invoice["total"] <= 0:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {invoice_key} is a credit note")
        for k, inv in ((credit_key, credit), (invoice_key, invoice)):
            if inv["status"] != "open":
                raise NetvisorFailure(
                    "INVALID_DATA", f"Sales invoice {k} is {inv['status']}, not open"
                )
        if credit.get("matched_to"):
            raise NetvisorFailure("INVALID_DATA", f"Credit note {credit_key} is already matched")
        credit["matched_to"] = invoice_key
        amount = min(-credit["open_sum"], invoice["open_sum"])
        invoice["open_sum"] -= amount
        credit["open_sum"] += amount
        # statuses stay as they are (unverified whether Netvisor marks fully matched ones paid)

    # -- reads ----------------------------------------------------------------------------------

    def _read(self, resource: str, query: dict[str, str]) -> list[Any]:
        if resource == "customerlist.nv":
            return [self._customer_list(query)]
        if resource in ("productlist.nv", "getproduct.nv"):
            return self._product_read(resource, query)
        if resource == "salesinvoicelist.nv":
            return [self._invoice_list(query)]
        return [self._get_invoices(query)]

    def _customer_list(self, query: dict[str, str]) -> Any:
        if "customercodelist" in query:
            codes = [c for c in query["customercodelist"].split(",") if c]
            if len(codes) > 100:
                raise NetvisorFailure("INVALID_DATA_SIZE", "At most 100 customer codes")
            found = [c for c in self._customers.values() if c["code"] in codes]
        else:
            word = query.get("keyword", "").lower()
            found = [
                c
                for c in self._customers.values()
                if word in (c["code"] or "").lower() or word in (c["name"] or "").lower()
            ]
        out = etree.Element("Customerlist")  # sic: Netvisor's casing
        for c in found:
            el = etree.SubElement(out, "Customer")
            _add(el, "Netvisorkey", c["key"])  # sic: lower-case k in this resource
            _add(el, "Name", c["name"])
            _add(el, "Code", c["code"])
            _add(el, "OrganisationIdentifier", c["business_id"] or "")
            _add(el, "IsActive", "Kyllä" if c["is_active"] else "Ei")
            _add(el, "Uri", f"/getcustomer.nv?id={c['key']}")
        return out

    def _product_read(self, resource: str, query: dict[str, str]) -> list[Any]:
        if resource == "getproduct.nv":
            ident = query.get("id") or query.get("code")
            found = [
                p
                for p in self._products.values()
                if (query.get("id") and p["key"] == ident)
                or (query.get("code") and p["code"] == ident)
            ]
            if not found:
                raise NetvisorFailure("INVALID_DATA", f"Product {ident} not found")
            out = etree.Element("Product")
            base = etree.SubElement(out, "ProductBaseInformation")
            p = found[0]
            _add(base, "NetvisorKey", p["key"])
            _add(base, "ProductCode", p["code"])
            _add(base, "Name", p["name"])
            price = etree.SubElement(base, "UnitPrice", type=p["unit_price_type"] or "net")
            price.text = _comma(p["unit_price"])
            _add(base, "IsActive", "1" if p["is_active"] else "0")
            return [out]
        word = query.get("keyword", "").lower()
        out = etree.Element("ProductList")
        for p in self._products.values():
            if word in p["code"].lower() or word in (p["name"] or "").lower():
                el = etree.SubElement(out, "Product")
                _add(el, "NetvisorKey", p["key"])
                _add(el, "ProductCode", p["code"])
                _add(el, "Name", p["name"])
                _add(el, "UnitPrice", _comma(p["unit_price"]))
                _add(el, "Uri", f"/getproduct.nv?id={p['key']}")
        return [out]

    def _invoice_list(self, query: dict[str, str]) -> Any:
        begin = _opt_date(query.get("begininvoicedate"))
        end = _opt_date(query.get("endinvoicedate"))
        out = etree.Element("SalesInvoiceList")
        for inv in self._invoices.values():
            if (begin and inv["invoice_date"] < begin) or (end and inv["invoice_date"] > end):
                continue
            if query.get("customercode") and inv["customer_code"] != query["customercode"]:
                continue
            if query.get("invoicestatus") and inv["status"] != query["invoicestatus"]:
                continue
            el = etree.SubElement(out, "SalesInvoice")
            _add(el, "NetvisorKey", inv["key"])
            _add(el, "InvoiceNumber", inv["number"])
            d = etree.SubElement(el, "Invoicedate", format="ansi")  # sic: Netvisor's casing
            d.text = inv["invoice_date"].isoformat()
            status = etree.SubElement(el, "InvoiceStatus", substatus="")
            status.text = inv["status"]
            _add(el, "CustomerCode", inv["customer_code"])
            _add(el, "InvoiceSum", _comma(inv["total"]))
            _add(el, "OpenSum", _comma(inv["open_sum"]))
        return out

    def _get_invoices(self, query: dict[str, str]) -> Any:
        comments = query.get("showcommentlines") == "1"
        if "netvisorkeylist" in query:
            if "netvisorkey" in query:
                raise NetvisorFailure(
                    "INVALID_DATA", "Give netvisorkey or netvisorkeylist, not both"
                )
            keys = [k for k in query["netvisorkeylist"].split(",") if k]
            if len(keys) > 500:
                raise NetvisorFailure("INVALID_DATA_SIZE", "At most 500 keys")
            out = etree.Element("SalesInvoices")
            for k in keys:
                if k in self._invoices:
                    out.append(self._invoice_element(self._invoices[k], comments))
            return out
        key = query.get("netvisorkey", "")
        if key not in self._invoices:
            raise NetvisorFailure("INVALID_DATA", f"Sales invoice {key} not found")
        return self._invoice_element(self._invoices[key], comments)

    def _invoice_element(self, inv: dict[str, Any], comments: bool) -> Any:
        """One invoice in ``getsalesinvoice.nv``'s reply shape, per :attr:`reply_layout`."""
        layout = self.reply_layout
        el = etree.Element("SalesInvoice")
        if layout["key"]:
            _add(el, "SalesInvoiceNetvisorKey", inv["key"])
        _add(el, "SalesInvoiceNumber", inv["number"])
        d = etree.SubElement(el, "SalesInvoiceDate", format="ansi")
        d.text = inv["invoice_date"].isoformat()
        _add(el, "SalesInvoiceAmount", _comma(inv["total"]))
        status = etree.SubElement(el, "InvoiceStatus", status=inv["status"])
        status.text = _STATUS_LABELS.get(inv["status"], inv["status"])
        _add(el, "SalesInvoicePrivateComment", inv["private_comment"] or "")
        _add(el, "InvoicingCustomerCode", inv["customer_code"])
        customer = self._customers.get(inv["customer_code"])
        if customer is not None:
            _add(el, "InvoicingCustomerNetvisorKey", customer["key"])
        _add(el, "PaymentTermNetDays", str(inv["payment_term_days"] or ""))
        lines = etree.SubElement(el, "InvoiceLines")
        shared = etree.SubElement(lines, "InvoiceLine") if layout["wrapper"] == "one" else None
        for line in inv["lines"]:
            if "comment" in line and not comments:
                continue
            wrapper = shared if shared is not None else etree.SubElement(lines, "InvoiceLine")
            if "comment" in line:
                c = etree.SubElement(wrapper, "SalesInvoiceCommentLine")
                _add(c, "Comment", line["comment"] or "")
                continue
            pl = etree.SubElement(wrapper, "SalesInvoiceProductLine")
            ident = etree.SubElement(pl, "ProductIdentifier", type="customer")
            ident.text = line["product_code"]
            _add(pl, "ProductName", line["name"])
            price = etree.SubElement(pl, "ProductUnitPrice", type="net")
            price.text = format(line["unit_price"], "f").replace(".", ",")
            vat = etree.SubElement(pl, "ProductVatPercentage", vatcode=line["vat_code"] or "")
            vat.text = format(line["vat_percent"], "f").replace(".", ",")
            _add(
                pl,
                "SalesInvoiceProductLineQuantity",
                format(line["quantity"], "f").replace(".", ","),
            )
            _add(pl, "SalesInvoiceProductLineFreeText", line["free_text"] or "")
            # Netvisor writes line sums with four decimals
            _add(pl, "SalesInvoiceProductLineVatSum", _comma4(line["vat_sum"]))
            _add(pl, "SalesInvoiceProductLineSum", _comma4(line["sum"]))
        return el

    # -- admin endpoints ------------------------------------------------------------------------

    def _admin(
        self, environ: dict[str, Any], path: str
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        verb = environ.get("REQUEST_METHOD", "GET")
        parts = [p for p in path.split("/") if p][1:]
        try:
            if parts == ["state"] and verb == "GET":
                return _json(
                    200,
                    {
                        "customers": self.customers(),
                        "products": self.products(),
                        "invoices": self.invoices(),
                    },
                )
            if parts == ["stats"] and verb == "GET":
                return _json(200, self.stats())
            if parts == ["reply_layout"] and verb == "GET":
                with self._state:
                    return _json(200, dict(self.reply_layout))
            if parts == ["reply_layout"] and verb == "POST":
                self.set_reply_layout(**json.loads(_read_body(environ) or b"{}"))
                with self._state:
                    return _json(200, dict(self.reply_layout))
            if parts == ["faults"] and verb == "POST":
                spec = json.loads(_read_body(environ) or b"{}")
                kind = spec.pop("kind")
                self.inject(
                    kind,
                    resource=spec.pop("resource", None),
                    method=spec.pop("method", None),
                    times=spec.pop("times", None),
                    **spec,
                )
                return _json(201, {"ok": True})
            if parts == ["faults"] and verb == "GET":
                with self._state:
                    return _json(200, [f.as_dict() for f in self._faults])
            if parts == ["faults"] and verb == "DELETE":
                self.clear_faults()
                return _json(200, {"ok": True})
            if (
                len(parts) == 3
                and parts[0] == "invoices"
                and parts[2] == "status"
                and verb == "POST"
            ):
                spec = json.loads(_read_body(environ) or b"{}")
                self.set_invoice_status(parts[1], spec["status"])
                return _json(200, {"ok": True})
            if len(parts) == 2 and parts[0] == "invoices" and verb == "DELETE":
                self.delete_invoice(parts[1])
                return _json(200, {"ok": True})
            if len(parts) == 2 and parts[0] == "invoices" and verb == "GET":
                inv = self.invoice(parts[1])
                return _json(200, inv) if inv else _json(404, {"error": "not found"})
        except KeyError as exc:
            return _json(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(404, {"error": f"no admin endpoint {verb} {path}"})


# ------------------------------------------------------------------------------------------------
# helpers


class _SandboxTransport(httpx.WSGITransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DropConnection:
            raise httpx.ReadError("sandbox dropped the connection", request=request) from None


def _code_of(el: Any, records: dict[str, dict[str, Any]], what: str) -> str:
    """The code of the record an identifier element names (type="netvisor": by key)."""
    ident = (el.text or "").strip()
    if el.get("type") == "netvisor":
        found = records.get(ident)
    else:
        found = next((r for r in records.values() if r["code"] == ident), None)
    if found is None:
        raise NetvisorFailure("INVALID_DATA", f"{what} {ident} not found")
    return found["code"]


def _copy_invoice(inv: dict[str, Any]) -> dict[str, Any]:
    out = dict(inv)
    out["lines"] = [dict(line) for line in inv["lines"]]
    return out


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _request_url(environ: dict[str, Any]) -> str:
    """The URL as the client sent it (scheme, Host header, path, raw query)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/~")
    query = environ.get("QUERY_STRING", "")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def _status_line(code: int) -> str:
    reasons = {
        200: "OK",
        201: "Created",
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return f"{code} {reasons.get(code, 'Error')}"


def _json(code: int, payload: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    return (
        _status_line(code),
        [("Content-Type", "application/json")],
        json.dumps(payload, default=_json_default, ensure_ascii=False).encode("utf-8"),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _add(parent: Any, tag: str, text: str | None) -> Any:
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def _flag(text: str | None) -> bool | None:
    return None if text is None else text.lower() in ("1", "true")


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text else None


def _opt_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NetvisorFailure("INVALID_DATA", f"{text!r} is not a YYYY-MM-DD date") from None


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
