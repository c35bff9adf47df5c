"""Document lines, rounding, keys and hashes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.billing import CommentLine, DocumentKind, DocumentLine, InvoiceDocument
from connector.billing.documents import content_hash, document_owner, document_period, priced
from connector.core.domain import Period
from connector.core.money import line_amount

from .conftest import APRIL, hour, mappings, run, voucher


def line(quantity: str, price: str) -> DocumentLine:
    q, p = D(quantity), D(price)
    return DocumentLine("P", "x", q, p, D("0"), "KOMY", line_amount(q, p), "work", "T:1")


def test_each_line_is_rounded_half_up_and_the_total_is_the_sum_of_rounded_lines():
    lines = (line("1", "0.125"), line("1", "0.125"), line("3", "0.335"))  # 0,13 + 0,13 + 1,01
    doc = InvoiceDocument(
        "inv:2026-04:X",
        DocumentKind.CUSTOMER_INVOICE,
        APRIL,
        "X",
        None,
        date(2026, 5, 1),
        14,
        lines,
        (),
    )
    assert [ln.amount for ln in doc.priced_lines] == [D("0.13"), D("0.13"), D("1.01")]
    assert doc.total == D("1.27")  # not round(0,125 + 0,125 + 1,005) = 1,26


def test_a_line_whose_amount_is_not_its_rounded_product_is_refused():
    with pytest.raises(ValueError):
        DocumentLine("P", "x", D("3"), D("0.335"), D("0"), "KOMY", D("1.00"), "work", None)


@given(
    st.decimals(min_value=-1000, max_value=1000, places=2).filter(lambda d: d != 0),
    st.decimals(min_value=-100000, max_value=100000, places=2),
)
def test_priced_always_reproduces_the_amount_with_a_non_negative_unit_price(quantity, amount):
    q, p = priced(quantity, amount)
    assert line_amount(q, p) == amount and p >= 0


def test_keys_are_deterministic_and_carry_period_and_owner():
    result = run(
        mappings([voucher()]), [hour("T1", APRIL)], periods=[APRIL], today=date(2026, 5, 2)
    )
    assert [d.key for d in result.documents] == [
        "inv:2026-04:SP-P0001",
        "org:2026-04:VANTAA-KERAVA",
    ]
    assert document_period("org:2026-04:VANTAA-KERAVA") == Period(2026, 4)
    assert document_owner("inv:2026-04:YR-1") == "inv:YR-1"
    again = run(mappings([voucher()]), [hour("T1", APRIL)], periods=[APRIL], today=date(2026, 5, 3))
    assert [d.content_hash for d in again.documents] == [d.content_hash for d in result.documents]


def test_the_content_hash_changes_with_anything_that_would_be_sent():
    base = {
        "key": "inv:2026-04:X",
        "kind": DocumentKind.CUSTOMER_INVOICE,
        "period": APRIL,
        "customer_code": "X",
        "invoice_date": date(2026, 5, 1),
        "payment_term_days": 14,
        "lines": (CommentLine("Kohde"), line("1", "25")),
        "free_text_before": None,
        "free_text_after": None,
    }
    h = content_hash(**base)
    assert h == content_hash(**base)
    assert h != content_hash(**{**base, "lines": (CommentLine("Kohde"), line("2", "25"))})
    assert h != content_hash(**{**base, "payment_term_days": 30})
    assert h != content_hash(**{**base, "lines": (CommentLine("Toinen"), line("1", "25"))})
