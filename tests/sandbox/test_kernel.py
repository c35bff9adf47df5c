"""The sandboxes' shared kernel: the fault book and the admin plumbing."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest

from connector.sandbox.kernel import FaultBook, admin_parts, json_answer, read_body


@dataclass
class F:
    kind: str
    times: int | None = 1
    tag: str = ""


def test_a_fault_is_spent_after_its_times_and_an_open_ended_one_stays() -> None:
    book: FaultBook[F] = FaultBook(["slow", "drop"])
    book.add(F("slow", times=2, tag="a"))
    book.add(F("drop", times=None))
    assert book.take(lambda f: f.kind == "slow").tag == "a"
    assert book.take(lambda f: f.kind == "slow").tag == "a"
    assert book.take(lambda f: f.kind == "slow") is None
    for _ in range(3):
        assert book.take(lambda f: f.kind == "drop") is not None
    book.clear()
    assert book.snapshot() == []


def test_an_unknown_fault_kind_is_refused() -> None:
    book: FaultBook[F] = FaultBook(["slow"])
    with pytest.raises(ValueError, match="unknown fault kind 'fast'"):
        book.add(F("fast"))


def test_admin_paths_bodies_and_json_answers() -> None:
    assert admin_parts("/_sandbox/invoices/12/status", "/_sandbox") == ["invoices", "12", "status"]
    assert admin_parts("/_sandbox", "/_sandbox") == []
    assert admin_parts("/_sandboxes", "/_sandbox") is None
    assert admin_parts("/salesinvoice.nv", "/_sandbox") is None
    environ = {"CONTENT_LENGTH": "7", "wsgi.input": io.BytesIO(b'{"a":1}trailing')}
    assert read_body(environ) == b'{"a":1}'
    status, headers, body = json_answer(201, {"total": Decimal("1.50")})
    assert status == "201 Created" and ("Content-Type", "application/json") in headers
    assert json.loads(body) == {"total": "1.50"}
