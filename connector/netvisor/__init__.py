"""Netvisor web-service API: MAC signing, XML documents, and the one-at-a-time client.

Modules, one concept each: ``auth`` (headers + HMAC-SHA256 MAC), ``documents`` (wire payload value
classes), ``xml`` (builders and lenient parsers), ``errors`` (Netvisor error types mapped onto the
connector's error tree), ``client`` (transport, retries, one request in flight per company).
"""

from connector.netvisor.auth import NetvisorCredentials, compute_mac, signed_headers
from connector.netvisor.client import NetvisorClient
from connector.netvisor.documents import (
    CommentLine,
    CustomerRecord,
    CustomerSummary,
    InvoiceDetail,
    InvoiceSummary,
    ProductLine,
    ProductRecord,
    ProductSummary,
    RequestRecord,
    SalesInvoice,
)

__all__ = [
    "CommentLine",
    "CustomerRecord",
    "CustomerSummary",
    "InvoiceDetail",
    "InvoiceSummary",
    "NetvisorClient",
    "NetvisorCredentials",
    "ProductLine",
    "ProductRecord",
    "ProductSummary",
    "RequestRecord",
    "SalesInvoice",
    "compute_mac",
    "signed_headers",
]
