"""Property tests: whatever the work, vouchers, edits and deletions, nothing is lost or doubled."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from connector.billing import BillingRules, base_role, cover, period_state, price_lines
from connector.billing.periods import PeriodState
from connector.billing.vat import gross_price
from connector.core.domain import Period
from connector.core.money import line_amount, total

from .conftest import REGISTER, Ledger, hour, mappings, run, voucher

# these properties are about billing everything: work above a grant goes to the client
BILL_ALL = BillingRules(over_grant="bill_client")

PERIODS = [Period(2026, m) for m in range(1, 6)]
hours = st.decimals(min_value=Decimal("0.25"), max_value=Decimal("12"), places=2)
prices = st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal("80"), places=3))
codes = st.sampled_from(["KOTIHOITO-H", "KOTIHOITO-H", "SIIVOUS-H", "MATKA-KM"])
targets = st.sampled_from(["L0001", "L0001", "L0002", "L0009"])


@st.composite
def vouchers(draw, prefix: str):
    found = []
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["voucher", "balance"]))
        if kind == "voucher":
            grant = draw(st.one_of(st.none(), st.integers(1, 30).map(str)))
            count = draw(st.sampled_from(["quantity_per_period", "quantity_total"]))
            unit = draw(st.decimals(min_value=1, max_value=40, places=2))
            found.append(
                voucher(f"{prefix}-K", unit_value=str(unit), **{count: grant})
                if grant is not None
                else voucher(f"{prefix}-K", unit_value=str(unit))
            )
        else:
            amount = draw(st.decimals(min_value=0, max_value=500, places=2))
            found.append(voucher(f"{prefix}-K", kind="balance", balance=str(amount)))
    if draw(st.booleans()):
        start = draw(st.integers(1, 4))
        found.append(
            voucher(
                f"{prefix}-S",
                psop_product="SIIVOUS",
                unit_value="30.00",
                valid_from=date(2026, start, 10),
                valid_to=date(2026, start + 1, 20),
            )
        )
    return found


@st.composite
def new_task(draw, ident: str, period: Period):
    return hour(
        ident,
        period,
        hours=str(draw(hours)),
        day=draw(st.integers(1, 28)),
        target=draw(targets),
        code=draw(codes),
        price=None if (p := draw(prices)) is None else str(p),
    )


def value_of(tasks) -> Decimal:
    """What the surviving work is worth, computed without the engine: euros."""
    amounts = []
    for t in tasks:
        for r in t.rows:
            price = r.unit_price if r.unit_price is not None else REGISTER[r.product_code].price
            amounts.append(line_amount(r.quantity, price))
    return sum(amounts, Decimal(0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_all_documents_ever_produced_add_up_to_the_surviving_work_and_nothing_is_billed_twice(data):
    maps = mappings(data.draw(vouchers("A")), data.draw(vouchers("B")))
    ledger = Ledger()
    tasks: dict[str, object] = {}
    serial = 0
    for i, period in enumerate(PERIODS):
        for _ in range(data.draw(st.integers(0, 4))):
            serial += 1
            tasks[f"T{serial}"] = data.draw(new_task(f"T{serial}", period))
        close = period.next().first_day.replace(day=2)
        observed = PERIODS[: i + 1]
        run(
            maps,
            list(tasks.values()),
            periods=[period],
            observed=observed,
            today=close,
            ledger=ledger,
            rules=BILL_ALL,
        )
        # edits and deletions, anywhere in the past, after the invoice was produced
        for _ in range(data.draw(st.integers(0, 4))):
            action = data.draw(st.sampled_from(["delete", "edit", "late"]))
            if action == "late" or not tasks:
                serial += 1
                when = data.draw(st.sampled_from(observed))
                tasks[f"T{serial}"] = data.draw(new_task(f"T{serial}", when))
                continue
            victim = data.draw(st.sampled_from(sorted(tasks)))
            if action == "delete":
                del tasks[victim]
            else:
                tasks[victim] = data.draw(new_task(victim, tasks[victim].period))
        if data.draw(st.booleans()):  # a person sends this period's invoices now
            ledger.sent.update(k for k in ledger.documents if k.split(":")[1] == str(period))
        if data.draw(st.booleans()):  # a second run before the lock day: rebuild in place
            run(
                maps,
                list(tasks.values()),
                periods=[period],
                observed=observed,
                today=close.replace(day=5),
                ledger=ledger,
                rules=BILL_ALL,
            )
    settle = PERIODS[-1].next()
    result = run(
        maps,
        list(tasks.values()),
        periods=[settle],
        observed=[*PERIODS, settle],
        today=settle.next().first_day.replace(day=2),
        ledger=ledger,
        rules=BILL_ALL,
    )
    assert result.deferred == ()
    assert result.quarantined == () and result.held == ()

    documents = list(ledger.documents.values())
    corrections = sum(1 for d in documents for b in d.billed if b.role.startswith("correction"))
    event(f"correction rows: {min(corrections, 5)}{'+' if corrections >= 5 else ''}")
    event(f"credit notes: {sum(d.is_credit_note for d in documents) > 0}")
    assert sum((d.total for d in documents), Decimal(0)) == value_of(tasks.values())

    net_work: dict[str, Decimal] = defaultdict(Decimal)
    for d in documents:
        assert d.total == total(ln.amount for ln in d.priced_lines)
        regular = [(b.line_id, b.role) for b in d.billed if not b.role.startswith("correction")]
        assert len(regular) == len(set(regular)), "a task line appears twice on one document"
        for b in d.billed:
            if base_role(b.role) == "work":
                net_work[b.line_id] += b.quantity
    surviving = {r.line_id: r.quantity for t in tasks.values() for r in t.rows}
    assert {k: v for k, v in net_work.items() if v} == surviving

    # per task line and role, what stands billed equals billing everything afresh, once
    fresh = run(maps, list(tasks.values()), periods=PERIODS, today=date(2026, 2, 2), rules=BILL_ALL)
    assert net_by_line_and_role(documents) == net_by_line_and_role(fresh.documents)


def net_by_line_and_role(documents) -> dict[tuple[str, str], Decimal]:
    net: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for d in documents:
        for b in d.billed:
            net[(b.line_id, base_role(b.role))] += b.amount
    return {k: v for k, v in net.items() if v}


@settings(max_examples=200, deadline=None)
@given(
    vs=vouchers("A"),
    work=st.lists(st.tuples(hours, prices, codes, st.integers(1, 28)), max_size=8),
    over_grant=st.sampled_from(["bill_client", "hold"]),
)
def test_voucher_share_plus_self_pay_is_the_price_of_every_covered_line(vs, work, over_grant):
    maps = mappings(vs)
    period = PERIODS[1]
    tasks = [
        hour(f"T{i}", period, hours=str(h), day=day, code=code, price=None if p is None else str(p))
        for i, (h, p, code, day) in enumerate(work)
    ]
    lines, stopped = price_lines(tasks, REGISTER, maps)
    assert stopped == []
    coverages, _ = cover(lines, maps, BillingRules(over_grant=over_grant), {})
    for c in coverages:
        # gross: the voucher's value includes VAT, self-pay is what the client pays
        assert c.share + c.self_pay == c.billed_gross
        assert c.share >= 0 and c.self_pay >= 0
        if c.voucher is not None and c.voucher.kind == "voucher":
            assert c.share == min(line_amount(c.covered_quantity, c.unit_share), c.billed_gross)
            assert c.unit_share <= gross_price(c.line.unit_price, c.vat_percent)


def test_period_states_follow_each_other_in_order():
    rules = BillingRules()
    seen = [
        period_state(
            PERIODS[0], date(2026, 1, 1) + (date(2026, 3, 1) - date(2026, 2, 27)) * k, rules
        )
        for k in range(40)
    ]
    order = {PeriodState.OPEN: 0, PeriodState.CLOSED: 1, PeriodState.LOCKED: 2}
    assert [order[s] for s in seen] == sorted(order[s] for s in seen)
