"""Netvisor request signing: the headers every request carries and the HMAC-SHA256 MAC.

MAC (``docs/netvisor.md``): key = ``customerKey&partnerKey``; message = ten values joined with
``&`` — full URL as sent (query included), sender, customerId, timestamp, language,
organisationId, transactionId, timestampUnix, customerKey, partnerKey — both encoded ISO-8859-1;
lowercase hex digest. Keys are never sent, they only feed the MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from connector.core.secrets import Secret

MAC_ALGORITHM = "HMACSHA256"


@dataclass(frozen=True)
class NetvisorCredentials:
    """One company environment's credentials. The two keys are :class:`Secret` and never print."""

    sender: str
    customer_id: str
    partner_id: str
    organisation_id: str
    customer_key: Secret
    partner_key: Secret
    language: str = "EN"

    def __post_init__(self) -> None:
        for name in ("sender", "customer_id", "partner_id", "organisation_id"):
            if not getattr(self, name):
                raise ValueError(f"Netvisor credentials: {name} is empty")
        if not isinstance(self.customer_key, Secret) or not isinstance(self.partner_key, Secret):
            raise TypeError("Netvisor credentials: customer_key and partner_key must be Secret")


def compute_mac(
    url: str,
    *,
    sender: str,
    customer_id: str,
    timestamp: str,
    language: str,
    organisation_id: str,
    transaction_id: str,
    timestamp_unix: str | int,
    customer_key: str,
    partner_key: str,
) -> str:
    """HMAC-SHA256 of the ten values, keyed ``customerKey&partnerKey``, as lowercase hex."""
    message = "&".join(
        [
            url,
            sender,
            customer_id,
            timestamp,
            language,
            organisation_id,
            transaction_id,
            str(timestamp_unix),
            customer_key,
            partner_key,
        ]
    )
    key = f"{customer_key}&{partner_key}"
    return hmac.new(
        key.encode("iso-8859-1"), message.encode("iso-8859-1"), hashlib.sha256
    ).hexdigest()


def format_timestamp(moment: datetime) -> str:
    """Netvisor's header timestamp: UTC ``YYYY-MM-DD HH:MM:SS.fff``."""
    if moment.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def new_transaction_id() -> str:
    """A fresh, never reused transaction id (Netvisor refuses reuse with REQUEST_NOT_UNIQUE)."""
    return uuid.uuid4().hex


def signed_headers(
    url: str,
    credentials: NetvisorCredentials,
    *,
    now: datetime | None = None,
    transaction_id: str | None = None,
) -> dict[str, str]:
    """All Netvisor headers for one request to ``url`` (exactly as sent), with a fresh
    transaction id and both timestamps of the same instant, and the MAC over them."""
    moment = now or datetime.now(UTC)
    timestamp = format_timestamp(moment)
    timestamp_unix = str(int(moment.timestamp()))
    txn = transaction_id or new_transaction_id()
    mac = compute_mac(
        url,
        sender=credentials.sender,
        customer_id=credentials.customer_id,
        timestamp=timestamp,
        language=credentials.language,
        organisation_id=credentials.organisation_id,
        transaction_id=txn,
        timestamp_unix=timestamp_unix,
        customer_key=credentials.customer_key.reveal(),
        partner_key=credentials.partner_key.reveal(),
    )
    return {
        "X-Netvisor-Authentication-Sender": credentials.sender,
        "X-Netvisor-Authentication-CustomerId": credentials.customer_id,
        "X-Netvisor-Authentication-PartnerId": credentials.partner_id,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TimestampUnix": timestamp_unix,
        "X-Netvisor-Authentication-TransactionId": txn,
        "X-Netvisor-Interface-Language": credentials.language,
        "X-Netvisor-Organisation-ID": credentials.organisation_id,
        "X-Netvisor-Authentication-MAC": mac,
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": MAC_ALGORITHM,
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
    }
