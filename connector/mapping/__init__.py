"""Mapping files: regions, targets and vouchers, products, customer overrides.

Owns reading and validating ``mappings/`` (every problem named by file, line and key, all at
once), PSOP's report format (``psop_report``) and the checks that compare mappings with the
work they must cover.

May import: core only."""

from connector.mapping.checks import MappingWarning, unit_value_warnings
from connector.mapping.loader import load_mappings
from connector.mapping.models import (
    CustomerOverride,
    CustomerOverrides,
    Mappings,
    ProductMapping,
    Region,
    TargetMapping,
    VatClass,
    Voucher,
    VoucherKind,
)
from connector.mapping.schema import json_schemas

__all__ = [
    "CustomerOverride",
    "CustomerOverrides",
    "MappingWarning",
    "Mappings",
    "ProductMapping",
    "Region",
    "TargetMapping",
    "VatClass",
    "Voucher",
    "VoucherKind",
    "json_schemas",
    "load_mappings",
    "unit_value_warnings",
]
