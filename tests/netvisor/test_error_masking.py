"""Netvisor's error text can echo what we sent; what the client raises (and so what the ledger
stores and the terminal prints) never holds a personal value we sent."""

from __future__ import annotations

import httpx
import pytest

from connector.netvisor.client import NetvisorClient
from connector.netvisor.documents import CustomerRecord
from connector.netvisor.errors import NetvisorInvalidData


def echoing_transport(samples) -> httpx.MockTransport:
    body = (samples.GOLDEN / "replies" / "invalid_data_echo.xml").read_bytes()
    return httpx.MockTransport(lambda request: httpx.Response(400, content=body))


def person() -> CustomerRecord:
    return CustomerRecord(
        code="cust-2002",
        name="Esimerkki Asiakas",
        is_private=True,
        street="Esimerkkitie 1",
        city="Helsinki",
        post_number="00100",
        email="asiakas@example.invalid",
        phone="040 1234567",
    )


def test_an_echoed_name_address_email_and_phone_are_masked_in_the_raised_error(samples) -> None:
    creds = samples.credentials_for(samples.NetvisorSandbox())
    with (
        NetvisorClient(
            samples.BASE_URL, creds, transport=echoing_transport(samples), sleep=lambda s: None
        ) as client,
        pytest.raises(NetvisorInvalidData) as info,
    ):
        client.add_customer(person())
    error = info.value
    shown = f"{error} {error.netvisor_text}".lower()
    for value in ("esimerkki asiakas", "esimerkkitie", "asiakas@example.invalid", "1234567"):
        assert value not in shown
    assert "***" in error.netvisor_text
    assert "cust-2002" in error.netvisor_text and error.error_type == "INVALID_DATA"


def test_a_read_error_is_not_masked_because_a_read_sends_nothing_personal(samples) -> None:
    creds = samples.credentials_for(samples.NetvisorSandbox())
    with NetvisorClient(
        samples.BASE_URL, creds, transport=echoing_transport(samples), sleep=lambda s: None
    ) as client:
        assert client.sales_invoice("2468") is None  # INVALID_DATA on a read: not known
