"""The event list for PSOP: one row per event, clients only by PSOP customer number."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from connector.psop import EXPORT_HEADERS, EventRow, events_csv, events_xlsx

APRIL_EVENT = EventRow(
    work_date=date(2026, 4, 7),
    psop_customer_number="100001",
    voucher_id="VK-2026-0001",
    psop_product="KOTIHOITO",
    quantity=Decimal("2.5"),
    unit_price=Decimal("45.00"),
    voucher_share=Decimal("37.50"),
    self_pay=Decimal("75.00"),
)
EARLIER = EventRow(
    work_date=date(2026, 4, 1),
    psop_customer_number="000123",
    voucher_id="VK-2026-0002",
    psop_product="SIIVOUS",
    quantity=Decimal("1"),
    unit_price=Decimal("38.00"),
    voucher_share=Decimal("20.00"),
    self_pay=Decimal("18.00"),
)


def test_the_csv_opens_in_a_finnish_spreadsheet_semicolons_decimal_comma_and_a_bom():
    data = events_csv([APRIL_EVENT])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ";".join(EXPORT_HEADERS)
    assert lines[1] == "7.4.2026;100001;VK-2026-0001;KOTIHOITO;2,5;45,00;37,50;75,00"


def test_events_are_listed_in_date_order_one_row_each():
    rows = list(
        csv.reader(
            io.StringIO(events_csv([APRIL_EVENT, EARLIER]).decode("utf-8-sig")), delimiter=";"
        )
    )
    assert [r[0] for r in rows[1:]] == ["1.4.2026", "7.4.2026"]
    assert rows[1][1] == "000123"  # the leading zeros of a customer number survive


def test_a_code_that_a_spreadsheet_would_run_as_a_formula_is_escaped_in_csv():
    hostile = EventRow(**{**APRIL_EVENT.__dict__, "voucher_id": "=HYPERLINK(1)"})
    line = events_csv([hostile]).decode("utf-8-sig").split("\r\n")[1]
    assert ";'=HYPERLINK(1);" in line


def test_the_xlsx_has_typed_cells_dates_numbers_and_codes_as_text():
    book = load_workbook(io.BytesIO(events_xlsx([APRIL_EVENT, EARLIER])), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == EXPORT_HEADERS
    assert rows[1][0] == datetime(2026, 4, 1)
    assert rows[1][1] == "000123"
    assert rows[2][4] == 2.5 and rows[2][6] == 37.5 and rows[2][7] == 75


def test_a_code_starting_with_equals_stays_text_in_xlsx():
    hostile = EventRow(**{**APRIL_EVENT.__dict__, "voucher_id": "=1+1"})
    book = load_workbook(io.BytesIO(events_xlsx([hostile])), read_only=True, data_only=False)
    rows = list(book.worksheets[0].iter_rows())
    assert rows[1][2].data_type == "s" and rows[1][2].value == "=1+1"
