"""Netvisor's wire format as the sandbox speaks it: the response envelope, the HTTP status per
error type, the authentication headers, and the values (comma decimals, ansi dates) inside
documents.

Unverified against real Netvisor (kept here, one place each): the HTTP status per error type
(``HTTP_STATUS``) and the error an overlapping request gets (``OVERLAP_ERROR``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from lxml import etree

# ------------------------------------------------------------------------------------------------
# Netvisor's error envelope and HTTP codes

# unverified: the exact codes Netvisor pairs with UseHTTPResponseStatusCodes: 1
HTTP_STATUS = {
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
OVERLAP_ERROR = ("TECHNICAL_ERROR", "Another request of this company is still being processed")

HEADERS = (
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


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def envelope(
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
    etree.SubElement(status, "TimeStamp").text = now_text()
    if inserted is not None:
        replies = etree.SubElement(root, "Replies")
        etree.SubElement(replies, "InsertedDataIdentifier").text = inserted
    for el in payload or []:
        root.append(el)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


# ------------------------------------------------------------------------------------------------
# Values


def dec(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise NetvisorFailure("INVALID_DATA", f"{text!r} is not a number") from None


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def comma4(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.0001")), "f").replace(".", ",")


def comma(value: Decimal) -> str:
    return format(cents(value), "f").replace(".", ",")


def find_el(el: Any, name: str) -> Any:
    return el.find(name) if el is not None else None


def child_text(el: Any, name: str) -> str | None:
    found = find_el(el, name)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def parse_body(body: bytes) -> Any:
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


def request_url(environ: dict[str, Any]) -> str:
    """The URL as the client sent it (scheme, Host header, path, raw query)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/~")
    query = environ.get("QUERY_STRING", "")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def add_child(parent: Any, tag: str, text: str | None) -> Any:
    el = etree.SubElement(parent, tag)
    el.text = text
    return el


def flag(text: str | None) -> bool | None:
    return None if text is None else text.lower() in ("1", "true")


def int_or_none(text: str | None) -> int | None:
    return int(text) if text else None


def opt_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NetvisorFailure("INVALID_DATA", f"{text!r} is not a YYYY-MM-DD date") from None


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
