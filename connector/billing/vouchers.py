"""Priced lines and voucher coverage: who pays what part of each task line.

A line's price comes from Spotilla's product register unless the row overrides it. A voucher
covers a line when the line's target is a PSOP client, its product is linked (once per region)
to the voucher's PSOP product, and the voucher is valid on the work date. The voucher's share of
a line is ``min(price, unit value) x covered quantity`` (capped by the granted quantity per
period); a balance voucher pays until its euro balance is used up; a capitation voucher covers its
lines in full and is paid by a fixed monthly fee instead. Self-pay = line amount - share >= 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from connector.billing.periods import BillingRules
from connector.domain import BillableTask, Period, Quarantined, WorkRow
from connector.mapping.models import Mappings, ProductMapping, Region, TargetMapping, Voucher
from connector.money import ZERO, line_amount


@dataclass(frozen=True)
class PricedLine:
    """A task line with its price: ``amount`` = quantity x unit price, rounded (euros)."""

    task: BillableTask
    row: WorkRow
    product: ProductMapping
    unit_price: Decimal  # euros per unit, VAT excluded
    amount: Decimal  # euros

    @property
    def line_id(self) -> str:
        return self.row.line_id


@dataclass(frozen=True)
class Coverage:
    """How one priced line is paid: by the client (self-pay) and by a voucher (share)."""

    line: PricedLine
    billed_quantity: Decimal  # what goes on the invoice (less than the row when held)
    billed_amount: Decimal  # euros, = line_amount(billed_quantity, unit price)
    voucher: Voucher | None = None
    target: TargetMapping | None = None
    region: Region | None = None
    covered_quantity: Decimal = ZERO  # units the voucher pays for
    share: Decimal = ZERO  # euros the organiser pays (the voucher's share)

    @property
    def self_pay(self) -> Decimal:
        """Euros the client pays for this line: the remainder, never negative."""
        return self.billed_amount - self.share

    @property
    def unit_share(self) -> Decimal | None:
        """Voucher euros per unit for a per-unit voucher, else None."""
        if self.voucher is None or self.voucher.kind != "voucher":
            return None
        assert self.voucher.unit_value is not None
        return min(self.line.unit_price, self.voucher.unit_value)


def price_lines(
    tasks: Sequence[BillableTask],
    products: Mapping[str, object],
    mappings: Mappings,
) -> tuple[list[PricedLine], list[Quarantined]]:
    """Price every row of ``tasks``; rows without a product mapping or price are quarantined."""
    priced: list[PricedLine] = []
    stopped: list[Quarantined] = []
    for task in tasks:
        for row in task.rows:
            mapping = mappings.products.get(row.product_code)
            if mapping is None:
                stopped.append(
                    Quarantined(
                        "line",
                        row.line_id,
                        "unmapped_product",
                        f"product {row.product_code!r} of task {task.id} has no mapping in "
                        "products.toml",
                        (task.id,),
                    )
                )
                continue
            price = row.unit_price
            if price is None:
                register = products.get(row.product_code)
                price = getattr(register, "price", None)
            if price is None:
                stopped.append(
                    Quarantined(
                        "line",
                        row.line_id,
                        "missing_price",
                        f"product {row.product_code!r} of task {task.id} is not in Spotilla's "
                        "product register and the row gives no price",
                        (task.id,),
                    )
                )
                continue
            priced.append(PricedLine(task, row, mapping, price, line_amount(row.quantity, price)))
    return priced, stopped


def _line_order(line: PricedLine) -> tuple[Period, object, str]:
    # earlier work uses a period's grant first; line ids break ties deterministically
    return (line.task.period, line.row.work_date, line.line_id)


def cover(
    lines: Sequence[PricedLine],
    mappings: Mappings,
    rules: BillingRules,
    balance_used_before: Mapping[str, Decimal],
) -> tuple[list[Coverage], list[Quarantined]]:
    """Split every line into voucher share and self-pay; returns coverages and held lines.

    ``balance_used_before``: euros of each balance voucher consumed in periods not in ``lines``.
    """
    used_quantity: dict[tuple[str, Period], Decimal] = defaultdict(lambda: ZERO)
    used_balance: dict[str, Decimal] = defaultdict(lambda: ZERO, balance_used_before)
    result: list[Coverage] = []
    held: list[Quarantined] = []
    for line in sorted(lines, key=_line_order):
        qty, price = line.row.quantity, line.unit_price
        full = Coverage(line, qty, line.amount)
        target = mappings.targets.get(line.task.target_id)
        region = mappings.regions.get(target.region) if target else None
        psop = region.psop_product_of(line.row.product_code) if region else None
        candidates = [v for v in target.vouchers if v.psop_product == psop] if target else []
        if not candidates:
            result.append(full)  # work without a voucher is billed in full
            continue
        assert target is not None and region is not None
        valid = [v for v in candidates if v.valid_on(line.row.work_date)]
        if not valid:
            if rules.outside_validity == "hold":
                held.append(
                    Quarantined(
                        "line",
                        line.line_id,
                        "outside_validity",
                        f"work of task {line.task.id} on {line.row.work_date} is outside the "
                        f"validity of voucher(s) {', '.join(v.id for v in candidates)}: held",
                        (line.task.id,),
                    )
                )
            else:
                result.append(full)
            continue
        voucher = valid[0]  # the loader guarantees no overlap for one product
        base = {"voucher": voucher, "target": target, "region": region}
        if voucher.kind == "capitation":
            # paid by the monthly fee: the client pays nothing for the covered work
            result.append(
                Coverage(line, qty, line.amount, covered_quantity=qty, share=line.amount, **base)
            )
            continue
        if voucher.kind == "balance":
            assert voucher.balance is not None
            left = max(voucher.balance - used_balance[voucher.id], ZERO)
            share = min(max(line.amount, ZERO), left)
            used_balance[voucher.id] += share
            result.append(
                Coverage(
                    line,
                    qty,
                    line.amount,
                    covered_quantity=qty if share else ZERO,
                    share=share,
                    **base,
                )
            )
            continue
        assert voucher.unit_value is not None
        unit_share = min(price, voucher.unit_value)
        covered = max(qty, ZERO)
        if voucher.quantity_per_period is not None:
            key = (voucher.id, line.task.period)
            covered = min(covered, max(voucher.quantity_per_period - used_quantity[key], ZERO))
            used_quantity[key] += covered
        excess = qty - covered
        billed_qty = qty
        if excess > 0 and rules.over_grant == "hold":
            billed_qty = covered
            held.append(
                Quarantined(
                    "line",
                    line.line_id,
                    "over_grant",
                    f"{excess} {line.product.unit} of task {line.task.id} exceed the quantity "
                    f"granted by voucher {voucher.id} for {line.task.period}: held for review",
                    (line.task.id,),
                )
            )
        share = line_amount(covered, unit_share)
        result.append(
            Coverage(
                line,
                billed_qty,
                line_amount(billed_qty, price),
                covered_quantity=covered,
                share=share,
                **base,
            )
        )
    return result, held
