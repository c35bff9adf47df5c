"""Load the mapping folder: parse, validate, cross-check, and report EVERY problem at once.

Files (in one folder): ``regions.toml``, ``products.toml``, ``customers.toml`` (optional),
``targets.toml`` or ``targets.csv`` (optional), ``vouchers.csv`` (optional, vouchers by target).
Every problem names the file, the line (TOML: found by scanning the text; CSV: the row's line)
and the key, e.g. ``targets.toml:14: target[L0003].voucher[V-2003].psop_product: ...``.
"""

from __future__ import annotations

import contextlib
import csv
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connector.core.errors import ConfigError, ConfigProblem
from connector.core.money import to_decimal
from connector.core.tomlsource import TomlLocator
from connector.mapping.models import (
    CustomerOverride,
    CustomerOverrides,
    Mappings,
    ProductEntry,
    ProductMapping,
    Region,
    RegionEntry,
    TargetEntry,
    TargetMapping,
    VatClass,
    Voucher,
    VoucherRow,
)

REGIONS = "regions.toml"
PRODUCTS = "products.toml"
CUSTOMERS = "customers.toml"
TARGETS_TOML = "targets.toml"
TARGETS_CSV = "targets.csv"
VOUCHERS_CSV = "vouchers.csv"

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


def _formula_problem(
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
        f"column {index} ({column}) starts with {value[0]!r}, which a spreadsheet runs as a "
        "formula; codes, ids, numbers and dates never start with = + - @ (the row is skipped)",
    )


@dataclass(frozen=True)
class _Site:
    """Where a record lives: file, a label for messages, and how to find a key's line."""

    file: str
    label: str
    line_of: Callable[[Sequence[str | int]], int | None]

    def problem(self, key: Sequence[str | int] | str, message: str) -> ConfigProblem:
        path = (key,) if isinstance(key, str) else tuple(key)
        name = self.label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return ConfigProblem(self.file, self.line_of(path), name, message)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self.product_codes: set[str] = set()  # every product code written, valid or not
        self.region_codes: set[str] = set()  # every region code written, valid or not

    def add(self, problem: ConfigProblem) -> None:
        self.problems.append(problem)

    def validation(self, site: _Site, error: ValidationError, rename: dict[str, str]) -> None:
        """Turn pydantic's errors into problems, one per location."""
        seen: set[tuple[Any, ...]] = set()
        for item in error.errors():
            loc = tuple(rename.get(p, p) if isinstance(p, str) else p for p in item["loc"])
            # union members ("str", "list[str]") add noise to the location: cut them off
            loc = tuple(p for p in loc if not (isinstance(p, str) and p in {"str", "list[str]"}))
            if loc in seen:
                continue
            seen.add(loc)
            message = re.sub(r"^(Value|Assertion) error, ", "", item["msg"])
            self.add(site.problem(loc or ("",), message) if loc else _whole(site, message))


def _whole(site: _Site, message: str) -> ConfigProblem:
    return ConfigProblem(site.file, site.line_of(()), site.label, message)


def _read_toml(
    path: Path, out: _Collector
) -> tuple[dict[str, Any], TomlLocator] | tuple[None, None]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text, parse_float=to_decimal)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        out.add(
            ConfigProblem(path.name, int(found.group(1)) if found else None, "", f"not TOML: {exc}")
        )
        return None, None
    return data, TomlLocator(text)


def _entries(
    data: dict[str, Any],
    table: str,
    allowed: set[str],
    file: str,
    loc: TomlLocator,
    out: _Collector,
) -> list[dict[str, Any]]:
    """The array of tables ``table`` of a file; unknown top-level keys are problems."""
    for key in data:
        if key not in allowed:
            line = loc.line_of((key,)) or loc.line_of((key, 0))
            out.add(ConfigProblem(file, line, key, "unknown key at top level"))
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        out.add(ConfigProblem(file, loc.line_of((table,)), table, f"expected [[{table}]] tables"))
        return []
    return entries


def _toml_site(file: str, loc: TomlLocator, table: str, index: int, ident: object) -> _Site:
    label = f"{table}[{ident}]" if isinstance(ident, str) and ident else f"{table}[#{index + 1}]"
    return _Site(file, label, lambda p: loc.line_of((table, index, *p)))


def _validate(
    model: type[BaseModel],
    raw: dict[str, Any],
    site: _Site,
    out: _Collector,
    rename: dict[str, str] | None = None,
) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        out.validation(site, exc, rename or {})
        return None


# ---------------------------------------------------------------- files


def _load_regions(folder: Path, out: _Collector) -> list[tuple[Region, _Site]]:
    path = folder / REGIONS
    if not path.exists():
        return []
    data, loc = _read_toml(path, out)
    if data is None or loc is None:
        return []
    found: list[tuple[Region, _Site]] = []
    for i, raw in enumerate(_entries(data, "region", {"region"}, REGIONS, loc, out)):
        site = _toml_site(REGIONS, loc, "region", i, raw.get("code"))
        if isinstance(raw.get("code"), str):
            out.region_codes.add(raw["code"].strip())
        entry = _validate(RegionEntry, raw, site, out)
        if entry is None:
            continue
        links = {
            psop: own if isinstance(own, str) else tuple(own)
            for psop, own in entry.product_links.items()
        }
        found.append((Region(**{**entry.model_dump(), "product_links": links}), site))
    return found


def _load_products(folder: Path, out: _Collector) -> list[tuple[ProductMapping, _Site]]:
    path = folder / PRODUCTS
    if not path.exists():
        out.add(ConfigProblem(PRODUCTS, None, "", "missing: every billed product needs a mapping"))
        return []
    data, loc = _read_toml(path, out)
    if data is None or loc is None:
        return []
    classes: dict[str, VatClass] = {}
    raw_classes = data.get("vat", {})
    if not isinstance(raw_classes, dict):
        out.add(ConfigProblem(PRODUCTS, loc.line_of(("vat",)), "vat", "expected [vat.<name>]"))
        raw_classes = {}
    for name, raw in raw_classes.items():
        site = _Site(PRODUCTS, f"vat.{name}", lambda p, n=name: loc.line_of(("vat", n, *p)))
        vat = _validate(VatClass, raw if isinstance(raw, dict) else {}, site, out)
        if vat is not None:
            classes[name] = vat
    found: list[tuple[ProductMapping, _Site]] = []
    for i, raw in enumerate(_entries(data, "product", {"product", "vat"}, PRODUCTS, loc, out)):
        site = _toml_site(PRODUCTS, loc, "product", i, raw.get("spotilla_code"))
        if isinstance(raw.get("spotilla_code"), str):
            out.product_codes.add(raw["spotilla_code"].strip())
        entry: ProductEntry | None = _validate(ProductEntry, raw, site, out)
        if entry is None:
            continue
        explicit = entry.vat_percent is not None or entry.vat_code is not None
        if entry.vat is not None and explicit:
            out.add(site.problem("vat", "give either vat (a class) or vat_percent + vat_code"))
            continue
        if entry.vat is not None:
            vat = classes.get(entry.vat)
            if vat is None:
                known = ", ".join(sorted(classes)) or "none defined"
                out.add(site.problem("vat", f"unknown VAT class {entry.vat!r} (known: {known})"))
                continue
            percent, code = vat.percent, vat.code
        elif entry.vat_percent is None or not entry.vat_code:
            missing = "vat_percent" if entry.vat_percent is None else "vat_code"
            out.add(
                site.problem(
                    missing if explicit else "vat",
                    "a product needs a VAT rate and a Netvisor VAT code "
                    "(vat = a [vat.<name>] class, or vat_percent and vat_code)",
                )
            )
            continue
        else:
            percent, code = entry.vat_percent, entry.vat_code
        mapping = ProductMapping(
            spotilla_code=entry.spotilla_code,
            netvisor_code=entry.netvisor_code,
            name=entry.name,
            unit=entry.unit,
            vat_percent=percent,
            vat_code=code,
        )
        found.append((mapping, site))
    return found


def _load_customers(folder: Path, out: _Collector) -> list[tuple[CustomerOverride, _Site]]:
    path = folder / CUSTOMERS
    if not path.exists():
        return []
    data, loc = _read_toml(path, out)
    if data is None or loc is None:
        return []
    found: list[tuple[CustomerOverride, _Site]] = []
    for i, raw in enumerate(_entries(data, "customer", {"customer"}, CUSTOMERS, loc, out)):
        ident = raw.get("spotilla_id") or raw.get("business_id")
        site = _toml_site(CUSTOMERS, loc, "customer", i, ident)
        entry = _validate(CustomerOverride, raw, site, out)
        if entry is not None:
            found.append((entry, site))
    return found


@dataclass
class _LoadedTarget:
    mapping: TargetMapping
    site: _Site
    voucher_sites: list[_Site]


def _load_targets_toml(path: Path, out: _Collector) -> list[_LoadedTarget]:
    data, loc = _read_toml(path, out)
    if data is None or loc is None:
        return []
    found: list[_LoadedTarget] = []
    for i, raw in enumerate(_entries(data, "target", {"target"}, TARGETS_TOML, loc, out)):
        site = _toml_site(TARGETS_TOML, loc, "target", i, raw.get("folder_id"))
        entry: TargetEntry | None = _validate(TargetEntry, raw, site, out)
        if entry is None:
            continue
        voucher_sites = [
            _Site(
                TARGETS_TOML,
                f"{site.label}.voucher[{v.id}]",
                lambda p, i=i, j=j: loc.line_of(("target", i, "voucher", j, *p)),
            )
            for j, v in enumerate(entry.vouchers)
        ]
        mapping = TargetMapping(
            **{**entry.model_dump(exclude={"vouchers"}), "vouchers": tuple(entry.vouchers)}
        )
        found.append(_LoadedTarget(mapping, site, voucher_sites))
    return found


def _csv_rows(
    path: Path, columns: Sequence[str], required: set[str], out: _Collector
) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV file with their line numbers; empty cells become None."""
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for name in header:
            if name not in columns:
                out.add(ConfigProblem(path.name, 1, name, "unknown column"))
        for name in sorted(required - set(header)):
            out.add(ConfigProblem(path.name, 1, name, "missing column"))
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
                formula = _formula_problem(path.name, line, key, position[key], value)
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


def _load_targets_csv(path: Path, out: _Collector) -> list[_LoadedTarget]:
    found: list[_LoadedTarget] = []
    required = {"folder_id", "region", "psop_customer_number"}
    for line, raw in _csv_rows(path, TARGET_COLUMNS, required, out):
        label = f"target[{raw.get('folder_id') or f'line {line}'}]"
        site = _Site(path.name, label, lambda p, line=line: line)
        entry = _validate(TargetEntry, raw, site, out)
        if entry is not None:
            mapping = TargetMapping(**{**entry.model_dump(exclude={"vouchers"}), "vouchers": ()})
            found.append(_LoadedTarget(mapping, site, []))
    return found


def _attach_vouchers_csv(path: Path, targets: list[_LoadedTarget], out: _Collector) -> None:
    by_folder = {t.mapping.folder_id: t for t in targets}
    required = {"target", "id", "kind", "psop_product", "valid_from"}
    for line, raw in _csv_rows(path, VOUCHER_COLUMNS, required, out):
        label = f"voucher[{raw.get('id') or f'line {line}'}]"
        site = _Site(path.name, label, lambda p, line=line: line)
        row: VoucherRow | None = _validate(VoucherRow, raw, site, out)
        if row is None:
            continue
        owner = by_folder.get(row.target)
        if owner is None:
            out.add(site.problem("target", f"no target with folder_id {row.target!r}"))
            continue
        voucher = Voucher(**row.model_dump(exclude={"target"}))
        owner.mapping = owner.mapping.model_copy(
            update={"vouchers": (*owner.mapping.vouchers, voucher)}
        )
        owner.voucher_sites.append(site)


# ---------------------------------------------------------------- cross-file checks


def _duplicates(
    items: Sequence[tuple[str, _Site]], key: str, what: str, out: _Collector
) -> set[str]:
    first: dict[str, _Site] = {}
    dupes: set[str] = set()
    for ident, site in items:
        if ident in first:
            other = first[ident]
            where = f"{other.file}:{other.line_of((key,))}"
            out.add(site.problem(key, f"duplicate {what} {ident!r} (first defined at {where})"))
            dupes.add(ident)
        else:
            first[ident] = site
    return dupes


def _check_regions(regions: dict[str, tuple[Region, _Site]], products: set[str], out: _Collector):
    for region, site in regions.values():
        owner_of: dict[str, str] = {}
        for psop in region.product_links:
            for code in region.linked_codes(psop):
                if code not in products:
                    out.add(
                        site.problem(
                            ("product_links", psop),
                            f"own product {code!r} has no mapping in {PRODUCTS}",
                        )
                    )
                if code in owner_of and owner_of[code] != psop:
                    out.add(
                        site.problem(
                            ("product_links", psop),
                            f"own product {code!r} is already linked to PSOP product "
                            f"{owner_of[code]!r} in this region (link each product once)",
                        )
                    )
                owner_of.setdefault(code, psop)


def _check_targets(
    targets: list[_LoadedTarget], regions: dict[str, tuple[Region, _Site]], out: _Collector
) -> None:
    """Unknown regions, PSOP numbers used twice anywhere, voucher ids, links, overlaps.

    A PSOP customer number is the provider's own (palveluntuottajakohtainen): unique across all
    the provider's regions, not only within one.
    """
    number_owner: dict[str, _LoadedTarget] = {}
    voucher_first: dict[str, _Site] = {}
    for loaded in targets:
        target, site = loaded.mapping, loaded.site
        region_entry = regions.get(target.region)
        # a region that is written but broken is reported once, not again for each target
        if region_entry is None and target.region not in out.region_codes:
            known = ", ".join(sorted(regions)) or f"none in {REGIONS}"
            out.add(site.problem("region", f"unknown region {target.region!r} (known: {known})"))
        key = target.psop_customer_number
        if key in number_owner:
            other = number_owner[key]
            out.add(
                site.problem(
                    "psop_customer_number",
                    f"PSOP customer number {target.psop_customer_number!r} is used twice (it is "
                    f"the provider's own, unique across all regions): by target "
                    f"{other.mapping.folder_id} in region {other.mapping.region} "
                    f"({other.mapping.name!r}, {other.site.file}:"
                    f"{other.site.line_of(('psop_customer_number',))}) and by target "
                    f"{target.folder_id} ({target.name!r}) in region {target.region}",
                )
            )
        else:
            number_owner[key] = loaded
        for voucher, vsite in zip(target.vouchers, loaded.voucher_sites, strict=True):
            if voucher.id in voucher_first:
                first = voucher_first[voucher.id]
                out.add(
                    vsite.problem(
                        "id",
                        f"duplicate voucher id {voucher.id!r} "
                        f"(first at {first.file}:{first.line_of(('id',))})",
                    )
                )
            else:
                voucher_first[voucher.id] = vsite
            if region_entry is not None and not region_entry[0].linked_codes(voucher.psop_product):
                out.add(
                    vsite.problem(
                        "psop_product",
                        f"PSOP product {voucher.psop_product!r} is not linked to an own product "
                        f"in region {target.region} (add it to product_links in {REGIONS})",
                    )
                )
        pairs = list(zip(target.vouchers, loaded.voucher_sites, strict=True))
        for j, (a, _) in enumerate(pairs):
            for b, bsite in pairs[j + 1 :]:
                if a.psop_product == b.psop_product and a.overlaps(b):
                    out.add(
                        bsite.problem(
                            "valid_from",
                            f"voucher {b.id!r} overlaps voucher {a.id!r} for PSOP product "
                            f"{a.psop_product!r} on target {target.folder_id}: at most one "
                            "voucher per product may be valid on a day",
                        )
                    )


def load_mappings(folder: Path) -> Mappings:
    """Load and cross-check every mapping file in ``folder``.

    Raises ``ConfigError`` listing ALL problems (file, line, key) when anything is wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(ConfigProblem(str(folder), None, "", "mapping folder not found"))
    out = _Collector()
    regions = _load_regions(folder, out)
    products = _load_products(folder, out)
    customers = _load_customers(folder, out)

    targets: list[_LoadedTarget] = []
    has_toml, has_csv = (folder / TARGETS_TOML).exists(), (folder / TARGETS_CSV).exists()
    if has_toml and has_csv:
        out.add(
            ConfigProblem(
                TARGETS_CSV, None, "", f"give targets in {TARGETS_TOML} or {TARGETS_CSV}, not both"
            )
        )
    if has_toml:
        targets = _load_targets_toml(folder / TARGETS_TOML, out)
    elif has_csv:
        targets = _load_targets_csv(folder / TARGETS_CSV, out)
    if (folder / VOUCHERS_CSV).exists():
        _attach_vouchers_csv(folder / VOUCHERS_CSV, targets, out)

    _duplicates([(r.code, s) for r, s in regions], "code", "region code", out)
    _duplicates([(p.spotilla_code, s) for p, s in products], "spotilla_code", "product", out)
    _duplicates(
        [(t.mapping.folder_id, t.site) for t in targets], "folder_id", "target folder id", out
    )
    _duplicates(
        [(c.spotilla_id, s) for c, s in customers if c.spotilla_id], "spotilla_id", "override", out
    )
    _duplicates(
        [(c.business_id, s) for c, s in customers if c.business_id and not c.spotilla_id],
        "business_id",
        "override",
        out,
    )
    region_by_code = {r.code: (r, s) for r, s in regions}
    # a product that is written but broken is reported once, not again for every link to it
    _check_regions(region_by_code, out.product_codes, out)
    _check_targets(targets, region_by_code, out)

    if out.problems:
        raise ConfigError(out.problems)
    by_id = {c.spotilla_id: c for c, _ in customers if c.spotilla_id}
    by_business_id: dict[str, CustomerOverride] = {}
    for override, _ in customers:
        if override.business_id:
            by_business_id.setdefault(override.business_id, override)
    return Mappings(
        regions={r.code: r for r, _ in regions},
        targets={t.mapping.folder_id: t.mapping for t in targets},
        products={p.spotilla_code: p for p, _ in products},
        customers=CustomerOverrides(by_id=by_id, by_business_id=by_business_id),
    )
