"""JSON Schemas of the mapping files, for editors (e.g. Taplo / Even Better TOML, CSV linters)."""

from __future__ import annotations

from typing import Any

from connector.mapping.loader import (
    CUSTOMERS,
    PRODUCTS,
    REGIONS,
    TARGETS_CSV,
    TARGETS_TOML,
    VOUCHERS_CSV,
)
from connector.mapping.models import (
    CustomersFile,
    ProductsFile,
    RegionsFile,
    TargetEntry,
    TargetsFile,
    VoucherRow,
)


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema (draft 2020-12). CSV files get the schema of one row."""
    # imported here: the psop package brings openpyxl (and numpy), which `connector check`
    # does not need
    from connector.mapping.psop_report import PSOP_REPORT, ReportMapping

    target_row = TargetEntry.model_json_schema()
    target_row["properties"].pop("vouchers", None)
    target_row.pop("$defs", None)
    target_row["title"] = "targets.csv row"
    schemas = {
        REGIONS: RegionsFile.model_json_schema(),
        PRODUCTS: ProductsFile.model_json_schema(),
        CUSTOMERS: CustomersFile.model_json_schema(),
        TARGETS_TOML: TargetsFile.model_json_schema(),
        TARGETS_CSV: target_row,
        VOUCHERS_CSV: VoucherRow.model_json_schema(),
        PSOP_REPORT: ReportMapping.model_json_schema(),
    }
    for name, schema in schemas.items():
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema.setdefault("title", name)
    return schemas
