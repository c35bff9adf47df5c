"""The Netvisor sandbox enforces what Netvisor enforces, and the client round-trips through it."""

from __future__ import annotations

import importlib.util
import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from lxml import etree

from connector.netvisor import xml as nvxml
from connector.netvisor.auth import signed_headers
from connector.netvisor.client import NetvisorClient
from connector.netvisor.errors import (
    NetvisorAmbiguousWrite,
    NetvisorAuthenticationError,
    NetvisorDuplicateData,
    NetvisorInvalidData,
    NetvisorPeriodLock,
    NetvisorTransientError,
)
from connector.sandbox.netvisor import NetvisorSandbox
from connector.sandbox.server import serving

# The sample documents and credential helper live with the Netvisor tests (importlib mode).
_spec = importlib.util.spec_from_file_location(
    "netvisor_samples", Path(__file__).resolve().parents[1] / "netvisor" / "conftest.py"
)
samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(samples)

BASE = samples.BASE_URL


@pytest.fixture
def sandbox() -> NetvisorSandbox:
    return NetvisorSandbox()


@pytest.fixture
def client(sandbox):
    with NetvisorClient(
        BASE, samples.credentials_for(sandbox), transport=sandbox.transport(), sleep=lambda s: None
    ) as c:
        yield c


def raw_post(sandbox, path: str, body: bytes, *, base: str = BASE, headers=None, http=None):
    """Send a hand-made, correctly signed request (bypassing the client's builders)."""
    url = f"{base}/{path}"
    h = headers or signed_headers(url, samples.credentials_for(sandbox))
    http = http or httpx.Client(transport=sandbox.transport())
    return http.post(url, content=body, headers={**h, "Content-Type": "text/xml; charset=utf-8"})


def envelope_error(response: httpx.Response) -> tuple[str, str]:
    root = etree.fromstring(response.content)
    statuses = [s.text for s in root.find("ResponseStatus").findall("Status")]
    assert statuses[0] == "FAILED"
    error_type, _, text = statuses[1].partition(" :: ")
    return error_type, text


def seed(client) -> None:
    client.add_customer(samples.private_customer())
    client.add_product(samples.home_care_product())
    client.add_product(samples.cleaning_product())


def test_an_unknown_invoice_key_is_no_invoice(client, sandbox) -> None:
    # Netvisor answers OK with an empty <SalesInvoice />; the client reads it as "no such invoice"
    url = f"{BASE}/getsalesinvoice.nv?netvisorkey=123"
    raw = httpx.Client(transport=sandbox.transport()).get(
        url, headers=signed_headers(url, samples.credentials_for(sandbox))
    )
    root = etree.fromstring(raw.content)
    assert root.findtext("ResponseStatus/Status") == "OK"
    (empty,) = root.findall("SalesInvoice")
    assert len(empty) == 0 and not (empty.text or "").strip()
    assert client.sales_invoice("123") is None
    seed(client)
    key = client.add_sales_invoice(samples.voucher_invoice())
    assert client.sales_invoice(key).netvisor_key == key
    assert client.sales_invoices_by_keys(["123", key])[0].netvisor_key == key


# -- the "done when" scenario -------------------------------------------------------------------


def test_done_when_scenario(client, sandbox) -> None:
    customer_key = client.add_customer(samples.private_customer())
    product_key = client.add_product(samples.home_care_product())
    client.add_product(samples.cleaning_product())
    invoice_key = client.add_sales_invoice(samples.voucher_invoice())
    credit_key = client.add_sales_invoice(samples.credit_note())

    client.update_sales_invoice_status(invoice_key, "open")
    client.update_sales_invoice_status(credit_key, "open")
    client.match_credit_note(credit_key, invoice_key)

    assert client.customers_by_code(["cust-2002"])["cust-2002"].netvisor_key == customer_key
    assert client.product_by_code("KOTIHOITO-H").netvisor_key == product_key
    invoice = client.sales_invoice(invoice_key)
    assert invoice.private_comment == "inv:2025-04:cust-2002:invoice"
    assert invoice.status == "open" and invoice.total == Decimal("105.30")
    assert invoice.line_count == 4  # home care, voucher deduction, comment, cleaning
    credit = client.sales_invoice(credit_key)
    assert credit.total == Decimal("-10.00") and credit.private_comment.endswith(":credit")
    listed = {
        i.netvisor_key: i
        for i in client.sales_invoices(
            begin=date(2025, 4, 1), end=date(2025, 5, 31), customer_code="cust-2002"
        )
    }
    assert listed[invoice_key].open_sum == Decimal("95.30")  # 105,30 - 10,00 credited
    stored = sandbox.invoice(credit_key)
    assert stored["matched_to"] == invoice_key
    voucher_line = sandbox.invoice(invoice_key)["lines"][1]
    assert voucher_line["quantity"] == Decimal("-3") and voucher_line["sum"] == Decimal("-45.00")

    # ... and the sandbox refuses a misplaced element, a wrong MAC, a reused transaction id.
    body = nvxml.sales_invoice_xml(samples.voucher_invoice())
    root = etree.fromstring(body)
    si = root.find("SalesInvoice")
    si.insert(0, si.find("SalesInvoiceAmount"))  # amount before the date: wrong order
    response = raw_post(sandbox, "salesinvoice.nv?method=add", etree.tostring(root))
    assert response.status_code == 400
    error_type, text = envelope_error(response)
    assert error_type == "INVALID_DATA" and "misplaced" in text

    url = f"{BASE}/salesinvoice.nv?method=add"
    headers = signed_headers(url, samples.credentials_for(sandbox))
    headers["X-Netvisor-Authentication-MAC"] = "0" * 64
    response = raw_post(sandbox, "salesinvoice.nv?method=add", body, headers=headers)
    assert response.status_code == 401
    assert envelope_error(response) == ("AUTHENTICATION_FAILED", "Invalid MAC")

    headers = signed_headers(url, samples.credentials_for(sandbox))
    assert raw_post(sandbox, "salesinvoice.nv?method=add", body, headers=headers).status_code == 200
    again = raw_post(sandbox, "salesinvoice.nv?method=add", body, headers=headers)
    assert envelope_error(again)[0] == "REQUEST_NOT_UNIQUE"
    assert len(sandbox.invoices()) == 3  # the reused id did not create a fourth


def test_round_trip_over_real_loopback(sandbox) -> None:
    with serving(sandbox, name="netvisor") as url:  # noqa: SIM117 - the client needs the url
        with NetvisorClient(url, samples.credentials_for(sandbox), sleep=lambda s: None) as c:
            seed(c)
            key = c.add_sales_invoice(samples.voucher_invoice())
            assert c.sales_invoice(key).status == "unsent"
            sandbox.inject("drop_after_commit", resource="salesinvoice.nv", times=1)
            with pytest.raises(NetvisorAmbiguousWrite) as info:
                c.add_sales_invoice(replace(samples.voucher_invoice(), private_comment="k2"))
            assert info.value.error_type == "CONNECTION_DROPPED"
            # it did commit: reconcile finds it by the key in the private comment
            found = c.sales_invoices(begin=date(2025, 4, 1), end=date(2025, 4, 30))
            details = c.sales_invoices_by_keys(i.netvisor_key for i in found)
            assert sorted(d.private_comment for d in details) == [
                "inv:2025-04:cust-2002:invoice",
                "k2",
            ]


# -- enforcement --------------------------------------------------------------------------------


def test_duplicate_customer_and_product_codes(client) -> None:
    seed(client)
    with pytest.raises(NetvisorDuplicateData):
        client.add_customer(samples.private_customer())
    with pytest.raises(NetvisorDuplicateData):
        client.add_product(samples.home_care_product())


def test_wrong_credentials_and_skew_fail_authentication(sandbox) -> None:
    creds = replace(samples.credentials_for(sandbox), customer_id="someone-else")
    with (
        NetvisorClient(BASE, creds, transport=sandbox.transport()) as c,
        pytest.raises(NetvisorAuthenticationError, match="CustomerId"),
    ):
        c.add_customer(samples.private_customer())
    future = NetvisorSandbox(clock=lambda: datetime.now(UTC) + timedelta(hours=1))
    with (
        NetvisorClient(BASE, samples.credentials_for(future), transport=future.transport()) as c,
        pytest.raises(NetvisorAuthenticationError, match="too far"),
    ):
        c.customers_by_code(["x"])


def test_missing_header_fails_authentication(sandbox) -> None:
    url = f"{BASE}/customer.nv?method=add"
    headers = signed_headers(url, samples.credentials_for(sandbox))
    del headers["X-Netvisor-Authentication-TimestampUnix"]
    response = raw_post(sandbox, "customer.nv?method=add", b"<Root/>", headers=headers)
    assert envelope_error(response)[0] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda si: si.find("SalesInvoiceAmount").__setattr__("text", "105.30"), "comma decimal"),
        (lambda si: si.find("SalesInvoiceAmount").__setattr__("text", "105,31"), "sum of lines"),
        (lambda si: si.remove(si.find("SalesInvoiceAmount")), "SalesInvoiceAmount is missing"),
        (lambda si: si.find("SalesInvoiceOurReference").__setattr__("text", ""), "empty element"),
        (lambda si: etree.SubElement(si, "Surprise").__setattr__("text", "x"), "unknown element"),
        (lambda si: si.find("SalesInvoiceDate").attrib.pop("format"), "attribute format"),
        (
            lambda si: si.find(".//SalesInvoiceProductLineSum").__setattr__("text", "75,01"),
            "do not match",
        ),
        (lambda si: si.find(".//ProductUnitPrice").__setattr__("text", "-25,00"), "negative"),
        (lambda si: si.find(".//ProductIdentifier").__setattr__("text", "NOPE"), "not found"),
        (lambda si: si.find("InvoicingCustomerIdentifier").__setattr__("text", "x"), "not found"),
    ],
)
def test_invoice_validation_refusals(client, sandbox, mutate, fragment) -> None:
    seed(client)
    root = etree.fromstring(nvxml.sales_invoice_xml(samples.voucher_invoice()))
    mutate(root.find("SalesInvoice"))
    response = raw_post(sandbox, "salesinvoice.nv?method=add", etree.tostring(root))
    error_type, text = envelope_error(response)
    assert error_type == "INVALID_DATA" and fragment in text
    assert sandbox.write_count("salesinvoice.nv") == 0


def test_too_long_value_is_invalid_data_size(client) -> None:
    seed(client)
    long_comment = replace(samples.voucher_invoice(), private_comment="x" * 300)
    with pytest.raises(NetvisorInvalidData) as info:
        client.add_sales_invoice(long_comment)
    assert info.value.error_type == "INVALID_DATA_SIZE"


def test_match_credit_note_preconditions(client, sandbox) -> None:
    seed(client)
    inv = client.add_sales_invoice(samples.voucher_invoice())
    credit = client.add_sales_invoice(samples.credit_note())
    with pytest.raises(NetvisorInvalidData, match="not open"):
        client.match_credit_note(credit, inv)
    sandbox.set_invoice_status(inv, "open")
    sandbox.set_invoice_status(credit, "open")
    with pytest.raises(NetvisorInvalidData, match="not a credit note"):
        client.match_credit_note(inv, credit)
    with pytest.raises(NetvisorInvalidData, match="not found"):
        client.match_credit_note(credit, "424242")
    client.match_credit_note(credit, inv)
    assert sandbox.write_count("matchcreditnote.nv") == 1


def test_edit_only_while_unsent_and_omitted_fields_are_kept(client, sandbox) -> None:
    seed(client)
    key = client.add_sales_invoice(samples.voucher_invoice())
    edited = replace(samples.voucher_invoice(), lines=samples.voucher_invoice().lines[:1])
    client.edit_sales_invoice(key, edited)
    assert sandbox.invoice(key)["total"] == Decimal("75.00")
    sandbox.set_invoice_status(key, "sent")
    with pytest.raises(NetvisorInvalidData, match="cannot be edited"):
        client.edit_sales_invoice(key, edited)
    ckey = client.customers_by_code(["cust-2002"])["cust-2002"].netvisor_key
    client.edit_customer(ckey, replace(samples.private_customer(), city=None, name="Uusi Nimi"))
    stored = next(c for c in sandbox.customers() if c["key"] == ckey)
    assert stored["city"] == "Espoo" and stored["name"] == "Uusi Nimi"


def test_overlapping_request_is_refused(sandbox) -> None:
    entered, release = threading.Event(), threading.Event()

    def held_sleep(seconds: float) -> None:
        entered.set()
        release.wait(10)

    sandbox._sleep = held_sleep  # the latency fault now waits for the test, not the clock
    sandbox.inject("latency", resource="customerlist.nv", seconds=1, times=1)
    with serving(sandbox, name="netvisor") as url:
        creds = samples.credentials_for(sandbox)

        def slow() -> None:
            u = f"{url}/customerlist.nv?keyword=a"
            httpx.get(u, headers=signed_headers(u, creds), timeout=10)

        t = threading.Thread(target=slow)
        t.start()
        assert entered.wait(10)
        # a second caller that ignores the client's lock (another process, say)
        u = f"{url}/customerlist.nv?keyword=b"
        response = httpx.get(u, headers=signed_headers(u, creds), timeout=10)
        release.set()
        t.join()
    assert response.status_code == 500
    assert envelope_error(response)[0] == "TECHNICAL_ERROR"


# -- faults -------------------------------------------------------------------------------------


def test_period_lock(client, sandbox) -> None:
    seed(client)
    sandbox.inject("period_lock", start=date(2025, 4, 1), end=date(2025, 4, 30))
    with pytest.raises(NetvisorPeriodLock, match="2025-04-30"):
        client.add_sales_invoice(samples.voucher_invoice())
    client.add_sales_invoice(samples.credit_note())  # May is open


def test_drop_before_commit_changes_nothing(client, sandbox) -> None:
    seed(client)
    sandbox.inject("drop_before_commit", resource="salesinvoice.nv", method="add", times=1)
    with pytest.raises(NetvisorAmbiguousWrite):
        client.add_sales_invoice(samples.voucher_invoice())
    assert sandbox.invoices() == [] and sandbox.write_count("salesinvoice.nv") == 0
    client.add_sales_invoice(samples.voucher_invoice())  # times=1: the fault is spent


def test_technical_error_after_commit_is_ambiguous_but_committed(client, sandbox) -> None:
    seed(client)
    sandbox.inject("technical_error", resource="salesinvoice.nv", after_commit=True, times=1)
    with pytest.raises(NetvisorAmbiguousWrite):
        client.add_sales_invoice(samples.voucher_invoice())
    assert len(sandbox.invoices()) == 1


def test_reads_survive_transient_faults(client, sandbox) -> None:
    seed(client)
    sandbox.inject("http_5xx", resource="productlist.nv", times=2)
    sandbox.inject("technical_error", resource="productlist.nv", times=1)
    assert client.product_by_code("SIIVOUS") is not None
    sandbox.inject("http_5xx", resource="customerlist.nv", status=504)
    with pytest.raises(NetvisorTransientError) as info:
        client.customers_by_code(["cust-2002"])
    assert info.value.http_status == 504
    sandbox.clear_faults()
    assert "cust-2002" in client.customers_by_code(["cust-2002"])


def test_hold_after_commit_and_random_latency_use_the_injected_sleep(sandbox) -> None:
    slept: list[float] = []
    sandbox._sleep = slept.append
    with NetvisorClient(BASE, samples.credentials_for(sandbox), transport=sandbox.transport()) as c:
        sandbox.inject("latency", min_seconds=0.2, max_seconds=0.4, times=1)
        sandbox.inject("hold_after_commit", resource="customer.nv", seconds=30, times=1)
        c.add_customer(samples.private_customer())
    # the hold comes first; the latency is what remains of its response time after that
    assert len(slept) == 2 and slept[0] == 30 and 0.0 < slept[1] <= 0.4


def test_injected_authentication_failure(client, sandbox) -> None:
    sandbox.inject("authentication_failed", times=1)
    with pytest.raises(NetvisorAuthenticationError):
        client.customers_by_code(["x"])


def test_unknown_fault_kind_is_refused(sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.inject("gremlins")


# -- a person's actions, stats, admin endpoints ----------------------------------------------------


def test_person_actions_are_visible_through_the_api(client, sandbox) -> None:
    seed(client)
    key = client.add_sales_invoice(samples.voucher_invoice())
    sandbox.set_invoice_status(key, "paid")
    assert client.sales_invoice(key).status == "paid"
    assert client.sales_invoices(begin=date(2025, 4, 1), end=date(2025, 4, 30))[0].open_sum == 0
    sandbox.edit_invoice(key, private_comment="changed by a person")
    assert client.sales_invoice(key).private_comment == "changed by a person"
    sandbox.delete_invoice(key)
    assert client.sales_invoice(key) is None


def test_reads_make_no_writes(client, sandbox) -> None:
    seed(client)
    before = sandbox.write_count()
    client.customers_by_code(["cust-2002"])
    client.product_by_code("SIIVOUS")
    client.sales_invoices(begin=date(2025, 1, 1), end=date(2025, 12, 31))
    assert sandbox.write_count() == before == 3
    assert sandbox.request_count() == 6


def test_admin_endpoints_drive_a_served_sandbox(sandbox) -> None:
    with serving(sandbox, name="netvisor") as url:  # noqa: SIM117 - the client needs the url
        with NetvisorClient(url, samples.credentials_for(sandbox), sleep=lambda s: None) as c:
            seed(c)
            key = c.add_sales_invoice(samples.voucher_invoice())
            admin = httpx.Client(base_url=f"{url}/_sandbox")
            assert admin.post(f"/invoices/{key}/status", json={"status": "open"}).status_code == 200
            assert c.sales_invoice(key).status == "open"
            state = admin.get("/state").json()
            assert [i["total"] for i in state["invoices"]] == ["105.30"]
            assert state["customers"][0]["code"] == "cust-2002"
            r = admin.post(
                "/faults", json={"kind": "period_lock", "start": "2025-04-01", "end": "2025-04-30"}
            )
            assert r.status_code == 201
            with pytest.raises(NetvisorPeriodLock):
                c.add_sales_invoice(samples.voucher_invoice())
            assert admin.delete("/faults").status_code == 200
            assert admin.delete(f"/invoices/{key}").status_code == 200
            assert admin.delete(f"/invoices/{key}").status_code == 404
            stats = admin.get("/stats").json()
            assert stats["writes"]["salesinvoice.nv?method=add"] == 1
            assert stats["outcomes"]["PERIOD_LOCK"] == 1
            assert admin.post("/faults", json={"kind": "nope"}).status_code == 400
            assert json.loads(admin.get("/faults").content) == []
