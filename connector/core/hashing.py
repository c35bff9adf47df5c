"""One content hash for everything the connector compares by content.

A payload (dataclasses, tuples, lists, dicts, Decimals, dates) is rendered in a plain, ordered
form — dataclasses by type name and field order, dicts by sorted key, Decimals and dates by their
text — and hashed with sha256. Equal content gives an equal hash in every run; the ledger keeps
these hashes, so the rendering must not change without a plan for the hashes already stored.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def canonical(value: Any) -> Any:
    """A plain, ordered rendering of a payload: dataclasses by field, Decimals by their text."""
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            *(canonical(getattr(value, n)) for n in _field_names(type(value))),
        )
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def content_hash(payload: Any) -> str:
    """sha256 over the canonical rendering of ``payload`` (hex)."""
    return hashlib.sha256(canonical_text(payload).encode()).hexdigest()


def canonical_text(value: Any) -> str:
    """``repr(canonical(value))``, built as text directly (no intermediate tuples): a re-run
    hashes every desired object, so this is on the hot path. Same text, character for
    character; dicts (rare in payloads) go the long way."""
    kind = type(value)
    if kind in _AS_REPR:
        return repr(value)
    if kind is Decimal:
        return repr(str(value))
    render = _TEXTS.get(kind)
    if render is None:
        render = _TEXTS[kind] = _text_renderer(kind)
    return render(value)


_AS_REPR = frozenset({str, int, bool, float, type(None)})
_TEXTS: dict[type, Callable[[Any], str]] = {}


def _tuple_text(parts: list[str]) -> str:
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


def _text_renderer(cls: type) -> Callable[[Any], str]:
    if is_dataclass(cls) and not issubclass(cls, type):
        name = repr(cls.__name__)
        names = _field_names(cls)
        return lambda v: _tuple_text([name, *[canonical_text(getattr(v, n)) for n in names]])
    if issubclass(cls, list | tuple):
        return lambda v: _tuple_text([canonical_text(x) for x in v])
    if issubclass(cls, Decimal | date):
        return lambda v: repr(str(v))
    return lambda v: repr(canonical(v))  # dicts, and anything else as canonical() has it
