"""Shared fixtures for the Netvisor tests: sandbox, credentials, client, sample documents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from connector.core.secrets import Secret
from connector.netvisor.auth import NetvisorCredentials
from connector.netvisor.client import NetvisorClient
from connector.netvisor.documents import (
    CommentLine,
    CustomerRecord,
    ProductLine,
    ProductRecord,
    RequestRecord,
    SalesInvoice,
)
from connector.sandbox.netvisor import NetvisorSandbox

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "netvisor"
CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "netvisor"
BASE_URL = "http://netvisor.sandbox.test"


def credentials_for(sandbox: NetvisorSandbox) -> NetvisorCredentials:
    c = sandbox.credentials
    return NetvisorCredentials(
        sender=c["sender"],
        customer_id=c["customer_id"],
        partner_id=c["partner_id"],
        organisation_id=c["organisation_id"],
        customer_key=Secret(c["customer_key"]),
        partner_key=Secret(c["partner_key"]),
    )


@pytest.fixture
def sandbox() -> NetvisorSandbox:
    return NetvisorSandbox()


@pytest.fixture
def audit() -> list[RequestRecord]:
    return []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(
    sandbox: NetvisorSandbox, audit: list[RequestRecord], sleeps: list[float]
) -> Iterator[NetvisorClient]:
    with NetvisorClient(
        BASE_URL,
        credentials_for(sandbox),
        transport=sandbox.transport(),
        sleep=sleeps.append,
        on_request=audit.append,
    ) as c:
        yield c


def euros(text: str) -> Decimal:
    return Decimal(text)


def company_customer() -> CustomerRecord:
    return CustomerRecord(
        code="cust-1001",
        name="Esimerkki Oy",
        business_id="1234567-1",
        street="Testikatu 1",
        city="Helsinki",
        post_number="00100",
        email="laskutus@example.invalid",
        einvoice_address="003712345671",
        einvoice_operator="E204503",
        payment_term_days=14,
        payment_term_key="2",
    )


def private_customer() -> CustomerRecord:
    return CustomerRecord(code="cust-2002", name="Testi Henkilö", is_private=True, city="Espoo")


def home_care_product() -> ProductRecord:
    return ProductRecord(
        code="KOTIHOITO-H",
        name="Kotihoito, tunti",
        unit="h",
        unit_price=Decimal("25.00"),
        vat_percent=Decimal("0"),
        description="Kotihoidon tuntityö",
        group="Palvelut",
    )


def cleaning_product() -> ProductRecord:
    return ProductRecord(
        code="SIIVOUS",
        name="Siivous",
        unit="kpl",
        unit_price=Decimal("40.00"),
        vat_percent=Decimal("25.5"),
    )


def voucher_invoice(customer_code: str = "cust-2002") -> SalesInvoice:
    """April: 3 h home care at 25,00 €, voucher covers 15,00 € / h; self-pay 10,00 € / h."""
    return SalesInvoice(
        invoice_date=date(2025, 4, 30),
        customer_code=customer_code,
        payment_term_days=14,
        lines=(
            ProductLine(
                "KOTIHOITO-H",
                "Kotihoito 04/2025",
                Decimal("25.00"),
                Decimal("3"),
                Decimal("0"),
                "NONE",
                dimensions=(("Alue", "Helsinki"),),
            ),
            ProductLine(
                "KOTIHOITO-H",
                "Palveluseteli PS-123",
                Decimal("15.00"),
                Decimal("-3"),
                Decimal("0"),
                "NONE",
                free_text="Palvelusetelin osuus",
            ),
            CommentLine("Omavastuu 3 h x 10,00 € = 30,00 €"),
            ProductLine(
                "SIIVOUS", "Siivous", Decimal("40.00"), Decimal("1.5"), Decimal("25.5"), "KOMY"
            ),
        ),
        private_comment="inv:2025-04:cust-2002:invoice",
        free_text_before="Huhtikuun palvelut",
        our_reference="Palveluntuottaja",
    )


def credit_note(customer_code: str = "cust-2002") -> SalesInvoice:
    """May: the April invoice billed one home-care hour too many; credit its self-pay."""
    return SalesInvoice(
        invoice_date=date(2025, 5, 31),
        customer_code=customer_code,
        payment_term_days=14,
        lines=(
            ProductLine(
                "KOTIHOITO-H",
                "Hyvitys 04/2025",
                Decimal("10.00"),
                Decimal("-1"),
                Decimal("0"),
                "NONE",
            ),
        ),
        private_comment="inv:2025-05:cust-2002:credit",
    )


@pytest.fixture
def samples():
    import sys

    return sys.modules[__name__]
