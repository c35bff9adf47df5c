"""Netvisor web-service API: MAC signing, XML documents, and the one-at-a-time client.

Modules, one concept each: ``auth`` (headers + HMAC-SHA256 MAC), ``documents`` (wire payload value
classes), ``xml`` (builders and lenient parsers), ``errors`` (Netvisor error types mapped onto the
connector's error tree, and the masking of what we sent out of Netvisor's error texts),
``fingerprint`` (the content fingerprint reconcile compares), ``client`` (transport, retries, one
request in flight per company). Every element sent and read: ``docs/netvisor.md``.

May import: core only.
"""

from connector.netvisor.auth import NetvisorCredentials, compute_mac, signed_headers
from connector.netvisor.client import NetvisorClient
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
    RequestRecord,
    SalesInvoice,
)
from connector.netvisor.fingerprint import invoice_fingerprint

__all__ = [
    "CommentLine",
    "CustomerRecord",
    "CustomerSummary",
    "DetailProductLine",
    "InvoiceDetail",
    "InvoiceSummary",
    "NetvisorClient",
    "NetvisorCredentials",
    "PaymentTerm",
    "ProductLine",
    "ProductRecord",
    "ProductSummary",
    "RequestRecord",
    "SalesInvoice",
    "compute_mac",
    "invoice_fingerprint",
    "signed_headers",
]
