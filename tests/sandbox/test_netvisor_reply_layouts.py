"""The sandbox answers getsalesinvoice.nv as Netvisor documents it (all lines in ONE InvoiceLine
wrapper, comment lines only with showcommentlines=1, the key present) and, as options, in the
other layouts Netvisor's replies come in; a reconcile-style read works in each. And after a write
times out, the client keeps the company busy so no request overlaps Netvisor's processing."""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from connector.netvisor import xml as nvxml
from connector.netvisor.auth import signed_headers
from connector.netvisor.client import NetvisorClient
from connector.netvisor.documents import ProductLine
from connector.netvisor.errors import NetvisorAmbiguousWrite, NetvisorInvalidData
from connector.netvisor.fingerprint import decide_version, invoice_check, invoice_fingerprint
from connector.sandbox.netvisor import NetvisorSandbox
from connector.sandbox.server import serving

_spec = importlib.util.spec_from_file_location(
    "netvisor_samples", Path(__file__).resolve().parents[1] / "netvisor" / "conftest.py"
)
samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(samples)

BASE = samples.BASE_URL
LAYOUTS = [
    {"wrapper": "one", "key": True},
    {"wrapper": "one", "key": False},
    {"wrapper": "per_line", "key": True},
    {"wrapper": "per_line", "key": False},
]


def client_for(sandbox: NetvisorSandbox, **kw) -> NetvisorClient:
    return NetvisorClient(
        BASE,
        samples.credentials_for(sandbox),
        transport=sandbox.transport(),
        sleep=lambda s: None,
        **kw,
    )


def seed(c: NetvisorClient) -> None:
    c.add_customer(samples.private_customer())
    c.add_product(samples.home_care_product())
    c.add_product(samples.cleaning_product())


def raw_get(sandbox: NetvisorSandbox, path: str):
    url = f"{BASE}/{path}"
    with httpx.Client(transport=sandbox.transport()) as http:
        r = http.get(url, headers=signed_headers(url, samples.credentials_for(sandbox)))
    return nvxml.parse_untrusted(r.content)


def one_more_hour(inv):
    first = inv.lines[0]
    assert isinstance(first, ProductLine)
    return replace(inv, lines=(replace(first, quantity=first.quantity + 1), *inv.lines[1:]))


def test_by_default_every_line_sits_in_one_wrapper_and_comments_need_asking() -> None:
    sandbox = NetvisorSandbox()
    with client_for(sandbox) as c:
        seed(c)
        key = c.add_sales_invoice(samples.voucher_invoice())
    plain = raw_get(sandbox, f"getsalesinvoice.nv?netvisorkey={key}")
    (lines,) = list(nvxml.descendants(plain, "InvoiceLines"))
    assert len(nvxml.children(lines, "InvoiceLine")) == 1
    assert len(list(nvxml.descendants(lines, "SalesInvoiceProductLine"))) == 3
    assert list(nvxml.descendants(lines, "SalesInvoiceCommentLine")) == []
    assert nvxml.text_of(next(nvxml.descendants(plain, "SalesInvoice")), "SalesInvoiceNetvisorKey")
    asked = raw_get(sandbox, f"getsalesinvoice.nv?netvisorkey={key}&showcommentlines=1")
    (wrapper,) = list(nvxml.descendants(asked, "InvoiceLine"))
    assert len(list(nvxml.descendants(wrapper, "SalesInvoiceCommentLine"))) == 1
    # line sums as Netvisor writes them: four decimals
    sums = [
        nvxml.text_of(p, "SalesInvoiceProductLineSum")
        for p in nvxml.descendants(asked, "SalesInvoiceProductLine")
    ]
    assert sums == ["75,0000", "-45,0000", "75,3000"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay['wrapper']}-key{lay['key']}")
def test_a_reconcile_read_recognises_an_applied_edit_in_every_layout(layout) -> None:
    sandbox = NetvisorSandbox(reply_layout=layout)
    sent = samples.voucher_invoice()
    edited = one_more_hour(sent)
    with client_for(sandbox) as c:
        seed(c)
        key = c.add_sales_invoice(sent)
        sandbox.inject("drop_after_commit", resource="salesinvoice.nv", method="edit", times=1)
        with pytest.raises(NetvisorAmbiguousWrite):
            c.edit_sales_invoice(key, edited)
        one = c.sales_invoice(key)
        (listed,) = c.sales_invoices_by_keys([key])
    for detail in (one, listed):
        assert detail is not None and detail.netvisor_key == key
        assert detail.key_in_reply == layout["key"]
        assert invoice_fingerprint(detail) == invoice_fingerprint(edited)
        assert invoice_fingerprint(detail) != invoice_fingerprint(sent)
        assert detail.line_count == len(edited.lines)  # comment lines asked for and counted
        assert detail.customer_code == "cust-2002"


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: f"{lay['wrapper']}-key{lay['key']}")
def test_a_reconcile_read_recognises_an_edit_that_did_not_happen(layout) -> None:
    sandbox = NetvisorSandbox(reply_layout=layout)
    sent = samples.voucher_invoice()
    with client_for(sandbox) as c:
        seed(c)
        key = c.add_sales_invoice(sent)
        sandbox.inject("drop_before_commit", resource="salesinvoice.nv", method="edit", times=1)
        with pytest.raises(NetvisorAmbiguousWrite):
            c.edit_sales_invoice(key, one_more_hour(sent))
        detail = c.sales_invoice(key)
    assert detail is not None
    assert invoice_fingerprint(detail) == invoice_fingerprint(sent)


@pytest.mark.parametrize("wrapper", ["one", "per_line"])
def test_a_reply_without_free_texts_is_decided_on_what_it_carries(wrapper) -> None:
    """Issue 19: getsalesinvoice.nv lists the lines without SalesInvoiceProductLineFreeText, so
    the full fingerprint matches neither version; the bare one tells them apart."""
    sandbox = NetvisorSandbox(reply_layout={"wrapper": wrapper, "free_text": False})
    sent = samples.voucher_invoice()
    edited = one_more_hour(sent)
    assert any(line.free_text for line in sent.product_lines)
    with client_for(sandbox) as c:
        seed(c)
        key = c.add_sales_invoice(sent)
        before = c.sales_invoice(key)
        sandbox.inject("drop_after_commit", resource="salesinvoice.nv", method="edit", times=1)
        with pytest.raises(NetvisorAmbiguousWrite):
            c.edit_sales_invoice(key, edited)
        after = c.sales_invoice(key)
    raw = raw_get(sandbox, f"getsalesinvoice.nv?netvisorkey={key}")
    assert list(nvxml.descendants(raw, "SalesInvoiceProductLineFreeText")) == []
    assert before is not None and after is not None
    assert all(line.free_text is None for line in after.product_lines)
    assert invoice_fingerprint(after) not in (
        invoice_fingerprint(sent),
        invoice_fingerprint(edited),
    )
    checks = {"pending": invoice_check(edited), "current": invoice_check(sent)}
    assert decide_version(after, **checks) == "pending"
    assert decide_version(before, **checks) == "current"


def test_a_keyless_keylist_reply_maps_back_only_when_every_key_was_found() -> None:
    sandbox = NetvisorSandbox(reply_layout={"key": False})
    with client_for(sandbox) as c:
        seed(c)
        a = c.add_sales_invoice(samples.voucher_invoice())
        b = c.add_sales_invoice(replace(samples.voucher_invoice(), private_comment="second"))
        assert {d.netvisor_key: d.private_comment for d in c.sales_invoices_by_keys([a, b])} == {
            a: "inv:2025-04:cust-2002:invoice",
            b: "second",
        }
        # an unknown key among them: the order no longer tells which is which; nothing guessed
        assert c.sales_invoices_by_keys([a, "999999", b]) == []


def test_the_layout_is_switched_through_the_admin_endpoint() -> None:
    sandbox = NetvisorSandbox()
    with serving(sandbox, name="netvisor") as url:
        admin = httpx.Client(base_url=f"{url}/_sandbox")
        assert admin.get("/reply_layout").json() == {
            "wrapper": "one",
            "key": True,
            "free_text": True,
        }
        r = admin.post("/reply_layout", json={"wrapper": "per_line", "key": False})
        assert r.status_code == 200
        assert r.json() == {"wrapper": "per_line", "key": False, "free_text": True}
        assert admin.post("/reply_layout", json={"free_text": False}).status_code == 200
        assert admin.post("/reply_layout", json={"wrapper": "two"}).status_code == 400
        admin.close()
    assert sandbox.reply_layout == {"wrapper": "per_line", "key": False, "free_text": False}


def test_the_sandbox_refuses_netvisorkey_and_netvisorkeylist_together() -> None:
    sandbox = NetvisorSandbox()
    with client_for(sandbox) as c:
        seed(c)
        key = c.add_sales_invoice(samples.voucher_invoice())
        with pytest.raises(NetvisorInvalidData):
            c._read("getsalesinvoice.nv", {"netvisorkey": key, "netvisorkeylist": key})


# ---------------------------------------------------------------------------------------------
# One request in flight per company, even across a timeout


def _slow_write_then_more(busy_wait: float) -> tuple[NetvisorSandbox, list[str]]:
    """A write whose answer takes longer than the client's timeout, then more requests.

    The sandbox's latency is a gate the test opens (no wall-clock waits): the client's busy wait
    opens it and waits until the sandbox is idle; with ``busy_wait=0`` nothing opens it until the
    end of the test."""
    gate = threading.Event()
    sandbox = NetvisorSandbox(sleep=lambda seconds: gate.wait(60))
    outcomes: list[str] = []

    def busy_sleep(seconds: float) -> None:
        gate.set()
        sandbox.wait_idle(60)

    with serving(sandbox, name="netvisor") as url:
        # the master data with the client's default timeout: only the write under test may time
        # out, however slow the machine is today
        with NetvisorClient(url, samples.credentials_for(sandbox), sleep=lambda s: None) as c:
            seed(c)
        # the gate holds the slow answer far past this timeout (up to 60 s); every other
        # answer of the sandbox comes in milliseconds, so 2 s never cuts one short
        with NetvisorClient(
            url,
            samples.credentials_for(sandbox),
            timeout=2.0,
            busy_wait=busy_wait,
            sleep=busy_sleep,
        ) as c:
            sandbox.inject("latency", resource="salesinvoice.nv", method="add", times=1, seconds=30)
            with pytest.raises(NetvisorAmbiguousWrite) as info:
                c.add_sales_invoice(samples.voucher_invoice())
            outcomes.append(info.value.error_type)
            try:
                c.add_sales_invoice(replace(samples.voucher_invoice(), private_comment="next"))
                outcomes.append("ok")
            except NetvisorAmbiguousWrite as exc:
                outcomes.append(exc.error_type)
        gate.set()
        sandbox.wait_idle(60)
    return sandbox, outcomes


def test_after_a_write_times_out_the_next_request_waits_until_netvisor_is_done() -> None:
    sandbox, outcomes = _slow_write_then_more(busy_wait=30)
    assert outcomes == ["TIMEOUT", "ok"]
    assert sandbox.overlap_count() == 0
    # the timed-out write did commit (reconcile finds it), and the next one went through
    assert sorted(i["private_comment"] for i in sandbox.invoices()) == [
        "inv:2025-04:cust-2002:invoice",
        "next",
    ]


def test_without_the_busy_wait_the_next_request_would_overlap() -> None:
    sandbox, outcomes = _slow_write_then_more(busy_wait=0)
    assert outcomes == ["TIMEOUT", "TECHNICAL_ERROR"]
    assert sandbox.overlap_count() == 1
    assert Decimal(sandbox.invoices()[0]["total"]) == Decimal("105.30")


def test_a_default_payment_term_is_a_payment_term_key_never_a_day_count() -> None:
    sandbox = NetvisorSandbox()
    body = nvxml.customer_xml(samples.company_customer())
    assert b'<DefaultPaymentTerm type="netvisor">2</DefaultPaymentTerm>' in body
    with client_for(sandbox) as c:
        assert c.payment_term_key(14) == "2" and c.payment_term_key(21) is None
        c.add_customer(samples.company_customer())
        days_only = replace(samples.private_customer(), payment_term_days=14)
        assert b"DefaultPaymentTerm" not in nvxml.customer_xml(days_only)
        c.add_customer(days_only)
        with pytest.raises(NetvisorInvalidData):
            c.add_customer(
                replace(samples.private_customer(), code="cust-3", payment_term_key="14 days")
            )
        with pytest.raises(NetvisorInvalidData):  # a key the company does not have
            c.add_customer(
                replace(samples.private_customer(), code="cust-4", payment_term_key="99")
            )
    assert sorted(str(c["payment_term"]) for c in sandbox.customers()) == ["2", "None"]
