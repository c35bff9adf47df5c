"""Builders shared by the sync unit tests: ledger rows, desired objects, a run context."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from connector.billing import BillingRules
from connector.ledger import Ledger, LedgerState, ObjectKind, OwnedObject
from connector.netvisor import documents as nv
from connector.sync.context import RequestAudit, RunContext
from connector.sync.desired import DesiredObject, customer_key, product_key
from connector.sync.report import RunReport


def owned(
    key: str,
    *,
    kind: ObjectKind = ObjectKind.INVOICE,
    state: LedgerState = LedgerState.SENT,
    period: str | None = "2026-04",
    netvisor_key: str | None = "NV-1",
    status: str | None = None,
    billed_on: str | None = None,
) -> OwnedObject:
    return OwnedObject(
        key=key,
        kind=kind,
        state=state,
        netvisor_key=netvisor_key,
        content_hash="h",
        pending_hash=None,
        pending_action=None,
        attempts=1,
        last_error_type=None,
        last_error=None,
        period=period,
        customer_code="C1",
        total=Decimal("10.00"),
        netvisor_status=status,
        created_at="",
        updated_at="",
        billed_on=billed_on,
    )


def customer(code: str = "C1") -> DesiredObject:
    record = nv.CustomerRecord(code=code, name="Testi Oy", business_id="1234567-8")
    return DesiredObject.of(
        customer_key(code), ObjectKind.CUSTOMER, record, f"company {code}", customer_code=code
    )


def product(code: str = "KOTIHOITO") -> DesiredObject:
    record = nv.ProductRecord(
        code=code, name="Kotihoito", unit="h", unit_price=Decimal("30.00"), vat_percent=Decimal(0)
    )
    return DesiredObject.of(product_key(code), ObjectKind.PRODUCT, record, f"product {code}")


def invoice(customer_code: str = "C1", product_code: str = "KOTIHOITO") -> DesiredObject:
    line = nv.ProductLine(
        product_code, "Kotihoito", Decimal("30.00"), Decimal(2), Decimal(0), "KOMY"
    )
    key = f"inv:2026-04:{customer_code}"
    payload = nv.SalesInvoice(
        date(2026, 5, 1), customer_code, 14, (line,), status="unsent", private_comment=key
    )
    return DesiredObject.of(
        key,
        ObjectKind.INVOICE,
        payload,
        f"invoice 2026-04 {customer_code}",
        period="2026-04",
        customer_code=customer_code,
        total=Decimal("60.00"),
        depends_on=(customer_key(customer_code), product_key(product_code)),
    )


def run_context(
    ledger: Ledger,
    *,
    stop: threading.Event | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RunContext:
    """A context for the apply and reconcile phases (they use no config and no mappings)."""
    report = RunReport(command="sync", today=date(2026, 5, 2))
    unused: Any = None
    return RunContext(
        config=unused,
        mappings=unused,
        rules=BillingRules(),
        ledger=ledger,
        report=report,
        audit=RequestAudit(report),
        today=date(2026, 5, 2),
        run_id=ledger.start_run("sync"),
        read_only=False,
        stop=stop or threading.Event(),
        progress=progress,
    )
