"""Read PSOP's event/settlement report (CSV or XLSX) into ``ReportRow``s, or refuse it whole.

The file is untrusted: a person downloaded it and may have opened and re-saved it. Every row is
checked before anything is returned; one malformed cell (a missing column, a bad date or number,
``,`` where ``;`` separates fields, an unknown state, an empty code) refuses the WHOLE file with
file, row and column, so nothing of it is recorded. XLSX is read with openpyxl in read-only mode
with formulas' cached values only; a workbook with macros is refused, and so is one whose
compressed parts would unpack beyond a sane size. openpyxl parses through defusedxml (a declared
dependency), so entity expansion attacks are refused as well.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connector.core.errors import ConnectorError
from connector.core.reasons import reason as worded
from connector.mapping.psop_report import ReportMapping
from connector.psop.records import PsopState, ReportRow

#: the header row is looked for among the first rows (a report may start with a title)
HEADER_SEARCH_ROWS = 10
#: refuse a file, or an XLSX whose parts unpack, beyond this many bytes (a zip bomb)
MAX_UNPACKED_BYTES = 50_000_000
_FORMULA_STARTS = ("=", "+", "-", "@")
_DATE_FI = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class ReportProblem:
    """One refused cell or row: where it is and what is wrong."""

    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}: row {self.row}"
        column = f": column {self.column}" if self.column else ""
        return f"{where}{column}: {self.message}"


class ReportError(ConnectorError):
    """A PSOP report that cannot be read as a whole: nothing of it is recorded (exit code 2)."""

    error_type = "PSOP_REPORT_REFUSED"

    def __init__(self, problems: Sequence[ReportProblem]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:50])
        more = f"\n  ... and {n - 50} more" if n > 50 else ""
        super().__init__(
            f"PSOP report refused ({n} problem{'s' if n != 1 else ''}), nothing was recorded:\n"
            f"{shown}{more}"
        )


def read_report(path: Path, mapping: ReportMapping) -> list[ReportRow]:
    """Every row of the report at ``path`` (CSV or XLSX by content), or ``ReportError``."""
    path = Path(path)
    if path.stat().st_size > MAX_UNPACKED_BYTES:
        raise ReportError([ReportProblem(path.name, None, "", worded("psop_too_large"))])
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04":
        table = _xlsx_rows(path.name, data, mapping)
    else:
        table = _csv_rows(path.name, data, mapping)
    return _parse(path.name, table, mapping)


# ------------------------------------------------------------------ raw tables


def _csv_rows(name: str, data: bytes, mapping: ReportMapping) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ReportError([ReportProblem(name, line, "", worded("psop_not_utf8"))]) from None
    delimiter = mapping.format.delimiter
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(name: str, data: bytes, mapping: ReportMapping) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported here: only an XLSX import needs it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        raise ReportError([ReportProblem(name, None, "", worded("psop_not_xlsx"))]) from None
    if any(p.filename.lower().endswith("vbaproject.bin") for p in parts):
        raise ReportError([ReportProblem(name, None, "", worded("psop_macros"))])
    if sum(p.file_size for p in parts) > MAX_UNPACKED_BYTES:
        raise ReportError([ReportProblem(name, None, "", worded("psop_unpacks_large"))])
    try:
        book = load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
        )
    except Exception as exc:  # any parse failure of an untrusted file is a refusal
        raise ReportError(
            [ReportProblem(name, None, "", worded("psop_unreadable", error=type(exc).__name__))]
        ) from None
    try:
        wanted = mapping.format.sheet
        if wanted and wanted not in book.sheetnames:
            raise ReportError(
                [ReportProblem(name, None, "", worded("psop_no_sheet", sheet=wanted))]
            )
        sheet = book[wanted] if wanted else book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


# ------------------------------------------------------------------ rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(
    name: str, table: list[list[Any]], mapping: ReportMapping
) -> tuple[int, dict[str, int]]:
    """(index of the header row, our field -> column index)."""
    wanted = mapping.columns.model_dump()
    best: tuple[int, dict[str, int]] | None = None
    for index, raw in enumerate(table[:HEADER_SEARCH_ROWS]):
        cells = [str(c).strip().casefold() if c is not None else "" for c in raw]
        found = {f: cells.index(h.casefold()) for f, h in wanted.items() if h.casefold() in cells}
        if len(found) == len(wanted):
            return index, found
        if found and (best is None or len(found) > len(best[1])):
            best = (index, found)
    first = next((i for i, r in enumerate(table) if not all(_blank(c) for c in r)), None)
    if first is None:
        raise ReportError([ReportProblem(name, None, "", worded("psop_empty"))])
    index, found = best if best is not None else (first, {})
    header_cells = [str(c) for c in table[index] if not _blank(c)]
    other = {";": ",", ",": ";", "\t": ";"}[mapping.format.delimiter]
    if len(header_cells) == 1 and other in header_cells[0]:
        raise ReportError(
            [
                ReportProblem(
                    name,
                    index + 1,
                    "",
                    worded("psop_delimiter", found=other, expected=mapping.format.delimiter),
                )
            ]
        )
    raise ReportError(
        [
            ReportProblem(name, index + 1, header, worded("psop_missing_column"))
            for f, header in wanted.items()
            if f not in found
        ]
    )


def _parse(name: str, table: list[list[Any]], mapping: ReportMapping) -> list[ReportRow]:
    header_index, position = _find_header(name, table, mapping)
    headers = mapping.columns.model_dump()
    problems: list[ReportProblem] = []
    rows: list[ReportRow] = []
    width = len(table[header_index])
    for index in range(header_index + 1, len(table)):
        raw = table[index]
        number = index + 1
        if all(_blank(c) for c in raw):
            continue
        if any(not _blank(c) for c in raw[width:]):
            # more fields than headers: a value carries an unquoted separator
            problems.append(
                ReportProblem(name, number, "", worded("psop_width", count=len(raw), width=width))
            )
            continue
        cell = _Cells(name, number, raw, position, headers, mapping, problems)
        values = {
            "work_date": cell.date("date"),
            "psop_customer_number": cell.code("psop_customer_number"),
            "voucher_id": cell.code("voucher_id"),
            "psop_product": cell.code("psop_product"),
            "quantity": cell.number("quantity"),
            "unit_price": cell.number("unit_price"),
            "amount": cell.number("amount"),
            "state": cell.state("state"),
        }
        if cell.ok:
            rows.append(ReportRow(row=number, **values))
    if problems:
        raise ReportError(problems)
    return rows


class _Cells:
    """Reads the cells of one row; every bad cell adds a problem and marks the row not ok."""

    def __init__(
        self,
        file: str,
        row: int,
        raw: list[Any],
        position: dict[str, int],
        headers: dict[str, str],
        mapping: ReportMapping,
        problems: list[ReportProblem],
    ) -> None:
        self.file, self.row, self.raw = file, row, raw
        self.position, self.headers, self.mapping = position, headers, mapping
        self.problems = problems
        self.ok = True

    def _value(self, field: str) -> Any:
        i = self.position[field]
        return self.raw[i] if i < len(self.raw) else None

    def _refuse(self, field: str, message: str) -> Any:
        self.problems.append(ReportProblem(self.file, self.row, self.headers[field], message))
        self.ok = False
        return None

    def code(self, field: str) -> str | None:
        value = self._value(field)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet turned a customer number into a number
        text = "" if value is None else str(value).strip()
        if not text:
            return self._refuse(field, worded("psop_cell_empty"))
        if text.startswith(_FORMULA_STARTS):
            return self._refuse(field, worded("psop_formula", first=text[0]))
        return text

    def date(self, field: str) -> date | None:
        value = self._value(field)
        if isinstance(value, datetime):
            if value.time() != datetime.min.time():
                return self._refuse(field, worded("psop_time_of_day", value=value))
            return value.date()
        if isinstance(value, date):
            return value
        text = "" if value is None else str(value).strip()
        form = self.mapping.format.date_format
        match = (_DATE_FI if form == "d.m.yyyy" else _DATE_ISO).match(text)
        if match:
            parts = [int(g) for g in match.groups()]
            day, month, year = parts if form == "d.m.yyyy" else parts[::-1]
            try:
                return date(year, month, day)
            except ValueError:
                pass
        return self._refuse(field, worded("psop_not_date", value=text, form=form))

    def number(self, field: str) -> Decimal | None:
        value = self._value(field)
        if isinstance(value, bool):
            return self._refuse(field, worded("psop_not_number", value=value))
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))  # the shortest text that reads back as this cell
        text = "" if value is None else str(value).strip()
        text = text.removesuffix("€").strip().replace("\u00a0", "").replace(" ", "")
        sep = self.mapping.format.decimal_separator
        other = "." if sep == "," else ","
        if other in text:
            return self._refuse(
                field,
                worded("psop_wrong_separator", value=text, found=other, expected=sep),
            )
        if not re.fullmatch(r"-?\d+(?:" + re.escape(sep) + r"\d+)?", text):
            return self._refuse(field, worded("psop_not_number", value=text))
        try:
            return Decimal(text.replace(sep, "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            return self._refuse(field, worded("psop_not_number", value=text))

    def state(self, field: str) -> PsopState | None:
        value = self._value(field)
        text = "" if value is None else str(value).strip()
        state = PsopState.parse(text)
        if state is None:
            known = ", ".join(s.value for s in PsopState)
            return self._refuse(field, worded("psop_unknown_state", value=text, known=known))
        return state
