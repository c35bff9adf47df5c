"""Pricing: every task line's current value in every role (work, voucher deduction, voucher
share) and the capitation fees, before they are placed on documents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from connector.billing.documents import (
    CAPITATION_FEE,
    VOUCHER_DEDUCTION,
    VOUCHER_SHARE,
    WORK,
    priced,
)
from connector.billing.events import voucher_events
from connector.billing.texts import VOUCHER_DEDUCTION_NAME, month_fi
from connector.billing.values import (
    CUSTOMER_OWNER,
    ORGANISER_OWNER,
    LineValue,
    days_in,
    with_rounding,
)
from connector.billing.vat import net_for_gross
from connector.billing.vouchers import capitation_fee, cover_all, price_lines
from connector.core.domain import BillableTask
from connector.core.money import line_amount


class Pricing:
    """The pricing half of a billing run (mixed into the engine's run)."""

    def values(self, tasks: Sequence[BillableTask]) -> list[LineValue]:
        """The values of ``tasks`` (one owner's) in every role; capitation fees are separate."""
        lines, stopped = price_lines(tasks, self.inp.products, self.inp.mappings)
        self.quarantined.extend(stopped)
        self.unknown_lines.update(q.record_id for q in stopped)
        euros, units = self.used_before()
        coverages, held, held_work = cover_all(
            lines, self.inp.mappings, self.rules, euros, units, self.inp.review_decisions
        )
        self.held.extend(held)
        self.events.extend(voucher_events(coverages, held_work))
        values: list[LineValue] = []
        for c in coverages:
            line, task = c.line, c.line.task
            customer = self.inp.customers[task.customer_id]
            owner = f"{CUSTOMER_OWNER}:{self.inp.mappings.netvisor_customer_code(customer)}"
            self.owner_customer.setdefault(owner, customer)
            if c.billed_quantity == 0 and c.billed_amount == 0 and line.row.quantity != 0:
                self.unknown_lines.add(line.line_id)  # wholly held: a person decides
                if c.held_quantity:
                    self.review.append((owner, c))
                continue
            product = line.product
            work = LineValue(
                owner,
                line.line_id,
                WORK,
                task.period,
                c.voucher.id if c.voucher else None,
                c.billed_quantity,
                line.unit_price,
                c.billed_amount,
                product.netvisor_code,
                product.name,
                product.unit,
                product.vat_percent,
                product.vat_code,
                task.id,
                line.row.work_date,
                task.target_id,
                customer.id,
                c.target.psop_customer_number if c.target else None,
                c,
            )
            values.append(work)
            if c.voucher is None or c.share == 0 or c.region is None:
                continue
            net, remainder = c.share_net  # the share is gross: net + VAT = the voucher's value
            if c.unit_share is not None and line_amount(c.covered_quantity, c.unit_share) == net:
                qty, price = c.covered_quantity, c.unit_share  # exact: value per unit x units
            else:
                qty, price = priced(c.covered_quantity, net)
            deduction = replace(
                work,
                role=VOUCHER_DEDUCTION,
                quantity=-qty,
                unit_price=price,
                amount=-net,
                product_code=c.region.voucher_deduction_product,
                name=VOUCHER_DEDUCTION_NAME,
            )
            values.extend(with_rounding(deduction, -remainder))
            if c.region.organiser_document and c.voucher.kind != "capitation":
                qty, price = priced(c.covered_quantity, net)
                if (
                    c.unit_share is not None
                    and line_amount(c.covered_quantity, c.unit_share) == net
                ):
                    qty, price = c.covered_quantity, c.unit_share
                share = replace(
                    work,
                    owner=f"{ORGANISER_OWNER}:{c.region.code}",
                    role=VOUCHER_SHARE,
                    quantity=qty,
                    unit_price=price,
                    amount=net,
                )
                values.extend(with_rounding(share, remainder))
        return values

    def capitation_fees(self) -> list[LineValue]:
        """One fixed fee per capitation voucher per observed month it is valid in."""
        fees = []
        mappings = self.inp.mappings
        for target in mappings.targets.values():
            region = mappings.regions.get(target.region)
            if region is None or not region.organiser_document:
                continue
            if target.folder_id not in self.inp.targets:
                continue  # a client Spotilla does not know (or quarantined) earns no fee
            for voucher in target.vouchers:
                if voucher.kind != "capitation" or voucher.monthly_fee is None:
                    continue
                product = next(
                    (
                        mappings.products[code]
                        for code in region.linked_codes(voucher.psop_product)
                        if code in mappings.products
                    ),
                    None,
                )
                if product is None:
                    continue
                ends = [d for d in (voucher.valid_to, target.customership_to) if d is not None]
                end = min(ends, default=None)
                for period in sorted(self.observed):
                    days = days_in(period, voucher.valid_from, end)
                    if not days:
                        continue
                    month_days = period.last_day.day
                    # paid by the customership's validity: the days it covers of the month
                    fee = capitation_fee(voucher, target, period, self.rules)
                    name = f"{product.name}, kapitaatiokorvaus {month_fi(period)}"
                    if self.rules.capitation_proration == "days" and days < month_days:
                        name += f" ({days}/{month_days} pv)"
                    net, remainder = net_for_gross(fee, product.vat_percent)
                    line_id = f"capitation:{voucher.id}:{period}"
                    value = LineValue(
                        owner=f"{ORGANISER_OWNER}:{region.code}",
                        line_id=line_id,
                        role=CAPITATION_FEE,
                        period=period,
                        voucher_id=voucher.id,
                        quantity=Decimal(1),
                        unit_price=net,
                        amount=net,
                        product_code=product.netvisor_code,
                        name=name,
                        unit="kk",
                        vat_percent=product.vat_percent,
                        vat_code=product.vat_code,
                        task_id=line_id,
                        psop_customer_number=target.psop_customer_number,
                    )
                    fees.extend(with_rounding(value, remainder))
        return fees

    # ------------------------------------------------------------ placement
