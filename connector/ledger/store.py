"""The ledger as one object: runs, owned objects with their billed lines, quarantine."""

from __future__ import annotations

from connector.ledger.objects import ObjectsMixin
from connector.ledger.ops import OpsMixin
from connector.ledger.quarantine import QuarantineMixin
from connector.ledger.runs import RunsMixin


class Ledger(ObjectsMixin, RunsMixin, QuarantineMixin, OpsMixin):
    """The sync ledger over one SQLite file (WAL, busy timeout, short transactions)."""
