"""Placement: a billing run's current values set against what stands billed.

Owns the half of a billing run (mixed into the engine's run, as ``pricing.Pricing`` and
``lines.DocumentWriter`` are) that decides where each line's value goes: onto its own document
while that can still be rebuilt, otherwise as correction rows on the owner's next document that
can (``place``) or deferred until one exists; the rows that take back what stands billed
(``reversal``), bill what is missing or changed (``billed_now``), their Finnish explanations with
reason codes (``explain``), and the corrections held for a person when a product or client is
not known.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from connector.billing.documents import (
    APPROVED_IN_REVIEW,
    CHANGED,
    CORRECTION_PREFIX,
    DELETED,
    MISSING,
    VOUCHER_DEDUCTION,
    BilledLine,
    base_role,
    document_owner,
    priced,
)
from connector.billing.texts import (
    CORRECTION_WHAT,
    CORRECTION_WORD,
    REASON_CODE_FI,
    VOUCHER_DEDUCTION_NAME,
    date_fi,
    month_fi,
    subject_fi,
    task_of_line,
)
from connector.billing.values import ORGANISER_OWNER, Correction, LineValue, Slot, owner_key
from connector.core.domain import Period, Quarantined
from connector.core.money import ZERO, format_eur, line_amount
from connector.core.reasons import reason as worded


class Placement:
    """The placing half of a billing run (mixed into the engine's run)."""

    def place(self, values: list[LineValue]) -> tuple[dict[str, Slot], list[BilledLine]]:
        expected: dict[tuple[str, str, str], LineValue] = {}
        for value in values:
            expected[(value.owner, value.line_id, value.role)] = value
        standing: dict[tuple[str, str, str], list[BilledLine]] = defaultdict(list)
        for line in self.history:
            if not self.rebuildable(line.document_key):
                owner = document_owner(line.document_key)
                standing[(owner, line.line_id, base_role(line.role))].append(line)
        slots: dict[str, Slot] = defaultdict(Slot)
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
            own = owner_key(owner, period)
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
                slots[target].corrections.append(
                    self.billed_now(now, MISSING, line_id, period, ZERO)
                )
            else:
                reversal = self.reversal(owner, line_id, role, period, billed, now, CHANGED)
                if reversal:
                    slots[target].corrections.append(reversal)
                slots[target].corrections.append(
                    self.billed_now(now, CHANGED, line_id, period, billed_amount)
                )
        for owner, c in self.review:
            own = owner_key(owner, c.line.task.period)
            if self.rebuildable(own):
                slots[own].review.append(c)
        return slots, deferred

    def billed_now(
        self, now: LineValue, reason: str, line_id: str, period: Period, billed: Decimal
    ) -> Correction:
        """The correction that bills `now` on the next document: `reason` (missing, changed), or
        approved in review when a person approved the line (naming its work date)."""
        day = None
        if line_id in self.approved:
            reason, day = APPROVED_IN_REVIEW, now.work_date
        return Correction(
            now,
            reason,
            self.explain(reason, line_id, now.voucher_id, period, now.amount, billed, day),
        )

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
        day = f", työpäivä {date_fi(work_date)}" if work_date else ""
        return (
            f"{CORRECTION_WORD[reason]}: {subject_fi(line_id, voucher_id)} ({month_fi(period)}"
            f"{day}) {CORRECTION_WHAT[reason]} (laskutettu {format_eur(billed)}, nyt "
            f"{format_eur(now)}; syykoodi {REASON_CODE_FI[reason]})"
        )

    def reversal(
        self,
        owner: str,
        line_id: str,
        role: str,
        period: Period,
        billed: list[BilledLine],
        now: LineValue | None,
        reason: str,
    ) -> Correction | None:
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
            self.hold_correction("correction_product_unknown", line_id, role, period, amount)
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
            self.hold_correction("correction_client_unknown", line_id, role, period, amount)
            return None
        value = LineValue(
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
            task_id=task_of_line(line_id),
            psop_customer_number=psop,
        )
        return Correction(
            value,
            reason,
            self.explain(reason, line_id, voucher_id, period, now.amount if now else ZERO, -amount),
        )

    def hold_correction(
        self, rule: str, line_id: str, role: str, period: Period, amount: Decimal
    ) -> None:
        """Hold for a person a correction of ``amount`` that cannot be made (``rule`` says what
        is not known: the product, or the client of an organiser's line); no correction row."""
        self.held.append(
            Quarantined(
                "line",
                line_id,
                rule,
                worded(rule, role=role, amount=format_eur(amount), line=line_id, period=period),
                (task_of_line(line_id),),
            )
        )
