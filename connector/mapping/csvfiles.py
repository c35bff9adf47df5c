"""The spreadsheet form of the targets: ``targets.csv`` and ``vouchers.csv``, read row by row with
each problem naming the row's line, and cells a spreadsheet would run as formulas refused."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connector.core.errors import ConfigProblem
from connector.core.money import to_decimal
from connector.core.reasons import reason as worded
from connector.mapping.models import (
    TargetEntry,
    TargetMapping,
    Voucher,
    VoucherRow,
)
from connector.mapping.problems import Collector, LoadedTarget, Site, validate

TARGET_COLUMNS = ("folder_id", "name", "region", "psop_customer_number", "customership_to")
VOUCHER_COLUMNS = (
    "target",
    "id",
    "kind",
    "psop_product",
    "unit_value",
    "balance",
    "monthly_fee",
    "quantity_per_period",
    "quantity_total",
    "stack",
    "valid_from",
    "valid_to",
)
_DECIMAL_COLUMNS = {"unit_value", "balance", "monthly_fee", "quantity_per_period", "quantity_total"}
#: CSV columns holding free text; every other column holds a code, id, number or date.
_TEXT_COLUMNS = {"name"}
#: First characters that make a spreadsheet read a cell as a formula (formula injection).
_FORMULA_STARTS = ("=", "+", "-", "@")


def formula_problem(
    file: str, line: int, column: str, index: int, value: str
) -> ConfigProblem | None:
    """A problem when a code, id, number or date cell looks like a spreadsheet formula.

    Such a cell comes from a tampered or careless spreadsheet export. No code, id, date or
    amount of the mapping files is negative or signed, so ``-`` and ``+`` are refused as well;
    only free-text columns (:data:`_TEXT_COLUMNS`) may start with these characters.
    """
    if column in _TEXT_COLUMNS or not value.startswith(_FORMULA_STARTS):
        return None
    return ConfigProblem(
        file,
        line,
        column,
        worded("mapping_formula", index=index, column=column, start=repr(value[0])),
    )


def csv_rows(
    path: Path, columns: Sequence[str], required: set[str], out: Collector
) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV file with their line numbers; empty cells become None."""
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for name in header:
            if name not in columns:
                out.add(ConfigProblem(path.name, 1, name, worded("mapping_column_unknown")))
        for name in sorted(required - set(header)):
            out.add(ConfigProblem(path.name, 1, name, worded("psop_missing_column")))
        position = {name: i for i, name in enumerate(header, start=1)}
        for row in reader:
            line = reader.line_num
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            clean: dict[str, Any] = {}
            refused = False
            for key, value in row.items():
                if key is None or key not in columns:
                    continue
                value = (value or "").strip()
                if not value:
                    continue
                formula = formula_problem(path.name, line, key, position[key], value)
                if formula is not None:
                    out.add(formula)
                    refused = True
                    continue
                if key in _DECIMAL_COLUMNS:
                    # a bad number stays text: pydantic reports it with the column name
                    with contextlib.suppress(ValueError):
                        value = to_decimal(value)
                clean[key] = value
            if not refused:
                rows.append((line, clean))
    return rows


def load_targets_csv(path: Path, out: Collector) -> list[LoadedTarget]:
    found: list[LoadedTarget] = []
    required = {"folder_id", "region", "psop_customer_number"}
    for line, raw in csv_rows(path, TARGET_COLUMNS, required, out):
        label = f"target[{raw.get('folder_id') or f'line {line}'}]"
        site = Site(path.name, label, lambda p, line=line: line)
        entry = validate(TargetEntry, raw, site, out)
        if entry is not None:
            mapping = TargetMapping(**{**entry.model_dump(exclude={"vouchers"}), "vouchers": ()})
            found.append(LoadedTarget(mapping, site, []))
    return found


def attach_vouchers_csv(path: Path, targets: list[LoadedTarget], out: Collector) -> None:
    by_folder = {t.mapping.folder_id: t for t in targets}
    required = {"target", "id", "kind", "psop_product", "valid_from"}
    for line, raw in csv_rows(path, VOUCHER_COLUMNS, required, out):
        label = f"voucher[{raw.get('id') or f'line {line}'}]"
        site = Site(path.name, label, lambda p, line=line: line)
        row: VoucherRow | None = validate(VoucherRow, raw, site, out)
        if row is None:
            continue
        owner = by_folder.get(row.target)
        if owner is None:
            out.add(
                site.problem("target", worded("mapping_target_unknown", target=repr(row.target)))
            )
            continue
        voucher = Voucher(**row.model_dump(exclude={"target"}))
        owner.mapping = owner.mapping.model_copy(
            update={"vouchers": (*owner.mapping.vouchers, voucher)}
        )
        owner.voucher_sites.append(site)
