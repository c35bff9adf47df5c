"""The assumed shape of Spotilla API v3: paths, page forms and the records' models.

This is THE one module that knows Spotilla's JSON (see ``docs/spotilla.md``). Aligning the
connector with the full Postman collection should be a change to this file only. It is also the
boundary: every value from Spotilla is checked here before anything else sees it.

Records are pydantic models, except tasks -- tens of thousands a run -- which are slotted
dataclasses whose annotated fields pydantic validates the same way. Rules the models follow:
- decimal strings (``"12.50"``) become ``Decimal``; ISO 8601 times become aware datetimes;
- unknown fields are tolerated and dropped (``extra="ignore"``);
- a key that may hold a personal identity code (:data:`IDENTITY_CODE_KEY`) is removed before
  validation and no model has a field for one, so it is never stored, logged or passed on;
- a record with a missing or malformed required field becomes a :class:`Quarantined` record
  (:func:`parse_record`) whose reason names the field and the rule, never the value.

Boundary rules (:func:`parse_record`, :func:`load_json`), each quarantining one record only:
- nesting deeper than :data:`MAX_RECORD_DEPTH` -> rule ``too_deep`` (a page nested too deep for
  the JSON parser is read with the deep parts cut out, so only their records are quarantined);
- a lone surrogate or U+FFFE/U+FFFF anywhere in a record -> rule ``invalid_text``: such text can
  be neither hashed nor written as XML 1.0, and guessing what it meant would change a name;
- control characters (C0 except TAB, LF, CR; DEL; C1 U+0080-U+009F) are removed from text; in an
  identifier field (:data:`ID_FIELDS`) they quarantine the record (``invalid_text``) instead,
  since a silently changed id could merge two records;
- quantities, hours and prices must be finite and within :data:`NUMBER_LIMITS` (at most
  :data:`MAX_DECIMALS` decimals) -> else rule ``number_out_of_range``;
- text longer than Netvisor's field (:data:`TEXT_LIMITS`) is cut to the limit, ending in "…",
  and logged as a notice (``spotilla_text_truncated``: kind, id, field and lengths, never text).

An ordinary task (nothing to clean, cut or refuse; plain numbers, dates and times) is read in
one pass by :func:`_read_task`; every other record, and every rule above, goes the general way.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from connector.core.domain import Quarantined, frozen_builder
from connector.core.logging import get_logger
from connector.core.money import to_decimal
from connector.core.reasons import reason

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


# --- the door: identity codes out, bad records to quarantine ---------------------------------
#: Keys that may carry a personal identity code (henkilötunnus), whatever the API calls them.
IDENTITY_CODE_KEY = re.compile(
    r"(hetu|henkil[oö]tunnus|ssn|social_?security|personal_?(id|identity|code|number)|"
    r"identity_?(code|number)|national_?id|person_?(id_)?(code|number))",
    re.IGNORECASE,
)

M = TypeVar("M")

KIND_OF: dict[type[Any], str] = {
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


def _safe_id(text: str) -> str:
    """An id fit for reasons, logs and the ledger: invalid code points and controls escaped."""
    text = text.strip()[:64]
    if _INVALID_CODE_POINT.search(text) or _CONTROL.search(text):
        return text.encode("ascii", "backslashreplace").decode("ascii")
    return text


def _record_id(raw: Any) -> str:
    if isinstance(raw, Mapping):
        rid = raw.get("id")
        if isinstance(rid, str) and rid.strip():
            return _safe_id(rid)
        if isinstance(rid, int) and not isinstance(rid, bool):
            return str(rid)
    return "?"


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def _rule_for(kind: str, errors: list[Any]) -> str:
    def is_quantity(loc: tuple[Any, ...]) -> bool:
        return len(loc) == 3 and loc[0] in ("rows", "hours") and loc[2] in ("quantity", "hours")

    if errors and all(e["type"] in ("number_out_of_range", "non_finite_number") for e in errors):
        return "number_out_of_range"
    if kind == "task" and errors and all(is_quantity(tuple(e["loc"])) for e in errors):
        return "invalid_quantity"
    return "invalid_record"


class _TooDeep(Exception):
    pass


class _TextProblem(Exception):
    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"field {path} {what}")
        self.path, self.what = path, what


_SUSPECT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SHORTEST_LIMIT = min(n for limits in TEXT_LIMITS.values() for n in limits.values())


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


def _path_text(path: tuple[Any, ...]) -> str:
    return _field_path(path) or "(record)"


def _limit_for(limits: dict[tuple[str, ...], int], path: tuple[Any, ...]) -> int | None:
    pattern = tuple("*" if isinstance(p, int) else p for p in path)
    return limits.get(pattern)


def _clean_text(
    text: str, path: tuple[Any, ...], limits: dict[tuple[str, ...], int], notices: list[Any]
) -> str:
    if not (text.isascii() and text.isprintable()) and _SUSPECT.search(text):
        if _INVALID_CODE_POINT.search(text):
            raise _TextProblem(_path_text(path), reason("invalid_code_point"))
        if path and path[-1] in ID_FIELDS:
            raise _TextProblem(_path_text(path), reason("control_character"))
        text = _CONTROL.sub("", text)
    if len(text) > _SHORTEST_LIMIT and limits:
        limit = _limit_for(limits, path)
        if limit is not None and len(text) > limit:
            notices.append((_path_text(path), len(text), limit))
            text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def _clean(
    value: Any,
    path: tuple[Any, ...],
    depth: int,
    limits: dict[tuple[str, ...], int],
    notices: list[Any],
) -> Any:
    """``value`` without identity-code keys, with text cleaned and cut, in one pass.

    Raises :class:`_TooDeep` before going past :data:`MAX_RECORD_DEPTH`, so the recursion is
    bounded whatever the input, and :class:`_TextProblem` for text that must quarantine.
    """
    kind = type(value)
    if kind is str:
        return _clean_text(value, path, limits, notices)
    if kind is dict:
        if depth > MAX_RECORD_DEPTH:
            raise _TooDeep()
        out = {}
        for k, v in value.items():
            if type(k) is str:
                verdict = _key_verdict(k)
                if verdict is _DROP:
                    continue
                if verdict is _SUSPECT_KEY:
                    if _INVALID_CODE_POINT.search(k):
                        raise _TextProblem(_path_text(path) + " key", reason("invalid_code_point"))
                    k = _CONTROL.sub("", k)
            else:  # not from JSON: no field has such a name; its value is still checked
                _clean(v, (*path, k), depth + 1, limits, notices)
                continue
            kind = type(v)
            if kind is str:  # the hot path, inline: plain text that needs no cleaning nor cut
                if v.isascii() and v.isprintable() and (len(v) <= _SHORTEST_LIMIT or not limits):
                    out[k] = v
                else:
                    out[k] = _clean_text(v, (*path, k), limits, notices)
            elif kind in _PLAIN:
                out[k] = v
            else:
                out[k] = _clean(v, (*path, k), depth + 1, limits, notices)
        return out
    if kind is list:
        if depth > MAX_RECORD_DEPTH:
            raise _TooDeep()
        return [_clean_item(v, path, i, depth, limits, notices) for i, v in enumerate(value)]
    if isinstance(value, Mapping | list):  # not from JSON, but keep the same rules
        return _clean(
            dict(value) if isinstance(value, Mapping) else list(value), path, depth, limits, notices
        )
    return value


_PLAIN = frozenset({int, float, bool, type(None)})


def _clean_item(
    value: Any,
    path: tuple[Any, ...],
    key: Any,
    depth: int,
    limits: dict[tuple[str, ...], int],
    notices: list[Any],
) -> Any:
    """``_clean`` of ``path``'s item ``key``. Hot path (every value of every record): plain
    text that needs no cleaning and no cut, and numbers, are returned as they are without
    building their path; everything else goes through ``_clean`` with its path."""
    kind = type(value)
    if kind is str:
        if (
            value.isascii()
            and value.isprintable()
            and (len(value) <= _SHORTEST_LIMIT or not limits)
        ):
            return value
        return _clean_text(value, (*path, key), limits, notices)
    if kind in _PLAIN:
        return value
    return _clean(value, (*path, key), depth + 1, limits, notices)


@functools.cache
def _validator(model: type[M]) -> Callable[[Any], M]:
    """The pydantic validation of ``model``: its own for a model, a ``TypeAdapter`` for a
    dataclass (the same field types, the same errors)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate
    return TypeAdapter(model).validate_python


#: Error types named differently for a dataclass than for a model, as the reasons name them.
_ERROR_TYPE_NAMES = {"dataclass_type": "model_type", "dataclass_exact_type": "model_type"}


def parse_record(model: type[M], raw: Any) -> M | Quarantined:
    """Validate one raw JSON record; a bad one becomes ``Quarantined`` naming fields, not values.

    An ordinary task is read by :func:`_read_task` in one pass; anything it does not vouch for
    takes the general way below (clean, then pydantic), which decides and words every rule.
    """
    if model is Task:
        task = _read_task(raw)
        if task is not None:
            return task  # type: ignore[return-value]  # model is Task
    return _validate_record(model, raw)


def _validate_record(model: type[M], raw: Any) -> M | Quarantined:
    """The general way: clean every value of the record, then validate it with pydantic."""
    kind = KIND_OF.get(model, model.__name__.lower())
    rid = _record_id(raw)
    if not isinstance(raw, Mapping):
        return Quarantined(kind, rid, "invalid_record", reason("invalid_record", kind=kind))
    notices: list[tuple[str, int, int]] = []
    try:
        clean = _clean(raw, (), 1, TEXT_LIMITS.get(kind, {}), notices)
    except _TooDeep:
        return Quarantined(
            kind,
            rid,
            "too_deep",
            reason("too_deep", kind=kind, record=rid, depth=MAX_RECORD_DEPTH),
        )
    except _TextProblem as problem:
        return Quarantined(
            kind,
            rid,
            "invalid_text",
            reason("invalid_text", kind=kind, record=rid, field=problem.path, why=problem.what),
        )
    try:
        record = _validator(model)(clean)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        problems = []
        for err in errors[:5]:
            kind_of_error = _ERROR_TYPE_NAMES.get(err["type"], err["type"])
            path = _field_path(tuple(err["loc"]))
            if kind_of_error == "missing":
                problems.append(reason("field_missing", field=path))
            else:
                problems.append(reason("field_invalid", field=path, error=kind_of_error))
        if len(errors) > 5:
            problems.append(reason("more_fields", count=len(errors) - 5))
        rule = _rule_for(kind, errors)
        why = reason("record_fields", kind=kind, record=rid, fields="; ".join(problems))
        return Quarantined(kind, rid, rule, why)
    for field, length, limit in notices:
        _log().warning(
            "spotilla_text_truncated", kind=kind, id=rid, field=field, length=length, limit=limit
        )
    return record


# --- the fast reader of ordinary tasks -------------------------------------------------------
# _read_task reads a task record in one pass and returns the very Task the general way would
# build -- or None whenever it cannot vouch for that, and the general way decides. It vouches
# only for values whose outcome is certain without cleaning: text with no character the
# boundary touches (nothing to remove, nothing to refuse) and no longer than its limit;
# numbers, dates and times written in one plain form (decimal strings like "-12.50", dates like
# "2026-03-09", times like "2026-03-09T10:00:00+02:00"); unknown fields holding nothing that
# could quarantine. Everything else -- every quarantine, every cut, every odd but valid form --
# goes the general way. tests/spotilla/test_fast_reader.py checks the two agree.

_CACHE_SIZE = 4096  # distinct numbers or dates remembered per cache (cleared when full)
_PLAIN_NUMBER = re.compile(rf"-?[0-9]{{1,7}}(?:\.[0-9]{{1,{MAX_DECIMALS}}})?")
_PLAIN_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HH_MM = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_PLAIN_MOMENT = re.compile(
    rf"[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T{_HH_MM}:[0-5][0-9](?:\.[0-9]{{3}}|\.[0-9]{{6}})?"
    rf"(?:Z|[+-]{_HH_MM})"
)


def _remembered(cache: dict[str, Any], text: str, value: Any) -> Any:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[text] = value
    return value


def _number_reader(limit_name: str) -> Callable[[Any], Decimal | None]:
    """Read a plain decimal string within ``NUMBER_LIMITS[limit_name]``; ``None`` for anything
    else. Each distinct text is decided once and its Decimal shared (Decimals keep their
    exponent, so "1.0" and "1" stay apart)."""
    limit = NUMBER_LIMITS[limit_name]
    seen: dict[str, Decimal] = {}

    def read(value: Any) -> Decimal | None:
        if type(value) is not str:
            return None
        found = seen.get(value)
        if found is not None:
            return found
        if not _PLAIN_NUMBER.fullmatch(value):
            return None
        number = Decimal(value)
        if abs(number) > limit:
            return None
        return _remembered(seen, value, number)

    return read


_read_quantity = _number_reader("quantity")
_read_hours = _number_reader("hours")
_read_price = _number_reader("price")
_DATES: dict[str, date] = {}


def _read_date(value: Any) -> date | None:
    if type(value) is not str:
        return None
    found = _DATES.get(value)
    if found is not None:
        return found
    if not _PLAIN_DATE.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return _remembered(_DATES, value, day)


_NO_MOMENT = object()
_ZONES: dict[str, tzinfo] = {}  # offset text ("Z", "+03:00") -> one shared time zone


def _read_moment(value: Any) -> Any:
    """An aware datetime or ``None`` (JSON null); ``_NO_MOMENT`` when not vouched for.

    The moments of one run share a handful of offsets: each offset's time zone is made once
    (by ``fromisoformat`` itself) and shared, instead of a zone and a timedelta per moment."""
    if value is None:
        return None
    if type(value) is not str or not _PLAIN_MOMENT.fullmatch(value):
        return _NO_MOMENT
    cut = -1 if value[-1] == "Z" else -6
    zone = _ZONES.get(value[cut:])
    try:
        if zone is None:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                _remembered(_ZONES, value[cut:], moment.tzinfo)
            return moment
        local = datetime.fromisoformat(value[:cut])
    except ValueError:
        return _NO_MOMENT
    return datetime.combine(local, local.time(), zone)


_NOT_READ = object()
_intern = sys.intern


def _text_reader(path: tuple[str, ...], optional: bool, shared: bool) -> Callable[[Any], Any]:
    """Read a text field at ``path``: the text, ``None`` for a missing or blank optional one,
    or ``_NOT_READ`` when not vouched for. A ``shared`` field's text is interned: codes,
    statuses, folder ids, order numbers and row texts repeat across tasks and are kept for the
    run, one object per distinct text."""
    limit = TEXT_LIMITS["task"].get(path)

    def read(value: Any) -> Any:
        if type(value) is not str:
            return None if optional and value is None else _NOT_READ
        if not (
            ((value.isascii() and value.isprintable()) or _SUSPECT.search(value) is None)
            and (limit is None or len(value) <= limit)
        ):
            return _NOT_READ
        if optional and not value.strip():
            return None
        if not value:
            return _NOT_READ  # min_length=1
        return _intern(value) if shared else value

    return read


def _plain_extra(value: Any, depth: int) -> bool:
    """Whether an unknown field's value (dropped anyway) holds nothing that could quarantine:
    no nesting past the limit, no key or text the boundary would refuse or clean."""
    kind = type(value)
    if kind is str:
        return _SUSPECT.search(value) is None
    if kind in _PLAIN:
        return True
    if depth > MAX_RECORD_DEPTH:
        return False
    if kind is list:
        return all(_plain_extra(v, depth + 1) for v in value)
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str:
                return False
            verdict = _key_verdict(k)
            if verdict is _DROP:
                continue
            if verdict is _SUSPECT_KEY or not _plain_extra(v, depth + 1):
                return False
        return True
    return False


def _known_keys(cls: type[Any]) -> frozenset[str]:
    keys = frozenset(cls.__dataclass_fields__)
    named_like_a_code = sorted(k for k in keys if _is_identity_key(k))
    if named_like_a_code:  # the door drops such a key: no field of the shape may be named so
        raise TypeError(f"{cls.__name__}: fields named like identity codes: {named_like_a_code}")
    return keys


_TASK_KEYS = _known_keys(Task)
_ROW_KEYS = _known_keys(TaskRow)
_HOUR_KEYS = _known_keys(HourRow)


def _extras_plain(record: dict[Any, Any], known: frozenset[str], depth: int) -> bool:
    for key in record.keys() - known:
        if type(key) is not str:
            return False
        verdict = _key_verdict(key)
        if verdict is _DROP:
            continue
        if verdict is _SUSPECT_KEY or not _plain_extra(record[key], depth + 1):
            return False
    return True


_task_id = _text_reader(("id",), optional=False, shared=False)
_task_folder = _text_reader(("collection_id",), optional=False, shared=True)
_task_spot = _text_reader(("spot_id",), optional=True, shared=False)
_task_title = _text_reader(("title",), optional=True, shared=False)
_task_status = _text_reader(("status",), optional=False, shared=True)
_task_order = _text_reader(("order_number",), optional=True, shared=True)
_row_code = _text_reader(("rows", "*", "product_code"), optional=False, shared=True)
_row_description = _text_reader(("rows", "*", "description"), optional=True, shared=True)
_hour_code = _text_reader(("hours", "*", "product_code"), optional=False, shared=True)


_new_row = frozen_builder(TaskRow)  # product_code, quantity, unit_price, description
_new_hour_row = frozen_builder(HourRow)  # product_code, hours, date
_new_task = frozen_builder(Task)


def _read_rows(value: Any) -> list[TaskRow] | None:
    if value is _ABSENT:
        return []
    if type(value) is not list:
        return None
    rows = []
    for raw in value:
        if type(raw) is not dict:
            return None
        if not _ROW_KEYS.issuperset(raw) and not _extras_plain(raw, _ROW_KEYS, 3):
            return None
        code = _row_code(raw.get("product_code"))
        quantity = _read_quantity(raw.get("quantity"))
        price = raw.get("unit_price")
        if price is not None:
            if type(price) is str and not price.strip():
                price = None
            else:
                price = _read_price(price)
                if price is None:
                    return None
        description = _row_description(raw.get("description"))
        if code is _NOT_READ or quantity is None or description is _NOT_READ:
            return None
        rows.append(_new_row(code, quantity, price, description))
    return rows


def _read_hour_rows(value: Any) -> list[HourRow] | None:
    if value is _ABSENT:
        return []
    if type(value) is not list:
        return None
    rows = []
    for raw in value:
        if type(raw) is not dict:
            return None
        if not _HOUR_KEYS.issuperset(raw) and not _extras_plain(raw, _HOUR_KEYS, 3):
            return None
        code = _hour_code(raw.get("product_code"))
        hours = _read_hours(raw.get("hours"))
        day = _read_date(raw.get("date"))
        if code is _NOT_READ or hours is None or day is None:
            return None
        rows.append(_new_hour_row(code, hours, day))
    return rows


_ABSENT = object()


def _read_task(raw: Any) -> Task | None:
    """``raw`` as the Task the general way would build, or ``None`` to leave it to that way."""
    if type(raw) is not dict:
        return None
    if not _TASK_KEYS.issuperset(raw) and not _extras_plain(raw, _TASK_KEYS, 1):
        return None
    get = raw.get
    tid = _task_id(get("id"))
    folder = _task_folder(get("collection_id"))
    spot = _task_spot(get("spot_id"))
    title = _task_title(get("title"))
    status = _task_status(get("status"))
    order = _task_order(get("order_number"))
    if (
        tid is _NOT_READ
        or folder is _NOT_READ
        or spot is _NOT_READ
        or title is _NOT_READ
        or status is _NOT_READ
        or order is _NOT_READ
    ):
        return None
    completed = _read_moment(get("completed_at"))
    updated = _read_moment(get("updated_at"))
    if completed is _NO_MOMENT or updated is _NO_MOMENT:
        return None
    rows = _read_rows(get("rows", _ABSENT))
    hours = _read_hour_rows(get("hours", _ABSENT))
    if rows is None or hours is None:
        return None
    # fields in declaration order: id, collection_id, spot_id, title, status, completed_at,
    # order_number, rows, hours, updated_at
    return _new_task(tid, folder, spot, title, status, completed, order, rows, hours, updated)
