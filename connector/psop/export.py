"""The month's voucher events as PSOP asks a provider to record them: CSV or XLSX.

One row per event: date, PSOP customer number, voucher id, PSOP product, quantity, unit price,
voucher share, self-pay. Clients are identified only by their PSOP customer number. CSV follows
the Finnish office convention, so a spreadsheet opens it as it is: ``;`` between fields, a
decimal comma, dates ``d.m.yyyy`` and UTF-8 with a byte-order mark. XLSX has typed cells (dates
as dates, amounts as numbers, codes as text so leading zeros survive).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from connector.core.money import format_comma
from connector.psop.records import EventRow

EXPORT_HEADERS = (
    "Tapahtumapäivä",
    "Asiakasnumero",
    "Ostovoima",
    "Tuote",
    "Määrä",
    "Yksikköhinta",
    "Palvelusetelin osuus",
    "Omavastuu",
)
#: first characters that make a spreadsheet run a text cell as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def format_date_fi(day: date) -> str:
    """``d.m.yyyy`` (``1.4.2026``), as Finnish offices and PSOP write dates."""
    return f"{day.day}.{day.month}.{day.year}"


def _text(value: str) -> str:
    """A code as a text cell a spreadsheet never runs as a formula (a leading ``'`` escapes it)."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _ordered(rows: Iterable[EventRow]) -> list[EventRow]:
    return sorted(
        rows, key=lambda r: (r.work_date, r.psop_customer_number, r.voucher_id, r.psop_product)
    )


def events_csv(rows: Iterable[EventRow]) -> bytes:
    """The events as CSV bytes: ``;``, decimal comma, ``d.m.yyyy``, UTF-8 with BOM, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for row in _ordered(rows):
        writer.writerow(
            [
                format_date_fi(row.work_date),
                _text(row.psop_customer_number),
                _text(row.voucher_id),
                _text(row.psop_product),
                format_comma(row.quantity, None),
                format_comma(row.unit_price),
                format_comma(row.voucher_share),
                format_comma(row.self_pay),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def events_xlsx(rows: Iterable[EventRow], *, sheet: str = "Tapahtumat") -> bytes:
    """The events as an XLSX workbook (bytes) with typed cells and Finnish number formats."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(list(EXPORT_HEADERS))

    def text(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # a code is text, even one that starts with "="
        return cell

    def number(value: Decimal, fmt: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value)
        cell.number_format = fmt
        return cell

    for row in _ordered(rows):
        day = WriteOnlyCell(ws, row.work_date)
        day.number_format = "d.m.yyyy"
        ws.append(
            [
                day,
                text(row.psop_customer_number),
                text(row.voucher_id),
                text(row.psop_product),
                number(row.quantity, "General"),
                number(row.unit_price, "0.00"),
                number(row.voucher_share, "0.00"),
                number(row.self_pay, "0.00"),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
