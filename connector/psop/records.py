"""The values the PSOP file interchange passes around, independent of the sync internals.

Clients are named only by their PSOP customer number (the provider's own number for a client);
no name, identity code or address ever appears in these records, in the files made from them or
in the ledger rows they become. Money is Decimal euros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class PsopState(StrEnum):
    """The states of a PSOP event (tapahtuma), in the order an event passes them."""

    KIRJATTU = "Kirjattu"  # recorded by the provider, still editable
    TARKASTETTAVANA = "Tarkastettavana"  # waiting for the organiser's review
    HYVAKSYTTY = "Hyväksytty"  # approved by the organiser
    HYLATTY = "Hylätty"  # rejected by the organiser
    TILITETTY = "Tilitetty"  # settled on the organiser's settlement day
    MAKSETTU = "Maksettu"  # paid to the provider

    @classmethod
    def parse(cls, text: str) -> PsopState | None:
        """The state named by ``text`` (case and surrounding spaces ignored), else None."""
        wanted = text.strip().casefold()
        return next((s for s in cls if s.value.casefold() == wanted), None)

    @property
    def approves(self) -> bool:
        """Whether the organiser has accepted the event (approved, settled or paid)."""
        return self in (PsopState.HYVAKSYTTY, PsopState.TILITETTY, PsopState.MAKSETTU)


@dataclass(frozen=True)
class EventRow:
    """One voucher event as PSOP asks a provider to record it (one row of the export).

    ``unit_price`` is the price per unit with VAT; ``voucher_share`` is what the organiser pays
    (VAT included); ``self_pay`` what the client pays. All euros.
    """

    work_date: date
    psop_customer_number: str
    voucher_id: str
    psop_product: str
    quantity: Decimal
    unit_price: Decimal
    voucher_share: Decimal
    self_pay: Decimal


#: (PSOP customer number, voucher id, work date, PSOP product, quantity): how a report row and a
#: billed line are paired. Quantities compare as numbers (``2`` == ``2,00``).
MatchKey = tuple[str, str, date, str, Decimal]


class _Matched:
    """A record paired with others by its :data:`MatchKey`."""

    psop_customer_number: str
    voucher_id: str
    work_date: date
    psop_product: str
    quantity: Decimal

    @property
    def match_key(self) -> MatchKey:
        return (
            self.psop_customer_number,
            self.voucher_id,
            self.work_date,
            self.psop_product,
            self.quantity,
        )


@dataclass(frozen=True)
class ReportRow(_Matched):
    """One row of PSOP's event/settlement report as a person downloaded it.

    ``row`` is the row's number in the file (1-based, the header counts); ``amount`` is the
    row's sum, what PSOP pays for the event, in euros.
    """

    row: int
    work_date: date
    psop_customer_number: str
    voucher_id: str
    psop_product: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    state: PsopState


@dataclass(frozen=True)
class BilledOrganiserLine(_Matched):
    """A line billed to an organiser: the voucher share of one task line.

    ``amount`` is the share the organiser pays for it, VAT included (PSOP's figure), euros.
    """

    document_key: str
    line_id: str
    psop_customer_number: str
    voucher_id: str
    work_date: date
    psop_product: str
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class HeldItem(_Matched):
    """Work held for the organiser's review (over the grant, outside a voucher's validity).

    ``item_id`` is the task line's id; ``quantity`` the held units; ``voucher_share`` what the
    organiser would pay for them and ``self_pay`` what the client would pay, euros with VAT.
    """

    item_id: str
    period: str
    psop_customer_number: str
    voucher_id: str
    work_date: date
    psop_product: str
    quantity: Decimal
    voucher_share: Decimal
    self_pay: Decimal
    reason: str
