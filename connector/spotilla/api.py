"""The assumed shape of Spotilla API v3: paths, page forms and pydantic models of the JSON.

This is THE one module that knows Spotilla's JSON (see ``apis/spotilla.md``). Aligning the
connector with the full Postman collection should be a change to this file only.

Rules the models follow:
- decimal strings (``"12.50"``) become ``Decimal``; ISO 8601 times become aware datetimes;
- unknown fields are tolerated and dropped (``extra="ignore"``);
- a personal identity code is removed before validation (:func:`drop_identity_codes`) and no
  model has a field for one, so it is never stored, logged or passed on;
- a record with a missing or malformed required field becomes a :class:`Quarantined` record
  (:func:`parse_record`) whose reason names the field and the rule, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from connector.domain import Quarantined
from connector.money import to_decimal

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


def _decimal(value: Any) -> Decimal:
    """Accept a decimal string (``"1.5"``, ``"1,5"``) or a JSON number; refuse anything else."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal number")
    if isinstance(value, float):  # a JSON number: keep its shortest decimal spelling
        value = repr(value)
    if not isinstance(value, str | int | Decimal):
        raise ValueError("expected a decimal number")
    try:
        return to_decimal(value)
    except (ValueError, TypeError):
        raise ValueError("not a decimal number") from None


def _optional_decimal(value: Any) -> Decimal | None:
    return (
        None if value is None or (isinstance(value, str) and not value.strip()) else _decimal(value)
    )


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


ApiDecimal = Annotated[Decimal, BeforeValidator(_decimal)]
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
    """Read either page form; raise ``ValueError`` for anything else (e.g. a JSON proxy answer)."""
    if isinstance(body, list):
        return Page(data=body, meta=None)
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        meta = body.get("meta")
        try:
            return Page(data=body["data"], meta=PageMeta.model_validate(meta) if meta else None)
        except ValidationError:
            return Page(data=body["data"], meta=None)
    raise ValueError("a list page must be a JSON array or an object with a 'data' array")


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
    price: ApiDecimal
    updated_at: AwareDatetime | None = None


# --- tasks -----------------------------------------------------------------------------------
class TaskRow(_Model):
    """A product row: ``quantity`` units of ``product_code``; ``unit_price`` overrides (euros)."""

    product_code: Annotated[str, Field(min_length=1)]
    quantity: ApiDecimal
    unit_price: Annotated[Decimal | None, BeforeValidator(_optional_decimal)] = None
    description: OptStr = None


class HourRow(_Model):
    """An hour row: ``hours`` (decimal hours) of work type ``product_code`` on ``date``."""

    product_code: Annotated[str, Field(min_length=1)]
    hours: ApiDecimal
    date: date


class Task(_Model):
    """``GET /v3/tasks``: work on a folder, with product rows and hour rows."""

    id: Id
    collection_id: Id
    spot_id: OptStr = None
    title: OptStr = None
    status: Annotated[str, Field(min_length=1)]
    completed_at: AwareDatetime | None = None
    order_number: OptStr = None
    rows: list[TaskRow] = Field(default_factory=list)
    hours: list[HourRow] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None

    def __repr__(self) -> str:  # titles and descriptions may name people
        return f"Task(id={self.id!r}, collection_id={self.collection_id!r}, status={self.status!r})"

    __str__ = __repr__


# --- the door: identity codes out, bad records to quarantine ---------------------------------
#: Keys that may carry a personal identity code (henkilötunnus), whatever the API calls them.
IDENTITY_CODE_KEY = re.compile(
    r"(hetu|henkil[oö]tunnus|ssn|social_?security|personal_?(id|identity|code|number)|"
    r"identity_?(code|number)|national_?id|person_?(id_)?(code|number))",
    re.IGNORECASE,
)

M = TypeVar("M", bound=_Model)

KIND_OF: dict[type[_Model], str] = {
    Customer: "customer",
    Collection: "collection",
    Product: "product",
    Task: "task",
}


def drop_identity_codes(value: Any) -> Any:
    """Return ``value`` without any key that may hold a personal identity code (recursively)."""
    if isinstance(value, Mapping):
        return {
            k: drop_identity_codes(v)
            for k, v in value.items()
            if not (isinstance(k, str) and IDENTITY_CODE_KEY.search(k))
        }
    if isinstance(value, list):
        return [drop_identity_codes(v) for v in value]
    return value


def _record_id(raw: Any) -> str:
    if isinstance(raw, Mapping):
        rid = raw.get("id")
        if isinstance(rid, str) and rid.strip():
            return rid.strip()[:64]
        if isinstance(rid, int) and not isinstance(rid, bool):
            return str(rid)
    return "?"


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def _rule_for(kind: str, errors: list[Any]) -> str:
    def is_quantity(loc: tuple[Any, ...]) -> bool:
        return len(loc) == 3 and loc[0] in ("rows", "hours") and loc[2] in ("quantity", "hours")

    if kind == "task" and errors and all(is_quantity(tuple(e["loc"])) for e in errors):
        return "invalid_quantity"
    return "invalid_record"


def parse_record(model: type[M], raw: Any) -> M | Quarantined:
    """Validate one raw JSON record; a bad one becomes ``Quarantined`` naming fields, not values."""
    kind = KIND_OF.get(model, model.__name__.lower())
    rid = _record_id(raw)
    if not isinstance(raw, Mapping):
        return Quarantined(kind, rid, "invalid_record", f"{kind} record is not a JSON object")
    clean = drop_identity_codes(raw)
    try:
        return model.model_validate(clean)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        problems = []
        for err in errors[:5]:
            what = "missing" if err["type"] == "missing" else f"invalid ({err['type']})"
            problems.append(f"field {_field_path(tuple(err['loc']))} {what}")
        rule = _rule_for(kind, errors)
        reason = f"{kind} {rid}: " + "; ".join(problems)
        if len(errors) > 5:
            reason += f"; and {len(errors) - 5} more"
        return Quarantined(kind, rid, rule, reason)
