"""Replays of Netvisor's documented request/response examples (invented data) through the real
client and transport. Bodies are matched as canonical XML, never as strings."""

from __future__ import annotations

import pytest
import vcr
from vcr.errors import CannotOverwriteExistingCassetteException

from connector.core.secrets import Secret
from connector.netvisor import xml as nvxml
from connector.netvisor.auth import NetvisorCredentials
from connector.netvisor.client import NetvisorClient
from connector.netvisor.errors import NetvisorInvalidData
from connector.netvisor.fingerprint import invoice_fingerprint

HOST = "https://isvapi.netvisor.fi"
SCRUBBED_HEADERS = [
    "X-Netvisor-Authentication-MAC",
    "X-Netvisor-Authentication-Sender",
    "X-Netvisor-Authentication-CustomerId",
    "X-Netvisor-Authentication-PartnerId",
    "X-Netvisor-Authentication-TransactionId",
    "X-Netvisor-Authentication-Timestamp",
    "X-Netvisor-Authentication-TimestampUnix",
    "X-Netvisor-Organisation-ID",
]


def canonical_xml_body(r1, r2) -> None:
    """vcrpy matcher: equal when both bodies are the same XML after C14N (or both empty)."""
    b1, b2 = r1.body or b"", r2.body or b""
    b1 = b1.encode() if isinstance(b1, str) else b1
    b2 = b2.encode() if isinstance(b2, str) else b2
    if not b1.strip() or not b2.strip():
        assert b1.strip() == b2.strip(), "one body is empty"
        return
    assert nvxml.canonical(b1) == nvxml.canonical(b2), "XML bodies differ"


@pytest.fixture
def replay(samples):
    my_vcr = vcr.VCR(
        cassette_library_dir=str(samples.CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "path", "query", "xml_body"],
        filter_headers=SCRUBBED_HEADERS,
        decode_compressed_response=True,
    )
    my_vcr.register_matcher("xml_body", canonical_xml_body)
    return my_vcr


@pytest.fixture
def real_client():
    creds = NetvisorCredentials(
        sender="cassette",
        customer_id="CASSETTE-CUSTOMER",
        partner_id="CASSETTE-PARTNER",
        organisation_id="1234567-1",
        customer_key=Secret("cassette-customer-key"),
        partner_key=Secret("cassette-partner-key"),
    )
    with NetvisorClient(HOST, creds, sleep=lambda s: None) as client:
        yield client


def test_customer_add_and_lookup(replay, real_client, samples) -> None:
    with replay.use_cassette("customer_add_and_lookup.yaml") as cassette:
        assert real_client.add_customer(samples.company_customer()) == "135"
        found = real_client.customers_by_code(["cust-1001", "cust-9999"])
        assert cassette.all_played
    assert list(found) == ["cust-1001"]
    assert found["cust-1001"].netvisor_key == "135"
    assert found["cust-1001"].business_id == "1234567-1"


def test_sales_invoice_add_and_get(replay, real_client, samples) -> None:
    with replay.use_cassette("salesinvoice_add_and_get.yaml") as cassette:
        key = real_client.add_sales_invoice(samples.voucher_invoice())
        detail = real_client.sales_invoice(key)
        assert cassette.all_played
    assert key == "2468"
    assert detail.private_comment == "inv:2025-04:cust-2002:invoice"
    assert detail.status == "unsent" and detail.line_count == 4
    # the documented reply (all lines in one wrapper, four-decimal sums) shows what we sent
    assert invoice_fingerprint(detail) == invoice_fingerprint(samples.voucher_invoice())


def test_rejected_credit_note_and_match(replay, real_client, samples) -> None:
    with replay.use_cassette("salesinvoice_add_rejected.yaml") as cassette:
        with pytest.raises(NetvisorInvalidData) as info:
            real_client.add_sales_invoice(samples.credit_note())
        real_client.match_credit_note("2469", "2468")
        assert cassette.all_played
    assert info.value.netvisor_text == "Tuotetta ei löytynyt tunnisteella KOTIHOITO-H"
    assert info.value.http_status == 400


def test_a_different_body_does_not_match(replay, real_client, samples) -> None:
    from dataclasses import replace

    changed = replace(samples.company_customer(), name="Toinen Oy")
    with (
        replay.use_cassette("customer_add_and_lookup.yaml"),
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        real_client.add_customer(changed)


def test_cassettes_hold_no_credentials(samples) -> None:
    import yaml

    cassettes = list(samples.CASSETTES.glob("*.yaml"))
    assert len(cassettes) >= 3
    for path in cassettes:
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            headers = {k.lower() for k in interaction["request"]["headers"]}
            assert headers <= {"content-type"}, f"{path.name} stores request headers {headers}"
        text = path.read_text(encoding="utf-8").lower()
        assert "customer-key" not in text and "partner-key" not in text and "hmac" not in text
