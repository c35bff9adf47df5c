"""One content hash for everything the connector compares by content.

A payload (dataclasses, tuples, lists, dicts, Decimals, dates) is rendered in a plain, ordered
form — dataclasses by type name and field order, dicts by sorted key, Decimals and dates by their
text — and hashed with sha256. Equal content gives an equal hash in every run; the ledger keeps
these hashes, so the rendering must not change without a plan for the hashes already stored.
"""

from __future__ import annotations

import functools
import hashlib
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
    return hashlib.sha256(repr(canonical(payload)).encode()).hexdigest()
