"""Reading PSOP's report: a good file gives its rows; a malformed one is refused whole."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from connector.mapping.psop_report import ReportFormat
from connector.psop import PsopState, ReportError, ReportMapping, read_report

HEADER = "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila"
GOOD = [
    "7.4.2026;100001;VK-2026-0001;KOTIHOITO;2;45,00;30,00;Maksettu",
    "14.4.2026;100001;VK-2026-0001;KOTIHOITO;1,5;45,00;22,50;Tarkastettavana",
]


def write(tmp_path: Path, *lines: str, name: str = "raportti.csv", bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig" if bom else "utf-8"))
    return path


def refused(path: Path, mapping: ReportMapping | None = None) -> list[str]:
    with pytest.raises(ReportError) as caught:
        read_report(path, mapping or ReportMapping())
    return [str(p) for p in caught.value.problems]


def test_a_report_as_psop_writes_it_gives_every_row(tmp_path: Path):
    rows = read_report(write(tmp_path, HEADER, *GOOD), ReportMapping())
    assert [(r.row, r.work_date, r.quantity, r.amount, r.state) for r in rows] == [
        (2, date(2026, 4, 7), Decimal(2), Decimal("30.00"), PsopState.MAKSETTU),
        (3, date(2026, 4, 14), Decimal("1.5"), Decimal("22.50"), PsopState.TARKASTETTAVANA),
    ]


def test_a_title_above_the_header_and_extra_columns_are_tolerated(tmp_path: Path):
    path = write(
        tmp_path,
        "Tapahtumaraportti 1.4.2026-30.4.2026",
        "",
        HEADER + ";Palveluntuottaja",
        GOOD[0] + ";Oma Yritys Oy",
        bom=False,
    )
    (row,) = read_report(path, ReportMapping())
    assert row.row == 4 and row.psop_customer_number == "100001"


def test_a_missing_column_is_named(tmp_path: Path):
    path = write(tmp_path, HEADER.replace(";Tila", ""), GOOD[0].rsplit(";", 1)[0])
    assert refused(path) == ["raportti.csv: row 1: column Tila: missing column"]


def test_a_bad_date_names_file_row_and_column_and_nothing_is_returned(tmp_path: Path):
    path = write(tmp_path, HEADER, GOOD[0], GOOD[1].replace("14.4.2026", "31.4.2026"))
    assert refused(path) == [
        "raportti.csv: row 3: column Tapahtumapäivä: '31.4.2026' is not a date of the form d.m.yyyy"
    ]


def test_a_bad_number_is_refused(tmp_path: Path):
    path = write(tmp_path, HEADER, GOOD[0].replace(";30,00;", ";30 e;"))
    assert refused(path) == ["raportti.csv: row 2: column Summa: '30e' is not a number"]


def test_a_decimal_point_where_a_comma_is_expected_is_refused(tmp_path: Path):
    path = write(tmp_path, HEADER, GOOD[0].replace(";45,00;", ";45.00;"))
    (problem,) = refused(path)
    assert problem.startswith("raportti.csv: row 2: column Yksikköhinta: '45.00' has '.'")


def test_a_comma_separated_file_is_refused_as_semicolon_comma_confusion(tmp_path: Path):
    path = write(
        tmp_path,
        HEADER.replace(";", ","),
        '7.4.2026,100001,VK-1,KOTIHOITO,2,"45,00","30,00",Maksettu',
    )
    (problem,) = refused(path)
    assert problem.startswith("raportti.csv: row 1: the fields are separated by ',', not by ';'")


def test_a_row_with_more_fields_than_the_header_is_refused(tmp_path: Path):
    path = write(tmp_path, HEADER, GOOD[0] + ";ylimääräinen")
    assert refused(path) == ["raportti.csv: row 2: 9 fields, the header has 8"]


def test_an_unknown_state_is_refused(tmp_path: Path):
    path = write(tmp_path, HEADER, GOOD[0].replace("Maksettu", "Odottaa"))
    (problem,) = refused(path)
    assert "row 2: column Tila: unknown state 'Odottaa'" in problem


def test_an_empty_voucher_and_a_formula_are_refused_each_with_its_column(tmp_path: Path):
    path = write(
        tmp_path, HEADER, GOOD[0].replace("VK-2026-0001", ""), GOOD[1].replace("100001", "=cmd|x")
    )
    assert refused(path) == [
        "raportti.csv: row 2: column Ostovoima: empty",
        "raportti.csv: row 3: column Asiakasnumero: starts with '=', which a spreadsheet runs",
    ]


def test_iso_dates_and_a_decimal_point_when_the_mapping_says_so(tmp_path: Path):
    mapping = ReportMapping(format=ReportFormat(decimal_separator=".", date_format="yyyy-mm-dd"))
    path = write(tmp_path, HEADER, "2026-04-07;100001;VK-1;KOTIHOITO;2;45.00;30.00;Hyväksytty")
    (row,) = read_report(path, mapping)
    assert (row.work_date, row.unit_price, row.state) == (
        date(2026, 4, 7),
        Decimal("45.00"),
        PsopState.HYVAKSYTTY,
    )


def _xlsx(tmp_path: Path, rows: list[list[object]], name: str = "raportti.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_an_xlsx_report_with_typed_cells_is_read(tmp_path: Path):
    path = _xlsx(
        tmp_path,
        [
            HEADER.split(";"),
            [datetime(2026, 4, 7), 100001, "VK-2026-0001", "KOTIHOITO", 2, 45, 30.5, "Tilitetty"],
            ["14.4.2026", "000123", "VK-2", "SIIVOUS", "1,5", "38,00", "20,00", "hylätty"],
        ],
    )
    first, second = read_report(path, ReportMapping())
    assert (first.work_date, first.psop_customer_number, first.amount) == (
        date(2026, 4, 7),
        "100001",
        Decimal("30.5"),
    )
    assert (second.psop_customer_number, second.quantity, second.state) == (
        "000123",
        Decimal("1.5"),
        PsopState.HYLATTY,
    )


def test_an_xlsx_with_a_bad_cell_names_row_and_column(tmp_path: Path):
    path = _xlsx(
        tmp_path, [HEADER.split(";"), ["huomenna", "100001", "V", "P", 1, 1, 1, "Maksettu"]]
    )
    assert refused(path) == [
        "raportti.xlsx: row 2: column Tapahtumapäivä: 'huomenna' is not a date of the form d.m.yyyy"
    ]


def test_a_workbook_with_macros_is_refused(tmp_path: Path):
    path = _xlsx(tmp_path, [HEADER.split(";")])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 10)
    assert refused(path) == ["raportti.xlsx: the workbook contains macros: save it as .xlsx"]


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    path = tmp_path / "raportti.xlsx"
    path.write_bytes(buffer.getvalue())
    (problem,) = refused(path)
    assert problem.startswith("raportti.xlsx: cannot read the workbook")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "raportti.csv"
    path.write_bytes((HEADER + "\r\n").encode("cp1252"))
    assert refused(path) == ["raportti.csv: row 1: not UTF-8 text: save the report as CSV UTF-8"]


def test_a_file_beyond_the_size_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch):
    from connector.psop import report as module

    monkeypatch.setattr(module, "MAX_UNPACKED_BYTES", 100)
    path = write(tmp_path, HEADER, *GOOD)
    assert refused(path) == ["raportti.csv: the file is larger than 50 MB: refused"]
