"""Desired state: what Netvisor should hold after this run, as wire payloads with their hashes.

Owns the value a phase-7 module produces and the plan decides on, :class:`DesiredObject` (one
customer, product, invoice or credit-note match, its payload, content hash and billed lines),
the compact form a large run keeps invoices in until they are sent (:class:`PackedInvoice`),
and the keys of the objects. Building them is :mod:`connector.sync.desired_build` (customers,
products and invoices from billing's documents) and :mod:`connector.sync.desired_ledger`
(cancelled versions and credit-note matches from the ledger's rows). Nothing here talks to
Netvisor: the statuses a match needs are read by ``observe.py`` and passed in.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from connector.billing.documents import BilledLine, billed_lines_of, billed_row
from connector.core.hashing import content_hash
from connector.ledger import ObjectKind
from connector.netvisor import documents as nv


@dataclass(frozen=True)
class DesiredObject:
    """One Netvisor object as this run wants it to be."""

    key: str
    kind: ObjectKind
    # None once the plan knows the object is not written (``slim``)
    payload: nv.CustomerRecord | nv.ProductRecord | nv.SalesInvoice | tuple[str, str] | None
    content_hash: str
    summary: str  # for people and logs: ids, codes, amounts only — never names
    lines: tuple[BilledLine, ...] = ()
    period: str | None = None
    customer_code: str | None = None
    total: Decimal | None = None
    depends_on: tuple[str, ...] = ()
    editable: bool = True

    def billed_lines(self) -> tuple[BilledLine, ...]:
        """The billed lines this version carries (unpacked when the invoice is packed)."""
        if isinstance(self.payload, PackedInvoice):
            return self.payload.lines()
        return self.lines

    def packed(self) -> DesiredObject:
        """This invoice kept compactly until it is sent (see :class:`PackedInvoice`)."""
        assert isinstance(self.payload, nv.SalesInvoice)
        return replace(self, payload=PackedInvoice.of(self.payload, self.lines), lines=())

    def slim(self) -> DesiredObject:
        """This object without its payload and billed lines (for an action that sends nothing)."""
        return replace(self, payload=None, lines=())

    @classmethod
    def of(cls, key: str, kind: ObjectKind, payload: Any, summary: str, **kw: Any) -> DesiredObject:
        return cls(
            key=key,
            kind=kind,
            payload=payload,
            content_hash=content_hash(payload),
            summary=summary,
            **kw,
        )


@dataclass(frozen=True, slots=True)
class PackedInvoice:
    """An invoice to be written, kept compactly until it is sent: its request body rendered
    and compressed, its content fingerprint (what reconcile checks) and its billed lines
    (compressed). A large run packs its invoices beyond a memory budget (``plan.Planner``):
    the body is what would have been rendered at sending time, byte for byte."""

    body_z: bytes
    check: str | None
    lines_z: bytes

    @classmethod
    def of(cls, payload: nv.SalesInvoice, lines: Sequence[BilledLine]) -> PackedInvoice:
        from connector.netvisor import xml as nvxml
        from connector.netvisor.fingerprint import invoice_fingerprint

        rows = [billed_row(b) for b in lines]
        return cls(
            zlib.compress(nvxml.sales_invoice_xml(payload), 1),
            invoice_fingerprint(payload),
            zlib.compress(marshal.dumps(rows), 1),
        )

    def body(self) -> bytes:
        return zlib.decompress(self.body_z)

    def lines(self) -> tuple[BilledLine, ...]:
        return tuple(billed_lines_of(marshal.loads(zlib.decompress(self.lines_z))))


# -- keys ----------------------------------------------------------------------------------


def customer_key(code: str) -> str:
    return f"cust:{code}"


def product_key(code: str) -> str:
    return f"prod:{code}"


def match_key(credit_note_key: str) -> str:
    return f"match:{credit_note_key}"
