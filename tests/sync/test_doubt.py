"""A document in doubt blocks what is computed from it (issue 19): the plan holds the owner's
documents to write while billing reads one of its documents in doubt, and says why."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sync.helpers import invoice, owned

from connector.ledger import EDIT_UNCLEAR, LedgerState, OwnedObject
from connector.sync.desired import DesiredObject
from connector.sync.doubt import HELD_KIND, HELD_RULE, DoubtHolds
from connector.sync.plan import ActionKind, Planner
from connector.texts.i18n import texts

APRIL, MAY = "inv:2026-04:C1", "inv:2026-05:C1"
ORG_MAY = "org:2026-05:VANTAA-KERAVA"


def undecided(key: str = APRIL) -> OwnedObject:
    return replace(
        owned(key),
        state=LedgerState.UNKNOWN,
        pending_hash="h2",
        pending_action="edit",
        last_error_type=EDIT_UNCLEAR,
    )


def document(key: str) -> DesiredObject:
    """A desired invoice with ``key`` (new to the ledger unless a row says otherwise)."""
    obj = invoice()
    return replace(obj, key=key, payload=replace(obj.payload, private_comment=key))


def locked(key: str) -> bool:  # billing reads this document's lines: it can no longer be rebuilt
    return key.split(":")[1] < "2026-05"


def plan_with(rows: list[OwnedObject], decide_owners: list[str], *objs: DesiredObject):
    holds = DoubtHolds(rows, texts("en"))
    for owner in decide_owners:
        holds.check_owner(owner, locked)
    planner = Planner({r.key: r for r in rows}, holds=holds)
    return {o.key: planner.add(o) for o in objs}, holds


def test_the_owners_next_document_waits_for_its_locked_document_in_doubt() -> None:
    actions, holds = plan_with(
        [undecided()], ["inv:C1", "inv:C2"], document(MAY), document("inv:2026-05:C2")
    )
    held = actions[MAY]
    assert held.kind is ActionKind.HOLD and not held.writes
    assert APRIL in held.reason and "connector ledger resolve" in held.reason
    assert actions["inv:2026-05:C2"].kind is ActionKind.CREATE  # another owner: not affected
    (record,) = holds.quarantined()
    assert (record.kind, record.record_id, record.rule, record.related) == (
        HELD_KIND,
        MAY,
        HELD_RULE,
        (APRIL,),
    )


def test_the_document_in_doubt_itself_is_reconciled_never_held_for_itself() -> None:
    actions, holds = plan_with([undecided()], ["inv:C1"], document(APRIL))
    assert actions[APRIL].kind is ActionKind.RECONCILE
    assert holds.quarantined() == []


def test_a_document_in_doubt_that_is_still_rebuilt_holds_nothing_back() -> None:
    """Billing builds a document it can rebuild afresh and never reads its lines."""
    may_in_doubt = undecided(MAY)
    actions, holds = plan_with([may_in_doubt], ["inv:C1"], document("inv:2026-06:C1"))
    assert actions["inv:2026-06:C1"].kind is ActionKind.CREATE
    assert holds.blocked == {}


def test_an_unchanged_document_is_skipped_and_an_edit_held() -> None:
    may = document(MAY)
    unchanged = replace(owned(MAY), content_hash=may.content_hash)
    actions, _ = plan_with([undecided(), unchanged], ["inv:C1"], may)
    assert actions[MAY].kind is ActionKind.SKIP  # nothing is written either way
    changed = replace(owned(MAY), content_hash="other")
    actions, holds = plan_with([undecided(), changed], ["inv:C1"], may)
    assert actions[MAY].kind is ActionKind.HOLD
    assert list(holds.held) == [MAY]


@pytest.mark.parametrize("state", [LedgerState.SENDING, LedgerState.UNKNOWN])
def test_any_invoice_in_doubt_blocks_not_only_an_undecided_edit(state: LedgerState) -> None:
    actions, _ = plan_with([replace(owned(APRIL), state=state)], ["inv:C1"], document(MAY))
    assert actions[MAY].kind is ActionKind.HOLD


def test_an_organiser_carrying_a_held_customers_work_waits_too() -> None:
    holds = DoubtHolds([undecided()], texts("en"))
    waits = holds.check_owner("inv:C1", locked)
    holds.block("org:VANTAA-KERAVA", waits)  # what bill_documents does for its organisers
    planner = Planner({}, holds=holds)
    assert planner.add(document(ORG_MAY)).kind is ActionKind.HOLD
    assert planner.add(document("org:2026-05:ESPOO")).kind is ActionKind.CREATE
    assert holds.held == {ORG_MAY: (APRIL,)}


def test_an_organisers_own_document_in_doubt_blocks_its_later_documents() -> None:
    holds = DoubtHolds([undecided("org:2026-04:VANTAA-KERAVA")], texts("en"))
    holds.check_organisers(locked)
    assert holds.waits_for(ORG_MAY) == ("org:2026-04:VANTAA-KERAVA",)


def test_the_reason_is_in_the_configured_language() -> None:
    holds = DoubtHolds([undecided()], texts("fi"))
    holds.check_owner("inv:C1", locked)
    reason = Planner({}, holds=holds).add(document(MAY)).reason
    assert reason.startswith(f"odottaa asiakirjaa {APRIL}")
