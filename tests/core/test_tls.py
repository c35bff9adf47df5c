"""One TLS context per process, and none for plain HTTP (loopback only)."""

from __future__ import annotations

import ssl

from connector.core.tls import tls_context, verify_for


def test_https_clients_share_one_context_that_checks_certificates() -> None:
    context = verify_for("https://integration.netvisor.fi")
    assert context is verify_for("HTTPS://x.spotilla.example/api") is tls_context()
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


def test_plain_http_loads_no_trust_store() -> None:
    assert verify_for("http://127.0.0.1:8080") is False
