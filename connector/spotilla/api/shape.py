"""Paths, headers, page forms and the records' models: what Spotilla's JSON looks like."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from connector.core.logging import get_logger
from connector.core.money import to_decimal

# --- paths (relative to the base URL, which ends in ``/api``) --------------------------------
LOGIN = "/v3/login"
CUSTOMERS = "/v3/customers"
COLLECTIONS = "/v3/collections"
PRODUCTS = "/v3/products"
TASKS = "/v3/tasks"

# --- headers ---------------------------------------------------------------------------------
HEADER_TOKEN = "X-User-Token"
HEADER_USER_ID = "X-User-Id"
HEADER_SUBDOMAIN = "X-User-Subdomain"

# --- query parameters ------------------------------------------------------------------------
PARAM_PAGE = "page"
PARAM_PER_PAGE = "per_page"
PARAM_COMPLETED_FROM = "completed_from"  # YYYY-MM-DD, inclusive
PARAM_COMPLETED_TO = "completed_to"  # YYYY-MM-DD, inclusive
PARAM_UPDATED_SINCE = "updated_since"  # ISO 8601 with offset

#: Task statuses Spotilla knows (others are tolerated and simply never billed).
TASK_STATUSES = frozenset({"open", "in_progress", "completed", "approved", "cancelled"})


# --- boundary limits -------------------------------------------------------------------------
#: Containers nested deeper than this inside one record quarantine it (a task is 3 deep).
MAX_RECORD_DEPTH = 12
#: Containers nested deeper than this in a page are cut out before parsing (see load_json).
MAX_PAGE_DEPTH = 64
#: Largest magnitude accepted, per kind of number (a sane bound, not a business rule).
NUMBER_LIMITS = {
    "quantity": Decimal(1_000_000),  # units on one product row
    "hours": Decimal(1_000),  # hours on one hour row (one date)
    "price": Decimal(1_000_000),  # euros per unit
}
#: Most decimals a quantity, hour count or price may carry.
MAX_DECIMALS = 10
#: Netvisor's field lengths (characters) for the texts that reach it, keyed by kind and field
#: path ("*" = any list index). customer.nv Name 250, StreetAddress/City 80, PostNumber 50 are
#: Netvisor's published limits; product Name 200, line free text 500 and the folder name (it
#: reaches invoices inside 500-character comment and free-text fields) 250 are assumed.
TEXT_LIMITS: dict[str, dict[tuple[str, ...], int]] = {
    "customer": {
        ("name",): 250,
        ("address", "street"): 80,
        ("address", "city"): 80,
        ("address", "postal_code"): 50,
    },
    "collection": {("name",): 250},
    "product": {("name",): 200},
    "task": {("rows", "*", "description"): 500},
}
#: Fields holding identifiers: a control character in one quarantines the record.
ID_FIELDS = frozenset(
    {"id", "collection_id", "parent_id", "customer_id", "spot_id", "product_code", "code"}
)
ELLIPSIS = "…"

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_INVALID_CODE_POINT = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _log() -> Any:
    return get_logger("spotilla.api")


def _decimal(value: Any) -> Decimal:
    """Accept a decimal string (``"1.5"``, ``"1,5"``) or a JSON number; refuse anything else."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal number")
    if isinstance(value, float):  # a JSON number: keep its shortest decimal spelling
        if not math.isfinite(value):
            raise PydanticCustomError("non_finite_number", "not a finite number")
        value = repr(value)
    if not isinstance(value, str | int | Decimal):
        raise ValueError("expected a decimal number")
    if isinstance(value, Decimal) and not value.is_finite():
        raise PydanticCustomError("non_finite_number", "not a finite number")
    try:
        return to_decimal(value)
    except (ValueError, TypeError) as exc:
        if "finite" in str(exc):
            raise PydanticCustomError("non_finite_number", "not a finite number") from None
        raise ValueError("not a decimal number") from None


def _bounded(limit_name: str) -> Callable[[Decimal], Decimal]:
    """A validator refusing a number beyond ``NUMBER_LIMITS[limit_name]`` or too many decimals."""
    limit = NUMBER_LIMITS[limit_name]

    def check(value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        if abs(value) > limit or (isinstance(exponent, int) and exponent < -MAX_DECIMALS):
            raise PydanticCustomError(
                "number_out_of_range",
                "outside the sane range (magnitude at most {limit}, at most {decimals} decimals)",
                {"limit": str(limit), "decimals": MAX_DECIMALS},
            )
        return value

    return check


def _optional_decimal(value: Any) -> Decimal | None:
    return (
        None if value is None or (isinstance(value, str) and not value.strip()) else _decimal(value)
    )


def _optional_price(value: Decimal | None) -> Decimal | None:
    return None if value is None else _bounded("price")(value)


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


ApiDecimal = Annotated[Decimal, BeforeValidator(_decimal)]
Quantity = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_bounded("quantity"))]
Hours = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_bounded("hours"))]
Price = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_bounded("price"))]
OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
Id = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    # ids may come as JSON numbers; unknown fields are dropped; models are immutable values
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


# --- login -----------------------------------------------------------------------------------
class LoginRequest(_Model):
    username: str
    password: str
    subdomain: str

    def __repr__(self) -> str:  # the password must never print
        return f"LoginRequest(username=..., subdomain={self.subdomain!r})"

    __str__ = __repr__


class LoginResponse(_Model):
    token: Id
    user_id: Id

    def __repr__(self) -> str:
        return "LoginResponse(token=..., user_id=...)"

    __str__ = __repr__


class ErrorBody(_Model):
    """The error envelope ``{"error": code, "message": text}`` (``message`` may hold personal data)."""

    error: str | None = None
    message: str | None = None


# --- pages -----------------------------------------------------------------------------------
class PageMeta(_Model):
    page: int | None = None
    per_page: int | None = None
    total: int | None = None
    next_page: int | None = None


class Page(_Model):
    """One page of a list. A bare JSON array is a single page with no ``meta``."""

    data: list[Any]
    meta: PageMeta | None = None


def parse_page(body: Any) -> Page:
    """Read either page form; raise ``ValueError`` for anything else (e.g. a JSON proxy answer).

    The object form must carry paging metadata with a ``next_page`` (a number, or null on the
    last page): without it nobody can tell "done" from "the rest is missing" (a contract break).
    """
    if isinstance(body, list):
        return Page(data=body, meta=None)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        meta = body.get("meta")
        if not isinstance(meta, dict) or "next_page" not in meta:
            raise ValueError("the list answer has no paging metadata (meta.next_page)")
        try:
            return Page(data=body["data"], meta=PageMeta.model_validate(meta))
        except ValidationError:
            raise ValueError("the list answer's paging metadata is malformed") from None
    raise ValueError("a list page must be a JSON array or an object with a 'data' array")


def _parse_int(text: str) -> int | Decimal:
    # a huge integer literal would hit Python's int digit limit and fail the whole page
    return int(text) if len(text) <= 40 else Decimal(text)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _cut_deep(text: str, limit: int = MAX_PAGE_DEPTH) -> str:
    """``text`` with every container nested deeper than ``limit`` replaced by ``null``."""
    pieces: list[str] = []
    depth = 0
    cut_from: int | None = None
    last = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
            if depth > limit and cut_from is None:
                cut_from = match.start()
        else:
            if depth == limit + 1 and cut_from is not None:
                pieces.append(text[last:cut_from])
                pieces.append("null")
                last = match.end()
                cut_from = None
            depth -= 1
    pieces.append(text[last:])
    return "".join(pieces)


def load_json(content: bytes) -> Any:
    """Parse a response body; ``ValueError`` when it is not JSON.

    Nesting too deep for Python's parser (``RecursionError``) is cut out below
    :data:`MAX_PAGE_DEPTH` and replaced by ``null``; the record that held it is then quarantined
    as ``too_deep`` by :func:`parse_record`, and the rest of the page is read as usual.
    """
    try:
        return json.loads(content, parse_int=_parse_int)
    except RecursionError:
        pass
    text = content.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        return json.loads(_cut_deep(text), parse_int=_parse_int)
    except RecursionError:
        raise ValueError("JSON nested too deep to read") from None


# --- customers -------------------------------------------------------------------------------
class Address(_Model):
    street: OptStr = None
    postal_code: OptStr = None
    city: OptStr = None
    country: OptStr = None


class EInvoice(_Model):
    address: OptStr = None
    operator: OptStr = None


class Contact(_Model):
    name: OptStr = None
    email: OptStr = None
    phone: OptStr = None
    role: OptStr = None  # "invoicing" | "contract" (others tolerated)


class Customer(_Model):
    """``GET /v3/customers``: a billing customer, a company or a private person."""

    id: Id
    type: Literal["company", "person"]
    name: Annotated[str, Field(min_length=1)]
    business_id: OptStr = None
    customer_number: OptStr = None
    email: OptStr = None
    phone: OptStr = None
    address: Address | None = None
    einvoice: EInvoice | None = None
    contacts: list[Contact] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None

    def __repr__(self) -> str:  # names and contacts are personal data: ids only
        return f"Customer(id={self.id!r}, type={self.type!r})"

    __str__ = __repr__


# --- collections (folders) -------------------------------------------------------------------
class Collection(_Model):
    """``GET /v3/collections``: a folder; a single parent (none at the root), maybe a customer."""

    id: Id
    name: str
    parent_id: OptStr = None
    customer_id: OptStr = None
    updated_at: AwareDatetime | None = None

    def __repr__(self) -> str:
        return f"Collection(id={self.id!r}, parent_id={self.parent_id!r}, customer_id={self.customer_id!r})"

    __str__ = __repr__


# --- products --------------------------------------------------------------------------------
class Product(_Model):
    """``GET /v3/products``: an entry of the product register; ``price`` in euros, VAT 0."""

    id: Id
    code: Annotated[str, Field(min_length=1)]
    name: str
    category: OptStr = None
    unit: OptStr = None
    price: Price
    updated_at: AwareDatetime | None = None


# --- tasks -----------------------------------------------------------------------------------
# Tasks are the one hot record (tens of thousands a run), so their shape is three slotted, frozen
# dataclasses rather than pydantic models: cheap to build and small. The annotations below are
# still THE definition of the shape: pydantic validates them exactly as it validates the models
# above (:func:`_validator`), and :func:`_read_task` -- the fast reader of ordinary records --
# only ever accepts what that validation would accept, with the same result.
_DATACLASS_CONFIG = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
Date = date  # a field is named ``date``: its annotation needs another name


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRow:
    """A product row: ``quantity`` units of ``product_code``; ``unit_price`` overrides (euros)."""

    __pydantic_config__ = _DATACLASS_CONFIG

    product_code: Annotated[str, Field(min_length=1)]
    quantity: Quantity
    unit_price: Annotated[
        Decimal | None, BeforeValidator(_optional_decimal), AfterValidator(_optional_price)
    ] = None
    description: OptStr = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HourRow:
    """An hour row: ``hours`` (decimal hours) of work type ``product_code`` on ``date``."""

    __pydantic_config__ = _DATACLASS_CONFIG

    product_code: Annotated[str, Field(min_length=1)]
    hours: Hours
    date: Date


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Task:
    """``GET /v3/tasks``: work on a folder, with product rows and hour rows."""

    __pydantic_config__ = _DATACLASS_CONFIG

    id: Id
    collection_id: Id
    spot_id: OptStr = None
    title: OptStr = None
    status: Annotated[str, Field(min_length=1)]
    completed_at: AwareDatetime | None = None
    order_number: OptStr = None
    rows: list[TaskRow] = dataclass_field(default_factory=list)
    hours: list[HourRow] = dataclass_field(default_factory=list)
    updated_at: AwareDatetime | None = None

    def __repr__(self) -> str:  # titles and descriptions may name people
        return f"Task(id={self.id!r}, collection_id={self.collection_id!r}, status={self.status!r})"

    __str__ = __repr__


# --- keys and characters the boundary watches (both readers) -----------------------------
#: Keys that may carry a personal identity code (henkilötunnus), whatever the API calls them.
IDENTITY_CODE_KEY = re.compile(
    r"(hetu|henkil[oö]tunnus|ssn|social_?security|personal_?(id|identity|code|number)|"
    r"identity_?(code|number)|national_?id|person_?(id_)?(code|number))",
    re.IGNORECASE,
)


_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@functools.lru_cache(maxsize=4096)
def _is_identity_key(key: str) -> bool:
    return bool(IDENTITY_CODE_KEY.search(key))


_DROP = object()  # an identity-code key: the key and its value are dropped
_SUSPECT_KEY = object()  # a key with characters that need a closer look


@functools.lru_cache(maxsize=4096)
def _key_verdict(key: str) -> object:
    """What to do with a record key, decided once per distinct key (keys repeat in every
    record): ``_DROP``, ``_SUSPECT_KEY`` or the key itself (keep as it is)."""
    if _is_identity_key(key):
        return _DROP
    if not (key.isascii() and key.isprintable()) and _SUSPECT.search(key):
        return _SUSPECT_KEY
    return key


_PLAIN = frozenset({int, float, bool, type(None)})

__all__ = [
    "COLLECTIONS",
    "CUSTOMERS",
    "ELLIPSIS",
    "HEADER_SUBDOMAIN",
    "HEADER_TOKEN",
    "HEADER_USER_ID",
    "IDENTITY_CODE_KEY",
    "ID_FIELDS",
    "LOGIN",
    "MAX_DECIMALS",
    "MAX_PAGE_DEPTH",
    "MAX_RECORD_DEPTH",
    "NUMBER_LIMITS",
    "PARAM_COMPLETED_FROM",
    "PARAM_COMPLETED_TO",
    "PARAM_PAGE",
    "PARAM_PER_PAGE",
    "PARAM_UPDATED_SINCE",
    "PRODUCTS",
    "TASKS",
    "TASK_STATUSES",
    "TEXT_LIMITS",
    "Address",
    "ApiDecimal",
    "Collection",
    "Contact",
    "Customer",
    "Date",
    "EInvoice",
    "ErrorBody",
    "HourRow",
    "Hours",
    "Id",
    "LoginRequest",
    "LoginResponse",
    "OptStr",
    "Page",
    "PageMeta",
    "Price",
    "Product",
    "Quantity",
    "Task",
    "TaskRow",
    "load_json",
    "parse_page",
]
