"""Netvisor's replies as Netvisor writes them: golden reply files (invented data) of every reply
kind we read, getsalesinvoice.nv in each layout (all lines in one ``InvoiceLine`` wrapper or one
wrapper per line; with and without comment lines; with and without the invoice key), and the
content fingerprint computed the same way from what we send and from what Netvisor shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from connector.netvisor import replies as nvreplies
from connector.netvisor import xml as nvxml
from connector.netvisor.documents import CommentLine, ProductLine
from connector.netvisor.errors import mask_sent_values
from connector.netvisor.fingerprint import invoice_fingerprint

LAYOUTS = [
    "one_wrapper_comments_key",
    "one_wrapper_no_comments_key",
    "one_wrapper_comments_no_key",
    "one_wrapper_no_comments_no_key",
    "per_line_comments_key",
    "per_line_no_comments_key",
    "per_line_comments_no_key",
    "per_line_no_comments_no_key",
]


def reply(samples, name: str):
    return nvxml.parse_untrusted((samples.GOLDEN / "replies" / name).read_bytes())


def detail_of(samples, layout: str, *, asked: str = "2468"):
    root = reply(samples, f"getsalesinvoice_{layout}.xml")
    details = nvreplies.parse_invoice_details(
        root, requested_keys=[asked], comment_lines_included="no_comments" not in layout
    )
    assert len(details) == 1
    return details[0]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_product_line_is_read_whatever_the_wrapper_layout(samples, layout) -> None:
    d = detail_of(samples, layout)
    assert [line.product_code for line in d.product_lines] == [
        "KOTIHOITO-H",
        "KOTIHOITO-H",
        "SIIVOUS",
    ]
    first, voucher, cleaning = d.product_lines
    assert (first.quantity, first.unit_price, first.vat_percent) == (3, 25, 0)
    assert voucher.quantity == Decimal("-3") and voucher.free_text == "Palvelusetelin osuus"
    assert first.free_text is None  # an empty element is no free text
    assert cleaning.vat_percent == Decimal("25.5") and cleaning.quantity == Decimal("1.5")
    # four decimals on line sums are read as written
    assert cleaning.line_sum == Decimal("75.3000") and cleaning.vat_sum == Decimal("15.3")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_comment_lines_are_read_only_where_the_reply_carries_them(samples, layout) -> None:
    d = detail_of(samples, layout)
    if "no_comments" in layout:
        assert d.comment_lines == ()
        assert d.line_count == 3
    else:
        assert d.comment_lines == (CommentLine("Omavastuu 3 h x 10,00 € = 30,00 €"),)
        assert d.comment_lines_included and d.line_count == 4


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_invoice_without_its_key_takes_the_key_that_was_asked_for(samples, layout) -> None:
    d = detail_of(samples, layout, asked="2468")
    assert d.netvisor_key == "2468"
    assert d.key_in_reply == (not layout.endswith("no_key"))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_invoice_header_customer_status_and_total_are_read(samples, layout) -> None:
    d = detail_of(samples, layout)
    assert d.customer_code == "cust-2002" and d.customer_netvisor_key == "136"
    assert d.status == "unsent"  # the status attribute, not the localised label
    assert d.number == "20001" and d.invoice_date == date(2025, 4, 30)
    assert d.total == Decimal("105.30") and d.total_cents == 10530
    assert d.private_comment == "inv:2025-04:cust-2002:invoice"


def test_a_reply_key_wins_over_the_key_asked_for(samples) -> None:
    (d,) = nvreplies.parse_invoice_details(
        reply(samples, "getsalesinvoice_one_wrapper_comments_key.xml"), requested_keys=["9999"]
    )
    assert d.netvisor_key == "2468" and d.key_in_reply


def test_keylist_reply_with_keys_maps_each_invoice_by_its_own_key(samples) -> None:
    root = reply(samples, "getsalesinvoice_keylist_keys.xml")
    details = nvreplies.parse_invoice_details(root, requested_keys=["2470", "2468"])
    assert {d.netvisor_key: d.customer_code for d in details} == {
        "2468": "cust-2002",
        "2470": "cust-3003",
    }


def test_keylist_reply_without_keys_maps_by_order_only_when_the_counts_agree(samples) -> None:
    root = reply(samples, "getsalesinvoice_keylist_no_keys.xml")
    details = nvreplies.parse_invoice_details(root, requested_keys=["2468", "2470"])
    assert [(d.netvisor_key, d.customer_code) for d in details] == [
        ("2468", "cust-2002"),
        ("2470", "cust-3003"),
    ]
    # Three asked, two answered: one key was unknown, the order no longer says which is which.
    assert nvreplies.parse_invoice_details(root, requested_keys=["2468", "2469", "2470"]) == []
    assert nvreplies.parse_invoice_details(root) == []


def test_an_empty_sales_invoice_is_no_invoice(samples) -> None:
    # Netvisor answers getsalesinvoice.nv for an unknown key OK with an empty <SalesInvoice />.
    root = reply(samples, "getsalesinvoice_not_found.xml")
    assert nvreplies.parse_envelope(
        (samples.GOLDEN / "replies" / "getsalesinvoice_not_found.xml").read_bytes()
    ).ok
    assert nvreplies.parse_invoice_details(root, requested_keys=["123"]) == []
    assert (
        nvreplies.parse_invoice_details(root, requested_keys=["123"], comment_lines_included=True)
        == []
    )


def test_an_empty_sales_invoice_in_a_keylist_keeps_its_place(samples) -> None:
    # two invoices without keys and an empty one for the unknown middle key: three places,
    # three keys asked, so the order still says which is which
    root = reply(samples, "getsalesinvoice_keylist_no_keys.xml")
    invoices = root.find("SalesInvoices")
    invoices.insert(1, nvxml.parse_untrusted(b"<SalesInvoice />"))
    details = nvreplies.parse_invoice_details(root, requested_keys=["2468", "2469", "2470"])
    assert [(d.netvisor_key, d.customer_code) for d in details] == [
        ("2468", "cust-2002"),
        ("2470", "cust-3003"),
    ]


def test_customer_list_reply(samples) -> None:
    found = nvreplies.parse_customer_list(reply(samples, "customerlist.xml"))
    assert [(c.netvisor_key, c.code, c.business_id) for c in found] == [
        ("135", "cust-1001", "1234567-1"),
        ("136", "cust-2002", None),
    ]


def test_product_list_and_getproduct_replies(samples) -> None:
    (listed,) = nvreplies.parse_product_list(reply(samples, "productlist.xml"))
    (got,) = nvreplies.parse_product_list(reply(samples, "getproduct.xml"))
    assert (listed.netvisor_key, listed.code, listed.unit_price) == (
        "301",
        "KOTIHOITO-H",
        Decimal("25.00"),
    )
    assert (got.netvisor_key, got.code, got.name) == ("302", "SIIVOUS", "Siivous")


def test_sales_invoice_list_reply(samples) -> None:
    (row,) = nvreplies.parse_invoice_list(reply(samples, "salesinvoicelist.xml"))
    assert (row.netvisor_key, row.number, row.status, row.customer_code) == (
        "2468",
        "20001",
        "unsent",
        "cust-2002",
    )
    assert row.invoice_date == date(2025, 4, 30) and row.total == Decimal("105.30")


def test_payment_term_list_reply(samples) -> None:
    terms = nvreplies.parse_payment_terms(reply(samples, "paymenttermlist.xml"))
    assert [(t.netvisor_key, t.net_days, t.is_default) for t in terms] == [
        ("1", 7, False),
        ("2", 14, True),
    ]
    assert terms[1].description == "14 päivää netto"


def test_add_reply_and_error_reply(samples) -> None:
    ok = nvreplies.parse_envelope((samples.GOLDEN / "replies" / "inserted.xml").read_bytes())
    assert ok is not None and ok.ok and ok.inserted_key == "2468"
    failed = nvreplies.parse_envelope(
        (samples.GOLDEN / "replies" / "invalid_data_echo.xml").read_bytes()
    )
    assert failed is not None and not failed.ok and failed.error_type == "INVALID_DATA"


# ---------------------------------------------------------------------------------------------
# The content fingerprint


@pytest.mark.parametrize("layout", LAYOUTS)
def test_what_we_sent_and_what_netvisor_shows_have_one_fingerprint(samples, layout) -> None:
    sent = samples.voucher_invoice()
    assert invoice_fingerprint(detail_of(samples, layout)) == invoice_fingerprint(sent)


def test_the_fingerprint_ignores_comment_lines_names_and_line_order(samples) -> None:
    sent = samples.voucher_invoice()
    lines = [line for line in sent.lines if isinstance(line, ProductLine)]
    reordered = replace(
        sent,
        lines=(
            lines[2],
            CommentLine("toinen kommentti"),
            replace(lines[0], name="Toinen nimi"),
            lines[1],
        ),
    )
    assert invoice_fingerprint(reordered) == invoice_fingerprint(sent)


def test_the_fingerprint_normalises_decimals(samples) -> None:
    sent = samples.voucher_invoice()
    same = replace(
        sent,
        lines=tuple(
            replace(line, quantity=line.quantity.quantize(Decimal("0.001")))
            if isinstance(line, ProductLine)
            else line
            for line in sent.lines
        ),
    )
    assert invoice_fingerprint(same) == invoice_fingerprint(sent)


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": Decimal("4")},
        {"unit_price": Decimal("26.00")},
        {"vat_percent": Decimal("14")},
        {"free_text": "muu teksti"},
        {"product_code": "SIIVOUS"},
    ],
)
def test_any_content_change_of_a_product_line_changes_the_fingerprint(samples, change) -> None:
    sent = samples.voucher_invoice()
    first = sent.lines[0]
    assert isinstance(first, ProductLine)
    changed = replace(sent, lines=(replace(first, **change), *sent.lines[1:]))
    assert invoice_fingerprint(changed) != invoice_fingerprint(sent)


def test_a_negative_quantity_is_not_a_negative_price(samples) -> None:
    sent = samples.voucher_invoice()
    voucher = sent.lines[1]
    assert isinstance(voucher, ProductLine)
    flipped = replace(voucher, quantity=-voucher.quantity, unit_price=-voucher.unit_price)
    other = replace(sent, lines=(sent.lines[0], flipped, *sent.lines[2:]))
    assert other.total == sent.total
    assert invoice_fingerprint(other) != invoice_fingerprint(sent)


def test_a_reply_with_a_different_total_or_a_missing_value_does_not_match(samples) -> None:
    d = detail_of(samples, "one_wrapper_comments_key")
    sent = invoice_fingerprint(samples.voucher_invoice())
    assert invoice_fingerprint(replace(d, total=Decimal("105.31"))) != sent
    assert invoice_fingerprint(replace(d, total=None)) is None
    broken = replace(d.product_lines[0], quantity=None)
    assert invoice_fingerprint(replace(d, product_lines=(broken, *d.product_lines[1:]))) is None


def test_a_missing_line_changes_the_fingerprint(samples) -> None:
    d = detail_of(samples, "per_line_no_comments_key")
    assert invoice_fingerprint(replace(d, product_lines=d.product_lines[:2])) != (
        invoice_fingerprint(samples.voucher_invoice())
    )


# ---------------------------------------------------------------------------------------------
# Netvisor's echo of personal data in error texts


def test_every_personal_value_we_sent_is_masked_in_an_error_text(samples) -> None:
    from connector.netvisor.documents import CustomerRecord

    rec = CustomerRecord(
        code="cust-2002",
        name="Esimerkki Asiakas",
        is_private=True,
        street="Esimerkkitie 1",
        city="Helsinki",
        post_number="00100",
        email="asiakas@example.invalid",
        phone="040 1234567",
    )
    body = nvxml.customer_xml(rec)
    env = nvreplies.parse_envelope(
        (samples.GOLDEN / "replies" / "invalid_data_echo.xml").read_bytes()
    )
    assert env is not None and env.error_text
    masked = mask_sent_values(env.error_text, body)
    for value in ("Esimerkki", "Asiakas", "Esimerkkitie", "asiakas@example.invalid", "1234567"):
        assert value.lower() not in masked.lower()
    assert "cust-2002" in masked  # ids and codes stay: a person needs them


# -- a write's plain OK answer ----------------------------------------------------------------

PLAIN_OK = [
    b"<?xml version='1.0' encoding='utf-8'?>\n<Root><ResponseStatus><Status>OK</Status>"
    b"<TimeStamp>2026-11-22 10:00:00.123</TimeStamp></ResponseStatus><Replies>"
    b"<InsertedDataIdentifier>1001</InsertedDataIdentifier></Replies></Root>",
    b'<?xml version="1.0" encoding="utf-8"?>\r\n<Root>\r\n  <ResponseStatus>\r\n    '
    b"<Status>OK</Status>\r\n    <TimeStamp>2026-11-22T10:00:00Z</TimeStamp>\r\n  "
    b"</ResponseStatus>\r\n</Root>\r\n",
    b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus></Root>",
]


@pytest.mark.parametrize("body", PLAIN_OK)
def test_a_plain_ok_answer_reads_the_same_with_and_without_a_tree(body: bytes) -> None:
    full = nvreplies.parse_envelope(body)
    plain = nvreplies.parse_envelope(body, tree=False)
    assert full is not None and plain is not None
    assert (plain.ok, plain.error_type, plain.error_text, plain.inserted_key) == (
        full.ok,
        full.error_type,
        full.error_text,
        full.inserted_key,
    )
    assert plain.root is None and full.root is not None


@pytest.mark.parametrize(
    "body",
    [
        # anything but the plain shape is parsed, and so decided, by the XML parser
        b'<?xml version="1.0"?><!DOCTYPE Root [<!ENTITY k "1001">]><Root><ResponseStatus>'
        b"<Status>OK</Status></ResponseStatus><Replies><InsertedDataIdentifier>&k;"
        b"</InsertedDataIdentifier></Replies></Root>",
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><Replies>"
        b"<InsertedDataIdentifier>1001</InsertedDataIdentifier></Replies>",  # cut short
        b"<Root><ResponseStatus><Status>FAILED</Status><Status>AUTHENTICATION_FAILED :: x"
        b"</Status></ResponseStatus></Root>",
        b"<Root><ResponseStatus><Status>OK</Status><!-- c --></ResponseStatus></Root>",
        b'<Root xmlns="urn:x"><ResponseStatus><Status>OK</Status></ResponseStatus></Root>',
        b"<Root><ResponseStatus><Status>OK</Status></ResponseStatus><Replies>"
        b"<InsertedDataIdentifier>10&#48;1</InsertedDataIdentifier></Replies></Root>",
        b"<html><body>Bad gateway</body></html>",
        b"",
    ],
)
def test_every_other_answer_to_a_write_is_parsed_as_before(body: bytes) -> None:
    full = nvreplies.parse_envelope(body)
    plain = nvreplies.parse_envelope(body, tree=False)
    if full is None:
        assert plain is None
        return
    assert plain is not None and plain.root is not None  # parsed into a tree
    assert (plain.ok, plain.error_type, plain.error_text, plain.inserted_key) == (
        full.ok,
        full.error_type,
        full.error_text,
        full.inserted_key,
    )
