"""VAT arithmetic for vouchers: a voucher's value is what the organiser pays, VAT included.

Netvisor computes a line's VAT from its rounded net sum (``round(net x rate)``, half up), so the
gross of a line is ``net + round(net x rate)``. Not every gross amount is reachable that way
(at 25,5 % about one in five cent values is skipped): ``net_for_gross`` then returns the nearest
net below and a remainder of one cent, billed as its own line whose VAT rounds to zero, so the
gross of the lines is exactly the voucher's value.
"""

from __future__ import annotations

from decimal import Decimal

from connector.core.money import CENT, ZERO, round_money

HUNDRED = Decimal(100)


def gross_of(net: Decimal, vat_percent: Decimal) -> Decimal:
    """The gross euros of a line whose rounded net sum is ``net`` (as Netvisor computes it)."""
    return net + round_money(net * vat_percent / HUNDRED)


def gross_price(unit_price: Decimal, vat_percent: Decimal) -> Decimal:
    """A net unit price with VAT on top, unrounded (euros per unit)."""
    return unit_price * (HUNDRED + vat_percent) / HUNDRED


def net_for_gross(gross: Decimal, vat_percent: Decimal) -> tuple[Decimal, Decimal]:
    """(net, remainder): ``gross_of(net) + remainder == gross`` exactly, remainder 0 or +-1 cent.

    The remainder is a net amount whose own VAT rounds to zero (a one-cent line), so billing
    ``net`` and ``remainder`` as two lines totals ``gross`` including VAT.
    """
    gross = round_money(gross)
    if not vat_percent:
        return gross, ZERO
    sign = Decimal(-1) if gross < 0 else Decimal(1)
    target = abs(gross)
    guess = round_money(target * HUNDRED / (HUNDRED + vat_percent))
    below = ZERO
    for step in range(-3, 4):
        net = guess + CENT * step
        if net < 0:
            continue
        got = gross_of(net, vat_percent)
        if got == target:
            return sign * net, ZERO
        if got < target:
            below = max(below, net)
    remainder = target - gross_of(below, vat_percent)
    if gross_of(remainder, vat_percent) != remainder:  # only for absurd VAT rates
        raise ValueError(f"cannot bill {gross} gross at {vat_percent} % VAT exactly")
    return sign * below, sign * remainder
