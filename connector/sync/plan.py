"""Plan: desired Netvisor state vs the ledger -> an ordered list of actions. Changes nothing.

Each desired object (``desired.py``) carries the exact wire payload and its content hash, so
"unchanged" means byte-for-byte the same intent as what the ledger says Netvisor holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from connector.core.reasons import reason as worded
from connector.ledger import LedgerState, ObjectKind, OwnedObject
from connector.sync.desired import DesiredObject

if TYPE_CHECKING:
    from connector.sync.doubt import DoubtHolds
    from connector.texts.i18n import Texts

KIND_ORDER = {
    ObjectKind.CUSTOMER: 0,
    ObjectKind.PRODUCT: 1,
    ObjectKind.INVOICE: 2,
    ObjectKind.MATCH: 3,
}


class ActionKind(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    MATCH = "match"
    SKIP = "skip"  # unchanged
    # cannot act: rejected version unchanged, frozen document, dependency missing, or it depends
    # on a document in doubt (connector/sync/doubt.py)
    HOLD = "hold"
    RECONCILE = "reconcile"  # in doubt: resolved by the reconcile phase before anything is sent


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    obj: DesiredObject
    reason: str
    netvisor_key: str | None = None

    @property
    def writes(self) -> bool:
        return self.kind in (ActionKind.CREATE, ActionKind.EDIT, ActionKind.MATCH)


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)

    def writes(self) -> list[Action]:
        return [a for a in self.actions if a.writes]

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            out[f"{a.obj.kind}:{a.kind}"] = out.get(f"{a.obj.kind}:{a.kind}", 0) + 1
        return out


def decide(obj: DesiredObject, row: OwnedObject | None) -> Action:
    """What to do with one desired object given its ledger row."""
    if row is None:
        return Action(ActionKind.CREATE, obj, worded("plan_new"))
    if row.state in (LedgerState.SENDING, LedgerState.UNKNOWN):
        return Action(
            ActionKind.RECONCILE,
            obj,
            worded("plan_reconcile_first", state=row.state),
            row.netvisor_key,
        )
    if row.state is LedgerState.REJECTED and row.pending_hash == obj.content_hash:
        return Action(
            ActionKind.HOLD,
            obj,
            worded("plan_rejected", error=row.last_error_type),
            row.netvisor_key,
        )
    if row.netvisor_key is None:
        return Action(ActionKind.CREATE, obj, worded("plan_not_in_netvisor"))
    if row.content_hash == obj.content_hash:
        return Action(ActionKind.SKIP, obj, worded("plan_unchanged"), row.netvisor_key)
    if obj.kind is ObjectKind.MATCH:
        return Action(ActionKind.SKIP, obj, worded("plan_matched"), row.netvisor_key)
    if not obj.editable:
        return Action(
            ActionKind.HOLD,
            obj,
            worded("plan_frozen"),
            row.netvisor_key,
        )
    return Action(ActionKind.EDIT, obj, worded("plan_changed"), row.netvisor_key)


#: billed lines of invoices to write that a plan keeps as objects; beyond them, packed
KEEP_LINES = 10_000


class Planner:
    """Decides desired objects one by one (as billing hands them over) into a :class:`Plan`.

    An object that is not written keeps only what people and the ledger need (key, kind,
    summary, hash, totals): its payload and billed lines are let go at once, so an unchanged
    re-run does not hold every document in memory. Invoices to write beyond ``keep_lines``
    billed lines are packed (``desired.PackedInvoice``: rendered, compressed), so neither does
    a first run with many.

    ``holds``: an invoice to write whose owner waits for a document in doubt is held instead
    (:mod:`connector.sync.doubt`).
    """

    def __init__(
        self,
        ledger_rows: Mapping[str, OwnedObject],
        *,
        keep_lines: int | None = None,
        holds: DoubtHolds | None = None,
    ) -> None:
        self.rows = ledger_rows
        self.holds = holds
        self._actions: list[Action] = []
        self._seen: set[str] = set()
        self._keep_lines = KEEP_LINES if keep_lines is None else keep_lines

    def add(self, obj: DesiredObject) -> Action:
        if obj.key in self._seen:
            raise ValueError(f"two desired objects share the key {obj.key!r}")
        self._seen.add(obj.key)
        action = decide(obj, self.rows.get(obj.key))
        if obj.kind is ObjectKind.MATCH and action.kind is ActionKind.CREATE:
            action = Action(ActionKind.MATCH, obj, worded("plan_match"))
        if action.writes and obj.kind is ObjectKind.INVOICE and self.holds is not None:
            because = self.holds.waits_for(obj.key)
            if because:
                reason = self.holds.hold(obj.key, because)
                action = Action(ActionKind.HOLD, obj, reason, action.netvisor_key)
        if not action.writes:
            action = replace(action, obj=obj.slim())
        elif obj.kind is ObjectKind.INVOICE:
            self._keep_lines -= len(obj.lines)
            if self._keep_lines < 0:  # beyond the budget: kept packed until it is sent
                action = replace(action, obj=obj.packed())
        self._actions.append(action)
        return action

    def add_all(self, desired: Iterable[DesiredObject]) -> Planner:
        for obj in desired:
            self.add(obj)
        return self

    def plan(self) -> Plan:
        """Actions in dependency order: customers, products, invoices, credit-note matches."""
        return Plan(sorted(self._actions, key=lambda a: (KIND_ORDER[a.obj.kind], a.obj.key)))


def make_plan(desired: Iterable[DesiredObject], ledger_rows: Mapping[str, OwnedObject]) -> Plan:
    """Actions in dependency order: customers, products, invoices, credit-note matches."""
    return Planner(ledger_rows).add_all(desired).plan()


def render_table(
    actions: Sequence[Action], *, include_skips: bool = False, t: Texts | None = None
) -> str:
    """A plain-text table of actions for people, in ``t``'s language (English without it)."""
    from connector.texts.i18n import Texts

    t = t or Texts("en")
    rows = [a for a in actions if include_skips or a.kind is not ActionKind.SKIP]
    if not rows:
        return t("plan.nothing")
    head = tuple(t("plan.head").split("|"))
    body = [
        (
            t.code("action", a.kind.value),
            t.code("kind", a.obj.kind.value),
            a.obj.key,
            t.text(a.obj.summary),
            t.text(a.reason),
        )
        for a in rows
    ]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(5)]
    widths[3] = min(widths[3], 48)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [
        fmt.format(
            *(c if len(c) <= widths[i] else c[: widths[i] - 1] + "…" for i, c in enumerate(r))
        )
        for r in body
    ]
    return "\n".join(lines)
