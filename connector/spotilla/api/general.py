"""The general reader: every record through the door's rules and the models (:func:`parse_record`).

Identity codes are dropped, text is cleaned or cut, numbers bounded, and a record that breaks a
rule becomes a :class:`~connector.core.domain.Quarantined` naming the field and the rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import (
    BaseModel,
    TypeAdapter,
    ValidationError,
)

from connector.core.domain import Quarantined
from connector.core.reasons import reason
from connector.spotilla.api.fast import read_task
from connector.spotilla.api.shape import (
    _CONTROL,
    _DROP,
    _INVALID_CODE_POINT,
    _PLAIN,
    _SUSPECT,
    _SUSPECT_KEY,
    ELLIPSIS,
    ID_FIELDS,
    IDENTITY_CODE_KEY,
    MAX_RECORD_DEPTH,
    TEXT_LIMITS,
    Collection,
    Customer,
    Product,
    Task,
    _key_verdict,
    _log,
)

# --- the door: identity codes out, bad records to quarantine ---------------------------------

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


_SHORTEST_LIMIT = min(n for limits in TEXT_LIMITS.values() for n in limits.values())


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
        task = read_task(raw)
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
