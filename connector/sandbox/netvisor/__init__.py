"""A validating Netvisor stand-in, in four parts: ``wire`` (envelope, error codes, headers,
values), ``schema`` (the sandbox's own document schemas and validator), ``store`` (records and the
read/write resources, getsalesinvoice.nv in each reply layout) and ``app`` (the WSGI app: MAC and
one-request-at-a-time checks, faults, admin endpoints). Faults and admin plumbing come from
:mod:`connector.sandbox.kernel`, shared with the Spotilla sandbox."""

from connector.sandbox.netvisor.app import ADMIN_PREFIX, FAULT_KINDS, Fault, NetvisorSandbox
from connector.sandbox.netvisor.companies import NetvisorCompanies, company_credentials
from connector.sandbox.netvisor.schema import (
    CUSTOMER_SCHEMA,
    MATCH_CREDIT_NOTE_SCHEMA,
    PRODUCT_SCHEMA,
    SALES_INVOICE_SCHEMA,
    Node,
    validate,
)
from connector.sandbox.netvisor.store import DEFAULT_REPLY_LAYOUT, REPLY_LAYOUTS, NetvisorStore
from connector.sandbox.netvisor.wire import DEFAULT_CREDENTIALS, NetvisorFailure

__all__ = [
    "ADMIN_PREFIX",
    "CUSTOMER_SCHEMA",
    "DEFAULT_CREDENTIALS",
    "DEFAULT_REPLY_LAYOUT",
    "FAULT_KINDS",
    "MATCH_CREDIT_NOTE_SCHEMA",
    "PRODUCT_SCHEMA",
    "REPLY_LAYOUTS",
    "SALES_INVOICE_SCHEMA",
    "Fault",
    "NetvisorCompanies",
    "NetvisorFailure",
    "NetvisorSandbox",
    "NetvisorStore",
    "Node",
    "company_credentials",
    "validate",
]
