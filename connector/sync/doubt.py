"""A document in doubt blocks what is computed from it.

An invoice row left ``sending``/``unknown`` (an answer lost and not yet reconciled, or an edit
reconcile could not decide: ``EDIT_UNCLEAR``) has two versions in the ledger: the one before
(``current`` billed lines) and the one sent (``pending``). Netvisor holds one of them, and until
it is known which, nothing may be computed from either. Billing reads the billed lines of every
owner's documents that can no longer be rebuilt (a frozen document's lines are what a later
correction is the difference from, and what a voucher has already used): so while such a
document of an owner is in doubt, that owner's documents to write are **held**, never sent
with a correction computed from a version Netvisor may not hold. An organiser document that
carries work of a held customer (its voucher shares follow from the same coverage) is held too.

A document in doubt that can still be rebuilt is not read by billing (it is built afresh), so
it holds nothing back. Holding is decided per run: once reconcile (or a person with
``connector ledger resolve``) settles the document, the next run bills the held ones.

The holds show in the plan (``hold`` with the reason), in the run summary and the run report
(held records of kind :data:`HELD_KIND`, rule :data:`HELD_RULE`, also listed by ``status`` and
``quarantine list`` until a run no longer holds them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from connector.billing.documents import document_owner
from connector.core.domain import Quarantined
from connector.core.logging import get_logger
from connector.ledger import IN_DOUBT, ObjectKind, OwnedObject
from connector.texts.i18n import Texts

log = get_logger("sync")

#: the quarantine kind and rule of a document held for a document in doubt
HELD_KIND = "document"
HELD_RULE = "depends_on_doubt"


@dataclass
class DoubtHolds:
    """Which owners' documents wait for a document in doubt, decided as billing goes.

    ``rows``: the ledger's objects; ``texts``: the language of the reasons people read.
    """

    rows: Iterable[OwnedObject]
    texts: Texts
    #: owner (``inv:<code>``/``org:<region>``) -> keys of its invoices in doubt
    in_doubt: dict[str, list[str]] = field(init=False, default_factory=dict)
    #: owner -> the documents in doubt its documents wait for
    blocked: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    #: document key -> the documents in doubt it was held for (this run)
    held: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.rows:
            if row.kind is ObjectKind.INVOICE and row.state in IN_DOUBT:
                self.in_doubt.setdefault(document_owner(row.key), []).append(row.key)
        self.rows = ()

    def check_owner(self, owner: str, read_by_billing: Callable[[str], bool]) -> tuple[str, ...]:
        """Block ``owner`` when billing reads one of its documents in doubt
        (``read_by_billing``: whether billing reads a document's lines, i.e. it can no longer
        be rebuilt). Returns what it waits for (empty: nothing)."""
        keys = tuple(k for k in self.in_doubt.get(owner, ()) if read_by_billing(k))
        if keys:
            self.block(owner, keys)
        return keys

    def check_organisers(self, read_by_billing: Callable[[str], bool]) -> None:
        """Block each organiser whose own documents in doubt billing reads."""
        for owner in sorted(self.in_doubt):
            if owner.startswith("org:"):
                self.check_owner(owner, read_by_billing)

    def block(self, owner: str, because: Iterable[str]) -> None:
        merged = dict.fromkeys([*self.blocked.get(owner, ()), *because])
        self.blocked[owner] = tuple(merged)
        log.warning("owner_held_for_doubt", owner=owner, in_doubt=list(merged))

    def waits_for(self, key: str) -> tuple[str, ...]:
        """The documents in doubt that the document ``key`` waits for (empty: none)."""
        return tuple(k for k in self.blocked.get(document_owner(key), ()) if k != key)

    def hold(self, key: str, because: tuple[str, ...]) -> str:
        """Record ``key`` as held; the reason a person reads."""
        self.held[key] = because
        return self.reason(because)

    def reason(self, because: Iterable[str]) -> str:
        return self.texts("doubt.reason", keys=", ".join(because))

    def quarantined(self) -> list[Quarantined]:
        """The held documents as held records (run summary, run report, quarantine list)."""
        return [
            Quarantined(HELD_KIND, key, HELD_RULE, self.reason(because), because)
            for key, because in sorted(self.held.items())
        ]


__all__ = ["HELD_KIND", "HELD_RULE", "DoubtHolds"]
