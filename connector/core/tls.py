"""The one TLS context of a process, shared by the Netvisor and Spotilla clients."""

from __future__ import annotations

import functools
import ssl
from typing import Literal

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certificate checks on, the same trust store), made once per
    process: loading the CA bundle costs about 30 ms of CPU for every client otherwise, and a
    run makes two (the daemon two per run)."""
    return httpx.create_ssl_context()


def verify_for(url: str) -> ssl.SSLContext | Literal[False]:
    """What a client for ``url`` verifies with: the shared context for HTTPS; plain HTTP (which
    the configuration allows only on the loopback interface) has no certificate to check, so
    no trust store is loaded for it."""
    return tls_context() if url.lower().startswith("https://") else False
