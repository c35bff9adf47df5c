"""The voucher events PSOP records for billed and held work (one row per event, by PSOP customer number)."""

from __future__ import annotations

from collections.abc import Sequence

from connector.billing.documents import (
    REVIEW_EVENT_SUFFIX,
    VoucherEvent,
)
from connector.billing.vat import gross_of, gross_price
from connector.billing.vouchers import Coverage, HeldWork
from connector.core.money import ZERO, line_amount


def voucher_events(coverages: Sequence[Coverage], held: Sequence[HeldWork]) -> list[VoucherEvent]:
    """The voucher events PSOP records for these lines (capitation work is paid by its fee).

    A line's units within the grant are one event; its units above the grant (or outside the
    voucher's validity) are another, held for the organiser's review until decided, then
    approved as the same event.
    """
    events: list[VoucherEvent] = []
    for c in coverages:
        voucher, target, region, line = c.voucher, c.target, c.region, c.line
        if voucher is None or target is None or region is None or voucher.kind == "capitation":
            continue
        if c.covered_quantity <= 0:
            continue
        unit_gross = gross_price(line.unit_price, c.vat_percent)
        granted = c.covered_quantity - c.approved_quantity
        per_unit = c.unit_share if c.unit_share is not None else unit_gross
        granted_share = (
            min(line_amount(granted, per_unit), c.share) if c.approved_quantity else c.share
        )
        parts = (
            (line.line_id, granted, granted_share, False),
            (
                line.line_id + REVIEW_EVENT_SUFFIX,
                c.approved_quantity,
                c.share - granted_share,
                True,
            ),
        )
        for event_id, qty, share, approved in parts:
            if qty <= 0:
                continue
            gross = gross_of(line_amount(qty, line.unit_price), c.vat_percent)
            events.append(
                VoucherEvent(
                    event_id=event_id,
                    line_id=line.line_id,
                    period=line.task.period,
                    region=region.code,
                    psop_customer_number=target.psop_customer_number,
                    voucher_id=voucher.id,
                    psop_product=voucher.psop_product,
                    work_date=line.row.work_date,
                    quantity=qty,
                    unit_price=unit_gross,
                    voucher_share=share,
                    self_pay=max(gross - share, ZERO),
                    approved=approved,
                )
            )
    for h in held:
        events.append(
            VoucherEvent(
                event_id=h.line.line_id + REVIEW_EVENT_SUFFIX,
                line_id=h.line.line_id,
                period=h.line.task.period,
                region=h.region.code,
                psop_customer_number=h.target.psop_customer_number,
                voucher_id=h.voucher.id,
                psop_product=h.voucher.psop_product,
                work_date=h.line.row.work_date,
                quantity=h.quantity,
                unit_price=h.unit_gross,
                voucher_share=h.share,
                self_pay=h.self_pay,
                held_rule=h.rule,
            )
        )
    return sorted(events, key=lambda e: (e.work_date, e.event_id))
