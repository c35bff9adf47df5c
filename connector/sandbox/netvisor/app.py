"""A validating Netvisor stand-in: a WSGI app that enforces what Netvisor enforces.

It checks every header and recomputes the MAC itself, the timestamp skew, transaction-id
uniqueness (``REQUEST_NOT_UNIQUE``), one request at a time (an overlapping request fails), and the
element order, required fields and number formats of each document against **its own** schema
tables (``schema``) — never the client's builders, so a builder bug cannot hide. It keeps customers,
products and invoices with NetvisorKeys, serves them through the same list/get resources, lets
tests act as a person (mark an invoice open/sent/paid, edit or delete it) and injects faults.

Use it in-process (``httpx.Client(transport=sandbox.transport())``) or on loopback
(``connector.sandbox.server.serve(sandbox, name="netvisor")``); a test in another process drives a
served sandbox through the admin endpoints under ``/_sandbox/`` (``state``, ``stats``, ``faults``,
``invoices/<key>[/status]``, ``reply_layout``: GET it, or POST ``{"wrapper": "one"|"per_line",
"key": true|false, "free_text": true|false}`` to choose how getsalesinvoice.nv replies look).

Unverified against real Netvisor (kept in one place each, in ``wire``): the HTTP status per
error type (``HTTP_STATUS``), the error an overlapping request gets (``OVERLAP_ERROR``); and gross
semantics of ``SalesInvoiceProductLineSum``/``SalesInvoiceAmount``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx

from connector.sandbox.kernel import FaultBook, admin_parts, json_answer, read_body, status_line
from connector.sandbox.netvisor.store import NetvisorStore
from connector.sandbox.netvisor.wire import (
    DEFAULT_CREDENTIALS,
    HEADERS,
    HTTP_STATUS,
    OVERLAP_ERROR,
    NetvisorFailure,
    as_date,
    envelope,
    request_url,
)
from connector.sandbox.server import ARRIVED, DropConnection

# ------------------------------------------------------------------------------------------------
# Faults


FAULT_KINDS = frozenset(
    {
        "latency",
        "http_5xx",
        "technical_error",
        "drop_before_commit",
        "drop_after_commit",
        "hold_after_commit",
        "authentication_failed",
        "period_lock",
        "invalid_data",
    }
)


@dataclass
class Fault:
    """An injected fault; matches ``resource`` (``salesinvoice.nv``) and ``method`` (``add``)
    when given; ``times`` None = until cleared."""

    kind: str
    resource: str | None = None
    method: str | None = None
    times: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, resource: str, method: str | None) -> bool:
        if self.resource is not None and self.resource.lstrip("/") != resource:
            return False
        return self.method is None or self.method == method

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "resource": self.resource,
            "method": self.method,
            "times": self.times,
            **{k: str(v) for k, v in self.params.items()},
        }


# ------------------------------------------------------------------------------------------------
# The app


_WRITE_RESOURCES = frozenset(
    {
        "customer.nv",
        "product.nv",
        "salesinvoice.nv",
        "matchcreditnote.nv",
        "updatesalesinvoicestatus.nv",
    }
)
_READ_RESOURCES = frozenset(
    {
        "customerlist.nv",
        "productlist.nv",
        "getproduct.nv",
        "salesinvoicelist.nv",
        "getsalesinvoice.nv",
        "paymenttermlist.nv",
    }
)

#: Admin endpoints (no auth, JSON) live under this path.
ADMIN_PREFIX = "/_sandbox"


class NetvisorSandbox(NetvisorStore):
    """The Netvisor stand-in. The instance is the WSGI app; its Python API is thread-safe.

    ``max_skew_seconds``: accepted difference between the request timestamp and the sandbox's
    clock. ``clock`` (aware UTC) and ``sleep`` (seconds) are injectable for tests.
    """

    def __init__(
        self,
        *,
        credentials: dict[str, str] | None = None,
        max_skew_seconds: int = 600,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        reply_layout: dict[str, Any] | None = None,
    ) -> None:
        self.credentials: dict[str, str] = {**DEFAULT_CREDENTIALS, **(credentials or {})}
        self.max_skew_seconds = max_skew_seconds
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._state = threading.RLock()
        self._busy = threading.Lock()
        self._idle = threading.Condition()
        self._in_flight = 0
        self._overlaps = 0
        self._init_store(reply_layout)
        self._seen_transactions: set[str] = set()
        self._faults: FaultBook[Fault] = FaultBook(FAULT_KINDS)
        self._requests: Counter[str] = Counter()
        self._writes: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"NetvisorSandbox(customers={len(self._customers)}, products={len(self._products)}, "
            f"invoices={len(self._invoices)})"
        )

    # -- Python API: stats and faults -----------------------------------------------------------

    def stats(self) -> dict[str, dict[str, int]]:
        """Counters: ``requests`` and committed ``writes`` per resource
        (``salesinvoice.nv?method=add``), and ``outcomes`` (``ok`` or the error type)."""
        with self._state:
            return {
                "requests": dict(self._requests),
                "writes": dict(self._writes),
                "outcomes": dict(self._outcomes),
                "overlaps": {"refused": self._overlaps},
            }

    def write_count(self, resource: str | None = None) -> int:
        """Committed writes, all or of one resource (``salesinvoice.nv`` or with ``?method=``)."""
        return self._count(self._writes, resource)

    def request_count(self, resource: str | None = None) -> int:
        """Requests received (any outcome), all or of one resource."""
        return self._count(self._requests, resource)

    def _count(self, counter: Counter[str], resource: str | None) -> int:
        with self._state:
            if resource is None:
                return sum(counter.values())
            return sum(
                n for k, n in counter.items() if k == resource or k.split("?")[0] == resource
            )

    def inject(
        self,
        kind: str,
        *,
        resource: str | None = None,
        method: str | None = None,
        times: int | None = None,
        **params: Any,
    ) -> None:
        """Inject a fault (see ``FAULT_KINDS``); ``times`` None = until :meth:`clear_faults`."""
        self._faults.check_kind(kind)
        if kind == "period_lock":
            params["start"] = as_date(params["start"])
            params["end"] = as_date(params["end"])
        self._faults.add(Fault(kind, resource, method, times, params))

    def clear_faults(self) -> None:
        self._faults.clear()

    def _take_fault(self, kinds: Iterable[str], resource: str, method: str | None) -> Fault | None:
        wanted = set(kinds)
        return self._faults.take(lambda f: f.kind in wanted and f.matches(resource, method))

    def _locked_periods(self) -> list[tuple[date, date]]:
        return [
            (f.params["start"], f.params["end"])
            for f in self._faults.snapshot()
            if f.kind == "period_lock"
        ]

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport; a dropped connection becomes ``httpx.ReadError``
        (as over a socket) instead of the app's exception."""
        return _SandboxTransport(self)

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if admin_parts(path, ADMIN_PREFIX) is not None:
            status, headers, body = self._admin(environ, path)
        else:
            status, headers, body = self._api(environ, path)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _api(self, environ: dict[str, Any], path: str) -> tuple[str, list[tuple[str, str]], bytes]:
        resource = path.lstrip("/")
        query = {
            k: v[-1]
            for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
        }
        method = query.get("method")
        label = f"{resource}?method={method}" if method else resource
        body = read_body(environ)
        with self._state:
            self._requests[label] += 1
        with self._idle:
            self._in_flight += 1
        try:
            if not self._busy.acquire(blocking=False):
                with self._state:
                    self._overlaps += 1
                return self._fail(label, *OVERLAP_ERROR)
            try:
                return self._handle(environ, resource, method, label, query, body)
            except NetvisorFailure as failure:
                return self._fail(label, failure.error_type, failure.text)
            finally:
                self._busy.release()
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def overlap_count(self) -> int:
        """Requests refused because another request of the company was still being processed."""
        with self._state:
            return self._overlaps

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no API request is being processed (or ``timeout`` seconds pass); for
        tests that must wait for the sandbox, never sleep."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _fail(
        self, label: str, error_type: str, text: str
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        with self._state:
            self._outcomes[error_type] += 1
        code = HTTP_STATUS.get(error_type, 500)
        return (
            status_line(code),
            [("Content-Type", "text/xml; charset=utf-8")],
            envelope(False, detail=f"{error_type} :: {text}"),
        )

    def _handle(
        self,
        environ: dict[str, Any],
        resource: str,
        method: str | None,
        label: str,
        query: dict[str, str],
        body: bytes,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        # A latency fault is the service's response time: the answer leaves `seconds` after the
        # request arrived, whatever the sandbox's own processing took (not on top of it).
        latency = self._take_fault(["latency"], resource, method)
        if latency is None:
            return self._process(environ, resource, method, label, query, body)
        p = latency.params
        seconds = (
            float(p["seconds"])
            if "seconds" in p
            else random.uniform(float(p.get("min_seconds", 0)), float(p.get("max_seconds", 1)))
        )
        arrived = environ.get(ARRIVED, time.monotonic())
        try:
            return self._process(environ, resource, method, label, query, body)
        finally:
            remaining = seconds - (time.monotonic() - arrived)
            if remaining > 0:
                self._sleep(remaining)

    def _process(
        self,
        environ: dict[str, Any],
        resource: str,
        method: str | None,
        label: str,
        query: dict[str, str],
        body: bytes,
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        self._authenticate(environ)
        if self._take_fault(["authentication_failed"], resource, method):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Authentication failed (injected)")
        five = self._take_fault(["http_5xx"], resource, method)
        if five is not None:
            code = int(five.params.get("status", 502))
            return (
                status_line(code),
                [("Content-Type", "text/html")],
                f"<html><body><h1>{code} Bad Gateway</h1></body></html>".encode(),
            )
        if self._take_fault(["drop_before_commit"], resource, method):
            raise DropConnection()
        refused = self._take_fault(["invalid_data"], resource, method)
        if refused is not None:  # Netvisor refuses the record with the fault's own text
            raise NetvisorFailure("INVALID_DATA", str(refused.params.get("text", "Invalid data")))
        tech = self._take_fault(["technical_error"], resource, method)
        if tech is not None and not tech.params.get("after_commit"):
            raise NetvisorFailure("TECHNICAL_ERROR", "Technical error (injected)")

        is_write = resource in _WRITE_RESOURCES
        expected = "POST" if is_write else "GET"
        if resource not in _WRITE_RESOURCES | _READ_RESOURCES:
            raise NetvisorFailure("INVALID_DATA", f"unknown resource {resource}")
        if environ.get("REQUEST_METHOD") != expected:
            raise NetvisorFailure("INVALID_DATA", f"{resource} expects HTTP {expected}")

        with self._state:
            if is_write:
                inserted, payload = self._write(resource, method, query, body)
                self._writes[label] += 1
            else:
                inserted, payload = None, self._read(resource, query)
        # committed from here on
        if tech is not None:
            raise NetvisorFailure("TECHNICAL_ERROR", "Technical error (injected after commit)")
        if self._take_fault(["drop_after_commit"], resource, method):
            raise DropConnection()
        hold = self._take_fault(["hold_after_commit"], resource, method)
        if hold is not None:
            self._sleep(float(hold.params.get("seconds", 30)))
        with self._state:
            self._outcomes["ok"] += 1
        return (
            "200 OK",
            [("Content-Type", "text/xml; charset=utf-8")],
            envelope(True, payload=payload, inserted=inserted),
        )

    # -- authentication -------------------------------------------------------------------------

    def _authenticate(self, environ: dict[str, Any]) -> None:
        def header(name: str) -> str | None:
            return environ.get("HTTP_" + name.upper().replace("-", "_"))

        values = {name: header(name) for name in HEADERS}
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise NetvisorFailure("AUTHENTICATION_FAILED", f"Missing header {missing[0]}")
        c = self.credentials
        if header("X-Netvisor-Authentication-MACHashCalculationAlgorithm") != "HMACSHA256":
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Unsupported MAC algorithm")
        checks = {
            "X-Netvisor-Authentication-Sender": c["sender"],
            "X-Netvisor-Authentication-CustomerId": c["customer_id"],
            "X-Netvisor-Authentication-PartnerId": c["partner_id"],
            "X-Netvisor-Organisation-ID": c["organisation_id"],
        }
        for name, expected in checks.items():
            if values[name] != expected:
                raise NetvisorFailure("AUTHENTICATION_FAILED", f"Invalid {name.rsplit('-', 1)[-1]}")
        if values["X-Netvisor-Interface-Language"] not in ("EN", "FI", "SE"):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid interface language")
        stamp = values["X-Netvisor-Authentication-Timestamp"] or ""
        try:
            moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
            unix = int(values["X-Netvisor-Authentication-TimestampUnix"] or "")
        except ValueError:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid timestamp") from None
        if abs(int(moment.timestamp()) - unix) > 1:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Timestamp and TimestampUnix differ")
        if abs((self._clock() - moment).total_seconds()) > self.max_skew_seconds:
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Timestamp is too far from server time")
        url = request_url(environ)
        message = "&".join(
            [
                url,
                values["X-Netvisor-Authentication-Sender"] or "",
                values["X-Netvisor-Authentication-CustomerId"] or "",
                stamp,
                values["X-Netvisor-Interface-Language"] or "",
                values["X-Netvisor-Organisation-ID"] or "",
                values["X-Netvisor-Authentication-TransactionId"] or "",
                values["X-Netvisor-Authentication-TimestampUnix"] or "",
                c["customer_key"],
                c["partner_key"],
            ]
        )
        key = f"{c['customer_key']}&{c['partner_key']}"
        try:
            digest = hmac.new(
                key.encode("latin-1"), message.encode("latin-1"), hashlib.sha256
            ).hexdigest()
        except UnicodeEncodeError:
            raise NetvisorFailure(
                "AUTHENTICATION_FAILED", "Request not ISO-8859-1 encodable"
            ) from None
        if not hmac.compare_digest(digest, values["X-Netvisor-Authentication-MAC"] or ""):
            raise NetvisorFailure("AUTHENTICATION_FAILED", "Invalid MAC")
        txn = values["X-Netvisor-Authentication-TransactionId"] or ""
        with self._state:
            if txn in self._seen_transactions:
                raise NetvisorFailure("REQUEST_NOT_UNIQUE", "Transaction id has already been used")
            self._seen_transactions.add(txn)

    # -- admin endpoints ------------------------------------------------------------------------

    def _admin(
        self, environ: dict[str, Any], path: str
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        verb = environ.get("REQUEST_METHOD", "GET")
        parts = admin_parts(path, ADMIN_PREFIX) or []
        try:
            if parts == ["state"] and verb == "GET":
                return json_answer(
                    200,
                    {
                        "customers": self.customers(),
                        "products": self.products(),
                        "invoices": self.invoices(),
                    },
                )
            if parts == ["stats"] and verb == "GET":
                return json_answer(200, self.stats())
            if parts == ["reply_layout"] and verb == "GET":
                with self._state:
                    return json_answer(200, dict(self.reply_layout))
            if parts == ["reply_layout"] and verb == "POST":
                self.set_reply_layout(**json.loads(read_body(environ) or b"{}"))
                with self._state:
                    return json_answer(200, dict(self.reply_layout))
            if parts == ["faults"] and verb == "POST":
                spec = json.loads(read_body(environ) or b"{}")
                kind = spec.pop("kind")
                self.inject(
                    kind,
                    resource=spec.pop("resource", None),
                    method=spec.pop("method", None),
                    times=spec.pop("times", None),
                    **spec,
                )
                return json_answer(201, {"ok": True})
            if parts == ["faults"] and verb == "GET":
                with self._state:
                    return json_answer(200, [f.as_dict() for f in self._faults.snapshot()])
            if parts == ["faults"] and verb == "DELETE":
                self.clear_faults()
                return json_answer(200, {"ok": True})
            if (
                len(parts) == 3
                and parts[0] == "invoices"
                and parts[2] == "status"
                and verb == "POST"
            ):
                spec = json.loads(read_body(environ) or b"{}")
                self.set_invoice_status(parts[1], spec["status"])
                return json_answer(200, {"ok": True})
            if len(parts) == 2 and parts[0] == "invoices" and verb == "DELETE":
                self.delete_invoice(parts[1])
                return json_answer(200, {"ok": True})
            if len(parts) == 2 and parts[0] == "invoices" and verb == "GET":
                inv = self.invoice(parts[1])
                return json_answer(200, inv) if inv else json_answer(404, {"error": "not found"})
        except KeyError as exc:
            return json_answer(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return json_answer(400, {"error": str(exc)})
        return json_answer(404, {"error": f"no admin endpoint {verb} {path}"})


# ------------------------------------------------------------------------------------------------
# helpers


class _SandboxTransport(httpx.WSGITransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DropConnection:
            raise httpx.ReadError("sandbox dropped the connection", request=request) from None
