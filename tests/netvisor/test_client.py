"""The client: retries decided in one place, every error type mapped, one request in flight."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date

import httpx
import pytest

from connector.netvisor.client import NetvisorClient
from connector.netvisor.documents import RequestRecord
from connector.netvisor.errors import (
    NetvisorAmbiguousWrite,
    NetvisorAuthenticationError,
    NetvisorDuplicateData,
    NetvisorInvalidData,
    NetvisorMaintenance,
    NetvisorPeriodLock,
    NetvisorServiceAccessError,
    NetvisorTransientError,
)

OK_ADD = (
    b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus>"
    b"<Replies><InsertedDataIdentifier>4242</InsertedDataIdentifier></Replies></Root>"
)
OK_EMPTY = b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus></Root>"
GATEWAY_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def failed(error_type: str, text: str = "Netvisor says no") -> bytes:
    return (
        f"<Root><ResponseStatus><Status>FAILED</Status><Status>{error_type} :: {text}</Status>"
        f"</ResponseStatus></Root>"
    ).encode()


class Script:
    """A MockTransport handler answering from a list; records what it was sent."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_client(samples, sandbox, handler, audit=None, sleeps=None, **kw) -> NetvisorClient:
    return NetvisorClient(
        samples.BASE_URL,
        samples.credentials_for(sandbox),
        transport=httpx.MockTransport(handler),
        sleep=(sleeps if sleeps is not None else []).append,
        on_request=(audit if audit is not None else []).append,
        **kw,
    )


def txn_ids(script: Script) -> list[str]:
    return [r.headers["X-Netvisor-Authentication-TransactionId"] for r in script.requests]


# -- error mapping ------------------------------------------------------------------------------

WRITE_ERRORS = [
    ("AUTHENTICATION_FAILED", 401, NetvisorAuthenticationError),
    ("SERVICE_ACCESS_ERROR", 403, NetvisorServiceAccessError),
    ("INVALID_DATA", 400, NetvisorInvalidData),
    ("INVALID_DATA_SIZE", 400, NetvisorInvalidData),
    ("DUPLICATE_DATA", 409, NetvisorDuplicateData),
    ("PERIOD_LOCK", 400, NetvisorPeriodLock),
    ("SYSTEM_MAINTANANCE", 503, NetvisorMaintenance),
    ("TECHNICAL_ERROR", 500, NetvisorAmbiguousWrite),
    ("SOMETHING_NOBODY_DOCUMENTED", 400, NetvisorAmbiguousWrite),
]


@pytest.mark.parametrize(("error_type", "status", "expected"), WRITE_ERRORS)
def test_write_error_types_raise_once_without_retry(samples, sandbox, error_type, status, expected):
    script = Script(httpx.Response(status, content=failed(error_type, "Teksti ÄÖ")))
    audit: list[RequestRecord] = []
    with make_client(samples, sandbox, script, audit) as client, pytest.raises(expected) as info:
        client.add_customer(samples.company_customer())
    assert len(script.requests) == 1  # never resent: it may have run
    err = info.value
    assert err.error_type == error_type and err.netvisor_text == "Teksti ÄÖ"
    assert err.http_status == status and err.resource == "customer.nv?method=add"
    assert err.transaction_id == txn_ids(script)[0]
    assert [r.outcome for r in audit] == [error_type]


@pytest.mark.parametrize("status", [200, 400])
def test_failed_envelope_is_read_whatever_the_http_status(samples, sandbox, status) -> None:
    script = Script(httpx.Response(status, content=failed("DUPLICATE_DATA")))
    with make_client(samples, sandbox, script) as client, pytest.raises(NetvisorDuplicateData):
        client.add_product(samples.home_care_product())


def test_request_not_unique_resends_with_a_new_transaction_id(samples, sandbox) -> None:
    script = Script(
        httpx.Response(409, content=failed("REQUEST_NOT_UNIQUE")),
        httpx.Response(200, content=OK_ADD),
    )
    audit: list[RequestRecord] = []
    with make_client(samples, sandbox, script, audit) as client:
        assert client.add_sales_invoice(samples.voucher_invoice()) == "4242"
    first, second = txn_ids(script)
    assert first != second
    assert [r.outcome for r in audit] == ["REQUEST_NOT_UNIQUE", "ok"]
    assert [r.transaction_id for r in audit] == [first, second]


def test_write_connect_error_is_retried_because_nothing_was_sent(samples, sandbox) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, content=OK_ADD))
    sleeps: list[float] = []
    with make_client(samples, sandbox, script, sleeps=sleeps) as client:
        assert client.add_customer(samples.company_customer()) == "4242"
    assert len(script.requests) == 2 and len(sleeps) == 1


def test_write_connect_error_every_time_is_transient_not_ambiguous(samples, sandbox) -> None:
    script = Script(httpx.ConnectError("refused"))
    with (
        make_client(samples, sandbox, script, max_read_attempts=3) as client,
        pytest.raises(NetvisorTransientError),
    ):
        client.add_customer(samples.company_customer())
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.RemoteProtocolError("server disconnected"), "dropped"),
        (httpx.ReadError("reset"), "dropped"),
        (httpx.Response(502, content=GATEWAY_HTML), "http_502"),
        (httpx.Response(200, content=b""), "http_200"),
        (httpx.Response(429, content=b"slow down"), "http_429"),
    ],
)
def test_ambiguous_write_outcomes_are_never_resent(samples, sandbox, answer, outcome) -> None:
    script = Script(answer)
    audit: list[RequestRecord] = []
    with (
        make_client(samples, sandbox, script, audit) as client,
        pytest.raises(NetvisorAmbiguousWrite),
    ):
        client.edit_sales_invoice("77", samples.voucher_invoice())
    assert len(script.requests) == 1
    assert [r.outcome for r in audit] == [outcome]


def test_gateway_page_keeps_status_and_a_short_excerpt(samples, sandbox) -> None:
    script = Script(httpx.Response(502, content=GATEWAY_HTML * 50))
    with (
        make_client(samples, sandbox, script) as client,
        pytest.raises(NetvisorAmbiguousWrite) as info,
    ):
        client.update_sales_invoice_status("77", "open")
    assert info.value.http_status == 502 and "502 Bad Gateway" in str(info.value)
    assert len(str(info.value)) < 400


def test_add_without_inserted_key_is_ambiguous(samples, sandbox) -> None:
    with (
        make_client(samples, sandbox, Script(httpx.Response(200, content=OK_EMPTY))) as client,
        pytest.raises(NetvisorAmbiguousWrite, match="InsertedDataIdentifier"),
    ):
        client.add_customer(samples.company_customer())


# -- reads --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(429, content=b""),
        httpx.Response(503, content=GATEWAY_HTML),
        httpx.Response(500, content=failed("TECHNICAL_ERROR")),
        httpx.Response(503, content=failed("SYSTEM_MAINTANANCE")),
    ],
)
def test_reads_retry_with_backoff(samples, sandbox, first) -> None:
    listing = (
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><ProductList><Product>"
        b"<NetvisorKey>5</NetvisorKey><ProductCode>P</ProductCode></Product></ProductList></Root>"
    )
    script = Script(first, first, httpx.Response(200, content=listing))
    sleeps: list[float] = []
    with make_client(samples, sandbox, script, sleeps=sleeps) as client:
        assert client.product_by_code("P").netvisor_key == "5"
    assert len(script.requests) == 3 and len(set(txn_ids(script))) == 3
    assert len(sleeps) == 2 and all(0 < s <= 30 for s in sleeps)


def test_read_backoff_grows_is_jittered_and_capped(samples, sandbox) -> None:
    script = Script(httpx.Response(503, content=GATEWAY_HTML))
    sleeps: list[float] = []
    with (
        make_client(
            samples,
            sandbox,
            script,
            sleeps=sleeps,
            max_read_attempts=8,
            backoff_base=1,
            backoff_cap=10,
        ) as client,
        pytest.raises(NetvisorTransientError) as info,
    ):
        client.sales_invoices(begin=date(2025, 1, 1), end=date(2025, 1, 31))
    assert len(script.requests) == 8 and len(sleeps) == 7
    for attempt, slept in enumerate(sleeps, start=1):
        ceiling = min(10, 2 ** (attempt - 1))
        assert ceiling / 2 <= slept <= ceiling
    assert info.value.http_status == 503


def test_retry_after_is_honoured(samples, sandbox) -> None:
    script = Script(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=OK_EMPTY)
    )
    sleeps: list[float] = []
    with make_client(samples, sandbox, script, sleeps=sleeps) as client:
        client.sales_invoices(begin=date(2025, 1, 1), end=date(2025, 1, 31))
    assert sleeps == [7.0]


@pytest.mark.parametrize("error_type", ["INVALID_DATA", "AUTHENTICATION_FAILED"])
def test_definite_read_errors_are_not_retried(samples, sandbox, error_type) -> None:
    script = Script(httpx.Response(400, content=failed(error_type)))
    with make_client(samples, sandbox, script) as client, pytest.raises(Exception) as info:
        client.customers_by_code(["A"])
    assert info.value.error_type == error_type and len(script.requests) == 1


def test_unknown_error_type_on_a_read_is_transient(samples, sandbox) -> None:
    script = Script(httpx.Response(400, content=failed("WHAT_IS_THIS")))
    with (
        make_client(samples, sandbox, script, max_read_attempts=2) as client,
        pytest.raises(NetvisorTransientError) as info,
    ):
        client.customers_by_code(["A"])
    assert info.value.error_type == "WHAT_IS_THIS"


def test_customer_lookup_batches_by_100_and_keeps_exact_codes(samples, sandbox) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        codes = request.url.params["customercodelist"].split(",")
        rows = "".join(
            f"<Customer><Netvisorkey>{i}</Netvisorkey><Code>{c}</Code></Customer>"
            for i, c in enumerate(codes)
        )
        extra = "<Customer><Netvisorkey>x</Netvisorkey><Code>not-asked</Code></Customer>"
        body = f"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><Customerlist>{rows}{extra}</Customerlist></Root>"
        return httpx.Response(200, content=body.encode())

    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    codes = [f"c{i}" for i in range(250)]
    with make_client(samples, sandbox, recording) as client:
        found = client.customers_by_code(codes)
    assert len(seen) == 3 and set(found) == set(codes)
    assert [len(r.url.params["customercodelist"].split(",")) for r in seen] == [100, 100, 50]


def test_invoice_lookup_batches_by_500(samples, sandbox) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=OK_EMPTY)

    with make_client(samples, sandbox, handler) as client:
        assert client.sales_invoices_by_keys(str(i) for i in range(1200)) == []
    assert [len(r.url.params["netvisorkeylist"].split(",")) for r in seen] == [500, 500, 200]


# -- audit --------------------------------------------------------------------------------------


def test_audit_records_hold_no_query_values(samples, sandbox) -> None:
    audit: list[RequestRecord] = []
    script = Script(httpx.Response(200, content=OK_EMPTY))
    with make_client(samples, sandbox, script, audit) as client:
        client.customers_by_code(["secret-code"])
        client.edit_customer("991", samples.company_customer())
    read, write = audit
    assert (read.method, read.resource, read.outcome, read.http_status) == (
        "GET",
        "customerlist.nv",
        "ok",
        200,
    )
    assert write.resource == "customer.nv?method=edit"
    assert "secret-code" not in repr(audit) and "991" not in write.resource
    assert read.at.tzinfo is UTC and read.duration_ms >= 0


# -- one request in flight per company ------------------------------------------------------------


def test_two_clients_in_two_threads_never_overlap_for_one_company(samples, sandbox) -> None:
    in_flight = 0
    peak = 0
    guard = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with guard:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.002)  # widen the window in which an overlap would show
        with guard:
            in_flight -= 1
        return httpx.Response(200, content=OK_EMPTY)

    clients = [make_client(samples, sandbox, handler) for _ in range(2)]

    def work(client: NetvisorClient) -> None:
        for _ in range(20):
            client.sales_invoices(begin=date(2025, 1, 1), end=date(2025, 1, 31))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 1


# -- through the sandbox --------------------------------------------------------------------------


def test_query_values_needing_percent_encoding_still_sign_correctly(client, sandbox) -> None:
    assert client.product_by_code("KOTI HOITO/ä&x=1") is None
    assert sandbox.stats()["outcomes"] == {"ok": 1}


def test_unknown_invoice_key_reads_as_none(client) -> None:
    assert client.sales_invoice("999999") is None
    assert client.sales_invoices_by_keys(["999999"]) == []


def test_the_wire_hook_fires_once_the_request_has_left_while_its_answer_is_awaited(
    samples, sandbox
) -> None:
    """Over a real socket the hook fires after the last byte of the body left and before the
    answer: the server below answers only once the hook has fired (it would time out if the
    hook waited for the answer), and it has read the whole body by then."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    fired = threading.Event()
    bodies: list[int] = []
    released: list[bool] = []

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
            released.append(fired.wait(10))
            self.send_response(200)
            self.send_header("Content-Length", str(len(OK_ADD)))
            self.end_headers()
            self.wfile.write(OK_ADD)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    calls: list[str] = []
    try:
        with NetvisorClient(
            f"http://127.0.0.1:{server.server_address[1]}", samples.credentials_for(sandbox)
        ) as client:

            def hook() -> None:
                calls.append("wire")
                fired.set()

            client.on_wire = hook
            for _ in range(2):
                fired.clear()
                assert client.add_customer(samples.company_customer()) == "4242"
                calls.append("answered")
    finally:
        server.shutdown()
        server.server_close()
    assert released == [True, True]  # answered because the hook fired, never by the timeout
    assert calls == ["wire", "answered", "wire", "answered"]
    assert all(n > 0 for n in bodies)


def test_with_a_transport_that_does_not_trace_the_wire_hook_fires_once_after_the_answer(
    samples, sandbox
) -> None:
    script = Script(httpx.Response(200, content=OK_ADD))
    seen: list[int] = []
    with make_client(samples, sandbox, script) as client:
        client.on_wire = lambda: seen.append(len(script.requests))
        client.add_customer(samples.company_customer())
        client.add_customer(samples.company_customer())
    assert seen == [1, 2]


def test_a_pre_rendered_body_is_sent_as_it_is(samples, sandbox) -> None:
    from connector.netvisor import xml as nvxml

    script = Script(httpx.Response(200, content=OK_ADD))
    record = samples.company_customer()
    with make_client(samples, sandbox, script) as client:
        client.add_customer(record, body=nvxml.customer_xml(record))
        client.add_customer(record)
    assert script.requests[0].content == script.requests[1].content == nvxml.customer_xml(record)
