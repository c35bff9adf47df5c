"""Domain records shared along the one-way flow source -> mapping -> billing -> plan.

These are the connector's own words for what Spotilla holds, independent of the API's JSON shape
(that lives only in ``connector.spotilla.api``). Plain frozen dataclasses: cheap, hashable,
comparable, and free of I/O. Personal data (names, addresses, e-mail) lives only in these
in-memory records on its way to Netvisor; it is never logged or written to the ledger.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


class CustomerType(StrEnum):
    COMPANY = "company"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class BillingCustomer:
    """A Spotilla Customer: the party invoicing material is compiled through."""

    id: str
    type: CustomerType
    name: str  # personal data for persons: never logged, never in the ledger
    business_id: str | None = None  # Y-tunnus "1234567-8" (companies; validated by the source)
    customer_number: str | None = None
    email: str | None = None
    phone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = "FI"  # ISO-3166 alpha-2
    einvoice_address: str | None = None
    einvoice_operator: str | None = None
    updated_at: datetime | None = None

    @property
    def is_person(self) -> bool:
        return self.type is CustomerType.PERSON


@dataclass(frozen=True, slots=True)
class Target:
    """A target customer (kohdeasiakas): a lowest-level folder and who is billed for it."""

    folder_id: str
    name: str  # the leaf's name: its identity on the client's invoice (never in logs/ledger)
    path: tuple[str, ...]  # folder names root -> leaf, for display
    customer_id: str  # the billing customer linked to the leaf or its nearest ancestor


@dataclass(frozen=True, slots=True)
class Product:
    """An entry of Spotilla's product register (work types and travel are products too)."""

    code: str
    name: str
    unit: str | None
    price: Decimal  # euros per unit, VAT excluded
    category: str | None = None


class RowKind(StrEnum):
    PRODUCT = "product"
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class WorkRow:
    """One product row or hour row of a task: the smallest thing that is billed."""

    line_id: str  # stable task line id, e.g. "T1001:p0" / "T1001:h1"
    kind: RowKind
    product_code: str  # Spotilla product (or work-type) code
    quantity: Decimal  # units for product rows, hours for hour rows
    unit_price: Decimal | None  # euros; a row override, None = product register price
    work_date: date  # the hour row's date, else the task's completion date in Helsinki
    description: str | None = None


@dataclass(frozen=True, slots=True)
class BillableTask:
    """A completed (or approved) task of a target in a billing period, with its rows."""

    id: str
    target_id: str  # leaf folder id
    customer_id: str  # billing customer id (resolved through the folder tree)
    status: str
    completed_at: datetime  # timezone-aware
    period: Period
    rows: tuple[WorkRow, ...]
    order_number: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record a rule stopped, with the rule's name and a reason a person can act on.

    ``reason`` must not contain personal data: it names ids, codes and rules only.
    """

    kind: str  # "customer" | "collection" | "product" | "task" | "line" | "target"
    record_id: str
    rule: str  # machine name, e.g. "invalid_business_id", "orphan_leaf", "unknown_product"
    reason: str
    related: tuple[str, ...] = field(default=())  # e.g. ids of tasks that bill through it


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """A billing period: a calendar month in Europe/Helsinki."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise ValueError(f"not a valid period: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-MM``. Equal texts give one shared (immutable) object."""
        return _parse_period(cls, text)

    @classmethod
    def of(cls, moment: datetime | date) -> Period:
        """The period containing ``moment`` (an aware datetime is read in Helsinki time)."""
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                raise ValueError("naive datetime: the period of a moment needs its time zone")
            moment = moment.astimezone(HELSINKI).date()
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """First instant of the period (aware, Helsinki)."""
        return datetime.combine(self.first_day, time(0), tzinfo=HELSINKI)

    @property
    def end(self) -> datetime:
        """First instant after the period (exclusive bound; aware, Helsinki)."""
        return self.next().start

    def contains(self, moment: datetime | date) -> bool:
        return Period.of(moment) == self

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Period:
        return Period(self.year - (self.month == 1), (self.month - 2) % 12 + 1)


@functools.lru_cache(maxsize=4096)
def _parse_period(cls: type[Period], text: str) -> Period:
    try:
        year, month = text.strip().split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return cls(int(year), int(month))
    except ValueError:
        raise ValueError(f"expected a period as YYYY-MM, got {text!r}") from None


_D = TypeVar("_D")


@functools.cache
def frozen_builder(cls: type[_D]) -> Callable[..., _D]:
    """A positional constructor of the frozen, slotted dataclass ``cls`` for hot loops.

    A frozen dataclass's ``__init__`` goes through ``object.__setattr__`` field by field (the
    frozen guard); this one sets each slot through its descriptor, about three times cheaper.
    The record is the same (equal, hashing alike, still frozen). Every field is passed, in
    declaration order: no defaults, and refused for a class with ``__post_init__``.
    """
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} checks itself in __post_init__: use its constructor")
    names = [f.name for f in dataclasses.fields(cls)]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope.update({f"_set_{n}": cls.__dict__[n].__set__ for n in names})
    lines = [f"def build({', '.join(names)}):", "    obj = _new(_cls)"]
    lines += [f"    _set_{n}(obj, {n})" for n in names]
    lines.append("    return obj")
    exec("\n".join(lines), scope)  # field names only: the class's own identifiers
    build: Callable[..., _D] = scope["build"]
    build.__qualname__ = f"frozen_builder({cls.__name__})"
    return build
