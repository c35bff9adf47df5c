"""``mappings/psop_report.toml``: which column of PSOP's report holds what, and its number format.

Validated like the other mapping files: every problem names the file, the line and the key
(``psop_report.toml:12: format.delimiter: ...``), all at once. A missing file means the defaults:
PSOP's own headers ``Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila``,
``;`` between fields, decimal comma, dates ``d.m.yyyy``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded
from connector.core.tomlsource import TomlLocator

PSOP_REPORT = "psop_report.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ReportColumns(_Strict):
    """Our field -> the report's column header."""

    date: str = Field("Tapahtumapäivä", min_length=1)
    psop_customer_number: str = Field("Asiakasnumero", min_length=1)
    voucher_id: str = Field("Ostovoima", min_length=1)
    psop_product: str = Field("Tuote", min_length=1)
    quantity: str = Field("Määrä", min_length=1)
    unit_price: str = Field("Yksikköhinta", min_length=1)
    amount: str = Field("Summa", min_length=1)
    state: str = Field("Tila", min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> ReportColumns:
        seen: dict[str, str] = {}
        for field, header in self.model_dump().items():
            if header.casefold() in seen:
                raise ValueError(
                    worded(
                        "psop_report_same_column",
                        field=field,
                        other=seen[header.casefold()],
                        header=repr(header),
                    )
                )
            seen[header.casefold()] = field
        return self


class ReportFormat(_Strict):
    delimiter: Literal[";", ",", "\t"] = ";"
    decimal_separator: Literal[",", "."] = ","
    date_format: Literal["d.m.yyyy", "yyyy-mm-dd"] = "d.m.yyyy"
    sheet: str = ""

    @model_validator(mode="after")
    def _separators_differ(self) -> ReportFormat:
        if self.delimiter == self.decimal_separator:
            raise ValueError(worded("psop_report_separators", value=repr(self.delimiter)))
        return self


class ReportMapping(_Strict):
    """The whole ``psop_report.toml``."""

    columns: ReportColumns = Field(default_factory=ReportColumns)
    format: ReportFormat = Field(default_factory=ReportFormat)


def load_report_mapping(folder: Path) -> ReportMapping:
    """``psop_report.toml`` of the mapping folder, or the defaults when there is none.

    Raises ``ConfigError`` naming file, line and key of every problem.
    """
    path = Path(folder) / PSOP_REPORT
    if not path.exists():
        return ReportMapping()
    text = path.read_text(encoding="utf-8")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError(
            ConfigProblem(PSOP_REPORT, line, "", worded("not_toml", error=exc))
        ) from None
    try:
        return ReportMapping.model_validate(data)
    except ValidationError as exc:
        locator = TomlLocator(text)
        problems = []
        for item in exc.errors():
            loc = tuple(p for p in item["loc"] if isinstance(p, str | int))
            message = re.sub(r"^(Value|Assertion) error, ", "", item["msg"])
            if item["type"] == "extra_forbidden":
                message = worded("key_unknown")
            key = ".".join(str(p) for p in loc)
            problems.append(ConfigProblem(PSOP_REPORT, locator.line_of(loc), key, message))
        raise ConfigError(problems) from None
