"""XML builders (golden files, schema order, rounding) and lenient, safe response parsers."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from connector.netvisor import replies as nvreplies
from connector.netvisor import xml as nvxml
from connector.netvisor.documents import ProductLine, SalesInvoice
from connector.sandbox.netvisor import SALES_INVOICE_SCHEMA, validate
from connector.sandbox.server import serving


def golden(samples, name: str) -> bytes:
    return (samples.GOLDEN / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("customer_company.xml", lambda s: nvxml.customer_xml(s.company_customer())),
        ("customer_private.xml", lambda s: nvxml.customer_xml(s.private_customer())),
        ("product.xml", lambda s: nvxml.product_xml(s.home_care_product())),
        ("product_vat.xml", lambda s: nvxml.product_xml(s.cleaning_product())),
        ("salesinvoice_voucher.xml", lambda s: nvxml.sales_invoice_xml(s.voucher_invoice())),
        ("salesinvoice_credit_note.xml", lambda s: nvxml.sales_invoice_xml(s.credit_note())),
        ("matchcreditnote.xml", lambda s: nvxml.match_credit_note_xml("1005", "1004")),
    ],
)
def test_document_matches_golden_file_after_canonicalisation(samples, name, build) -> None:
    assert nvxml.canonical(build(samples)) == nvxml.canonical(golden(samples, name))


def test_voucher_invoice_total_is_the_sum_of_rounded_gross_lines(samples) -> None:
    inv = samples.voucher_invoice()
    # 3 h x 25,00 = 75,00; voucher -3 x 15,00 = -45,00; cleaning 1,5 x 40,00 = 60,00 + 25,5 % 15,30
    assert [line.gross_sum for line in inv.product_lines] == [
        Decimal("75.00"),
        Decimal("-45.00"),
        Decimal("75.30"),
    ]
    assert inv.total == Decimal("105.30")
    assert not inv.is_credit_note


def test_credit_note_has_negative_quantity_and_total_with_positive_unit_price(samples) -> None:
    root = etree.fromstring(nvxml.sales_invoice_xml(samples.credit_note()))
    assert root.findtext("SalesInvoice/SalesInvoiceAmount") == "-10,00"
    line = root.find("SalesInvoice/InvoiceLines/InvoiceLine/SalesInvoiceProductLine")
    assert line.findtext("ProductUnitPrice") == "10,00"
    assert line.findtext("SalesInvoiceProductLineQuantity") == "-1"
    assert samples.credit_note().is_credit_note


def test_line_sums_round_half_up_per_line() -> None:
    line = ProductLine("P", "p", Decimal("0.125"), Decimal("1"), Decimal("25.5"), "KOMY")
    assert line.net_sum == Decimal("0.13")  # 0,125 -> 0,13 (half up)
    assert line.vat_sum == Decimal("0.03")  # 25,5 % of 0,13 = 0,03315
    assert line.gross_sum == Decimal("0.16")


def test_empty_optional_elements_are_omitted_never_sent_empty(samples) -> None:
    body = nvxml.customer_xml(samples.private_customer())
    root = etree.fromstring(body)
    for el in root.iter():
        if len(el) == 0:
            assert (el.text or "").strip(), f"{el.tag} was sent empty"
    tags = {el.tag for el in root.iter()}
    assert "ExternalIdentifier" not in tags and "CustomerFinvoiceDetails" not in tags
    assert "Email" not in tags and "StreetAddress" not in tags


def test_private_customer_never_sends_a_business_id(samples) -> None:
    from dataclasses import replace

    rec = replace(samples.private_customer(), business_id="1234567-1")
    assert b"ExternalIdentifier" not in nvxml.customer_xml(rec)


def test_invoice_without_product_lines_is_refused() -> None:
    with pytest.raises(ValueError):
        nvxml.sales_invoice_xml(SalesInvoice(date(2025, 1, 31), "c", 14, ()))


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
qty = st.decimals(min_value=Decimal("-50"), max_value=Decimal("50"), places=2).filter(
    lambda q: q != 0
)
vat = st.sampled_from([Decimal("0"), Decimal("10"), Decimal("14"), Decimal("25.5")])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(money, qty, vat), min_size=1, max_size=8))
def test_any_invoice_passes_the_sandbox_schema_and_total_equals_lines(rows) -> None:
    lines = tuple(ProductLine("P", "Tuote", p, q, v, "KOMY") for p, q, v in rows)
    inv = SalesInvoice(date(2025, 1, 31), "C", 14, lines)
    root = etree.fromstring(nvxml.sales_invoice_xml(inv))
    validate(root, SALES_INVOICE_SCHEMA)  # the sandbox's own, independent table
    sums = [Decimal(el.text.replace(",", ".")) for el in root.iter("SalesInvoiceProductLineSum")]
    assert Decimal(root.findtext("SalesInvoice/SalesInvoiceAmount").replace(",", ".")) == sum(sums)


# -- envelope ---------------------------------------------------------------------------------


def test_ok_envelope_with_inserted_key() -> None:
    env = nvreplies.parse_envelope(
        b"<Root><ResponseStatus><Status>OK</Status><TimeStamp>2025-01-01 10:00:00</TimeStamp>"
        b"</ResponseStatus><Replies><InsertedDataIdentifier>123</InsertedDataIdentifier>"
        b"</Replies></Root>"
    )
    assert env is not None and env.ok and env.inserted_key == "123"


def test_failed_envelope_splits_type_and_keeps_text_verbatim() -> None:
    env = nvreplies.parse_envelope(
        "<Root><ResponseStatus><Status>FAILED</Status>"
        "<Status>INVALID_DATA :: Asiakasta ei löydy :: koodi X</Status></ResponseStatus></Root>"
    )
    assert env is not None and not env.ok
    assert env.error_type == "INVALID_DATA"
    assert env.error_text == "Asiakasta ei löydy :: koodi X"


def test_envelope_tags_are_case_insensitive() -> None:
    env = nvreplies.parse_envelope(
        b"<root><responsestatus><status>FAILED</status><STATUS>SOMETHING_NEW :: x</STATUS>"
        b"</responsestatus></root>"
    )
    assert env is not None and env.error_type == "SOMETHING_NEW"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>x</body></html>",
        b"Service Unavailable",
        b"<Root><Something/></Root>",
        b'{"error": "json"}',
    ],
)
def test_bodies_without_response_status_give_none(body: bytes) -> None:
    assert nvreplies.parse_envelope(body) is None


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Root><ResponseStatus><Status>OK</Status></ResponseStatus>
<Customerlist><Customer><Netvisorkey>1</Netvisorkey><Code>&lol9;</Code></Customer></Customerlist>
</Root>"""


def test_billion_laughs_is_not_expanded() -> None:
    started = time.perf_counter()
    with pytest.raises(nvxml.UnparseableXML):
        nvxml.parse_untrusted(BILLION_LAUGHS)
    assert nvreplies.parse_envelope(BILLION_LAUGHS) is None
    # Even the raw parser settings alone never expand it: libxml2 refuses or keeps the reference.
    try:
        root = etree.fromstring(BILLION_LAUGHS, nvxml._parser())
    except etree.XMLSyntaxError:
        pass
    else:
        code = root.find("Customerlist/Customer/Code")
        assert len("".join(code.itertext())) < 100
    assert time.perf_counter() - started < 5  # a guard, not a benchmark: expansion would hang


def test_external_entity_is_neither_fetched_nor_expanded(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hits: list[str] = []

    def app(environ, start_response):
        hits.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"FETCHED-OVER-NETWORK"]

    with serving(app, name="xxe-bait") as url:
        body = f"""<?xml version="1.0"?>
<!DOCTYPE r [
  <!ENTITY file SYSTEM "file://{secret}">
  <!ENTITY net SYSTEM "{url}/xxe">
  <!ENTITY % remote SYSTEM "{url}/dtd"> %remote;
]>
<Root><ResponseStatus><Status>FAILED</Status><Status>INVALID_DATA :: &file;&net;</Status>
</ResponseStatus></Root>""".encode()
        assert nvreplies.parse_envelope(body) is None
        root = etree.fromstring(body, nvxml._parser())
        text = etree.tostring(root).decode()
    assert "TOP-SECRET-VALUE" not in text and "FETCHED-OVER-NETWORK" not in text
    assert hits == []


# -- look-up parsers --------------------------------------------------------------------------


def test_customer_list_accepts_netvisorkey_in_either_case_and_a_single_child() -> None:
    root = nvxml.parse_untrusted(
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><CustomerList>"
        b'<Customer new="attr"><NetvisorKey>7</NetvisorKey><Name>A Oy</Name><Code>A</Code>'
        b"<OrganisationIdentifier>1234567-1</OrganisationIdentifier><Unknown>x</Unknown>"
        b"</Customer></CustomerList></Root>"
    )
    assert nvreplies.parse_customer_list(root)[0].netvisor_key == "7"
    root = nvxml.parse_untrusted(
        b"<Root><Customerlist><Customer><Netvisorkey>8</Netvisorkey><Code>B</Code></Customer>"
        b"<Customer><netvisorkey>9</netvisorkey><code>C</code><name/></Customer></Customerlist>"
        b"</Root>"
    )
    found = nvreplies.parse_customer_list(root)
    assert [(c.netvisor_key, c.code, c.name) for c in found] == [("8", "B", None), ("9", "C", None)]


def test_product_list_and_getproduct_shapes() -> None:
    listing = nvxml.parse_untrusted(
        b"<Root><ProductList><Product><NetvisorKey>5</NetvisorKey><ProductCode>P</ProductCode>"
        b"<Name>Tuote</Name><UnitPrice>12,50</UnitPrice></Product></ProductList></Root>"
    )
    single = nvxml.parse_untrusted(
        b"<Root><Product><ProductBaseInformation><Netvisorkey>5</Netvisorkey>"
        b"<ProductCode>P</ProductCode><Name>Tuote</Name><UnitPrice type='net'>12.5</UnitPrice>"
        b"</ProductBaseInformation></Product></Root>"
    )
    for root in (listing, single):
        (p,) = nvreplies.parse_product_list(root)
        assert (p.netvisor_key, p.code, p.unit_price) == ("5", "P", Decimal("12.5"))


def test_invoice_list_with_fi_localised_status_and_dates() -> None:
    root = nvxml.parse_untrusted(
        "<Root><SalesInvoiceList><SalesInvoice><NetvisorKey>11</NetvisorKey>"
        "<InvoiceNumber>20001</InvoiceNumber><Invoicedate format='ansi'>2025-04-30</Invoicedate>"
        "<InvoiceStatus substatus='x'>Avoin</InvoiceStatus><CustomerCode>C</CustomerCode>"
        "<InvoiceSum>105,30</InvoiceSum><OpenSum>0,00</OpenSum></SalesInvoice>"
        "<SalesInvoice><NetvisorKey>12</NetvisorKey><InvoiceDate>31.5.2025</InvoiceDate>"
        "<InvoiceStatus>Lähettämätön</InvoiceStatus></SalesInvoice></SalesInvoiceList></Root>"
    )
    a, b = nvreplies.parse_invoice_list(root)
    assert a.status == "open" and a.invoice_date == date(2025, 4, 30)
    assert a.total == Decimal("105.30") and a.open_sum == Decimal("0.00")
    assert b.status == "unsent" and b.invoice_date == date(2025, 5, 31) and b.total is None


def test_get_sales_invoice_reads_private_comment_status_and_lines() -> None:
    root = nvxml.parse_untrusted(
        b"<Root><SalesInvoice><SalesInvoiceNetvisorKey>11</SalesInvoiceNetvisorKey>"
        b"<SalesInvoiceDate format='ansi'>2025-04-30</SalesInvoiceDate>"
        b"<SalesInvoiceAmount>-10,00</SalesInvoiceAmount>"
        b"<SalesInvoiceStatus type='netvisor'>open</SalesInvoiceStatus>"
        b"<SalesInvoicePrivateComment>inv:2025-05:c:credit</SalesInvoicePrivateComment>"
        b"<InvoicingCustomerIdentifier>c</InvoicingCustomerIdentifier>"
        b"<InvoiceLines><InvoiceLine><SalesInvoiceProductLine/></InvoiceLine></InvoiceLines>"
        b"</SalesInvoice></Root>"
    )
    (d,) = nvreplies.parse_invoice_details(root)
    assert (d.netvisor_key, d.status, d.private_comment, d.line_count, d.total) == (
        "11",
        "open",
        "inv:2025-05:c:credit",
        1,
        Decimal("-10.00"),
    )
