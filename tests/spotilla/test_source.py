"""The source: leaf targets, nearest linked customer, Y-tunnus, billable work of a Helsinki month."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.core.domain import BillableTask, CustomerType, Period, Quarantined, RowKind
from connector.core.errors import ConfigError
from connector.spotilla import api
from connector.spotilla.source import BillableWorkRules, SpotillaSource, resolve_targets

PERSON = {
    "id": "P1",
    "type": "person",
    "name": "Testi Asiakas 001",
    "hetu": "010101-999X",
    "address": {"street": "Testikatu 1", "postal_code": "01300", "city": "Vantaa"},
}
COMPANY = {
    "id": "C1",
    "type": "company",
    "name": "Keravan Siivous Oy",
    "business_id": "0737546-2",
    "contacts": [{"name": "Laskutus", "email": "lasku@example.invalid", "role": "invoicing"}],
}
BAD_COMPANY = {"id": "C9", "type": "company", "name": "Huono Oy", "business_id": "0737546-3"}
NO_ID_COMPANY = {"id": "C8", "type": "company", "name": "Tunnukseton Oy"}


def folder(fid, parent=None, customer=None, name=None):
    return {
        "id": fid,
        "name": name or f"Kansio {fid}",
        "parent_id": parent,
        "customer_id": customer,
    }


# root R (P1) -> A -> B -> leaf L1 ; R -> leaf L2 (C1 linked directly) ; orphan root O -> L3 ;
# C9 (bad) at L4 ; uneven: R -> A -> L5 ; L6 under folder X linked to C8 (no Y-tunnus)
TREE = [
    folder("R", customer="P1", name="Vantaa–Kerava"),
    folder("A", "R"),
    folder("B", "A"),
    folder("L1", "B", name="Koti"),
    folder("L2", "R", customer="C1"),
    folder("O"),
    folder("L3", "O"),
    folder("L4", "R", customer="C9"),
    folder("L5", "A"),
    folder("X", "R", customer="C8"),
    folder("L6", "X"),
]


@pytest.fixture
def source(sp):
    def make(tasks=(), rules=None, customers=None, collections=None, **kw):
        sandbox = sp.fixture_sandbox(
            customers=customers or [PERSON, COMPANY, BAD_COMPANY, NO_ID_COMPANY],
            collections=collections or TREE,
            tasks=list(tasks),
        )
        return SpotillaSource(sp.client_for(sandbox, **kw), rules or BillableWorkRules()), sandbox

    return make


def test_leaves_are_targets_billed_through_the_nearest_linked_customer(source):
    src, _ = source()
    master = src.master_data()
    assert set(master.targets) == {"L1", "L2", "L5"}
    assert master.targets["L1"].customer_id == "P1"  # three levels up
    assert master.targets["L1"].path == ("Vantaa–Kerava", "Kansio A", "Kansio B", "Koti")
    assert master.targets["L1"].name == "Koti"
    assert master.targets["L2"].customer_id == "C1"  # its own link beats the root's
    assert master.targets["L5"].customer_id == "P1"


def test_what_cannot_be_billed_is_quarantined_with_its_rule(source):
    master = source()[0].master_data()
    by_id = {q.record_id: q for q in master.quarantined}
    assert by_id["L3"].rule == "orphan_leaf"
    assert by_id["C9"].rule == "invalid_business_id" and by_id["C9"].related == ("L4",)
    assert by_id["L4"].rule == "customer_quarantined" and "C9" in by_id["L4"].reason
    assert by_id["C8"].rule == "invalid_business_id" and "no Y-tunnus" in by_id["C8"].reason
    assert by_id["L6"].rule == "customer_quarantined" and "linked at folder X" in by_id["L6"].reason
    for q in master.quarantined:  # ids and rules only, never names
        assert (
            "Huono" not in q.reason and "Tunnukseton" not in q.reason and "Kansio" not in q.reason
        )


def test_companies_need_a_valid_y_tunnus_and_persons_need_none(source):
    master = source()[0].master_data()
    assert master.customers["C1"].business_id == "0737546-2"
    assert master.customers["C1"].type is CustomerType.COMPANY
    assert master.customers["C1"].email == "lasku@example.invalid"  # from the invoicing contact
    person = master.customers["P1"]
    assert person.is_person and person.business_id is None and person.city == "Vantaa"
    assert set(master.customers) == {"P1", "C1"}


def test_the_identity_code_never_reaches_the_domain(source):
    master = source()[0].master_data()
    assert "999X" not in repr(master)


def test_a_folder_cycle_and_an_unknown_customer_are_quarantined(source):
    tree = [
        folder("A", "B"),
        folder(
            "B",
            "A",
        ),
        folder("L", "A"),
        folder("M", None, "NOPE"),
    ]
    master = source(collections=tree)[0].master_data()
    rules = {q.record_id: q.rule for q in master.quarantined if q.kind == "target"}
    assert rules == {"L": "folder_cycle", "M": "unknown_customer"}


def test_a_parent_the_user_cannot_see_starts_the_visible_path(source):
    tree = [folder("A", "HIDDEN", "P1", name="Näkyvä"), folder("L", "A", name="Koti")]
    master = source(collections=tree)[0].master_data()
    assert master.targets["L"].path == ("Näkyvä", "Koti")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), min_size=1, max_size=40))
def test_nearest_ancestor_resolution_over_random_deep_and_uneven_trees(shape):
    # folder i's parent is some earlier folder (or none); some folders link customer "K<i>"
    folders, customers = {}, {}
    from connector.core.domain import BillingCustomer

    for i, (parent_pick, linked) in enumerate(shape):
        parent = f"F{parent_pick % i}" if i and parent_pick < 30 else None
        cid = f"K{i}" if linked else None
        folders[f"F{i}"] = api.Collection(
            id=f"F{i}", name=f"n{i}", parent_id=parent, customer_id=cid
        )
        if cid:
            customers[cid] = BillingCustomer(id=cid, type=CustomerType.PERSON, name="Testi")
    tree = resolve_targets(folders, customers, {})

    def expected(fid):
        while fid is not None:
            if folders[fid].customer_id:
                return folders[fid].customer_id
            fid = folders[fid].parent_id
        return None

    parents = {f.parent_id for f in folders.values()}
    for fid in folders:
        if fid in parents:
            assert fid not in tree.targets and fid not in tree.blocked
        elif expected(fid) is None:
            assert tree.blocked[fid].rule == "orphan_leaf"
        else:
            assert tree.targets[fid].customer_id == expected(fid)
            depth, f = 0, fid
            while f is not None:
                depth, f = depth + 1, folders[f].parent_id
            assert len(tree.targets[fid].path) == depth


# --- billable work and the Helsinki calendar ---------------------------------------------------
@pytest.mark.parametrize(
    ("completed_at", "period"),
    [
        ("2026-03-31T21:30:00Z", Period(2026, 4)),  # 00:30 on 1 April in Helsinki (EEST)
        ("2026-03-31T20:59:59Z", Period(2026, 3)),  # 23:59:59 on 31 March
        ("2026-03-29T00:59:59Z", Period(2026, 3)),  # just before the spring change (last Sun)
        ("2026-03-29T01:00:00Z", Period(2026, 3)),  # 04:00 EEST, same day
        ("2026-10-31T21:59:59Z", Period(2026, 10)),  # 23:59:59 EET, after the autumn change
        ("2026-10-31T22:00:00Z", Period(2026, 11)),
        ("2026-10-25T00:30:00Z", Period(2026, 10)),  # 03:30 EEST, the repeated hour's day
        ("2026-12-31T22:00:00Z", Period(2027, 1)),  # new year in Helsinki
        ("2026-02-28T23:00:00+01:00", Period(2026, 3)),  # any offset is read in Helsinki
    ],
)
def test_a_task_belongs_to_the_helsinki_month_of_its_completion(source, sp, completed_at, period):
    src, _ = source([sp.task("T1", "L1", completed_at)])
    master = src.master_data()
    for candidate in (period.prev(), period, period.next()):
        got = [t.id for t in src.billable_work(candidate, master) if isinstance(t, BillableTask)]
        assert got == (["T1"] if candidate == period else []), candidate


def test_rows_keep_stable_line_ids_dates_and_overrides(source, sp):
    t = sp.task(
        "T7",
        "L1",
        "2026-03-31T21:30:00Z",
        rows=[
            {"product_code": "ATERIA", "quantity": "3"},
            {"product_code": "ATERIA", "quantity": "1,5", "unit_price": "8.00", "description": "x"},
        ],
        hours=[{"product_code": "KOTIHOITO-H", "hours": "2.25", "date": "2026-03-30"}],
        order_number="TIL-1",
    )
    src, _ = source([t])
    (work,) = list(src.billable_work(Period(2026, 4), src.master_data()))
    assert isinstance(work, BillableTask)
    assert (work.target_id, work.customer_id, work.order_number) == ("L1", "P1", "TIL-1")
    assert [r.line_id for r in work.rows] == ["T7:p0", "T7:p1", "T7:h0"]
    p0, p1, h0 = work.rows
    assert p0.kind is RowKind.PRODUCT and p0.unit_price is None and p0.quantity == Decimal(3)
    assert p0.work_date == date(2026, 4, 1)  # the completion date in Helsinki, not UTC
    assert p1.unit_price == Decimal("8.00") and p1.quantity == Decimal("1.5")
    assert h0.kind is RowKind.HOURS and h0.work_date == date(2026, 3, 30)
    assert h0.quantity == Decimal("2.25")


def test_the_api_is_asked_with_a_day_wider_window_and_cut_exactly(sp):
    import httpx

    sandbox = sp.fixture_sandbox(
        customers=[PERSON],
        collections=TREE,
        tasks=[
            sp.task("T1", "L1", "2026-02-28T22:30:00Z"),  # 1 March 00:30 in Helsinki
            sp.task("T2", "L1", "2026-02-28T21:30:00Z"),
        ],  # still February
    )
    wsgi = httpx.WSGITransport(app=sandbox)
    asked = []

    def spy(request):
        if request.url.path.endswith("/tasks"):
            asked.append(dict(request.url.params))
        return wsgi.handle_request(request)

    src = SpotillaSource(sp.client_for(spy, credentials=sandbox.credentials), BillableWorkRules())
    master = src.master_data()
    assert [t.id for t in src.billable_work(Period(2026, 3), master)] == ["T1"]
    assert asked[0]["completed_from"] == "2026-02-28" and asked[0]["completed_to"] == "2026-04-01"
    assert "updated_since" not in asked[0]  # a period is read whole


def test_statuses_and_order_numbers_follow_the_rules(source, sp):
    at = "2026-03-10T10:00:00+02:00"
    tasks = [
        sp.task("T1", "L1", at, status="completed"),
        sp.task("T2", "L1", at, status="approved", order_number="TIL-2"),
        sp.task("T3", "L1", None, status="open"),
        sp.task("T4", "L1", at, status="cancelled"),
    ]
    src, _ = source(tasks)
    master = src.master_data()
    assert [t.id for t in src.billable_work(Period(2026, 3), master)] == ["T1", "T2"]

    src, _ = source(tasks, rules=BillableWorkRules.from_config("approved", False))
    assert [t.id for t in src.billable_work(Period(2026, 3), master)] == ["T2"]

    src, _ = source(tasks, rules=BillableWorkRules.from_config("completed", True))
    out = list(src.billable_work(Period(2026, 3), master))
    assert isinstance(out[0], Quarantined) and out[0].rule == "missing_order_number"
    assert isinstance(out[1], BillableTask) and out[1].id == "T2"


def test_rules_from_config_refuse_unknown_words():
    assert BillableWorkRules.from_config("completed", False).statuses == {"completed", "approved"}
    with pytest.raises(ConfigError):
        BillableWorkRules.from_config("done", False)


def test_each_bad_task_is_quarantined_with_its_rule_while_good_ones_flow(source, sp):
    at = "2026-03-10T10:00:00+02:00"
    tasks = [
        sp.task("OK", "L1", at),
        sp.task("UP", "L1", at, rows=[{"product_code": "NOPE", "quantity": "1"}]),
        sp.task("QTY", "L1", at, rows=[{"product_code": "ATERIA", "quantity": "paljon"}]),
        sp.task("NOAT", "L1", None, updated_at=at),
        sp.task("ORPH", "L3", at),
        sp.task("BADC", "L4", at),
        sp.task("INNER", "B", at),
        sp.task("GONE", "ZZZ", at),
        {"id": "BROKEN", "status": "completed", "completed_at": at},
    ]
    src, _ = source(tasks)
    out = list(src.billable_work(Period(2026, 3), src.master_data()))
    good = [t.id for t in out if isinstance(t, BillableTask)]
    rules = {q.record_id: q.rule for q in out if isinstance(q, Quarantined)}
    assert good == ["OK"]
    assert rules == {
        "UP": "unknown_product",
        "QTY": "invalid_quantity",
        "NOAT": "missing_completed_at",
        "ORPH": "orphan_leaf",
        "BADC": "customer_quarantined",
        "INNER": "task_on_inner_folder",
        "GONE": "unknown_folder",
        "BROKEN": "invalid_record",
    }
    broken = next(q for q in out if isinstance(q, Quarantined) and q.record_id == "BROKEN")
    assert "collection_id" in broken.reason
    unknown = next(q for q in out if isinstance(q, Quarantined) and q.record_id == "UP")
    assert unknown.related == ("UP:p0",) and "NOPE" in unknown.reason


def test_billable_work_is_a_stream(source, sp):
    tasks = [sp.task(f"T{i}", "L1", "2026-03-10T10:00:00+02:00") for i in range(50)]
    src, sandbox = source(tasks, per_page=10, concurrency=1)
    master = src.master_data()
    before = sandbox.requests_served
    it = src.billable_work(Period(2026, 3), master)
    next(it)
    assert sandbox.requests_served - before == 1
    it.close()


def test_the_generated_sandbox_flows_with_every_bad_record_quarantined(generated, sp):
    src = SpotillaSource(sp.client_for(generated, per_page=25), BillableWorkRules())
    master = src.master_data()
    rules = {q.record_id: q.rule for q in master.quarantined}
    assert rules == {
        "C9001": "invalid_business_id",
        "L9001": "customer_quarantined",
        "L9002": "orphan_leaf",
    }
    assert "999X" not in repr(master.customers["P0002"])
    assert {f"L{i:04d}" for i in range(1, 21)} == set(master.targets)
    assert all(master.targets[f"L{i:04d}"].customer_id == f"P{i:04d}" for i in range(1, 9))
    out = list(src.billable_work(Period(2026, 10), master))
    bad = {q.record_id: q.rule for q in out if isinstance(q, Quarantined)}
    assert bad == {
        "T9001": "unknown_product",
        "T9002": "invalid_quantity",
        "T9003": "missing_completed_at",
        "T9004": "customer_quarantined",
        "T9005": "customer_quarantined",
        "T9006": "orphan_leaf",
    }
    good = [t for t in out if isinstance(t, BillableTask)]
    assert len(good) > 50
    assert all(
        t.period == Period(2026, 10) and Period.of(t.completed_at) == Period(2026, 10) for t in good
    )
    products = Counter(r.product_code for t in good for r in t.rows)
    assert products["KOTIHOITO-H"] and products["SIIVOUS-H"]
