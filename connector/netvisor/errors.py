"""Netvisor error types mapped onto the connector's error tree (``connector.core.errors``).

Every error carries Netvisor's ``error_type``, Netvisor's text (for a write, with every personal
value we sent masked by :func:`mask_sent_values`), the HTTP status, the
transaction id and the resource (path + method only), so a person can find the request in
Netvisor's logs. :func:`error_for` is the one place that decides which class an answer becomes.
"""

from __future__ import annotations

import re

from lxml import etree

from connector.core.errors import (
    AmbiguousWriteError,
    ConnectorError,
    FatalRunError,
    RecordError,
    TransientError,
)
from connector.core.logging import redact_text


def _message(error_type: str, text: str, resource: str | None, http_status: int | None) -> str:
    where = f" ({resource}" + (f", HTTP {http_status})" if http_status else ")") if resource else ""
    return f"Netvisor {error_type}{where}: {text}" if text else f"Netvisor {error_type}{where}"


class NetvisorError:
    """Mixin: the Netvisor context every Netvisor error carries, and the one constructor.

    The category (the second base: RecordError, TransientError, ...) decides what the caller
    does; this mixin only adds the context and builds the message.
    """

    netvisor_text: str
    http_status: int | None
    transaction_id: str | None
    resource: str | None

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        text = redact_text(text)  # identity codes and e-mails, whatever Netvisor echoed
        message = _message(error_type, text, resource, http_status)
        if isinstance(self, RecordError):
            RecordError.__init__(
                self, message, rule="netvisor_" + error_type.lower(), error_type=error_type
            )
        elif isinstance(self, TransientError):
            TransientError.__init__(self, message, error_type=error_type, retry_after=retry_after)
        else:
            ConnectorError.__init__(self, message, error_type=error_type)  # type: ignore[arg-type]
        self.netvisor_text = text
        self.http_status = http_status
        self.transaction_id = transaction_id
        self.resource = resource


class NetvisorAuthenticationError(NetvisorError, FatalRunError):
    """AUTHENTICATION_FAILED: credentials, headers, MAC, clock or resource not granted."""


class NetvisorServiceAccessError(NetvisorError, FatalRunError):
    """SERVICE_ACCESS_ERROR: the service is not enabled for this company."""


class NetvisorInvalidData(NetvisorError, RecordError):
    """INVALID_DATA / INVALID_DATA_SIZE: this record was refused; reject it, keep going."""


class NetvisorDuplicateData(NetvisorError, RecordError):
    """DUPLICATE_DATA: the record already exists; look it up and adopt its key."""


class NetvisorPeriodLock(NetvisorError, RecordError):
    """PERIOD_LOCK: the accounting period of that date is locked; a person must act."""


class NetvisorMaintenance(NetvisorError, TransientError):
    """SYSTEM_MAINTANANCE (sic): Netvisor is in maintenance; retry later."""


class NetvisorTransientError(NetvisorError, TransientError):
    """A read that kept failing (5xx, TECHNICAL_ERROR, timeouts, 429) after its retries."""


class NetvisorAmbiguousWrite(NetvisorError, AmbiguousWriteError):
    """A write whose outcome is unknown (timeout after sending, dropped, 5xx, TECHNICAL_ERROR,
    an unknown error type). Mark the ledger row ``unknown`` and reconcile."""


# Error types whose meaning does not depend on read vs write.
_DEFINITE: dict[str, type] = {
    "AUTHENTICATION_FAILED": NetvisorAuthenticationError,
    "SERVICE_ACCESS_ERROR": NetvisorServiceAccessError,
    "INVALID_DATA": NetvisorInvalidData,
    "INVALID_DATA_SIZE": NetvisorInvalidData,
    "DUPLICATE_DATA": NetvisorDuplicateData,
    "PERIOD_LOCK": NetvisorPeriodLock,
    "SYSTEM_MAINTANANCE": NetvisorMaintenance,
    "SYSTEM_MAINTENANCE": NetvisorMaintenance,  # in case Netvisor ever fixes the spelling
}

#: Error types that mean "the request never ran": safe to resend (with a new transaction id).
NOT_RUN_ERROR_TYPES = frozenset({"REQUEST_NOT_UNIQUE"})
#: Error types a read retries with back-off.
RETRYABLE_READ_ERROR_TYPES = frozenset(
    {"SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE", "TECHNICAL_ERROR", "REQUEST_NOT_UNIQUE"}
)

NetvisorException = (
    NetvisorAuthenticationError
    | NetvisorServiceAccessError
    | NetvisorInvalidData
    | NetvisorDuplicateData
    | NetvisorPeriodLock
    | NetvisorMaintenance
    | NetvisorTransientError
    | NetvisorAmbiguousWrite
)


def error_for(
    error_type: str,
    text: str,
    *,
    is_write: bool,
    http_status: int | None = None,
    transaction_id: str | None = None,
    resource: str | None = None,
) -> NetvisorException:
    """The exception for a final (not retried) Netvisor failure.

    Unknown types (and TECHNICAL_ERROR, 5xx, lost answers) never crash: an ambiguous write on the
    write side, a transient error on the read side. Maintenance stays a transient error on both
    sides because Netvisor refuses the request before running it.
    """
    cls = _DEFINITE.get(error_type)
    if cls is None:
        cls = NetvisorAmbiguousWrite if is_write else NetvisorTransientError
    return cls(
        error_type, text, http_status=http_status, transaction_id=transaction_id, resource=resource
    )


# ---------------------------------------------------------------------------------------------
# Masking what we sent out of Netvisor's error texts

#: Elements of our request bodies whose text can be personal: names, addresses, contact data and
#: free texts (a comment or reference may name a person). Ids, codes, keys, amounts, dates and
#: product names stay readable: a person needs them to find the record.
PERSONAL_ELEMENTS = frozenset(
    name.lower()
    for name in (
        "Name",
        "NameExtension",
        "StreetAddress",
        "AdditionalAddressLine",
        "City",
        "PostNumber",
        "PhoneNumber",
        "FaxNumber",
        "Email",
        "EmailInvoicingAddress",
        "HomePageUri",
        "FinvoiceAddress",
        "ContactPerson",
        "ContactPersonEmail",
        "ContactPersonPhone",
        "DeliveryName",
        "DeliveryStreetAddress",
        "DeliveryCity",
        "DeliveryPostNumber",
        "Comment",
        "YourDefaultReference",
        "SalesInvoiceFreeTextBeforeLines",
        "SalesInvoiceFreeTextAfterLines",
        "SalesInvoiceOurReference",
        "SalesInvoiceYourReference",
        "SalesInvoiceProductLineFreeText",
        "InvoicingCustomerName",
        "InvoicingCustomerNameExtension",
        "InvoicingCustomerAddressline",
        "InvoicingCustomerAdditionalAddressLine",
        "InvoicingCustomerPostnumber",
        "InvoicingCustomerTown",
    )
)
MASK = "***"
_MIN_TOKEN = 3


def personal_values(body: bytes | None) -> list[str]:
    """The personal values of one of *our* request bodies (trusted XML we built), each whole and
    each of its words of 3+ characters, longest first (so a whole value masks before its parts)."""
    if not body:
        return []
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return []
    values: set[str] = set()
    for el in root.iter():
        if (
            not isinstance(el.tag, str)
            or el.tag.rsplit("}", 1)[-1].lower() not in PERSONAL_ELEMENTS
        ):
            continue
        text = " ".join((el.text or "").split())
        if not text:
            continue
        values.add(text)
        values.update(w.strip(".,;:()\"'") for w in text.split() if len(w) >= _MIN_TOKEN)
    values.discard("")
    return sorted(values, key=len, reverse=True)


def mask_sent_values(text: str, body: bytes | None) -> str:
    """``text`` (an error text from Netvisor) with every personal value of ``body`` masked,
    case-insensitively. The one place the connector cleans Netvisor's echo of what we sent."""
    if not text:
        return text
    for value in personal_values(body):
        text = re.sub(re.escape(value), MASK, text, flags=re.IGNORECASE)
    return text
