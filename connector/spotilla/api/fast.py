"""The fast reader: an ordinary task in one pass, exactly as the general reader would build it."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from connector.core.domain import frozen_builder
from connector.spotilla.api.shape import (
    _DROP,
    _PLAIN,
    _SUSPECT,
    _SUSPECT_KEY,
    MAX_DECIMALS,
    MAX_RECORD_DEPTH,
    NUMBER_LIMITS,
    TEXT_LIMITS,
    HourRow,
    Task,
    TaskRow,
    _is_identity_key,
    _key_verdict,
)

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


T = TypeVar("T")


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

    def within(text: str) -> Decimal | None:
        number = Decimal(text)
        return number if abs(number) <= limit else None

    return _text_reader_once(_PLAIN_NUMBER, within)


def _text_reader_once(
    pattern: re.Pattern[str], convert: Callable[[str], T | None]
) -> Callable[[Any], T | None]:
    """Read a string that fully matches `pattern` through `convert` (``None``: refused); each
    distinct text is decided once and its value shared."""
    seen: dict[str, T] = {}

    def read(value: Any) -> T | None:
        if type(value) is not str:
            return None
        found = seen.get(value)
        if found is not None:
            return found
        if not pattern.fullmatch(value):
            return None
        result = convert(value)
        return None if result is None else _remembered(seen, value, result)

    return read


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_read_quantity = _number_reader("quantity")
_read_hours = _number_reader("hours")
_read_price = _number_reader("price")
_read_date = _text_reader_once(_PLAIN_DATE, _iso_date)


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


def _read_list(
    value: Any, keys: frozenset[str], read_one: Callable[[dict[str, Any]], Any]
) -> list[Any] | None:
    """A task's list of rows: each a mapping of known keys (or plain extras), each read by
    `read_one` (None: unreadable). Absent is an empty list; anything unreadable is None."""
    if value is _ABSENT:
        return []
    if type(value) is not list:
        return None
    rows = []
    for raw in value:
        if type(raw) is not dict:
            return None
        if not keys.issuperset(raw) and not _extras_plain(raw, keys, 3):
            return None
        row = read_one(raw)
        if row is None:
            return None
        rows.append(row)
    return rows


def _read_row(raw: dict[str, Any]) -> TaskRow | None:
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
    return _new_row(code, quantity, price, description)


def _read_hour_row(raw: dict[str, Any]) -> HourRow | None:
    code = _hour_code(raw.get("product_code"))
    hours = _read_hours(raw.get("hours"))
    day = _read_date(raw.get("date"))
    if code is _NOT_READ or hours is None or day is None:
        return None
    return _new_hour_row(code, hours, day)


def _read_rows(value: Any) -> list[TaskRow] | None:
    return _read_list(value, _ROW_KEYS, _read_row)


def _read_hour_rows(value: Any) -> list[HourRow] | None:
    return _read_list(value, _HOUR_KEYS, _read_hour_row)


_ABSENT = object()


def read_task(raw: Any) -> Task | None:
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
