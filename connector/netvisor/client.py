"""The Netvisor client: signed requests, one in flight per company, retries, error mapping.

The one place that decides "may I retry this?":

- reads (GET look-ups) retry with jittered exponential back-off, at most ``max_read_attempts``
  attempts, on connect errors, timeouts, dropped connections, 429, 5xx, SYSTEM_MAINTANANCE,
  TECHNICAL_ERROR and REQUEST_NOT_UNIQUE;
- writes retry only when the request provably never ran: a connect error or pool timeout (no
  byte left) and REQUEST_NOT_UNIQUE (Netvisor refused it before running). Any other unclear
  outcome raises :class:`NetvisorAmbiguousWrite` — mark the ledger row unknown and reconcile.

After a write times out, Netvisor may still be processing it, and it refuses a second request of
the same company meanwhile. So the client keeps the company lock and waits ``busy_wait`` seconds
before it lets the lock go (and the next request out): one request in flight per company, even
across a timeout. The write itself stays ambiguous.

Error texts of writes go through :func:`~connector.netvisor.errors.mask_sent_values` before they
become an exception: every personal value of the request body is masked there, so Netvisor's echo
of a name, address, e-mail or phone never reaches the ledger, a log or the terminal.

Every attempt gets a fresh transaction id and fresh timestamps, and is reported to ``on_request``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from connector.core.logging import get_logger
from connector.core.tls import verify_for
from connector.netvisor import replies as nvreplies
from connector.netvisor import xml as nvxml
from connector.netvisor.auth import NetvisorCredentials, new_transaction_id, signed_headers
from connector.netvisor.documents import (
    CustomerRecord,
    CustomerSummary,
    InvoiceDetail,
    InvoiceSummary,
    PaymentTerm,
    ProductRecord,
    ProductSummary,
    RequestRecord,
    SalesInvoice,
)
from connector.netvisor.errors import (
    NOT_RUN_ERROR_TYPES,
    RETRYABLE_READ_ERROR_TYPES,
    NetvisorAmbiguousWrite,
    NetvisorInvalidData,
    error_for,
    mask_sent_values,
)

log = get_logger("netvisor.client")

CUSTOMER_CODE_BATCH = 100
INVOICE_KEY_BATCH = 500
_EXCERPT = 200
#: Upper bound of the default wait after a write timed out (seconds).
DEFAULT_BUSY_WAIT = 30.0

# One request in flight per company environment, across every client instance of the process.
_LOCKS: dict[tuple[str, str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def company_lock(base_url: str, customer_id: str, organisation_id: str) -> threading.Lock:
    """The process-wide lock of one Netvisor company environment."""
    key = (base_url.rstrip("/").lower(), customer_id, organisation_id)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.Lock()
        return lock


class _Retry(Exception):
    def __init__(self, error: Exception, retry_after: float | None = None) -> None:
        self.error = error
        self.retry_after = retry_after


class NetvisorClient:
    """Typed Netvisor operations over httpx. Thread-safe; requests serialize per company.

    ``timeout`` seconds per request (generous: Netvisor can be slow); ``backoff_base`` and
    ``backoff_cap`` seconds; ``busy_wait`` seconds the company stays locked after a write timed
    out (Netvisor may still be processing it; default: the request timeout, at most
    ``DEFAULT_BUSY_WAIT`` = 30 s; 0 turns the wait off); ``sleep`` is injectable so
    tests never wait.
    """

    def __init__(
        self,
        base_url: str,
        credentials: NetvisorCredentials,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 120.0,
        max_read_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        busy_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_request: Callable[[RequestRecord], None] | None = None,
    ) -> None:
        if max_read_attempts < 1:
            raise ValueError("max_read_attempts must be >= 1")
        if busy_wait is None:
            busy_wait = min(timeout, DEFAULT_BUSY_WAIT)
        if busy_wait < 0:
            raise ValueError("busy_wait must be >= 0")
        self.busy_wait = busy_wait
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.max_read_attempts = max_read_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._on_request = on_request
        #: called on the sending thread once per request, the moment its last byte has left
        #: (httpcore's ``send_request_body.complete`` trace event; with a transport that does
        #: not trace, when the answer is in): a caller may hold back its own work until then
        #: (``sync/apply.py``), so it never takes the interpreter from a half-sent request
        self.on_wire: Callable[[], None] | None = None
        self._lock = company_lock(
            self.base_url, credentials.customer_id, credentials.organisation_id
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            follow_redirects=False,
            verify=verify_for(self.base_url),
        )

    def __repr__(self) -> str:
        return f"NetvisorClient({self.base_url!r}, customer_id={self.credentials.customer_id!r})"

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetvisorClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writes ---------------------------------------------------------------------------------

    # Each write takes an optional ``body``: the record already rendered by the same function
    # (``connector.netvisor.xml``), so a caller can render the next request while the previous
    # one is in flight and the sending thread only signs and sends.

    def add_customer(self, rec: CustomerRecord, *, body: bytes | None = None) -> str:
        """Create a customer; returns its NetvisorKey."""
        return self._add("customer.nv", body or nvxml.customer_xml(rec))

    def edit_customer(
        self, netvisor_key: str, rec: CustomerRecord, *, body: bytes | None = None
    ) -> None:
        self._write(
            "customer.nv",
            {"method": "edit", "id": netvisor_key},
            body or nvxml.customer_xml(rec),
        )

    def add_product(self, rec: ProductRecord, *, body: bytes | None = None) -> str:
        """Create a product; returns its NetvisorKey."""
        return self._add("product.nv", body or nvxml.product_xml(rec))

    def edit_product(
        self, netvisor_key: str, rec: ProductRecord, *, body: bytes | None = None
    ) -> None:
        self._write(
            "product.nv", {"method": "edit", "id": netvisor_key}, body or nvxml.product_xml(rec)
        )

    def add_sales_invoice(self, inv: SalesInvoice, *, body: bytes | None = None) -> str:
        """Create an invoice or credit note; returns its NetvisorKey."""
        return self._add("salesinvoice.nv", body or nvxml.sales_invoice_xml(inv))

    def edit_sales_invoice(
        self, netvisor_key: str, inv: SalesInvoice, *, body: bytes | None = None
    ) -> None:
        self._write(
            "salesinvoice.nv",
            {"method": "edit", "id": netvisor_key},
            body or nvxml.sales_invoice_xml(inv),
        )

    def update_sales_invoice_status(self, netvisor_key: str, status: str) -> None:
        """Set an invoice's status (``open``, ``unsent``, ...); POST without a body."""
        self._write(
            "updatesalesinvoicestatus.nv", {"netvisorkey": netvisor_key, "status": status}, None
        )

    def match_credit_note(
        self, credit_note_key: str, invoice_key: str, *, body: bytes | None = None
    ) -> None:
        """Match a credit note to the invoice it credits (both must be ``open``)."""
        self._write(
            "matchcreditnote.nv",
            {},
            body or nvxml.match_credit_note_xml(credit_note_key, invoice_key),
        )

    # -- reads ----------------------------------------------------------------------------------

    def customers_by_code(self, codes: Iterable[str]) -> dict[str, CustomerSummary]:
        """Customers by exact customer code, looked up in batches of <= 100 codes."""
        wanted = list(dict.fromkeys(c for c in codes if c))
        for code in wanted:
            if "," in code:
                raise ValueError(f"customer code {code!r} contains a comma; cannot look it up")
        found: dict[str, CustomerSummary] = {}
        for i in range(0, len(wanted), CUSTOMER_CODE_BATCH):
            batch = wanted[i : i + CUSTOMER_CODE_BATCH]
            env = self._read("customerlist.nv", {"customercodelist": ",".join(batch)})
            for summary in nvreplies.parse_customer_list(env.tree):
                if summary.code in batch:  # Netvisor may match loosely; we want exact codes
                    found.setdefault(summary.code, summary)
        return found

    def product_by_code(self, code: str) -> ProductSummary | None:
        """The product whose code is exactly ``code``, or None."""
        env = self._read("productlist.nv", {"keyword": code})
        for summary in nvreplies.parse_product_list(env.tree):
            if summary.code == code:
                return summary
        return None

    def payment_terms(self) -> list[PaymentTerm]:
        """The company's payment terms (``paymenttermlist.nv``)."""
        return nvreplies.parse_payment_terms(self._read("paymenttermlist.nv", {}).tree)

    def payment_term_key(self, net_days: int) -> str | None:
        """The NetvisorKey of a payment term of exactly ``net_days`` net days without a cash
        discount, for ``CustomerRecord.payment_term_key``; None when the company has none (then
        send no DefaultPaymentTerm: every invoice carries its own PaymentTermNetDays)."""
        for term in self.payment_terms():
            if term.net_days == net_days:
                return term.netvisor_key
        return None

    def sales_invoices(
        self,
        *,
        begin: date,
        end: date,
        customer_code: str | None = None,
        status: str | None = None,
    ) -> list[InvoiceSummary]:
        """Invoices dated ``begin``..``end`` (inclusive), optionally of one customer/status."""
        params = {"begininvoicedate": begin.isoformat(), "endinvoicedate": end.isoformat()}
        if customer_code:
            params["customercode"] = customer_code
        if status:
            params["invoicestatus"] = status
        env = self._read("salesinvoicelist.nv", params)
        return nvreplies.parse_invoice_list(env.tree)

    def sales_invoice(self, netvisor_key: str) -> InvoiceDetail | None:
        """One invoice with status and private comment; None when Netvisor does not know it.

        Netvisor answers an unknown key ``OK`` with an empty ``<SalesInvoice />`` (read as no
        invoice by :func:`connector.netvisor.replies.parse_invoice_details`); an INVALID_DATA
        answer means the same."""
        try:
            env = self._read(
                "getsalesinvoice.nv", {"netvisorkey": netvisor_key, "showcommentlines": "1"}
            )
        except NetvisorInvalidData:
            return None
        details = nvreplies.parse_invoice_details(
            env.tree, requested_keys=[netvisor_key], comment_lines_included=True
        )
        return next((d for d in details if d.netvisor_key == netvisor_key), None)

    def sales_invoices_by_keys(self, keys: Iterable[str]) -> list[InvoiceDetail]:
        """Invoices by NetvisorKey, in batches of <= 500 keys; unknown keys are left out.

        Comment lines are asked for (``showcommentlines=1``). A reply without keys is mapped back
        by position only when it holds exactly as many invoices as keys were asked for (see
        :func:`connector.netvisor.replies.parse_invoice_details`); invoices it cannot map are left
        out, never guessed.
        """
        wanted = list(dict.fromkeys(k for k in keys if k))
        found: list[InvoiceDetail] = []
        for i in range(0, len(wanted), INVOICE_KEY_BATCH):
            batch = wanted[i : i + INVOICE_KEY_BATCH]
            try:
                env = self._read(
                    "getsalesinvoice.nv",
                    {"netvisorkeylist": ",".join(batch), "showcommentlines": "1"},
                )
            except NetvisorInvalidData:
                continue
            details = nvreplies.parse_invoice_details(
                env.tree, requested_keys=batch, comment_lines_included=True
            )
            found.extend(d for d in details if d.netvisor_key in batch)
        return found

    # -- the requestor --------------------------------------------------------------------------

    def _add(self, path: str, body: bytes) -> str:
        env = self._write(path, {"method": "add"}, body)
        if not env.inserted_key:
            # It ran (Status OK) but we did not get the key: reconcile will find it.
            raise NetvisorAmbiguousWrite(
                "MISSING_KEY",
                "Netvisor answered OK without InsertedDataIdentifier",
                resource=_resource(path, {"method": "add"}),
            )
        return env.inserted_key

    def _write(
        self, path: str, params: dict[str, str], body: bytes | None
    ) -> nvreplies.ResponseEnvelope:
        return self._call("POST", path, params, body, is_write=True)

    def _read(self, path: str, params: dict[str, str]) -> nvreplies.ResponseEnvelope:
        return self._call("GET", path, params, None, is_write=False)

    def _url(self, path: str, params: dict[str, str]) -> str:
        return _wire_url(self.base_url, path, tuple(params.items()))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        delay *= random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap))
        return delay

    def _wait_while_busy(self, resource: str) -> None:
        """Called with the company lock held after a write timed out: Netvisor may still be
        processing it, so nothing else of this company goes out for ``busy_wait`` seconds."""
        if self.busy_wait <= 0:
            return
        log.info("netvisor_busy_wait", resource=resource, wait_s=self.busy_wait)
        self._sleep(self.busy_wait)

    def _call(
        self,
        http_method: str,
        path: str,
        params: dict[str, str],
        body: bytes | None,
        *,
        is_write: bool,
    ) -> nvreplies.ResponseEnvelope:
        url = self._url(path, params)
        resource = _resource(path, params)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(http_method, url, resource, body, is_write=is_write)
            except _Retry as retry:
                if attempt >= self.max_read_attempts:
                    raise retry.error from None
                delay = self._backoff(attempt, retry.retry_after)
                log.info(
                    "netvisor_retry",
                    resource=resource,
                    attempt=attempt,
                    error_type=getattr(retry.error, "error_type", None),
                    delay_s=round(delay, 3),
                )
                self._sleep(delay)

    def _attempt(
        self, http_method: str, url: str, resource: str, body: bytes | None, *, is_write: bool
    ) -> nvreplies.ResponseEnvelope:
        txn = new_transaction_id()
        outcome = "ok"
        status: int | None = None
        started = time.monotonic()
        at = datetime.now(UTC)
        ctx: dict[str, Any] = {"transaction_id": txn, "resource": resource}

        def fail(
            error_type: str, text: str, *, retry_ok: bool, retry_after: float | None = None
        ) -> Exception:
            # A request that provably never ran is transient even on the write side.
            never_ran = error_type == "CONNECT_ERROR" or error_type in NOT_RUN_ERROR_TYPES
            if is_write:
                text = mask_sent_values(text, body)
            err = error_for(
                error_type, text, is_write=is_write and not never_ran, http_status=status, **ctx
            )
            return _Retry(err, retry_after) if retry_ok else err

        on_wire, fired = self.on_wire, False

        def left(event: str = _BODY_SENT, _info: object = None) -> None:
            nonlocal fired
            if event in _BODY_SENT_EVENTS and not fired and on_wire is not None:
                fired = True
                on_wire()

        try:
            with self._lock:
                # Sign once the company is ours: waiting for the lock must not age the timestamp.
                at = datetime.now(UTC)
                started = time.monotonic()
                headers = signed_headers(url, self.credentials, now=at, transaction_id=txn)
                if body is not None:
                    headers["Content-Type"] = "text/xml; charset=utf-8"
                try:
                    response = self._http.request(
                        http_method, url, content=body, headers=headers, extensions={"trace": left}
                    )
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    outcome = "connect_error"
                    raise fail("CONNECT_ERROR", _short(exc), retry_ok=True) from None
                except httpx.TimeoutException as exc:
                    outcome = "timeout"
                    if is_write:
                        self._wait_while_busy(resource)
                    raise fail("TIMEOUT", _short(exc), retry_ok=not is_write) from None
                except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                    outcome = "dropped"
                    raise fail("CONNECTION_DROPPED", _short(exc), retry_ok=not is_write) from None
                except httpx.TransportError as exc:
                    outcome = "transport_error"
                    raise fail("TRANSPORT_ERROR", _short(exc), retry_ok=not is_write) from None
            status = response.status_code
            envelope = nvreplies.parse_envelope(response.content, tree=not is_write)
            if envelope is not None and envelope.ok:
                return envelope
            retry_after = _retry_after(response)
            if envelope is not None:
                etype = envelope.error_type or "UNKNOWN_ERROR"
                outcome = etype
                text = envelope.error_text or ""
                if etype in NOT_RUN_ERROR_TYPES:
                    raise fail(etype, text, retry_ok=True)
                raise fail(
                    etype,
                    text,
                    retry_ok=not is_write and etype in RETRYABLE_READ_ERROR_TYPES,
                    retry_after=retry_after,
                )
            # No ResponseStatus: a gateway page, an empty body, something that is not XML.
            outcome = f"http_{status}"
            excerpt = _excerpt(response)
            retryable = status == 429 or status >= 500 or 200 <= status < 300
            raise fail(
                f"HTTP_{status}",
                excerpt,
                retry_ok=not is_write and retryable,
                retry_after=retry_after,
            )
        finally:
            left()  # a transport that does not trace: the request has surely left by now
            record = RequestRecord(
                transaction_id=txn,
                method=http_method,
                resource=resource,
                outcome=outcome,
                http_status=status,
                duration_ms=int((time.monotonic() - started) * 1000),
                at=at,
            )
            if self._on_request is not None:
                self._on_request(record)


_BODY_SENT = "http11.send_request_body.complete"
_BODY_SENT_EVENTS = frozenset({_BODY_SENT, "http2.send_request_body.complete"})


@lru_cache(maxsize=256)
def _wire_url(base_url: str, path: str, params: tuple[tuple[str, str], ...]) -> str:
    """The URL exactly as it goes on the wire, which the MAC covers: httpx normalises it first.
    Kept for the URLs a run repeats (``salesinvoice.nv?method=add`` for every new invoice)."""
    url = f"{base_url}/{path}"
    if params:
        url += "?" + urlencode(params, quote_via=quote, safe=",")
    return str(httpx.URL(url))


def _resource(path: str, params: dict[str, str]) -> str:
    """Path + the ``method`` parameter only: no other query values ever reach the audit."""
    method = params.get("method")
    return f"{path}?method={method}" if method else path


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:_EXCERPT]


def _excerpt(response: httpx.Response) -> str:
    text = response.content[: _EXCERPT * 2].decode("utf-8", errors="replace")
    text = " ".join(text.split())[:_EXCERPT]
    return f"HTTP {response.status_code} without a Netvisor ResponseStatus; body: {text!r}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


__all__ = ["NetvisorClient", "company_lock", "new_transaction_id"]
