"""Load the mapping folder: parse, validate, cross-check, and report EVERY problem at once.

Files (in one folder): ``regions.toml``, ``products.toml``, ``customers.toml`` (optional),
``targets.toml`` or ``targets.csv`` (optional), ``vouchers.csv`` (optional, vouchers by target).
Every problem names the file, the line (TOML: found by scanning the text; CSV: the row's line)
and the key, e.g. ``targets.toml:14: target[L0003].voucher[V-2003].psop_product: ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded
from connector.mapping.csvfiles import attach_vouchers_csv, load_targets_csv
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
)
from connector.mapping.problems import (
    Collector,
    LoadedTarget,
    Site,
    entries,
    read_toml,
    toml_site,
    validate,
)

REGIONS = "regions.toml"
PRODUCTS = "products.toml"
CUSTOMERS = "customers.toml"
TARGETS_TOML = "targets.toml"
TARGETS_CSV = "targets.csv"
VOUCHERS_CSV = "vouchers.csv"


# ---------------------------------------------------------------- files


def _tables(
    path: Path, table: str, ident: Callable[[dict[str, Any]], object], out: Collector
) -> list[tuple[dict[str, Any], Site]]:
    """Each ``[[table]]`` of the TOML file at `path`, with its site (labelled by `ident`); none
    when the file is absent or cannot be read (the problems are collected)."""
    if not path.exists():
        return []
    data, loc = read_toml(path, out)
    if data is None or loc is None:
        return []
    return [
        (raw, toml_site(path.name, loc, table, i, ident(raw)))
        for i, raw in enumerate(entries(data, table, {table}, path.name, loc, out))
    ]


def _load_regions(folder: Path, out: Collector) -> list[tuple[Region, Site]]:
    found: list[tuple[Region, Site]] = []
    for raw, site in _tables(folder / REGIONS, "region", lambda r: r.get("code"), out):
        if isinstance(raw.get("code"), str):
            out.region_codes.add(raw["code"].strip())
        entry = validate(RegionEntry, raw, site, out)
        if entry is None:
            continue
        links = {
            psop: own if isinstance(own, str) else tuple(own)
            for psop, own in entry.product_links.items()
        }
        found.append((Region(**{**entry.model_dump(), "product_links": links}), site))
    return found


def _load_products(folder: Path, out: Collector) -> list[tuple[ProductMapping, Site]]:
    path = folder / PRODUCTS
    if not path.exists():
        out.add(ConfigProblem(PRODUCTS, None, "", worded("mapping_products_missing")))
        return []
    data, loc = read_toml(path, out)
    if data is None or loc is None:
        return []
    classes: dict[str, VatClass] = {}
    raw_classes = data.get("vat", {})
    if not isinstance(raw_classes, dict):
        out.add(ConfigProblem(PRODUCTS, loc.line_of(("vat",)), "vat", worded("mapping_vat_tables")))
        raw_classes = {}
    for name, raw in raw_classes.items():
        site = Site(PRODUCTS, f"vat.{name}", lambda p, n=name: loc.line_of(("vat", n, *p)))
        vat = validate(VatClass, raw if isinstance(raw, dict) else {}, site, out)
        if vat is not None:
            classes[name] = vat
    found: list[tuple[ProductMapping, Site]] = []
    for i, raw in enumerate(entries(data, "product", {"product", "vat"}, PRODUCTS, loc, out)):
        site = toml_site(PRODUCTS, loc, "product", i, raw.get("spotilla_code"))
        if isinstance(raw.get("spotilla_code"), str):
            out.product_codes.add(raw["spotilla_code"].strip())
        entry: ProductEntry | None = validate(ProductEntry, raw, site, out)
        if entry is None:
            continue
        explicit = entry.vat_percent is not None or entry.vat_code is not None
        if entry.vat is not None and explicit:
            out.add(site.problem("vat", worded("mapping_vat_either")))
            continue
        if entry.vat is not None:
            vat = classes.get(entry.vat)
            if vat is None:
                known = ", ".join(sorted(classes)) or worded("mapping_none_defined")
                out.add(
                    site.problem(
                        "vat",
                        worded("mapping_vat_class_unknown", name=repr(entry.vat), known=known),
                    )
                )
                continue
            percent, code = vat.percent, vat.code
        elif entry.vat_percent is None or not entry.vat_code:
            missing = "vat_percent" if entry.vat_percent is None else "vat_code"
            out.add(
                site.problem(
                    missing if explicit else "vat",
                    worded("mapping_vat_needed"),
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


def _customer_ident(raw: dict[str, Any]) -> object:
    return raw.get("spotilla_id") or raw.get("business_id")


def _load_customers(folder: Path, out: Collector) -> list[tuple[CustomerOverride, Site]]:
    found: list[tuple[CustomerOverride, Site]] = []
    for raw, site in _tables(folder / CUSTOMERS, "customer", _customer_ident, out):
        entry = validate(CustomerOverride, raw, site, out)
        if entry is not None:
            found.append((entry, site))
    return found


def _load_targets_toml(path: Path, out: Collector) -> list[LoadedTarget]:
    found: list[LoadedTarget] = []
    for raw, site in _tables(path, "target", lambda r: r.get("folder_id"), out):
        entry: TargetEntry | None = validate(TargetEntry, raw, site, out)
        if entry is None:
            continue
        voucher_sites = [
            Site(
                TARGETS_TOML,
                f"{site.label}.voucher[{v.id}]",
                lambda p, site=site, j=j: site.line_of(("voucher", j, *p)),
            )
            for j, v in enumerate(entry.vouchers)
        ]
        mapping = TargetMapping(
            **{**entry.model_dump(exclude={"vouchers"}), "vouchers": tuple(entry.vouchers)}
        )
        found.append(LoadedTarget(mapping, site, voucher_sites))
    return found


# ---------------------------------------------------------------- cross-file checks


def _duplicates(items: Sequence[tuple[str, Site]], key: str, what: str, out: Collector) -> set[str]:
    """The idents given twice, each second one a problem; ``what``: the reason's key
    (``mapping_duplicate_*``)."""
    first: dict[str, Site] = {}
    dupes: set[str] = set()
    for ident, site in items:
        if ident in first:
            other = first[ident]
            where = f"{other.file}:{other.line_of((key,))}"
            out.add(site.problem(key, worded(what, ident=repr(ident), where=where)))
            dupes.add(ident)
        else:
            first[ident] = site
    return dupes


def _check_regions(regions: dict[str, tuple[Region, Site]], products: set[str], out: Collector):
    for region, site in regions.values():
        owner_of: dict[str, str] = {}
        for psop in region.product_links:
            for code in region.linked_codes(psop):
                if code not in products:
                    out.add(
                        site.problem(
                            ("product_links", psop),
                            worded("mapping_link_unmapped", code=repr(code), file=PRODUCTS),
                        )
                    )
                if code in owner_of and owner_of[code] != psop:
                    out.add(
                        site.problem(
                            ("product_links", psop),
                            worded(
                                "mapping_link_twice", code=repr(code), psop=repr(owner_of[code])
                            ),
                        )
                    )
                owner_of.setdefault(code, psop)


def _check_targets(
    targets: list[LoadedTarget], regions: dict[str, tuple[Region, Site]], out: Collector
) -> None:
    """Unknown regions, PSOP numbers used twice anywhere, voucher ids, links, overlaps.

    A PSOP customer number is the provider's own (palveluntuottajakohtainen): unique across all
    the provider's regions, not only within one.
    """
    number_owner: dict[str, LoadedTarget] = {}
    voucher_first: dict[str, Site] = {}
    for loaded in targets:
        target, site = loaded.mapping, loaded.site
        region_entry = regions.get(target.region)
        # a region that is written but broken is reported once, not again for each target
        if region_entry is None and target.region not in out.region_codes:
            known = ", ".join(sorted(regions)) or worded("mapping_none_in", file=REGIONS)
            out.add(
                site.problem(
                    "region",
                    worded("mapping_region_unknown", region=repr(target.region), known=known),
                )
            )
        key = target.psop_customer_number
        if key in number_owner:
            other = number_owner[key]
            out.add(
                site.problem(
                    "psop_customer_number",
                    worded(
                        "mapping_psop_number_twice",
                        number=repr(target.psop_customer_number),
                        first=other.mapping.folder_id,
                        first_region=other.mapping.region,
                        first_name=repr(other.mapping.name),
                        first_at=f"{other.site.file}:{other.site.line_of(('psop_customer_number',))}",
                        target=target.folder_id,
                        name=repr(target.name),
                        region=target.region,
                    ),
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
                        worded(
                            "mapping_voucher_id_twice",
                            voucher=repr(voucher.id),
                            where=f"{first.file}:{first.line_of(('id',))}",
                        ),
                    )
                )
            else:
                voucher_first[voucher.id] = vsite
            if region_entry is not None and not region_entry[0].linked_codes(voucher.psop_product):
                out.add(
                    vsite.problem(
                        "psop_product",
                        worded(
                            "mapping_psop_product_unlinked",
                            psop=repr(voucher.psop_product),
                            region=target.region,
                            file=REGIONS,
                        ),
                    )
                )
        pairs = list(zip(target.vouchers, loaded.voucher_sites, strict=True))
        for j, (a, _) in enumerate(pairs):
            for b, bsite in pairs[j + 1 :]:
                if a.psop_product == b.psop_product and a.overlaps(b):
                    out.add(
                        bsite.problem(
                            "valid_from",
                            worded(
                                "mapping_vouchers_overlap",
                                voucher=repr(b.id),
                                other=repr(a.id),
                                psop=repr(a.psop_product),
                                target=target.folder_id,
                            ),
                        )
                    )


def load_mappings(folder: Path) -> Mappings:
    """Load and cross-check every mapping file in ``folder``.

    Raises ``ConfigError`` listing ALL problems (file, line, key) when anything is wrong.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(ConfigProblem(str(folder), None, "", worded("mapping_folder_missing")))
    out = Collector()
    regions = _load_regions(folder, out)
    products = _load_products(folder, out)
    customers = _load_customers(folder, out)

    targets: list[LoadedTarget] = []
    has_toml, has_csv = (folder / TARGETS_TOML).exists(), (folder / TARGETS_CSV).exists()
    if has_toml and has_csv:
        out.add(
            ConfigProblem(
                TARGETS_CSV,
                None,
                "",
                worded("mapping_targets_twice", toml=TARGETS_TOML, csv=TARGETS_CSV),
            )
        )
    if has_toml:
        targets = _load_targets_toml(folder / TARGETS_TOML, out)
    elif has_csv:
        targets = load_targets_csv(folder / TARGETS_CSV, out)
    if (folder / VOUCHERS_CSV).exists():
        attach_vouchers_csv(folder / VOUCHERS_CSV, targets, out)

    _duplicates([(r.code, s) for r, s in regions], "code", "mapping_duplicate_region", out)
    _duplicates(
        [(p.spotilla_code, s) for p, s in products],
        "spotilla_code",
        "mapping_duplicate_product",
        out,
    )
    _duplicates(
        [(t.mapping.folder_id, t.site) for t in targets],
        "folder_id",
        "mapping_duplicate_target",
        out,
    )
    _duplicates(
        [(c.spotilla_id, s) for c, s in customers if c.spotilla_id],
        "spotilla_id",
        "mapping_duplicate_override",
        out,
    )
    _duplicates(
        [(c.business_id, s) for c, s in customers if c.business_id and not c.spotilla_id],
        "business_id",
        "mapping_duplicate_override",
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
