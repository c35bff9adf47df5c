"""Priced lines and voucher coverage: who pays what part of each task line.

A line's price comes from Spotilla's product register unless the row overrides it. A voucher
covers a line when the line's target is a PSOP client, its product is linked (once per region)
to the voucher's PSOP product, and the voucher is valid on the work date. The voucher's share of
a line is ``min(gross price, unit value) x covered quantity``: the voucher's value is what the
organiser pays, VAT included. The covered quantity is capped by the grant: a monthly quota
(``quantity_per_period``, counted by the work date's month and shared by the vouchers of one PSOP
product valid in that month unless one says ``stack``) or a total over the validity
(``quantity_total``, used up in work-date order across months, earlier months from the ledger).
Work above the grant is held for the organiser's review (``over_grant = "hold"``, PSOP's rule) or
billed to the client (``"bill_client"``). A balance voucher pays until its euro balance is used
up; a capitation voucher is paid by a monthly fee instead (:func:`capitation_fee`) and covers its
lines up to that fee, so the client's invoice never says the voucher paid more than the organiser
is billed.
Self-pay = gross line amount - share, never negative: computed here, once (``Coverage.self_pay``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from connector.billing.periods import BillingRules
from connector.billing.vat import gross_of, gross_price, net_for_gross
from connector.core.domain import BillableTask, Period, Quarantined, WorkRow
from connector.core.money import ZERO, line_amount
from connector.core.reasons import reason
from connector.mapping.models import Mappings, ProductMapping, Region, TargetMapping, Voucher


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Coverage:
    """How one priced line is paid: by the client (self-pay) and by a voucher (share).

    ``billed_amount`` is net (VAT excluded), as on the invoice line. ``share`` is what the
    organiser pays, VAT included (the voucher's value is gross); self-pay is gross too: what the
    client pays. For a VAT-exempt product net and gross are the same.
    """

    line: PricedLine
    billed_quantity: Decimal  # what goes on the invoice (less than the row when held)
    billed_amount: Decimal  # euros, = line_amount(billed_quantity, unit price)
    voucher: Voucher | None = None
    target: TargetMapping | None = None
    region: Region | None = None
    covered_quantity: Decimal = ZERO  # units the voucher pays for
    share: Decimal = ZERO  # euros the organiser pays (the voucher's share), VAT included
    held_quantity: Decimal = Decimal(0)  # units above the grant held for the organiser's review
    over_grant_quantity: Decimal = Decimal(0)  # units above the grant billed to the client
    approved_quantity: Decimal = Decimal(0)  # of covered: units the organiser approved in review

    @property
    def vat_percent(self) -> Decimal:
        return self.line.product.vat_percent

    @property
    def billed_gross(self) -> Decimal:
        """Euros of the billed line with VAT, as Netvisor computes it."""
        return gross_of(self.billed_amount, self.vat_percent)

    @property
    def self_pay(self) -> Decimal:
        """Euros the client pays for this line (VAT included): the remainder, never negative."""
        return max(self.billed_gross - self.share, ZERO)

    @property
    def over_grant_amount(self) -> Decimal:
        """Gross euros of the units billed to the client above the grant (``bill_client``)."""
        amount = line_amount(self.over_grant_quantity, self.line.unit_price)
        return min(gross_of(amount, self.vat_percent), self.self_pay)

    @property
    def held_amount(self) -> Decimal:
        """Gross euros of the units held for review (what the client would pay if rejected)."""
        return gross_of(line_amount(self.held_quantity, self.line.unit_price), self.vat_percent)

    @property
    def share_net(self) -> tuple[Decimal, Decimal]:
        """The share as net euros plus a one-cent remainder line, so the gross is exact."""
        return net_for_gross(self.share, self.vat_percent)

    @property
    def unit_share(self) -> Decimal | None:
        """Voucher euros per unit (VAT included) for a per-unit voucher, else None."""
        if self.voucher is None or self.voucher.kind != "voucher":
            return None
        assert self.voucher.unit_value is not None
        return min(gross_price(self.line.unit_price, self.vat_percent), self.voucher.unit_value)


# A person's (or PSOP's) decision on held work, by task line id (``BillingInput.review_decisions``)
APPROVED = "approve"  # the organiser approved it: the voucher covers it, the client pays self-pay
BILL_CLIENT = "bill_client"  # rejected: the client pays the held units in full
WRITE_OFF = "write_off"  # rejected: nobody is billed for the held units
DECISIONS = (APPROVED, BILL_CLIENT, WRITE_OFF)


#: the rules that hold work for the organiser's review: a person records the decision with
#: ``connector review approve|reject ID`` (the id is the line's id), the next run bills it
REVIEW_RULES = frozenset({"over_grant", "outside_validity"})


@dataclass(frozen=True)
class HeldWork:
    """Units of one line held for the organiser's review, and the voucher they would draw on.

    ``rule`` says why: ``over_grant`` (above the granted quantity) or ``outside_validity``.
    Rejected work stays held work here (PSOP keeps the event, as Hylätty); approved work becomes
    covered work instead.
    """

    line: PricedLine
    voucher: Voucher
    target: TargetMapping
    region: Region
    quantity: Decimal
    rule: str

    @property
    def unit_gross(self) -> Decimal:
        """The unit price with VAT, euros."""
        return gross_price(self.line.unit_price, self.line.product.vat_percent)

    @property
    def gross(self) -> Decimal:
        """Euros of the held units with VAT: what the client pays if the organiser rejects."""
        amount = line_amount(self.quantity, self.line.unit_price)
        return gross_of(amount, self.line.product.vat_percent)

    @property
    def share(self) -> Decimal:
        """Euros the voucher would pay for the held units if approved (VAT included)."""
        if self.voucher.kind != "voucher" or self.voucher.unit_value is None:
            return self.gross
        return min(
            line_amount(self.quantity, min(self.unit_gross, self.voucher.unit_value)), self.gross
        )

    @property
    def self_pay(self) -> Decimal:
        """Euros the client would pay for the held units if approved."""
        return max(self.gross - self.share, ZERO)


def net_negative_rows(task: BillableTask) -> tuple[BillableTask, list[Quarantined]]:
    """A negative row cancels rows of the same product in the same task; else it is stopped.

    The cancelled rows keep their line ids with the net quantity; a negative row that does not
    cancel (no positive row of its product, or more than they hold) is quarantined as
    ``negative_quantity`` and the rest of the task is billed.
    """
    negatives = [r for r in task.rows if r.quantity < 0]
    if not negatives:
        return task, []
    rows = {r.line_id: r for r in task.rows}
    stopped: list[Quarantined] = []
    for neg in negatives:
        same = [
            r
            for r in rows.values()
            if r.quantity > 0
            and r.product_code == neg.product_code
            and r.unit_price == neg.unit_price
        ]
        available = sum((r.quantity for r in same), Decimal(0))
        if available < -neg.quantity:
            stopped.append(
                Quarantined(
                    "line",
                    neg.line_id,
                    "negative_quantity",
                    reason(
                        "negative_quantity",
                        line=neg.line_id,
                        task=task.id,
                        quantity=neg.quantity,
                        product=neg.product_code,
                    ),
                    (task.id,),
                )
            )
            del rows[neg.line_id]
            continue
        left = -neg.quantity
        for r in sorted(same, key=lambda r: r.line_id, reverse=True):
            take = min(r.quantity, left)
            if r.quantity == take:
                del rows[r.line_id]  # wholly cancelled: nothing of it is billed
            else:
                rows[r.line_id] = replace(r, quantity=r.quantity - take)
            left -= take
            if not left:
                break
        del rows[neg.line_id]
    kept = tuple(rows[r.line_id] for r in task.rows if r.line_id in rows)
    return replace(task, rows=kept), stopped


def price_lines(
    tasks: Sequence[BillableTask],
    products: Mapping[str, object],
    mappings: Mappings,
) -> tuple[list[PricedLine], list[Quarantined]]:
    """Price every row of ``tasks``; rows without a product mapping or price are quarantined."""
    priced: list[PricedLine] = []
    stopped: list[Quarantined] = []
    for task in tasks:
        task, negative = net_negative_rows(task)
        stopped.extend(negative)
        for row in task.rows:
            mapping = mappings.products.get(row.product_code)
            if mapping is None:
                stopped.append(_unpriced(task, row, "unmapped_product"))
                continue
            price = row.unit_price
            if price is None:
                register = products.get(row.product_code)
                price = getattr(register, "price", None)
            if price is None:
                stopped.append(_unpriced(task, row, "missing_price"))
                continue
            priced.append(PricedLine(task, row, mapping, price, line_amount(row.quantity, price)))
    return priced, stopped


def _unpriced(task: BillableTask, row: WorkRow, code: str) -> Quarantined:
    """The quarantine of a row that cannot be priced (``code``: why), naming product and task."""
    return Quarantined(
        "line",
        row.line_id,
        code,
        reason(code, product=row.product_code, task=task.id),
        (task.id,),
    )


def _line_order(line: PricedLine) -> tuple[object, str]:
    # grants are used up in work-date order (not completion month); line ids break ties
    return (line.row.work_date, line.line_id)


def _valid_in(voucher: Voucher, period: Period) -> bool:
    return voucher.valid_from <= period.last_day and (
        voucher.valid_to is None or voucher.valid_to >= period.first_day
    )


def _monthly_quota(
    voucher: Voucher, target: TargetMapping, period: Period
) -> tuple[tuple[str, ...], Decimal]:
    """(counter key, the month's quota) for a per-period voucher.

    Vouchers of one PSOP product valid in the same month share one counter and the larger quota,
    so two consecutive vouchers do not double the month's grant; ``stack = true`` opts out.
    """
    assert voucher.quantity_per_period is not None
    if voucher.stack:
        return ("voucher", voucher.id, str(period)), voucher.quantity_per_period
    quotas = [
        v.quantity_per_period
        for v in target.vouchers
        if v.kind == "voucher"
        and not v.stack
        and v.psop_product == voucher.psop_product
        and v.quantity_per_period is not None
        and _valid_in(v, period)
    ]
    key = ("product", target.folder_id, voucher.psop_product, str(period))
    return key, max(quotas, default=voucher.quantity_per_period)


def cover(
    lines: Sequence[PricedLine],
    mappings: Mappings,
    rules: BillingRules,
    balance_used_before: Mapping[str, Decimal],
    quantity_used_before: Mapping[str, Decimal] | None = None,
) -> tuple[list[Coverage], list[Quarantined]]:
    """Split every line into voucher share and self-pay; returns coverages and held lines.

    ``balance_used_before``: euros (gross) of each balance voucher consumed in periods not in
    ``lines``; ``quantity_used_before``: units of each total-count voucher used likewise.
    """
    coverages, held, _ = cover_all(
        lines, mappings, rules, balance_used_before, quantity_used_before
    )
    return coverages, held


def _nearest(candidates: Sequence[Voucher], day: date) -> Voucher:
    """The voucher whose validity is closest to ``day`` (for approved work outside it)."""

    def distance(v: Voucher) -> int:
        if day < v.valid_from:
            return (v.valid_from - day).days
        return (day - v.valid_to).days if v.valid_to is not None else 0

    return min(candidates, key=lambda v: (distance(v), v.id))


def capitation_fee(
    voucher: Voucher, target: TargetMapping, period: Period, rules: BillingRules
) -> Decimal:
    """The month's capitation fee, euros with VAT: the voucher's ``monthly_fee``, paid by the
    days of the customership in the month (seed 001: "Maksatus toimii automaattisesti
    asiakkuuden voimassaolon mukaan") unless ``rules.capitation_proration`` is ``month``;
    zero for a month without customership. The organiser's fee line and the client's voucher
    deduction both come from here."""
    if voucher.monthly_fee is None:
        return ZERO
    ends = [d for d in (voucher.valid_to, target.customership_to) if d is not None]
    first = max(period.first_day, voucher.valid_from)
    last = min([period.last_day, *ends])
    days = max((last - first).days + 1, 0)
    month_days = period.last_day.day
    if not days:
        return ZERO
    if rules.capitation_proration == "days" and days < month_days:
        return line_amount(voucher.monthly_fee * days / month_days, Decimal(1))
    return voucher.monthly_fee


def cover_all(
    lines: Sequence[PricedLine],
    mappings: Mappings,
    rules: BillingRules,
    balance_used_before: Mapping[str, Decimal],
    quantity_used_before: Mapping[str, Decimal] | None = None,
    decisions: Mapping[str, str] | None = None,
) -> tuple[list[Coverage], list[Quarantined], list[HeldWork]]:
    """:func:`cover`, plus the held work itself, with review ``decisions`` applied.

    ``decisions`` (task line id -> :data:`APPROVED` | :data:`BILL_CLIENT` | :data:`WRITE_OFF`)
    settle work that would otherwise be held: approved work is covered by the voucher beyond the
    grant (or outside its validity: by the voucher nearest in time); rejected work is billed to
    the client in full or written off. A decision for a line that is not held changes nothing.
    """
    decisions = decisions or {}
    held_work: list[HeldWork] = []
    used_quota: dict[tuple[str, ...], Decimal] = defaultdict(Decimal)
    used_total: dict[str, Decimal] = defaultdict(Decimal, quantity_used_before or {})
    used_balance: dict[str, Decimal] = defaultdict(lambda: ZERO, balance_used_before)
    capitation_left: dict[tuple[str, str], Decimal] = {}
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
        day = line.row.work_date
        valid = [v for v in candidates if v.valid_on(day) and target.in_customership(day)]
        decision = decisions.get(line.line_id)
        approved = False
        if not valid and rules.outside_validity == "hold" and decision is not None:
            if decision in (WRITE_OFF, BILL_CLIENT):
                # rejected: still PSOP's event (Hylätty); the client pays it in full, or nobody
                rejected = HeldWork(
                    line, _nearest(candidates, day), target, region, qty, "outside_validity"
                )
                held_work.append(rejected)
                if decision == BILL_CLIENT:
                    result.append(full)
                continue
            valid, approved = [_nearest(candidates, day)], True
        if not valid:
            if rules.outside_validity == "hold":
                held_work.append(
                    HeldWork(
                        line, _nearest(candidates, day), target, region, qty, "outside_validity"
                    )
                )
                ended = "" if target.in_customership(day) else "_ended"
                held.append(
                    Quarantined(
                        "line",
                        line.line_id,
                        "outside_validity",
                        reason(
                            "outside_validity" + ended,
                            task=line.task.id,
                            day=day,
                            vouchers=", ".join(v.id for v in candidates),
                        ),
                        (line.task.id,),
                    )
                )
            else:
                result.append(full)
            continue
        voucher = valid[0]  # the loader guarantees no overlap for one product
        base = {"voucher": voucher, "target": target, "region": region}
        gross = full.billed_gross
        if voucher.kind == "capitation":
            # The voucher pays the month's fee, by the customership's validity (seed 001:
            # "Maksatus toimii automaattisesti asiakkuuden voimassaolon mukaan"): that is the
            # organiser's figure, so the client's invoice deducts no more than it, in work-date
            # order; the remainder is self-pay, as for any voucher (price - what the voucher pays).
            month = (voucher.id, str(line.task.period))
            if month not in capitation_left:
                capitation_left[month] = capitation_fee(voucher, target, line.task.period, rules)
            share = min(max(gross, ZERO), capitation_left[month])
            capitation_left[month] -= share
            result.append(
                Coverage(line, qty, line.amount, covered_quantity=qty, share=share, **base)
            )
            continue
        if voucher.kind == "balance":
            assert voucher.balance is not None
            left = max(voucher.balance - used_balance[voucher.id], ZERO)
            share = min(max(gross, ZERO), left)
            used_balance[voucher.id] += share
            result.append(
                Coverage(
                    line,
                    qty,
                    line.amount,
                    covered_quantity=qty if share else ZERO,
                    share=share,
                    approved_quantity=qty if approved and share else Decimal(0),
                    **base,
                )
            )
            continue
        assert voucher.unit_value is not None
        unit_share = min(gross_price(price, line.product.vat_percent), voucher.unit_value)
        covered = max(qty, Decimal(0))
        grant = reason("whole_validity")
        if voucher.quantity_total is not None:
            covered = min(covered, max(voucher.quantity_total - used_total[voucher.id], Decimal(0)))
            used_total[voucher.id] += covered
        elif voucher.quantity_per_period is not None:
            month = Period.of(day)
            key, quota = _monthly_quota(voucher, target, month)
            covered = min(covered, max(quota - used_quota[key], Decimal(0)))
            used_quota[key] += covered
            grant = str(month)
        approved_qty = Decimal(0)
        if approved:
            covered = approved_qty = max(qty, Decimal(0))  # approved outside the validity
        excess = qty - covered
        billed_qty = qty
        held_qty = over_qty = Decimal(0)
        if excess > 0 and rules.over_grant == "hold" and decision == APPROVED:
            covered, approved_qty = qty, excess  # the organiser approved the units above the grant
        elif excess > 0 and rules.over_grant == "hold" and decision in (BILL_CLIENT, WRITE_OFF):
            # rejected: still PSOP's event (Hylätty); the client pays it in full, or nobody
            held_work.append(HeldWork(line, voucher, target, region, excess, "over_grant"))
            if decision == BILL_CLIENT:
                over_qty = excess
            else:
                billed_qty = covered
        elif excess > 0 and rules.over_grant == "hold":
            billed_qty, held_qty = covered, excess
            held.append(
                Quarantined(
                    "line",
                    line.line_id,
                    "over_grant",
                    reason(
                        "over_grant",
                        excess=excess,
                        unit=line.product.unit,
                        task=line.task.id,
                        voucher=voucher.id,
                        grant=grant,
                    ),
                    (line.task.id,),
                )
            )
            held_work.append(HeldWork(line, voucher, target, region, excess, "over_grant"))
        elif excess > 0:
            over_qty = excess
        billed_amount = line_amount(billed_qty, price)
        # never more than the billed line with VAT (per-line rounding can differ by a cent)
        share = min(
            line_amount(covered, unit_share), gross_of(billed_amount, line.product.vat_percent)
        )
        result.append(
            Coverage(
                line,
                billed_qty,
                billed_amount,
                covered_quantity=covered,
                share=max(share, ZERO),
                held_quantity=held_qty,
                over_grant_quantity=over_qty,
                approved_quantity=approved_qty,
                **base,
            )
        )
    return result, held, held_work
