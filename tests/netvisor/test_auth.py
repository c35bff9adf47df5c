"""The MAC and headers, checked against digests computed independently with openssl."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connector.core.secrets import Secret
from connector.netvisor.auth import NetvisorCredentials, compute_mac, signed_headers

# printf '%s' 'http://127.0.0.1:8080/customerlist.nv?customercodelist=C1,C2&sender&cid&2024-01-02 03:04:05.006&EN&1234567-1&abc&1704164645&ck&pk' \
#   | openssl dgst -sha256 -hmac 'ck&pk'
OPENSSL_ASCII = "b816e090d135317a129e546828be2eeeb23b584d63c00a3866e860f39eef50ff"
# The same with a Latin-1 key (customerkey-ÄÖ), message and key converted with iconv -t iso-8859-1,
# digest by openssl dgst -sha256 -mac HMAC -macopt hexkey:<latin-1 key as hex>.
OPENSSL_LATIN1 = "cc1a553cff24d7968e0bf2692defce5cab90fd4f12a1a6b3dc7f4014cd127b3a"


def test_mac_matches_openssl_digest() -> None:
    mac = compute_mac(
        "http://127.0.0.1:8080/customerlist.nv?customercodelist=C1,C2",
        sender="sender",
        customer_id="cid",
        timestamp="2024-01-02 03:04:05.006",
        language="EN",
        organisation_id="1234567-1",
        transaction_id="abc",
        timestamp_unix=1704164645,
        customer_key="ck",
        partner_key="pk",
    )
    assert mac == OPENSSL_ASCII


def test_mac_encodes_latin1_like_netvisor() -> None:
    mac = compute_mac(
        "https://isvapi.netvisor.fi/salesinvoice.nv?method=add",
        sender="Example Sender",
        customer_id="ExampleCustomerId",
        timestamp="2024-05-06 07:08:09.123",
        language="EN",
        organisation_id="1234567-1",
        transaction_id="txn-0001",
        timestamp_unix="1714979289",
        customer_key="customerkey-ÄÖ",
        partner_key="partnerkey-1",
    )
    assert mac == OPENSSL_LATIN1


def _credentials() -> NetvisorCredentials:
    return NetvisorCredentials(
        sender="Example Sender",
        customer_id="ExampleCustomerId",
        partner_id="ExamplePartner",
        organisation_id="1234567-1",
        customer_key=Secret("customerkey-ÄÖ"),
        partner_key=Secret("partnerkey-1"),
    )


def test_signed_headers_carry_everything_and_the_openssl_mac() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    headers = signed_headers(
        "https://isvapi.netvisor.fi/salesinvoice.nv?method=add",
        _credentials(),
        now=moment,
        transaction_id="txn-0001",
    )
    assert headers == {
        "X-Netvisor-Authentication-Sender": "Example Sender",
        "X-Netvisor-Authentication-CustomerId": "ExampleCustomerId",
        "X-Netvisor-Authentication-PartnerId": "ExamplePartner",
        "X-Netvisor-Authentication-Timestamp": "2024-05-06 07:08:09.123",
        "X-Netvisor-Authentication-TimestampUnix": "1714979289",
        "X-Netvisor-Authentication-TransactionId": "txn-0001",
        "X-Netvisor-Interface-Language": "EN",
        "X-Netvisor-Organisation-ID": "1234567-1",
        "X-Netvisor-Authentication-MAC": OPENSSL_LATIN1,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
    }


def test_timestamp_is_utc_whatever_the_callers_zone() -> None:
    helsinki_summer = timezone(timedelta(hours=3))
    moment = datetime(2024, 5, 6, 10, 8, 9, 123000, tzinfo=helsinki_summer)
    headers = signed_headers("https://x/a.nv", _credentials(), now=moment, transaction_id="t")
    assert headers["X-Netvisor-Authentication-Timestamp"] == "2024-05-06 07:08:09.123"
    assert headers["X-Netvisor-Authentication-TimestampUnix"] == "1714979289"


def test_each_call_gets_a_fresh_transaction_id() -> None:
    ids = {
        signed_headers("https://x/a.nv", _credentials())["X-Netvisor-Authentication-TransactionId"]
        for _ in range(50)
    }
    assert len(ids) == 50


def test_keys_are_never_sent_nor_printed() -> None:
    creds = _credentials()
    headers = signed_headers("https://x/a.nv", creds)
    flat = " ".join(headers.values())
    assert "customerkey" not in flat and "partnerkey" not in flat
    assert "customerkey" not in repr(creds) and "partnerkey" not in str(creds)


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError):
        signed_headers("https://x/a.nv", _credentials(), now=datetime(2024, 1, 1))
