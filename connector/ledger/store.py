"""The ledger as one object: runs, owned objects with their billed lines, quarantine, and
the PSOP loop (voucher events, review decisions, imported reports, line states), the
console's audit and the invoices' balances."""

from __future__ import annotations

from connector.ledger.console import ConsoleMixin
from connector.ledger.objects import ObjectsMixin
from connector.ledger.ops import OpsMixin
from connector.ledger.psop import PsopMixin
from connector.ledger.quarantine import QuarantineMixin
from connector.ledger.runs import RunsMixin


class Ledger(ObjectsMixin, RunsMixin, QuarantineMixin, PsopMixin, OpsMixin, ConsoleMixin):
    """The sync ledger over one SQLite file (WAL, busy timeout, short transactions)."""
