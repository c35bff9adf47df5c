"""The kernel both sandboxes share: the book of injected faults, and the plumbing of their admin
endpoints (request bodies, status lines, JSON answers).

A fault is any object with a ``kind`` and a ``times`` (``None`` = until cleared); each sandbox
defines its own fault kinds and what they do. The book is thread-safe: the served sandboxes take
requests on many threads at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultLike(Protocol):
    kind: str
    times: int | None


F = TypeVar("F", bound=FaultLike)


class FaultBook(Generic[F]):
    """The faults injected into one sandbox, in injection order."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = tuple(kinds)
        self._lock = threading.RLock()
        self._faults: list[F] = []

    def check_kind(self, kind: str) -> None:
        if kind not in self.kinds:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(self.kinds))}")

    def add(self, fault: F) -> F:
        self.check_kind(fault.kind)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[F]:
        with self._lock:
            return list(self._faults)

    @contextmanager
    def held(self) -> Iterator[list[F]]:
        """The live list under the book's lock, for a sandbox that plays several faults at once
        (pair with :meth:`spend`)."""
        with self._lock:
            yield self._faults

    def spend(self, fault: F) -> None:
        """Use up one of ``fault``'s times (call with the book held or via :meth:`take`)."""
        with self._lock:
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0 and fault in self._faults:
                    self._faults.remove(fault)

    def take(self, match: Callable[[F], bool]) -> F | None:
        """The first fault ``match`` accepts, one of its times spent; None when none matches."""
        with self._lock:
            for fault in self._faults:
                if match(fault):
                    self.spend(fault)
                    return fault
        return None


# ---------------------------------------------------------------------------------------------
# Admin endpoint plumbing


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body (exactly ``Content-Length`` bytes)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def status_line(code: int) -> str:
    return f"{code} {REASONS.get(code, 'Error')}"


def json_default(value: Any) -> Any:
    """JSON for the values sandboxes keep: Decimal as text, dates ISO, tuples and sets as lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, default=json_default, ensure_ascii=False).encode("utf-8")


def json_answer(code: int, payload: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    """An admin answer: status line, headers and a JSON body."""
    return status_line(code), [("Content-Type", "application/json")], json_bytes(payload)


def admin_parts(path: str, prefix: str) -> list[str] | None:
    """The path segments after ``prefix`` (e.g. ``/_sandbox``), or None for a non-admin path."""
    if path != prefix and not path.startswith(prefix + "/"):
        return None
    return [p for p in path[len(prefix) :].split("/") if p]


__all__ = [
    "FaultBook",
    "admin_parts",
    "json_answer",
    "json_bytes",
    "json_default",
    "read_body",
    "status_line",
]
