"""Several Netvisor companies behind one address, as Netvisor serves an accounting firm's clients.

A request goes to the company its ``X-Netvisor-Authentication-CustomerId`` and
``X-Netvisor-Organisation-ID`` headers name; that company's own sandbox checks the MAC with
*its* keys (a wrong or another company's key fails with ``AUTHENTICATION_FAILED``), keeps its
own records and refuses a second request while one of its own is in flight — strictly per
company, so a fleet that ever sends two requests at once to one company shows as an overlap,
while different companies are served side by side. Requests naming no known company fail
authentication.

The partner id and partner key are the integrator's (one for every company, as in Netvisor);
the customer id, customer key and organisation id are each company's own.

Admin endpoints: ``/_sandbox/companies`` (GET: the companies and their overlap counts) and
``/_sandbox/companies/<customer id>/<admin path>`` (any one company's own admin endpoint,
e.g. ``.../stats``, ``.../state``, ``.../faults``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import httpx

from connector.core.business_id import is_valid
from connector.sandbox.kernel import admin_parts, json_answer, status_line
from connector.sandbox.netvisor.app import ADMIN_PREFIX, NetvisorSandbox, _SandboxTransport
from connector.sandbox.netvisor.wire import DEFAULT_CREDENTIALS, HTTP_STATUS, envelope


def company_credentials(name: str) -> dict[str, str]:
    """Credentials of a sandbox company called ``name``: its own customer id, key and
    organisation id (a valid-looking Finnish business id), the shared partner's id and key."""
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:12], 16)
    # one base in eleven has no valid check digit: take the next base that has one
    organisation = next(
        f"{base}-{d}"
        for base in range(digest % 8_000_000 + 1_000_000, 9_999_999)
        for d in range(10)
        if is_valid(f"{base}-{d}")
    )
    return {
        **DEFAULT_CREDENTIALS,
        "customer_id": f"SANDBOX-{name.upper()}",
        "organisation_id": organisation,
        "customer_key": f"sandbox-customer-key-{name}",
    }


class NetvisorCompanies:
    """Many :class:`NetvisorSandbox` companies served as one WSGI app (thread-safe)."""

    def __init__(self, **sandbox_options: Any) -> None:
        self._options = sandbox_options
        self._by_id: dict[tuple[str, str], NetvisorSandbox] = {}
        self._by_customer: dict[str, NetvisorSandbox] = {}
        self._guard = threading.Lock()

    def add(self, name: str, credentials: dict[str, str] | None = None) -> NetvisorSandbox:
        """A new company (``credentials``: default :func:`company_credentials` of ``name``)."""
        sandbox = NetvisorSandbox(
            credentials=credentials or company_credentials(name), **self._options
        )
        c = sandbox.credentials
        with self._guard:
            if c["customer_id"] in self._by_customer:
                raise ValueError(f"company {c['customer_id']} exists already")
            self._by_id[(c["customer_id"], c["organisation_id"])] = sandbox
            self._by_customer[c["customer_id"]] = sandbox
        return sandbox

    def companies(self) -> list[NetvisorSandbox]:
        with self._guard:
            return list(self._by_customer.values())

    def overlap_count(self) -> int:
        """Requests any company refused because another of *its* requests was in flight."""
        return sum(s.overlap_count() for s in self.companies())

    def wait_idle(self, timeout: float | None = None) -> bool:
        return all(s.wait_idle(timeout) for s in self.companies())

    def transport(self) -> httpx.BaseTransport:
        return _SandboxTransport(self)  # type: ignore[arg-type]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        parts = admin_parts(path, ADMIN_PREFIX)
        if parts is not None and parts[:1] == ["companies"]:
            if len(parts) == 1:
                return self._answer(
                    start_response,
                    *json_answer(
                        200,
                        [
                            {
                                "customer_id": s.credentials["customer_id"],
                                "organisation_id": s.credentials["organisation_id"],
                                "overlaps": s.overlap_count(),
                            }
                            for s in self.companies()
                        ],
                    ),
                )
            with self._guard:
                sandbox = self._by_customer.get(parts[1]) if len(parts) > 2 else None
            if sandbox is None:
                return self._answer(start_response, *json_answer(404, {"error": "no company"}))
            inner = {**environ, "PATH_INFO": f"{ADMIN_PREFIX}/{'/'.join(parts[2:])}"}
            return sandbox(inner, start_response)
        with self._guard:
            sandbox = self._by_id.get(
                (
                    environ.get("HTTP_X_NETVISOR_AUTHENTICATION_CUSTOMERID", ""),
                    environ.get("HTTP_X_NETVISOR_ORGANISATION_ID", ""),
                )
            )
        if sandbox is None:
            body = envelope(False, detail="AUTHENTICATION_FAILED :: Unknown company")
            return self._answer(
                start_response,
                status_line(HTTP_STATUS["AUTHENTICATION_FAILED"]),
                [("Content-Type", "text/xml; charset=utf-8")],
                body,
            )
        return sandbox(environ, start_response)

    @staticmethod
    def _answer(
        start_response: Callable[..., Any],
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> list[bytes]:
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]
