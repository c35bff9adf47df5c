"""plan: desired state vs ledger rows -> actions, decided by content hash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.core.hashing import content_hash
from connector.ledger import LedgerState, ObjectKind, OwnedObject
from connector.netvisor import documents as nv
from connector.sync.desired import DesiredObject
from connector.sync.plan import ActionKind, decide, make_plan, render_table


def customer(code: str = "SP-P0001", name: str = "Testi Asiakas") -> DesiredObject:
    record = nv.CustomerRecord(code=code, name=name, is_private=True)
    return DesiredObject.of(f"cust:{code}", ObjectKind.CUSTOMER, record, f"private customer {code}")


def invoice(total: str = "20.00", editable: bool = True) -> DesiredObject:
    line = nv.ProductLine("KOTIHOITO", "Kotihoito", Decimal(total), Decimal(1), Decimal(0), "KOMY")
    payload = nv.SalesInvoice(
        date(2026, 5, 1), "SP-P0001", 14, (line,), private_comment="inv:2026-04:SP-P0001"
    )
    return DesiredObject.of(
        "inv:2026-04:SP-P0001",
        ObjectKind.INVOICE,
        payload,
        "invoice",
        depends_on=("cust:SP-P0001",),
        editable=editable,
    )


def row(
    obj: DesiredObject,
    state: LedgerState,
    *,
    content: str | None = None,
    pending: str | None = None,
    nv_key: str | None = "1001",
) -> OwnedObject:
    return OwnedObject(
        key=obj.key,
        kind=obj.kind,
        state=state,
        netvisor_key=nv_key,
        content_hash=content,
        pending_hash=pending,
        pending_action=None,
        attempts=1,
        last_error_type="PERIOD_LOCK" if state == "rejected" else None,
        last_error=None,
        period=None,
        customer_code=None,
        total=None,
        netvisor_status=None,
        created_at="",
        updated_at="",
    )


def test_the_hash_is_of_what_would_be_sent_and_sees_every_field():
    assert content_hash(customer().payload) == content_hash(customer().payload)
    # a name change must change the hash even though the record's repr hides the name
    assert customer(name="Toinen Nimi").content_hash != customer().content_hash
    assert invoice("20.00").content_hash != invoice("20.01").content_hash


@pytest.mark.parametrize(
    ("state", "content", "pending", "nv_key", "expected"),
    [
        (None, None, None, None, ActionKind.CREATE),
        (LedgerState.SENT, "same", None, "1001", ActionKind.SKIP),
        (LedgerState.CONFIRMED, "old", None, "1001", ActionKind.EDIT),
        (LedgerState.SENDING, None, "same", None, ActionKind.RECONCILE),
        (LedgerState.UNKNOWN, None, "same", None, ActionKind.RECONCILE),
        (LedgerState.REJECTED, None, "same", None, ActionKind.HOLD),
        (LedgerState.REJECTED, None, "older", None, ActionKind.CREATE),
        (LedgerState.PLANNED, None, "same", None, ActionKind.CREATE),
    ],
)
def test_decide(state, content, pending, nv_key, expected):
    obj = customer()
    h = obj.content_hash
    content = h if content == "same" else content
    pending = h if pending == "same" else pending
    ledger_row = (
        None if state is None else row(obj, state, content=content, pending=pending, nv_key=nv_key)
    )
    assert decide(obj, ledger_row).kind is expected


def test_a_frozen_invoice_that_changed_is_held_not_edited():
    obj = invoice(editable=False)
    assert decide(obj, row(obj, LedgerState.SENT, content="old")).kind is ActionKind.HOLD


def test_actions_come_in_dependency_order_and_a_key_is_planned_once():
    plan = make_plan([invoice(), customer()], {})
    assert [a.obj.kind for a in plan.actions] == [ObjectKind.CUSTOMER, ObjectKind.INVOICE]
    assert len(plan.writes()) == 2
    with pytest.raises(ValueError, match="share the key"):
        make_plan([customer(), customer()], {})


def test_the_table_names_keys_not_people():
    table = render_table(make_plan([customer()], {}).actions)
    assert "cust:SP-P0001" in table and "Testi" not in table


def test_the_content_hash_of_a_payload_is_the_one_ledgers_already_store():
    # Ledgers keep these hashes: a change to the rendering would make every object look changed
    # and edit it again. Golden values computed once; they must never change.
    payload = nv.SalesInvoice(
        invoice_date=date(2026, 5, 1),
        customer_code="C1",
        payment_term_days=14,
        lines=(
            nv.CommentLine("Kohde"),
            nv.ProductLine(
                product_code="P",
                name="Kotihoito",
                unit_price=Decimal("25.00"),
                quantity=Decimal("2"),
                vat_percent=Decimal("0"),
                vat_code="KOMY",
                free_text="x",
            ),
        ),
        status="unsent",
        private_comment="inv:2026-04:C1",
        free_text_before="Laskutuskausi 2026-04",
        free_text_after=None,
    )
    assert content_hash(payload) == (
        "a300d9292f8b2f79a7f99be18dcd947dbe11595da88f438f41a3225a6590380b"
    )
    assert content_hash(("C-1", "N-2")) == (
        "50e16263a6e87373517585181b9f30892050e6f65807da5cc0a4e79e2b6f8006"
    )


# -- memory: what a plan keeps --------------------------------------------------------------


def invoice_with_lines(key: str, n: int) -> DesiredObject:
    from connector.billing.documents import BilledLine
    from connector.core.domain import Period

    lines = tuple(
        nv.ProductLine(
            "KOTIHOITO", f"Kotihoito {i}", Decimal("30.00"), Decimal("1.5"), Decimal(0), "KOMY"
        )
        for i in range(n)
    )
    payload = nv.SalesInvoice(date(2026, 5, 1), "C1", 14, lines, private_comment=key)
    billed = tuple(
        BilledLine(
            key,
            f"T{i}:h0",
            "work",
            Period(2026, 4),
            "V1" if i % 2 else None,
            Decimal("1.5"),
            Decimal("45.00"),
            product_code="KOTIHOITO",
            unit_price=Decimal("30.00") if i % 3 else None,
            vat_percent=Decimal(0),
            vat_code="KOMY",
            psop_customer_number="P-77" if i % 2 else None,
        )
        for i in range(n)
    )
    return DesiredObject.of(key, ObjectKind.INVOICE, payload, "invoice", lines=billed)


def test_what_is_not_written_keeps_no_payload_nor_lines():
    obj = invoice_with_lines("inv:2026-04:C1", 3)
    plan = make_plan([obj], {obj.key: row(obj, LedgerState.SENT, content=obj.content_hash)})
    (skip,) = plan.actions
    assert skip.kind is ActionKind.SKIP
    assert skip.obj.payload is None and skip.obj.lines == ()
    assert (skip.obj.key, skip.obj.summary, skip.obj.content_hash) == (
        obj.key,
        obj.summary,
        obj.content_hash,
    )


def test_invoices_beyond_the_memory_budget_are_packed_and_send_the_same_bytes():
    from connector.netvisor import xml as nvxml
    from connector.netvisor.fingerprint import invoice_fingerprint
    from connector.sync.apply import render
    from connector.sync.desired import PackedInvoice
    from connector.sync.plan import Planner

    first, second = invoice_with_lines("inv:2026-04:C1", 4), invoice_with_lines("inv:2026-04:C2", 5)
    plan = Planner({}, keep_lines=6).add_all([first, second]).plan()
    kept, packed = plan.writes()
    assert kept.obj is first  # within the budget: as it is
    assert isinstance(packed.obj.payload, PackedInvoice) and packed.obj.lines == ()
    assert packed.obj.content_hash == second.content_hash
    assert render(packed.obj) == nvxml.sales_invoice_xml(second.payload)
    assert packed.obj.billed_lines() == second.lines
    assert packed.obj.payload.check == invoice_fingerprint(second.payload)
    assert len(packed.obj.payload.body_z) < len(render(packed.obj))
