"""Money: Decimal end to end, rounded half up to cents per line. The one money formatter."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_money(amount: Decimal) -> Decimal:
    """Round euros half up to 2 decimals (0.005 -> 0.01, -0.005 -> -0.01)."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, got {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's sum in euros: quantity x unit price, rounded half up to cents."""
    return round_money(quantity * unit_price)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """A document total: the sum of its already-rounded line amounts."""
    return round_money(sum(amounts, ZERO))


def to_decimal(text: str | int | Decimal) -> Decimal:
    """Parse a decimal from ``"12.50"``, ``"12,50"``, an int or a Decimal (never a float)."""
    if isinstance(text, Decimal):
        return text
    if isinstance(text, (bool, float)):
        raise TypeError("refusing a float/bool as money; pass a decimal string")
    if isinstance(text, int):
        return Decimal(text)
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite decimal number: {text!r}")
    return value


def format_comma(amount: Decimal, places: int | None = 2) -> str:
    """Netvisor's decimal form: comma separator, no thousands separator (``1234,50``).

    ``places=None`` keeps the value's own exponent (quantities such as ``1,5``).
    """
    if places is not None:
        amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(amount, "f")
    if text.startswith("-") and amount == 0:
        text = text[1:]
    return text.replace(".", ",")


def format_eur(amount: Decimal) -> str:
    """For people: ``1 234,50 €``."""
    rounded = round_money(amount)
    sign = "-" if rounded < 0 else ""  # sign of the rounded value: never "-0,00 €"
    whole, _, cents = format(abs(rounded), "f").partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups) or '0'},{cents} €"
