"""The Netvisor and Spotilla clients of one configured connector."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connector.core.config import Config, Secrets
from connector.netvisor import documents as nv
from connector.netvisor.auth import NetvisorCredentials
from connector.netvisor.client import NetvisorClient
from connector.spotilla.client import SpotillaClient


def netvisor_client(
    config: Config,
    secrets: Secrets,
    *,
    transport: httpx.BaseTransport | None = None,
    on_request: Callable[[nv.RequestRecord], None] | None = None,
) -> NetvisorClient:
    n = config.netvisor
    creds = NetvisorCredentials(
        sender=n.sender,
        customer_id=n.customer_id,
        partner_id=n.partner_id,
        organisation_id=n.organisation_id,
        customer_key=secrets.netvisor_customer_key,
        partner_key=secrets.netvisor_partner_key,
        language=n.language,
    )
    return NetvisorClient(
        n.base_url,
        creds,
        transport=transport,
        timeout=n.timeout,
        busy_wait=n.busy_wait,
        on_request=on_request,
    )


def spotilla_client(
    config: Config, secrets: Secrets, *, transport: httpx.BaseTransport | None = None
) -> SpotillaClient:
    s = config.spotilla
    return SpotillaClient(
        s.base_url,
        subdomain=s.subdomain,
        user_id=s.user_id,
        token=secrets.spotilla_token,
        username=s.username,
        password=secrets.spotilla_password,
        transport=transport,
        timeout=s.timeout,
        per_page=s.per_page,
        concurrency=s.concurrency,
        time_budget=s.time_budget,
        max_pages=s.max_pages,
        list_time_budget=s.list_time_budget,
    )
