"""Document lines: a built document's work, correction, voucher-deduction and voucher-share
lines, and the client's self-pay specification (self-pay itself comes from ``Coverage.self_pay``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from connector.billing.documents import (
    CORRECTION,
    CORRECTION_PREFIX,
    VOUCHER_DEDUCTION,
    WORK,
    BilledLine,
    CommentLine,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    document_owner,
    document_period,
    priced,
)
from connector.billing.periods import (
    invoice_date,
)
from connector.billing.texts import CORRECTION_WORD, VOUCHER_DEDUCTION_NAME, month_fi
from connector.billing.values import CUSTOMER_OWNER, ROUNDING_SUFFIX, LineValue, Slot
from connector.billing.vat import gross_of, gross_price
from connector.billing.vouchers import Coverage
from connector.core.domain import BillingCustomer
from connector.core.money import ZERO, format_comma, format_eur, line_amount


def value_line(
    v: LineValue,
    name: str,
    role: str,
    *,
    reason_code: str | None = None,
    explanation: str | None = None,
    free_text: str | None = None,
) -> DocumentLine:
    """The document line that bills value `v` as it is (product, quantity, price, VAT, amount),
    under `name` in `role`."""
    return DocumentLine(
        product_code=v.product_code,
        name=name,
        quantity=v.quantity,
        unit_price=v.unit_price,
        vat_percent=v.vat_percent,
        vat_code=v.vat_code,
        amount=v.amount,
        role=role,
        source_line_id=v.line_id,
        voucher_id=v.voucher_id,
        reason_code=reason_code,
        explanation=explanation,
        free_text=free_text,
    )


def deduction_lines(
    voucher_id: str, product_code: str, vat_percent: Decimal, vat_code: str, group: list[LineValue]
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

    def merged(values: list[LineValue]) -> DocumentLine:
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


class DocumentWriter:
    """The document-writing half of a billing run (mixed into the engine's run)."""

    def document(self, key: str, slot: Slot) -> InvoiceDocument | None:
        period = document_period(key)
        owner = document_owner(key)
        prefix, _, code = owner.partition(":")
        self_pay = ZERO
        if prefix == CUSTOMER_OWNER:
            lines, billed = self.customer_lines(key, slot)
            self_pay = self.specified_self_pay(slot)
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
            self_pay=self_pay,
        )

    def customer_by_code(self, code: str) -> BillingCustomer | None:
        for customer in self.inp.customers.values():
            if self.inp.mappings.netvisor_customer_code(customer) == code:
                return customer
        return None

    def billed_line(self, key: str, value: LineValue, role: str | None = None) -> BilledLine:
        return BilledLine(
            key,
            value.line_id,
            role or value.role,
            value.period,
            value.voucher_id,
            value.quantity,
            value.amount,
            value.product_code,
            value.unit_price,
            value.vat_percent,
            value.vat_code,
            value.psop_customer_number,
        )

    def correction_lines(
        self, key: str, slot: Slot, organiser: bool
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
            head = f"{CORRECTION_WORD[c.reason]} {month_fi(v.period)}"
            if organiser:
                name = f"{head}: asiakasnumero {v.psop_customer_number}, seteli {v.voucher_id}"
            else:
                name = f"{head}: {v.name}"
            lines.append(
                value_line(
                    v,
                    name,
                    CORRECTION,
                    reason_code=c.reason,
                    explanation=c.explanation,
                    free_text=c.explanation,
                )
            )
            billed.append(self.billed_line(key, v, CORRECTION_PREFIX + v.role))
        return lines, billed

    def customer_lines(
        self, key: str, slot: Slot
    ) -> tuple[tuple[DocumentLine | CommentLine, ...], tuple[BilledLine, ...]]:
        lines: list[DocumentLine | CommentLine] = []
        billed: list[BilledLine] = []
        by_target: dict[str, list[LineValue]] = defaultdict(list)
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
                when = f"{v.work_date:%d.%m.%Y} tehtävä {v.task_id}" if v.work_date else None
                lines.append(value_line(v, v.name, WORK, free_text=when))
            deductions: dict[tuple[str, str, Decimal, str], list[LineValue]] = defaultdict(list)
            for v in values:
                if v.role == VOUCHER_DEDUCTION:
                    deductions[
                        (v.voucher_id or "", v.product_code, v.vat_percent, v.vat_code)
                    ].append(v)
            for (voucher_id, product_code, vat_percent, vat_code), group in sorted(
                deductions.items()
            ):
                lines.extend(
                    deduction_lines(voucher_id, product_code, vat_percent, vat_code, group)
                )
            lines.extend(self.self_pay_specification(works, review.get(target_id, [])))
            billed.extend(self.billed_line(key, v) for v in values)
        more_lines, more_billed = self.correction_lines(key, slot, organiser=False)
        return tuple(lines + more_lines), tuple(billed + more_billed)

    @staticmethod
    def _specification_groups(
        works: list[LineValue], review: list[Coverage]
    ) -> dict[tuple[str, str, Decimal], list[Coverage]]:
        """The specification's rows: voucher-covered work by voucher, service and price."""
        groups: dict[tuple[str, str, Decimal], list[Coverage]] = defaultdict(list)
        for v in works:
            if v.voucher_id and v.coverage is not None:
                groups[(v.voucher_id, v.name, v.unit_price)].append(v.coverage)
        for c in review:
            assert c.voucher is not None
            groups[(c.voucher.id, c.line.product.name, c.line.unit_price)].append(c)
        return groups

    @staticmethod
    def _group_self_pay(group: list[Coverage]) -> Decimal:
        """Self-pay of a specification row: the covered units' remainder after the voucher's
        share; units above the grant billed to the client are not self-pay (their own row)."""
        over = sum((c.over_grant_amount for c in group), ZERO)
        return sum((c.self_pay for c in group), ZERO) - over

    def specified_self_pay(self, slot: Slot) -> Decimal:
        """The client invoice's self-pay: the sum of its specification's omavastuu figures."""
        works = [v for v in slot.values if v.role == WORK]
        groups = self._specification_groups(works, slot.review)
        return sum((self._group_self_pay(g) for g in groups.values()), ZERO)

    def self_pay_specification(
        self, works: list[LineValue], review: list[Coverage]
    ) -> list[CommentLine]:
        """Omavastuuerittely, in gross euros (what the client pays), from ``Coverage`` alone.

        Per service and voucher: quantity, price, voucher share and self-pay for the units the
        voucher covers; units above the grant on their own row, "yli myönnetyn määrän" when
        billed to the client, "tarkastettavana" when held for the organiser's review.
        """
        groups = self._specification_groups(works, review)
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
            self_pay = self._group_self_pay(group)
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
        self, key: str, slot: Slot
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
            name = f"Asiakasnumero {v.psop_customer_number}, seteli {v.voucher_id}: {v.name}{when}"
            lines.append(value_line(v, name, v.role))
            billed.append(self.billed_line(key, v))
        more_lines, more_billed = self.correction_lines(key, slot, organiser=True)
        return tuple(lines + more_lines), tuple(billed + more_billed)
