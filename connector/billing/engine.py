"""The billing engine: source records + mappings + what was billed before -> desired documents.

Pure: no I/O, no clock (``today`` is passed in). For every observed period it computes the
current value of every task line in every role (work, voucher deduction, voucher share,
capitation fee), then compares with what stands on documents that can no longer change:

* a line whose own document can still be rebuilt goes onto that document, as it is now (a
  client's invoice freezes on the lock day, an organiser's document on its region's settlement
  day: ``periods.document_locked``; a document a person sent is frozen at once);
* otherwise the difference (now - billed on frozen documents) becomes correction rows in the
  owner's next document that can still be built: negative for what was billed wrongly,
  positive for what is missing, each with a reason code and a Finnish explanation naming the
  task; a reversal names the client and voucher as the billed line stored them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from connector.billing.documents import (
    APPROVED_IN_REVIEW,
    CAPITATION_FEE,
    CHANGED,
    CORRECTION,
    CORRECTION_PREFIX,
    DELETED,
    MISSING,
    REVIEW_EVENT_SUFFIX,
    VOUCHER_DEDUCTION,
    VOUCHER_SHARE,
    WORK,
    BilledLine,
    CommentLine,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    VoucherEvent,
    base_role,
    customer_document_key,
    document_owner,
    document_period,
    organiser_document_key,
    priced,
)
from connector.billing.periods import (
    BillingRules,
    PeriodState,
    document_key_locked,
    invoice_date,
    period_state,
)
from connector.billing.vat import gross_of, gross_price, net_for_gross
from connector.billing.vouchers import APPROVED, Coverage, HeldWork, cover_all, price_lines
from connector.domain import BillableTask, BillingCustomer, Period, Product, Quarantined, Target
from connector.mapping.models import Mappings
from connector.money import ZERO, format_comma, format_eur, line_amount

CUSTOMER_OWNER = "inv"
ORGANISER_OWNER = "org"
# the voucher-deduction line's name: generic, so the shared Netvisor product is too
VOUCHER_DEDUCTION_NAME = "Palvelusetelin osuus"
ROUNDING_SUFFIX = ":alv-pyoristys"  # line id of a one-cent line that makes a gross exact
FI_MONTHS = (
    "tammikuu",
    "helmikuu",
    "maaliskuu",
    "huhtikuu",
    "toukokuu",
    "kesäkuu",
    "heinäkuu",
    "elokuu",
    "syyskuu",
    "lokakuu",
    "marraskuu",
    "joulukuu",
)
# a correction row's first word, by reason code
_CORRECTION_WORD = {
    DELETED: "Hyvitys",
    CHANGED: "Oikaisu",
    MISSING: "Lisäys",
    APPROVED_IN_REVIEW: "Hyväksytty tarkastuksessa",
}
_CORRECTION_WHAT = {
    DELETED: "poistettu laskutuksen jälkeen",
    CHANGED: "muuttunut laskutuksen jälkeen",
    MISSING: "puuttui lukitulta laskulta",
    APPROVED_IN_REVIEW: "hyväksytty palvelunjärjestäjän tarkastuksessa",
}


def month_fi(period: Period) -> str:
    """``huhtikuu 2026``."""
    return f"{FI_MONTHS[period.month - 1]} {period.year}"


@dataclass(frozen=True)
class BillingInput:
    """Everything one billing run needs (see module docstring)."""

    periods: tuple[Period, ...]  # periods being (re)built: CLOSED, not yet LOCKED
    observed_periods: tuple[Period, ...]  # periods whose tasks are COMPLETELY in ``tasks``
    customers: Mapping[str, BillingCustomer]
    targets: Mapping[str, Target]
    products: Mapping[str, Product]  # Spotilla's register: prices in euros
    tasks: Sequence[BillableTask]
    mappings: Mappings
    rules: BillingRules = field(default_factory=BillingRules)
    history: Sequence[BilledLine] = ()  # everything billed so far on documents that exist
    frozen_documents: frozenset[str] = frozenset()  # sent by a person, or period locked
    # decisions on held work by task line id: "approve" | "bill_client" | "write_off"
    review_decisions: Mapping[str, str] = field(default_factory=dict)
    # LOCKED periods the connector never invoiced: billed late, as their own documents (a
    # correction row needs a document that exists; these months have none)
    late_periods: tuple[Period, ...] = ()


@dataclass(frozen=True)
class BillingResult:
    documents: tuple[InvoiceDocument, ...]
    quarantined: tuple[Quarantined, ...]
    held: tuple[Quarantined, ...]  # over grant / outside validity when configured to hold
    # documents in ``history`` that are still editable but now have nothing to bill
    withdrawn: tuple[str, ...] = ()
    # correction amounts that have no later document to go to yet (they come next period)
    deferred: tuple[BilledLine, ...] = ()
    # the voucher events of the observed periods as PSOP records them (covered and held units)
    events: tuple[VoucherEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class _Value:
    """One line's value in one role for one document owner, as the source says now."""

    owner: str  # "inv:<customer code>" | "org:<region code>"
    line_id: str
    role: str
    period: Period
    voucher_id: str | None
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal  # euros, signed
    product_code: str  # Netvisor
    name: str
    unit: str
    vat_percent: Decimal
    vat_code: str
    task_id: str
    work_date: date | None = None
    target_id: str | None = None
    customer_id: str | None = None
    psop_customer_number: str | None = None
    coverage: Coverage | None = None


@dataclass(frozen=True)
class _Correction:
    value: _Value  # quantity / unit price / amount are the correction row's own (signed)
    reason: str
    explanation: str


@dataclass
class _Slot:
    """What goes onto one document being built."""

    values: list[_Value] = field(default_factory=list)
    corrections: list[_Correction] = field(default_factory=list)
    review: list[Coverage] = field(default_factory=list)  # wholly held: on the specification


def _owner_key(owner: str, period: Period) -> str:
    prefix, _, code = owner.partition(":")
    if prefix == CUSTOMER_OWNER:
        return customer_document_key(period, code)
    return organiser_document_key(period, code)


def _task_id(line_id: str) -> str:
    return line_id.split(":", 1)[0]


def _subject(line_id: str, voucher_id: str | None) -> str:
    """What a correction is about, in Finnish: the task, or a voucher's capitation fee."""
    if line_id.startswith("capitation:"):
        return f"kapitaatiokorvaus, seteli {voucher_id}"
    return f"tehtävä {_task_id(line_id)}"


def _date_fi(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


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


def _with_rounding(value: _Value, remainder: Decimal) -> list[_Value]:
    """``value`` and, when its gross cannot be hit exactly, a one-cent line that makes it so."""
    if not remainder:
        return [value]
    cent = replace(
        value,
        line_id=value.line_id + ROUNDING_SUFFIX,
        quantity=Decimal(1) if remainder > 0 else Decimal(-1),
        unit_price=abs(remainder),
        amount=remainder,
        name=f"{value.name}, arvonlisäveron pyöristys",
        unit="",
    )
    return [value, cent]


def _days_in(period: Period, start: date, end: date | None) -> int:
    """Days of ``period`` inside ``start..end`` (inclusive; None = open-ended)."""
    first = max(period.first_day, start)
    last = min(period.last_day, end or period.last_day)
    return max((last - first).days + 1, 0)


def _deduction_lines(
    voucher_id: str, product_code: str, vat_percent: Decimal, vat_code: str, group: list[_Value]
) -> list[DocumentLine]:
    """A voucher's deduction on the client's invoice: one line (covered units x the voucher's
    value per unit where that is exact), or as few lines as keep its gross exact under VAT."""

    def line(qty: Decimal, amount: Decimal, price: Decimal | None = None) -> DocumentLine:
        if price is None or line_amount(qty, price) != amount:
            qty, price = priced(qty, amount)
        return DocumentLine(
            product_code=product_code,
            name=VOUCHER_DEDUCTION_NAME,
            quantity=qty,
            unit_price=price,
            vat_percent=vat_percent,
            vat_code=vat_code,
            amount=amount,
            role=VOUCHER_DEDUCTION,
            source_line_id=None,
            voucher_id=voucher_id,
            free_text=f"seteli {voucher_id}",
        )

    def merged(values: list[_Value]) -> DocumentLine:
        prices = {v.unit_price for v in values}
        price = next(iter(prices)) if len(prices) == 1 else None
        qty = sum((v.quantity for v in values), Decimal(0))
        return line(qty, sum((v.amount for v in values), ZERO), price)

    gross = sum((gross_of(v.amount, vat_percent) for v in group), ZERO)
    whole = merged(group)
    if gross_of(whole.amount, vat_percent) == gross:
        return [whole]
    main = [v for v in group if not v.line_id.endswith(ROUNDING_SUFFIX)]
    cents = [v for v in group if v.line_id.endswith(ROUNDING_SUFFIX)]
    if main and cents:
        two = [merged(main), merged(cents)]
        if sum((gross_of(ln.amount, vat_percent) for ln in two), ZERO) == gross:
            return two
    return [line(v.quantity, v.amount, v.unit_price) for v in group]


class _Run:
    def __init__(self, inp: BillingInput, today: date) -> None:
        self.inp = inp
        self.today = today
        self.rules = inp.rules
        self.late = frozenset(inp.late_periods)
        self.built = sorted(
            {
                p
                for p in set(inp.periods)
                if period_state(p, today, inp.rules) is not PeriodState.LOCKED
            }
            | self.late
        )
        self.history_keys = frozenset(b.document_key for b in inp.history)
        self.observed = set(inp.observed_periods) | set(inp.periods)
        self.quarantined: list[Quarantined] = []
        self.held: list[Quarantined] = []
        self.unknown_lines: set[str] = set()  # lines whose current value cannot be computed
        self.owner_customer: dict[str, BillingCustomer] = {}
        self.review: list[tuple[str, Coverage]] = []  # (customer owner, wholly held coverage)
        self.events: list[VoucherEvent] = []
        self.approved = {line_id for line_id, d in inp.review_decisions.items() if d == APPROVED}
        self._rebuildable: dict[str, bool] = {}

    # ------------------------------------------------------------ documents that can change

    def rebuildable(self, key: str) -> bool:
        """Whether ``key`` can still be edited in place (else changes become corrections)."""
        known = self._rebuildable.get(key)
        if known is None:  # asked once per line: decided once per document in a run
            known = self._rebuildable[key] = self._decide_rebuildable(key)
        return known

    def _decide_rebuildable(self, key: str) -> bool:
        period = document_period(key)
        if period not in self.built or key in self.inp.frozen_documents:
            return False
        if period in self.late:  # never invoiced: its own (late) document, if none exists
            return key not in self.history_keys
        return not document_key_locked(
            key, today=self.today, rules=self.rules, mappings=self.inp.mappings
        )

    def next_document(self, owner: str, after: Period) -> str | None:
        for period in self.built:
            if period > after and self.rebuildable(key := _owner_key(owner, period)):
                return key
        return None

    # ------------------------------------------------------------ current values

    def tasks(self) -> list[BillableTask]:
        chosen = []
        for task in self.inp.tasks:
            if task.period not in self.observed:
                continue
            if task.customer_id not in self.inp.customers:
                self.quarantined.append(
                    Quarantined(
                        "task",
                        task.id,
                        "unknown_customer",
                        f"billing customer {task.customer_id} of task {task.id} is not among the "
                        "billable customers",
                    )
                )
                self.unknown_lines.update(row.line_id for row in task.rows)
                continue
            chosen.append(task)
        return chosen

    def used_before(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(gross euros, units) of each voucher used on periods this run does not re-read.

        Read from the billed voucher-deduction lines of the ledger, so a total-count or balance
        voucher used in April has less left in May.
        """
        euros: dict[str, Decimal] = defaultdict(lambda: ZERO)
        units: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
        for line in self.inp.history:
            if (
                base_role(line.role) == VOUCHER_DEDUCTION
                and line.voucher_id
                and line.period not in self.observed
                and not self.rebuildable(line.document_key)
            ):
                euros[line.voucher_id] -= gross_of(line.amount, line.vat_percent or ZERO)
                units[line.voucher_id] -= line.quantity
        return euros, units

    def values(self) -> list[_Value]:
        lines, stopped = price_lines(self.tasks(), self.inp.products, self.inp.mappings)
        self.quarantined.extend(stopped)
        self.unknown_lines.update(q.record_id for q in stopped)
        euros, units = self.used_before()
        coverages, held, held_work = cover_all(
            lines, self.inp.mappings, self.rules, euros, units, self.inp.review_decisions
        )
        self.held.extend(held)
        self.events = voucher_events(coverages, held_work)
        values: list[_Value] = []
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
            common = {
                "line_id": line.line_id,
                "period": task.period,
                "task_id": task.id,
                "work_date": line.row.work_date,
                "target_id": task.target_id,
                "customer_id": customer.id,
                "vat_percent": line.product.vat_percent,
                "vat_code": line.product.vat_code,
                "unit": line.product.unit,
                "coverage": c,
                "psop_customer_number": c.target.psop_customer_number if c.target else None,
            }
            voucher_id = c.voucher.id if c.voucher else None
            values.append(
                _Value(
                    owner=owner,
                    role=WORK,
                    voucher_id=voucher_id,
                    quantity=c.billed_quantity,
                    unit_price=line.unit_price,
                    amount=c.billed_amount,
                    product_code=line.product.netvisor_code,
                    name=line.product.name,
                    **common,
                )
            )
            if c.voucher is None or c.share == 0 or c.region is None:
                continue
            net, remainder = c.share_net  # the share is gross: net + VAT = the voucher's value
            if c.unit_share is not None and line_amount(c.covered_quantity, c.unit_share) == net:
                qty, price = c.covered_quantity, c.unit_share  # exact: value per unit x units
            else:
                qty, price = priced(c.covered_quantity, net)
            deduction = _Value(
                owner=owner,
                role=VOUCHER_DEDUCTION,
                voucher_id=voucher_id,
                quantity=-qty,
                unit_price=price,
                amount=-net,
                product_code=c.region.voucher_deduction_product,
                name=VOUCHER_DEDUCTION_NAME,
                **common,
            )
            values.extend(_with_rounding(deduction, -remainder))
            if c.region.organiser_document and c.voucher.kind != "capitation":
                qty, price = priced(c.covered_quantity, net)
                if (
                    c.unit_share is not None
                    and line_amount(c.covered_quantity, c.unit_share) == net
                ):
                    qty, price = c.covered_quantity, c.unit_share
                share = _Value(
                    owner=f"{ORGANISER_OWNER}:{c.region.code}",
                    role=VOUCHER_SHARE,
                    voucher_id=voucher_id,
                    quantity=qty,
                    unit_price=price,
                    amount=net,
                    product_code=line.product.netvisor_code,
                    name=line.product.name,
                    **common,
                )
                values.extend(_with_rounding(share, remainder))
        values.extend(self.capitation_fees())
        return values

    def capitation_fees(self) -> list[_Value]:
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
                    days = _days_in(period, voucher.valid_from, end)
                    if not days:
                        continue
                    month_days = period.last_day.day
                    fee = voucher.monthly_fee
                    name = f"{product.name}, kapitaatiokorvaus {month_fi(period)}"
                    if self.rules.capitation_proration == "days" and days < month_days:
                        # paid by the customership's validity: the days it covers of the month
                        fee = line_amount(voucher.monthly_fee * days / month_days, Decimal(1))
                        name += f" ({days}/{month_days} pv)"
                    net, remainder = net_for_gross(fee, product.vat_percent)
                    line_id = f"capitation:{voucher.id}:{period}"
                    value = _Value(
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
                    fees.extend(_with_rounding(value, remainder))
        return fees

    # ------------------------------------------------------------ placement

    def place(self, values: list[_Value]) -> tuple[dict[str, _Slot], list[BilledLine]]:
        expected: dict[tuple[str, str, str], _Value] = {}
        for value in values:
            expected[(value.owner, value.line_id, value.role)] = value
        standing: dict[tuple[str, str, str], list[BilledLine]] = defaultdict(list)
        for line in self.inp.history:
            if not self.rebuildable(line.document_key):
                owner = document_owner(line.document_key)
                standing[(owner, line.line_id, base_role(line.role))].append(line)
        slots: dict[str, _Slot] = defaultdict(_Slot)
        deferred: list[BilledLine] = []
        for key in sorted(set(expected) | set(standing)):
            owner, line_id, role = key
            now = expected.get(key)
            billed = standing.get(key, [])
            period = now.period if now else billed[0].period
            if now is None and (period not in self.observed or line_id in self.unknown_lines):
                continue  # not re-read (or cannot be valued now): what was billed stands
            billed_qty = sum((b.quantity for b in billed), Decimal(0))
            billed_amount = sum((b.amount for b in billed), ZERO)
            own = _owner_key(owner, period)
            if self.rebuildable(own):
                if now is not None:
                    slots[own].values.append(now)
                if billed_qty or billed_amount:
                    reversal = self.reversal(owner, line_id, role, period, billed, now, CHANGED)
                    if reversal:
                        slots[own].corrections.append(reversal)
                continue
            if now is not None and now.amount == billed_amount and now.quantity == billed_qty:
                continue
            if now is None and not billed_qty and not billed_amount:
                continue
            target = self.next_document(owner, period)
            if target is None:
                delta = (now.amount if now else ZERO) - billed_amount
                deferred.append(
                    BilledLine(
                        own,
                        line_id,
                        CORRECTION_PREFIX + role,
                        period,
                        now.voucher_id if now else billed[0].voucher_id,
                        (now.quantity if now else ZERO) - billed_qty,
                        delta,
                        psop_customer_number=next(
                            (b.psop_customer_number for b in billed if b.psop_customer_number),
                            now.psop_customer_number if now else None,
                        ),
                    )
                )
                continue
            if now is None:
                reversal = self.reversal(owner, line_id, role, period, billed, None, DELETED)
                if reversal:
                    slots[target].corrections.append(reversal)
            elif not billed:
                reason, day = MISSING, None
                if line_id in self.approved:
                    reason, day = APPROVED_IN_REVIEW, now.work_date
                slots[target].corrections.append(
                    _Correction(
                        now,
                        reason,
                        self.explain(
                            reason, line_id, now.voucher_id, period, now.amount, ZERO, day
                        ),
                    )
                )
            else:
                reversal = self.reversal(owner, line_id, role, period, billed, now, CHANGED)
                if reversal:
                    slots[target].corrections.append(reversal)
                reason, day = CHANGED, None
                if line_id in self.approved:
                    reason, day = APPROVED_IN_REVIEW, now.work_date
                slots[target].corrections.append(
                    _Correction(
                        now,
                        reason,
                        self.explain(
                            reason, line_id, now.voucher_id, period, now.amount, billed_amount, day
                        ),
                    )
                )
        for owner, c in self.review:
            own = _owner_key(owner, c.line.task.period)
            if self.rebuildable(own):
                slots[own].review.append(c)
        return slots, deferred

    def explain(
        self,
        reason: str,
        line_id: str,
        voucher_id: str | None,
        period: Period,
        now: Decimal,
        billed: Decimal,
        work_date: date | None = None,
    ) -> str:
        """The correction's explanation in Finnish, naming the task, with its reason code.

        Work approved in review also names its original work date.
        """
        day = f", työpäivä {_date_fi(work_date)}" if work_date else ""
        return (
            f"{_CORRECTION_WORD[reason]}: {_subject(line_id, voucher_id)} ({month_fi(period)}"
            f"{day}) {_CORRECTION_WHAT[reason]} (laskutettu {format_eur(billed)}, nyt "
            f"{format_eur(now)}; syykoodi {reason})"
        )

    def reversal(
        self,
        owner: str,
        line_id: str,
        role: str,
        period: Period,
        billed: list[BilledLine],
        now: _Value | None,
        reason: str,
    ) -> _Correction | None:
        """A row taking back what stands billed for this line in this role."""
        qty = -sum((b.quantity for b in billed), Decimal(0))
        amount = -sum((b.amount for b in billed), ZERO)
        if not qty and not amount:
            return None
        info = next((b for b in reversed(billed) if b.product_code and b.vat_code), None)
        voucher_id = next((b.voucher_id for b in billed if b.voucher_id), None)
        product_code = info.product_code if info else None
        vat_percent = info.vat_percent if info else None
        vat_code = info.vat_code if info else None
        if product_code is None and now is not None:
            product_code, vat_percent, vat_code = now.product_code, now.vat_percent, now.vat_code
        if product_code is None or vat_percent is None or vat_code is None:
            self.held.append(
                Quarantined(
                    "line",
                    line_id,
                    "correction_product_unknown",
                    f"a {role} correction of {format_eur(amount)} for line {line_id} ({period}) "
                    "needs the Netvisor product and VAT it was billed with, and the billed line "
                    "does not say: correct it by hand",
                    (_task_id(line_id),),
                )
            )
            return None
        if role == VOUCHER_DEDUCTION:
            name = VOUCHER_DEDUCTION_NAME
        else:
            product = self.inp.mappings.product_by_netvisor_code(product_code)
            name = product.name if product else product_code
        unit_price = info.unit_price if info and info.unit_price is not None else None
        if unit_price is None or line_amount(qty, unit_price) != amount:
            qty, unit_price = priced(qty, amount)
        # the client as the billed line named it: the STORED number, never today's mapping
        psop = next((b.psop_customer_number for b in billed if b.psop_customer_number), None)
        if psop is None and now is not None:
            psop = now.psop_customer_number
        if psop is None and owner.startswith(ORGANISER_OWNER + ":"):
            self.held.append(
                Quarantined(
                    "line",
                    line_id,
                    "correction_client_unknown",
                    f"a {role} correction of {format_eur(amount)} for line {line_id} ({period}) "
                    "must name the client's PSOP customer number, and the billed line does not "
                    "store it: correct it by hand",
                    (_task_id(line_id),),
                )
            )
            return None
        value = _Value(
            owner=owner,
            line_id=line_id,
            role=role,
            period=period,
            voucher_id=voucher_id,
            quantity=qty,
            unit_price=unit_price,
            amount=amount,
            product_code=product_code,
            name=name,
            unit="",
            vat_percent=vat_percent,
            vat_code=vat_code,
            task_id=_task_id(line_id),
            psop_customer_number=psop,
        )
        return _Correction(
            value,
            reason,
            self.explain(reason, line_id, voucher_id, period, now.amount if now else ZERO, -amount),
        )

    # ------------------------------------------------------------ rendering

    def document(self, key: str, slot: _Slot) -> InvoiceDocument | None:
        period = document_period(key)
        owner = document_owner(key)
        prefix, _, code = owner.partition(":")
        if prefix == CUSTOMER_OWNER:
            lines, billed = self.customer_lines(key, slot)
            kind = DocumentKind.CUSTOMER_INVOICE
            customer = self.owner_customer.get(owner) or self.customer_by_code(code)
            override = self.inp.mappings.customer_override(customer) if customer else None
            term = (
                override.payment_term_days
                if override and override.payment_term_days is not None
                else self.rules.payment_term_days
            )
            before = f"Laskutuskausi {period}"
            customer_id = customer.id if customer else None
        else:
            lines, billed = self.organiser_lines(key, slot)
            kind = DocumentKind.ORGANISER
            region = self.inp.mappings.regions.get(code)
            before = f"Palvelusetelien osuudet, alue {code}, kausi {period}"
            code = region.organiser_customer_code if region else code
            term = self.rules.payment_term_days
            customer_id = None
        if not any(isinstance(line, DocumentLine) for line in lines):
            return None
        when = invoice_date(period, self.rules)
        return InvoiceDocument(
            key=key,
            kind=kind,
            period=period,
            customer_code=code,
            billing_customer_id=customer_id,
            invoice_date=when,
            payment_term_days=term,
            lines=lines,
            billed=billed,
            free_text_before=before,
            free_text_after=None,
        )

    def customer_by_code(self, code: str) -> BillingCustomer | None:
        for customer in self.inp.customers.values():
            if self.inp.mappings.netvisor_customer_code(customer) == code:
                return customer
        return None

    def billed_line(self, key: str, value: _Value, role: str | None = None) -> BilledLine:
        return BilledLine(
            document_key=key,
            line_id=value.line_id,
            role=role or value.role,
            period=value.period,
            voucher_id=value.voucher_id,
            quantity=value.quantity,
            amount=value.amount,
            product_code=value.product_code,
            unit_price=value.unit_price,
            vat_percent=value.vat_percent,
            vat_code=value.vat_code,
            psop_customer_number=value.psop_customer_number,
        )

    def correction_lines(
        self, key: str, slot: _Slot, organiser: bool
    ) -> tuple[list[DocumentLine | CommentLine], list[BilledLine]]:
        lines: list[DocumentLine | CommentLine] = []
        billed: list[BilledLine] = []
        if not slot.corrections:
            return lines, billed
        lines.append(CommentLine("Oikaisut aiemmin laskutettuun (hyvitykset ja lisäykset):"))
        order = sorted(
            slot.corrections,
            key=lambda c: (c.value.period, c.value.line_id, c.value.role, c.value.amount),
        )
        for c in order:
            v = c.value
            head = f"{_CORRECTION_WORD[c.reason]} {month_fi(v.period)}"
            if organiser:
                name = f"{head}: asiakasnumero {v.psop_customer_number}, seteli {v.voucher_id}"
            else:
                name = f"{head}: {v.name}"
            lines.append(
                DocumentLine(
                    product_code=v.product_code,
                    name=name,
                    quantity=v.quantity,
                    unit_price=v.unit_price,
                    vat_percent=v.vat_percent,
                    vat_code=v.vat_code,
                    amount=v.amount,
                    role=CORRECTION,
                    source_line_id=v.line_id,
                    voucher_id=v.voucher_id,
                    reason_code=c.reason,
                    explanation=c.explanation,
                    free_text=c.explanation,
                )
            )
            billed.append(self.billed_line(key, v, CORRECTION_PREFIX + v.role))
        return lines, billed

    def customer_lines(
        self, key: str, slot: _Slot
    ) -> tuple[tuple[DocumentLine | CommentLine, ...], tuple[BilledLine, ...]]:
        lines: list[DocumentLine | CommentLine] = []
        billed: list[BilledLine] = []
        by_target: dict[str, list[_Value]] = defaultdict(list)
        for value in slot.values:
            by_target[value.target_id or ""].append(value)
        review: dict[str, list[Coverage]] = defaultdict(list)
        for c in slot.review:
            review[c.line.task.target_id].append(c)
            by_target.setdefault(c.line.task.target_id, [])
        for target_id in sorted(by_target):
            values = sorted(
                by_target[target_id], key=lambda v: (v.work_date or date.min, v.line_id, v.role)
            )
            target = self.inp.targets.get(target_id)
            lines.append(CommentLine(f"Kohde: {target.name if target else target_id}"))
            works = [v for v in values if v.role == WORK]
            for v in works:
                lines.append(
                    DocumentLine(
                        product_code=v.product_code,
                        name=v.name,
                        quantity=v.quantity,
                        unit_price=v.unit_price,
                        vat_percent=v.vat_percent,
                        vat_code=v.vat_code,
                        amount=v.amount,
                        role=WORK,
                        source_line_id=v.line_id,
                        voucher_id=v.voucher_id,
                        free_text=f"{v.work_date:%d.%m.%Y} tehtävä {v.task_id}"
                        if v.work_date
                        else None,
                    )
                )
            deductions: dict[tuple[str, str, Decimal, str], list[_Value]] = defaultdict(list)
            for v in values:
                if v.role == VOUCHER_DEDUCTION:
                    deductions[
                        (v.voucher_id or "", v.product_code, v.vat_percent, v.vat_code)
                    ].append(v)
            for (voucher_id, product_code, vat_percent, vat_code), group in sorted(
                deductions.items()
            ):
                lines.extend(
                    _deduction_lines(voucher_id, product_code, vat_percent, vat_code, group)
                )
            lines.extend(self.self_pay_specification(works, review.get(target_id, [])))
            billed.extend(self.billed_line(key, v) for v in values)
        more_lines, more_billed = self.correction_lines(key, slot, organiser=False)
        return tuple(lines + more_lines), tuple(billed + more_billed)

    def self_pay_specification(
        self, works: list[_Value], review: list[Coverage]
    ) -> list[CommentLine]:
        """Omavastuuerittely, in gross euros (what the client pays), from ``Coverage`` alone.

        Per service and voucher: quantity, price, voucher share and self-pay for the units the
        voucher covers; units above the grant on their own row, "yli myönnetyn määrän" when
        billed to the client, "tarkastettavana" when held for the organiser's review.
        """
        groups: dict[tuple[str, str, Decimal], list[Coverage]] = defaultdict(list)
        for v in works:
            if v.voucher_id and v.coverage is not None:
                groups[(v.voucher_id, v.name, v.unit_price)].append(v.coverage)
        for c in review:
            assert c.voucher is not None
            groups[(c.voucher.id, c.line.product.name, c.line.unit_price)].append(c)
        if not groups:
            return []
        out = [
            CommentLine(
                "Omavastuuerittely, sis. alv (palvelu, seteli, määrä, hinta, setelin osuus, "
                "omavastuu):"
            )
        ]
        for (voucher_id, name, price), group in sorted(groups.items()):
            unit = group[0].line.product.unit
            vat = group[0].vat_percent
            shown = format_eur(gross_price(price, vat))
            over_qty = sum((c.over_grant_quantity for c in group), Decimal(0))
            over = sum((c.over_grant_amount for c in group), ZERO)
            held_qty = sum((c.held_quantity for c in group), Decimal(0))
            held = sum((c.held_amount for c in group), ZERO)
            qty = sum((c.billed_quantity for c in group), Decimal(0)) - over_qty
            share = sum((c.share for c in group), ZERO)
            self_pay = sum((c.self_pay for c in group), ZERO) - over
            amount = share + self_pay
            if qty:
                out.append(
                    CommentLine(
                        f"{name}, seteli {voucher_id}: {format_comma(qty, None)} {unit} x "
                        f"{shown} = {format_eur(amount)}, setelin osuus "
                        f"{format_eur(share)}, omavastuu {format_eur(self_pay)}"
                    )
                )
            if over_qty:
                out.append(
                    CommentLine(
                        f"{name}, seteli {voucher_id}, yli myönnetyn määrän: "
                        f"{format_comma(over_qty, None)} {unit} x {shown} = {format_eur(over)}, "
                        f"asiakas maksaa {format_eur(over)}"
                    )
                )
            if held_qty:
                out.append(
                    CommentLine(
                        f"{name}, seteli {voucher_id}, tarkastettavana: "
                        f"{format_comma(held_qty, None)} {unit} x {shown} = {format_eur(held)} "
                        "(ei laskuteta ennen palvelunjärjestäjän päätöstä)"
                    )
                )
        return out

    def organiser_lines(
        self, key: str, slot: _Slot
    ) -> tuple[tuple[DocumentLine | CommentLine, ...], tuple[BilledLine, ...]]:
        # clients are identified ONLY by PSOP customer number and voucher id: never a name
        lines: list[DocumentLine | CommentLine] = []
        billed: list[BilledLine] = []
        order = sorted(
            slot.values,
            key=lambda v: (
                v.psop_customer_number or "",
                v.voucher_id or "",
                v.work_date or date.min,
                v.line_id,
            ),
        )
        for v in order:
            when = f" {v.work_date:%d.%m.%Y}" if v.work_date else ""
            lines.append(
                DocumentLine(
                    product_code=v.product_code,
                    name=f"Asiakasnumero {v.psop_customer_number}, seteli {v.voucher_id}: {v.name}{when}",
                    quantity=v.quantity,
                    unit_price=v.unit_price,
                    vat_percent=v.vat_percent,
                    vat_code=v.vat_code,
                    amount=v.amount,
                    role=v.role,
                    source_line_id=v.line_id,
                    voucher_id=v.voucher_id,
                )
            )
            billed.append(self.billed_line(key, v))
        more_lines, more_billed = self.correction_lines(key, slot, organiser=True)
        return tuple(lines + more_lines), tuple(billed + more_billed)


def bill(inp: BillingInput, *, today: date) -> BillingResult:
    """Build the desired documents of ``inp.periods`` (customer invoices, organiser documents,
    corrections). Amounts are euros; pure: the same input gives the same documents and hashes."""
    run = _Run(inp, today)
    values = run.values()
    slots, deferred = run.place(values)
    documents = []
    for key in sorted(slots):
        document = run.document(key, slots[key])
        if document is not None:
            documents.append(document)
    produced = {d.key for d in documents}
    withdrawn = sorted(
        {line.document_key for line in inp.history if run.rebuildable(line.document_key)} - produced
    )
    return BillingResult(
        documents=tuple(documents),
        quarantined=tuple(run.quarantined),
        held=tuple(run.held),
        withdrawn=tuple(withdrawn),
        deferred=tuple(deferred),
        events=tuple(run.events),
    )
