"""Mapping records: what the mapping files say, validated by pydantic.

Two layers: the ``*Entry`` models describe one entry of a file exactly as written (they also give
the JSON Schemas for editors); ``Region``, ``TargetMapping``, ``Voucher``, ``ProductMapping`` and
``CustomerOverride`` are the resolved records the billing engine reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.core.business_id import business_id
from connector.core.reasons import reason as worded

if TYPE_CHECKING:
    from connector.core.domain import BillingCustomer

VoucherKind = Literal["voucher", "balance", "capitation"]
NonEmpty = Field(min_length=1)


class _Record(BaseModel):
    # defer_build: a model's validator is built when first used, not at import (`connector
    # check` never uses the whole-file models, which only give the JSON Schemas)
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, defer_build=True
    )


# DDMMYY, century sign, individual number, check character: the shape of a henkilötunnus
_HETU_SHAPE = re.compile(r"^\d{6}[-+A-FYXWVU]\d{3}[0-9A-Y]$", re.IGNORECASE)


def looks_like_identity_code(value: str) -> bool:
    """Whether ``value`` is (or is shaped like) a Finnish personal identity code."""
    # The shape is wider than a valid code (any digits, any check character): every code that
    # python-stdnum's ``hetu.is_valid`` accepts matches it (a test holds it so), and a mistyped
    # one is refused too.
    return bool(_HETU_SHAPE.match(value.strip()))


def _check_psop_number(value: str) -> str:
    if looks_like_identity_code(value):
        raise ValueError(worded("mapping_psop_number_hetu"))
    return value


def _check_business_id(value: str | None) -> str | None:
    if value is None:
        return None
    written = business_id(value)
    if written is None:
        raise ValueError(worded("mapping_business_id", value=repr(value)))
    return written


class Voucher(_Record):
    """A PSOP purchasing power (ostovoima) granted to one target.

    ``unit_value`` (voucher: euros per unit), ``balance`` (balance: euros in total) or
    ``monthly_fee`` (capitation: euros per month) — exactly the one its kind needs.
    A ``voucher`` grants its count (setelien määrä) in exactly one way: ``quantity_per_period``
    (units per calendar month of the work date) or ``quantity_total`` (units over the whole
    validity, used up in work-date order across months). Two vouchers of one PSOP product valid
    in the same month share that month's quota (the larger one) unless ``stack`` is true.
    """

    id: str = NonEmpty
    kind: VoucherKind
    psop_product: str = NonEmpty
    unit_value: Decimal | None = Field(default=None, ge=0)
    balance: Decimal | None = Field(default=None, ge=0)
    monthly_fee: Decimal | None = Field(default=None, ge=0)
    quantity_per_period: Decimal | None = Field(default=None, ge=0)
    quantity_total: Decimal | None = Field(default=None, ge=0)
    stack: bool = False  # True: this voucher's monthly quota adds to another's in the same month
    valid_from: date
    valid_to: date | None = None  # inclusive; None = open-ended

    @model_validator(mode="after")
    def _amount_matches_kind(self) -> Voucher:
        needed = {"voucher": "unit_value", "balance": "balance", "capitation": "monthly_fee"}
        own = needed[self.kind]
        if getattr(self, own) is None:
            raise ValueError(worded("mapping_voucher_needs", voucher_kind=repr(self.kind), own=own))
        for other in set(needed.values()) - {own}:
            if getattr(self, other) is not None:
                raise ValueError(
                    worded(
                        "mapping_voucher_takes", voucher_kind=repr(self.kind), own=own, other=other
                    )
                )
        counts = [
            k for k in ("quantity_per_period", "quantity_total") if getattr(self, k) is not None
        ]
        if self.kind == "voucher" and len(counts) != 1:
            raise ValueError(
                worded("mapping_voucher_count_both" if counts else "mapping_voucher_count_neither")
            )
        if self.kind != "voucher" and counts:
            raise ValueError(
                worded(
                    "mapping_voucher_no_count", voucher_kind=repr(self.kind), count_key=counts[0]
                )
            )
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(worded("mapping_valid_to"))
        return self

    def valid_on(self, day: date) -> bool:
        """Whether the voucher covers work done on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, other: Voucher) -> bool:
        """Whether the two validity periods share at least one day."""
        end_a = self.valid_to or date.max
        end_b = other.valid_to or date.max
        return self.valid_from <= end_b and other.valid_from <= end_a


class RegionEntry(_Record):
    """One ``[[region]]`` of regions.toml: a PSOP region (one organiser's area)."""

    code: str = NonEmpty
    organiser_name: str = NonEmpty
    organiser_business_id: str
    # the organiser's Netvisor customer code (no comma: look-ups take comma-separated lists)
    organiser_customer_code: str = Field(min_length=1, pattern=r"^[^,]+$")
    organiser_document: bool = True  # produce the organiser's voucher-share document
    voucher_deduction_product: str = NonEmpty  # Netvisor product code of the deduction line
    # the organiser's settlement day (tilityspäivä, 4th-8th of the next month); None = config's
    settlement_day: int | None = Field(default=None, ge=4, le=8)
    # PSOP product (palvelusisältö) -> own Spotilla product code(s); linked once per region
    product_links: dict[str, str | list[str]] = Field(default_factory=dict)

    _business_id = field_validator("organiser_business_id")(_check_business_id)


class Region(_Record):
    """A configured PSOP region, product links resolved to tuples."""

    code: str
    organiser_name: str
    organiser_business_id: str
    organiser_customer_code: str
    organiser_document: bool
    voucher_deduction_product: str
    product_links: dict[str, str | tuple[str, ...]]
    settlement_day: int | None = None  # None: the config's default settlement day

    def linked_codes(self, psop_product: str) -> tuple[str, ...]:
        """Own (Spotilla) product codes linked to ``psop_product`` in this region."""
        linked = self.product_links.get(psop_product, ())
        return (linked,) if isinstance(linked, str) else tuple(linked)

    def psop_product_of(self, spotilla_code: str) -> str | None:
        """The PSOP product an own product is linked to in this region, if any."""
        for psop, _ in self.product_links.items():
            if spotilla_code in self.linked_codes(psop):
                return psop
        return None


class VatClass(_Record):
    """A VAT rate and its Netvisor VAT code, defined once in products.toml ``[vat.<name>]``."""

    percent: Decimal = Field(ge=0, le=100)
    code: str = NonEmpty


class ProductEntry(_Record):
    """One ``[[product]]`` of products.toml. VAT by class name (``vat``) or given explicitly."""

    spotilla_code: str = NonEmpty
    netvisor_code: str = NonEmpty
    name: str = NonEmpty
    unit: str = NonEmpty
    vat: str | None = None
    vat_percent: Decimal | None = Field(default=None, ge=0, le=100)
    vat_code: str | None = None


class ProductMapping(_Record):
    """Spotilla product code -> Netvisor product, with VAT % and Netvisor VAT code."""

    spotilla_code: str
    netvisor_code: str
    name: str
    unit: str
    vat_percent: Decimal
    vat_code: str


class TargetEntry(_Record):
    """One ``[[target]]`` of targets.toml (or a row of targets.csv)."""

    folder_id: str = NonEmpty  # the Spotilla leaf folder id
    name: str = ""  # for humans reading the file; never sent to the organiser
    region: str = NonEmpty
    psop_customer_number: str = NonEmpty
    # the customership ends on this day (inclusive) whatever its vouchers say; None = open
    customership_to: date | None = None
    # written as [[target.voucher]] in targets.toml
    vouchers: list[Voucher] = Field(default_factory=list, alias="voucher")

    model_config = ConfigDict(populate_by_name=True)

    _psop_number = field_validator("psop_customer_number")(_check_psop_number)


class TargetMapping(_Record):
    """A target (leaf folder) that is a PSOP client: its region, customer number and vouchers."""

    folder_id: str
    name: str
    region: str
    psop_customer_number: str
    vouchers: tuple[Voucher, ...] = ()
    customership_to: date | None = None  # inclusive; None = the customership has no end date

    def in_customership(self, day: date) -> bool:
        """Whether ``day`` is inside the client's customership with the provider."""
        return self.customership_to is None or day <= self.customership_to


class CustomerOverride(_Record):
    """Overrides for one billing customer, matched by Spotilla id or Y-tunnus."""

    spotilla_id: str | None = None
    business_id: str | None = None
    # no comma: Netvisor's customer look-up takes a comma-separated list of codes
    netvisor_customer_code: str | None = Field(default=None, min_length=1, pattern=r"^[^,]+$")
    payment_term_days: int | None = Field(default=None, ge=0, le=365)
    einvoice_address: str | None = None
    einvoice_operator: str | None = None

    _business_id = field_validator("business_id")(_check_business_id)

    @model_validator(mode="after")
    def _has_a_key(self) -> CustomerOverride:
        if self.spotilla_id is None and self.business_id is None:
            raise ValueError(worded("mapping_override_key"))
        return self


class RegionsFile(_Record):
    """regions.toml"""

    region: list[RegionEntry] = Field(default_factory=list)


class ProductsFile(_Record):
    """products.toml"""

    vat: dict[str, VatClass] = Field(default_factory=dict)
    product: list[ProductEntry] = Field(default_factory=list)


class TargetsFile(_Record):
    """targets.toml (vouchers as ``[[target.voucher]]``)"""

    target: list[TargetEntry] = Field(default_factory=list)


class CustomersFile(_Record):
    """customers.toml"""

    customer: list[CustomerOverride] = Field(default_factory=list)


class VoucherRow(Voucher):
    """One row of vouchers.csv: a voucher and the target (leaf folder id) it belongs to."""

    target: str = NonEmpty


@dataclass(frozen=True)
class CustomerOverrides:
    """Customer overrides, by Spotilla customer id and by Y-tunnus (id wins)."""

    by_id: Mapping[str, CustomerOverride] = field(default_factory=dict)
    by_business_id: Mapping[str, CustomerOverride] = field(default_factory=dict)

    def find(self, customer: BillingCustomer) -> CustomerOverride | None:
        """The override for ``customer``, if the file has one."""
        found = self.by_id.get(customer.id)
        if found is None and customer.business_id:
            found = self.by_business_id.get(customer.business_id)
        return found


@dataclass(frozen=True)
class Mappings:
    """Everything the mapping folder says, validated and cross-checked."""

    regions: Mapping[str, Region] = field(default_factory=dict)
    targets: Mapping[str, TargetMapping] = field(default_factory=dict)  # by leaf folder id
    products: Mapping[str, ProductMapping] = field(default_factory=dict)  # by Spotilla code
    customers: CustomerOverrides = field(default_factory=CustomerOverrides)

    def customer_override(self, customer: BillingCustomer) -> CustomerOverride | None:
        """Payment term / e-invoice / code overrides for ``customer``, if any."""
        return self.customers.find(customer)

    def netvisor_customer_code(self, customer: BillingCustomer) -> str:
        """The customer's Netvisor customer code: the override's, else ``SP-<spotilla id>``."""
        override = self.customer_override(customer)
        if override is not None and override.netvisor_customer_code:
            return override.netvisor_customer_code
        return f"SP-{customer.id}"

    def region_of(self, target: TargetMapping) -> Region | None:
        return self.regions.get(target.region)

    def product_by_netvisor_code(self, netvisor_code: str) -> ProductMapping | None:
        """The first product mapped to ``netvisor_code`` (several Spotilla codes may share one)."""
        for product in self.products.values():
            if product.netvisor_code == netvisor_code:
                return product
        return None
