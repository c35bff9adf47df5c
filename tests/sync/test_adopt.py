"""adopt: an invoice the plan would create without a ledger row is looked for in Netvisor
first (unit level, a fake client and a real ledger file; the e2e tests are tests/e2e/test_adopt.py).
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sync.helpers import invoice, run_context

from connector.core.domain import Period
from connector.ledger import Ledger, LedgerState
from connector.netvisor import documents as nv
from connector.sync.adopt import LIST_MAY_BE_CUT, Adopter, wanted
from connector.sync.context import RunAborted
from connector.sync.plan import ActionKind, Plan, Planner


def shown(obj, *, key: str, status: str = "unsent", quantity: str = "2") -> nv.InvoiceDetail:
    """What getsalesinvoice.nv shows of ``obj``'s invoice (``quantity`` as a person left it)."""
    payload = obj.payload
    (line,) = payload.lines
    return nv.InvoiceDetail(
        netvisor_key=key,
        number="1",
        invoice_date=payload.invoice_date,
        status=status,
        customer_code=payload.customer_code,
        total=line.unit_price * Decimal(quantity),
        private_comment=obj.key,
        product_lines=(
            nv.DetailProductLine(
                line.product_code, Decimal(quantity), line.unit_price, line.vat_percent
            ),
        ),
    )


#: the day a busy company's other invoices are dated (the month before's invoice day)
BUSY_DAY = date(2026, 4, 1)


class FakeNetvisor:
    """``pad``: other customers' invoices, as a busy company has: that many on each day of
    ``pad_days`` (the list is by invoice date, both ends included, as Netvisor's)."""

    def __init__(
        self,
        details: list[nv.InvoiceDetail],
        *,
        unreadable: int = 0,
        pad: int = 0,
        pad_days: tuple[date, ...] = (BUSY_DAY,),
    ):
        self.details = details
        self.unreadable = unreadable
        self.others = [
            nv.InvoiceSummary(f"X{day}:{i}", None, day, "open", "OTHER", Decimal(1), Decimal(1))
            for day in pad_days
            for i in range(pad)
        ]
        self.lists: list[str | None] = []
        self.ranges: list[tuple[date, date, str | None]] = []
        self.sizes: list[int] = []  # how many invoices each list carried

    def sales_invoices(self, *, begin: date, end: date, customer_code: str | None = None):
        self.lists.append(customer_code)
        self.ranges.append((begin, end, customer_code))
        found = self._listed(begin, end, customer_code)
        self.sizes.append(len(found))
        return found

    def _listed(self, begin: date, end: date, customer_code: str | None):
        rows = [
            nv.InvoiceSummary(
                d.netvisor_key,
                d.number,
                d.invoice_date,
                d.status,
                d.customer_code,
                d.total,
                d.total,
            )
            for d in self.details
        ] + self.others
        return [
            r
            for r in rows
            if begin <= r.invoice_date <= end
            and (customer_code is None or r.customer_code == customer_code)
        ]

    def sales_invoices_by_keys(self, keys):
        keys = set(keys)
        found = [d for d in self.details if d.netvisor_key in keys]
        return found[self.unreadable :]


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


def context(ledger: Ledger, *, read_only: bool = False):
    ctx = run_context(ledger)
    config = SimpleNamespace(connector=SimpleNamespace(language="en"))
    return dataclasses.replace(ctx, config=config, read_only=read_only)


def plan_of(*objs):
    return Planner({}).add_all(objs).plan()


def adopt_existing(ctx, client, plan, rows, *, adopt_unmatched=False):
    """``plan`` as a streamed run decides it: each invoice create the ledger does not know
    goes through one Adopter over the months of the plan's creates."""
    creates = [a for a in plan.actions if wanted(a, rows)]
    adopter = Adopter(
        ctx,
        client,
        rows,
        periods=[Period.parse(a.obj.period) for a in creates],
        codes={a.obj.customer_code for a in creates},
        adopt_unmatched=adopt_unmatched,
    )
    return Plan([adopter.decide(a) for a in plan.actions])


def test_the_same_content_is_adopted_into_the_ledger_and_nothing_is_sent(ledger):
    obj = invoice("C1")
    ctx = context(ledger)
    plan = adopt_existing(ctx, FakeNetvisor([shown(obj, key="77")]), plan_of(obj), {})
    (action,) = plan.actions
    assert action.kind is ActionKind.SKIP and action.netvisor_key == "77"
    row = ledger.get(obj.key)
    assert (row.state, row.netvisor_key, row.content_hash) == (
        LedgerState.CONFIRMED,
        "77",
        obj.content_hash,
    )
    assert [b.line_id for b in ledger.billed_lines(document_key=obj.key)] == [
        b.line_id for b in obj.lines
    ]
    assert ctx.report.counts["adopted"] == 1


def test_a_plan_shows_the_adoption_and_records_nothing(ledger):
    obj = invoice("C1")
    plan = adopt_existing(
        context(ledger, read_only=True), FakeNetvisor([shown(obj, key="77")]), plan_of(obj), {}
    )
    assert plan.actions[0].kind is ActionKind.SKIP and ledger.get(obj.key) is None


def test_other_content_is_held_and_only_adopt_turns_it_into_an_edit(ledger):
    obj = invoice("C1")
    other = shown(obj, key="77", quantity="3")
    ctx = context(ledger)
    (held,) = adopt_existing(ctx, FakeNetvisor([other]), plan_of(obj), {}).actions
    assert held.kind is ActionKind.HOLD and ledger.get(obj.key) is None
    assert "--adopt" in ctx.report.problems[0] and ctx.report.counts["awaiting_person"] == 1
    (edit,) = adopt_existing(
        ctx, FakeNetvisor([other]), plan_of(obj), {}, adopt_unmatched=True
    ).actions
    assert edit.kind is ActionKind.EDIT and edit.netvisor_key == "77"
    row = ledger.get(obj.key)
    assert row.state is LedgerState.CONFIRMED and row.content_hash is None
    assert ledger.billed_lines(document_key=obj.key) == []


def test_other_content_already_sent_stays_held_even_with_adopt(ledger):
    obj = invoice("C1")
    sent = shown(obj, key="77", quantity="3", status="open")
    ctx = context(ledger)
    (held,) = adopt_existing(
        ctx, FakeNetvisor([sent]), plan_of(obj), {}, adopt_unmatched=True
    ).actions
    assert held.kind is ActionKind.HOLD and ledger.get(obj.key) is None


def test_a_key_on_two_invoices_is_held(ledger):
    obj = invoice("C1")
    ctx = context(ledger)
    twice = [shown(obj, key="77"), shown(obj, key="78")]
    (held,) = adopt_existing(ctx, FakeNetvisor(twice), plan_of(obj), {}).actions
    assert held.kind is ActionKind.HOLD and "77, 78" in ctx.report.problems[0]


def test_an_unreadable_candidate_stops_the_run_before_any_write(ledger):
    obj = invoice("C1")
    with pytest.raises(RunAborted):
        adopt_existing(
            context(ledger), FakeNetvisor([shown(obj, key="77")], unreadable=1), plan_of(obj), {}
        )


def test_a_day_whose_list_may_be_cut_short_is_asked_again_per_customer(ledger):
    """A big company: one day holds so many invoices that its list may have been cut short
    (Netvisor states no limit; a list that long is never trusted). The dates are halved down
    to that day; the rest of the window lists whole; that day is asked per customer."""
    a, b = invoice("C1"), invoice("C2")
    hidden = dataclasses.replace(shown(a, key="77"), invoice_date=BUSY_DAY)  # a person moved it
    client = FakeNetvisor([hidden], pad=LIST_MAY_BE_CUT)
    plan = adopt_existing(context(ledger), client, plan_of(a, b), {})
    per_customer = [(first, last, code) for first, last, code in client.ranges if code]
    assert per_customer == [(BUSY_DAY, BUSY_DAY, "C1"), (BUSY_DAY, BUSY_DAY, "C2")]
    whole = [(first, last) for first, last, code in client.ranges if code is None]
    assert len(whole) <= 2 * 8 + 1  # halving about 185 days: at most two lists a level
    assert (BUSY_DAY, BUSY_DAY) in whole
    kinds = {x.obj.key: x.kind for x in plan.actions}
    assert kinds == {a.key: ActionKind.SKIP, b.key: ActionKind.CREATE}


def test_two_busy_days_cost_one_list_a_customer_not_two(ledger):
    """Two months of a big company's invoices in the window: each invoice day is too long to
    trust; each customer is listed once, from the first such day to the last."""
    a, b = invoice("C1"), invoice("C2")
    earlier = date(2026, 3, 1)
    hidden = dataclasses.replace(shown(a, key="77"), invoice_date=earlier)
    client = FakeNetvisor([hidden], pad=LIST_MAY_BE_CUT, pad_days=(earlier, BUSY_DAY))
    plan = adopt_existing(context(ledger), client, plan_of(a, b), {})
    per_customer = [(first, last, code) for first, last, code in client.ranges if code]
    assert per_customer == [(earlier, BUSY_DAY, "C1"), (earlier, BUSY_DAY, "C2")]
    kinds = {x.obj.key: x.kind for x in plan.actions}
    assert kinds == {a.key: ActionKind.SKIP, b.key: ActionKind.CREATE}


def test_a_few_hundred_invoices_a_month_are_listed_in_halves_not_per_customer(ledger):
    """A company with some 300 invoices a month: the months around the one billed hold more
    than a list may carry whole, but each month's invoice day does not. Halving the dates
    finds every invoice with a few lists; no customer is listed alone."""
    a, b = invoice("C1"), invoice("C2")
    client = FakeNetvisor(
        [shown(a, key="77")], pad=300, pad_days=(date(2026, 3, 1), BUSY_DAY, date(2026, 5, 1))
    )
    plan = adopt_existing(context(ledger), client, plan_of(a, b), {})
    assert all(code is None for _first, _last, code in client.ranges)
    assert client.sizes[0] >= LIST_MAY_BE_CUT and 1 < len(client.ranges) <= 9
    # the lists short enough to be trusted cover the whole window, each day once
    (window_begin, window_end, _), *_ = client.ranges
    trusted = sorted(
        (first, last)
        for (first, last, _code), size in zip(client.ranges, client.sizes, strict=True)
        if size < LIST_MAY_BE_CUT
    )
    assert trusted[0][0] == window_begin and trusted[-1][1] == window_end
    for (_, last), (first, _) in itertools.pairwise(trusted):
        assert first == last + timedelta(days=1)
    kinds = {x.obj.key: x.kind for x in plan.actions}
    assert kinds == {a.key: ActionKind.SKIP, b.key: ActionKind.CREATE}


def test_only_creates_the_ledger_does_not_know_are_looked_up(ledger):
    client = FakeNetvisor([])
    plan = adopt_existing(context(ledger), client, plan_of(), {})
    assert client.lists == [] and plan.actions == []


class CountingNetvisor(FakeNetvisor):
    """Counts which invoices are read in full."""

    def __init__(self, details, **kw):
        super().__init__(details, **kw)
        self.read: list[str] = []

    def sales_invoices_by_keys(self, keys):
        keys = list(keys)
        self.read.extend(keys)
        return super().sales_invoices_by_keys(keys)


def test_a_streamed_run_looks_up_when_the_first_unknown_invoice_is_decided_and_once(ledger):
    """The Adopter of a streamed sync: nothing is read until an invoice the ledger does not know
    is about to be created; then one list covers the months in play, and the invoices after it
    are decided from what that list found."""

    a, b = invoice("C1"), invoice("C2")
    client = CountingNetvisor([shown(a, key="77")])
    adopter = Adopter(context(ledger), client, {}, periods=[Period(2026, 4)])
    assert client.lists == [] and client.read == []
    first, second = (adopter.decide(x) for x in plan_of(a, b).actions)
    assert (first.kind, second.kind) == (ActionKind.SKIP, ActionKind.CREATE)
    assert client.lists == [None] and client.read == ["77"]


def test_an_invoice_whose_netvisor_key_the_ledger_knows_is_not_read_in_full(ledger):
    """Its private comment is its own document's key: only unknown invoices can be adopted."""

    known, new = invoice("C1"), invoice("C2")
    ledger.mark_sending(known.key, known.kind, pending_hash="h", action="create")
    ledger.mark_sent(known.key, "77")
    rows = {r.key: r for r in ledger.objects()}
    client = CountingNetvisor([shown(known, key="77"), shown(new, key="78")])
    adopter = Adopter(context(ledger), client, rows, periods=[Period(2026, 4)])
    (action,) = plan_of(new).actions
    assert adopter.decide(action).kind is ActionKind.SKIP
    assert client.read == ["78"]
