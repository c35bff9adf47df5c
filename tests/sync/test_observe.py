"""Observe: which invoices the ledger thinks editable a person has sent meanwhile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sync.helpers import owned

from connector.core.errors import TransientError
from connector.ledger import LedgerState
from connector.netvisor.documents import InvoiceDetail, InvoiceSummary
from connector.sync.observe import check_editable, read_every_invoice


class ListingClient:
    """Answers the invoice list and the detail reads from fixed statuses; records the calls."""

    def __init__(self, listed: dict[str, str | None], details: dict[str, str]) -> None:
        self.listed = listed
        self.details = details
        self.list_ranges: list[tuple[date, date]] = []
        self.detail_keys: list[list[str]] = []

    def sales_invoices(self, *, begin: date, end: date) -> list[InvoiceSummary]:
        self.list_ranges.append((begin, end))
        return [
            InvoiceSummary(key, None, begin, status, "C1", Decimal("1.00"), None)
            for key, status in self.listed.items()
        ]

    def sales_invoices_by_keys(self, keys: list[str]) -> list[InvoiceDetail]:
        self.detail_keys.append(list(keys))
        return [
            InvoiceDetail(k, None, None, self.details[k], "C1", None, None)
            for k in keys
            if k in self.details
        ]


def test_statuses_come_from_the_invoice_list_of_the_months_without_reading_details():
    rows = [
        owned("inv:2026-04:C1", netvisor_key="NV-1", status="unsent"),
        owned("inv:2026-05:C2", period="2026-05", netvisor_key="NV-2", status="unsent"),
    ]
    client = ListingClient({"NV-1": "unsent", "NV-2": "open", "NV-9": "open"}, {})
    check = check_editable(client, rows)  # type: ignore[arg-type]
    assert check.frozen == {"inv:2026-05:C2"}  # a person sent it
    assert client.list_ranges == [(date(2026, 4, 1), date(2026, 6, 30))]
    assert client.detail_keys == []
    # sent rows are confirmed with what Netvisor shows; NV-9 is not the connector's
    assert sorted(check.seen) == [
        ("inv:2026-04:C1", "NV-1", "unsent"),
        ("inv:2026-05:C2", "NV-2", "open"),
    ]


def test_an_invoice_the_list_does_not_show_is_read_by_its_key():
    rows = [
        owned("inv:2026-04:C1", netvisor_key="NV-1"),
        owned("inv:2026-04:C2", netvisor_key="NV-2"),  # a person moved its date
        owned("inv:2026-04:C3", netvisor_key="NV-3"),  # the list shows no status
    ]
    client = ListingClient({"NV-1": "unsent", "NV-3": None}, {"NV-2": "open", "NV-3": "unsent"})
    check = check_editable(client, rows)  # type: ignore[arg-type]
    assert client.detail_keys == [["NV-2", "NV-3"]]
    assert check.frozen == {"inv:2026-04:C2"}


def test_a_confirmed_invoice_whose_status_is_unchanged_needs_no_ledger_write():
    rows = [
        owned("inv:2026-04:C1", netvisor_key="NV-1", state=LedgerState.CONFIRMED, status="unsent")
    ]
    check = check_editable(ListingClient({"NV-1": "unsent"}, {}), rows)  # type: ignore[arg-type]
    assert check.frozen == frozenset()
    assert check.seen == ()


def test_an_invoice_netvisor_does_not_know_at_all_is_neither_frozen_nor_confirmed():
    rows = [owned("inv:2026-04:C1", netvisor_key="NV-1")]
    check = check_editable(ListingClient({}, {}), rows)  # type: ignore[arg-type]
    assert check.frozen == frozenset() and check.seen == ()


def test_the_lists_money_figures_come_back_for_every_invoice_the_ledger_owns():
    rows = [owned("inv:2026-04:C1", netvisor_key="NV-1", status="unsent")]
    # NV-2 is owned but frozen (not re-checked): the same list shows it; NV-9 is not ours
    client = ListingClient({"NV-1": "unsent", "NV-2": "paid", "NV-9": "open"}, {})
    owned_keys = {"NV-1": "inv:2026-04:C1", "NV-2": "inv:2026-03:C1"}
    check = check_editable(client, rows, owned_keys)  # type: ignore[arg-type]
    assert {b[0]: b[4] for b in check.balances} == {
        "inv:2026-04:C1": "unsent",
        "inv:2026-03:C1": "paid",
    }
    assert check_editable(client, rows).balances == ()  # type: ignore[arg-type]


def _summaries(*keys: str) -> list[InvoiceSummary]:
    return [InvoiceSummary(k, None, date(2026, 4, 30), "open", "C1", None, None) for k in keys]


def test_read_every_invoice_reads_the_whole_list_in_one_batch():
    client = ListingClient({}, {"NV-1": "open", "NV-2": "unsent"})
    details = read_every_invoice(
        client,  # type: ignore[arg-type]
        _summaries("NV-1", "NV-2"),
        unread=lambda n: f"{n} unread",
        error_type="TEST_INCOMPLETE",
    )
    assert [(d.netvisor_key, d.status) for d in details] == [("NV-1", "open"), ("NV-2", "unsent")]
    assert client.detail_keys == [["NV-1", "NV-2"]]


def test_read_every_invoice_fails_closed_when_one_could_not_be_read():
    client = ListingClient({}, {"NV-1": "open"})  # NV-2 and NV-3 do not come back
    with pytest.raises(TransientError) as raised:
        read_every_invoice(
            client,  # type: ignore[arg-type]
            _summaries("NV-1", "NV-2", "NV-3"),
            unread=lambda n: f"{n} of them unread",
            error_type="TEST_INCOMPLETE",
        )
    assert raised.value.error_type == "TEST_INCOMPLETE"
    assert "2 of them unread" in str(raised.value)
