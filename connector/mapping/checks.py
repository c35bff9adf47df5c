"""Warnings about mappings that load but look wrong: for ``check`` (``--strict`` makes them errors).

PSOP's own screen shows the total value of all the vouchers under one identifier, while the
voucher's ``unit_value`` is ONE voucher's value (DomaCare's PSOP instructions: "DomaCare näyttää
yhden setelin arvon, PSOP-palvelussa näkyy kaikkien samalla ostovoimatunnisteella olevien
setelien yhteisarvo"). A total copied into ``unit_value`` would let the organiser be claimed far
too much, so it is flagged here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from connector.core.money import format_eur
from connector.core.reasons import reason as worded
from connector.mapping.models import Mappings

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MappingWarning:
    """A mapping that is valid but probably not what was meant."""

    key: str  # e.g. "target[L0001].voucher[V-1].unit_value"
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def _price_of(entry: object) -> Decimal | None:
    price = entry if isinstance(entry, Decimal) else getattr(entry, "price", None)
    return price if isinstance(price, Decimal) else None


def unit_value_warnings(mappings: Mappings, prices: Mapping[str, object]) -> list[MappingWarning]:
    """Vouchers whose ``unit_value`` looks like PSOP's total rather than one voucher's value.

    ``prices``: Spotilla product code -> its register entry (with ``.price``) or a Decimal, net
    euros per unit. Warns when the unit value exceeds the gross price of every own product
    linked to the voucher's PSOP product, and says so when it also divides by the voucher's
    count into a price that would fit (value x count).
    """
    warnings: list[MappingWarning] = []
    for target in mappings.targets.values():
        region = mappings.regions.get(target.region)
        if region is None:
            continue
        for voucher in target.vouchers:
            if voucher.kind != "voucher" or voucher.unit_value is None:
                continue
            gross_prices = []
            for code in region.linked_codes(voucher.psop_product):
                product = mappings.products.get(code)
                price = _price_of(prices.get(code))
                if product is not None and price is not None:
                    gross_prices.append(price * (HUNDRED + product.vat_percent) / HUNDRED)
            if not gross_prices or voucher.unit_value <= max(gross_prices):
                continue
            key = f"target[{target.folder_id}].voucher[{voucher.id}].unit_value"
            highest = max(gross_prices)
            facts = {
                "amount": format_eur(voucher.unit_value),
                "product": voucher.psop_product,
                "highest": format_eur(highest),
            }
            message = worded("unit_value_high", **facts)
            count = voucher.quantity_total or voucher.quantity_per_period
            if count and count > 1:
                per_unit = voucher.unit_value / count
                if per_unit == per_unit.quantize(Decimal("0.01")) and per_unit <= highest:
                    message = worded(
                        "unit_value_high_count",
                        **facts,
                        per_unit=format_eur(per_unit),
                        count=f"{count.normalize():f}",
                    )
            warnings.append(MappingWarning(key, message))
    return warnings
