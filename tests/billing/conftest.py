"""A small, obviously fake world for billing tests: one region, a PSOP client, a company."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connector.billing import BilledLine, BillingInput, BillingResult, BillingRules, bill
from connector.core.domain import (
    BillableTask,
    BillingCustomer,
    CustomerType,
    Period,
    Product,
    RowKind,
    Target,
    WorkRow,
)
from connector.mapping import Mappings, ProductMapping, Region, TargetMapping, Voucher

D = Decimal
APRIL, MAY, JUNE = Period(2026, 4), Period(2026, 5), Period(2026, 6)

REGISTER = {
    "KOTIHOITO-H": Product("KOTIHOITO-H", "Kotihoito", "h", D("25.00")),
    "SIIVOUS-H": Product("SIIVOUS-H", "Siivous", "h", D("42.00")),
    "MATKA-KM": Product("MATKA-KM", "Matka", "km", D("0.59")),
    "TURVAPUH-KK": Product("TURVAPUH-KK", "Turvapuhelin", "kk", D("30.00")),
}
PRODUCTS = {
    "KOTIHOITO-H": ProductMapping(
        spotilla_code="KOTIHOITO-H",
        netvisor_code="KOTIHOITO",
        name="Kotihoito",
        unit="h",
        vat_percent=D("0"),
        vat_code="NONE",
    ),
    "SIIVOUS-H": ProductMapping(
        spotilla_code="SIIVOUS-H",
        netvisor_code="SIIVOUS",
        name="Siivous",
        unit="h",
        vat_percent=D("25.5"),
        vat_code="KOMY",
    ),
    "MATKA-KM": ProductMapping(
        spotilla_code="MATKA-KM",
        netvisor_code="MATKAKULUT",
        name="Matkakulut",
        unit="km",
        vat_percent=D("25.5"),
        vat_code="KOMY",
    ),
    "TURVAPUH-KK": ProductMapping(
        spotilla_code="TURVAPUH-KK",
        netvisor_code="TURVAPUHELIN",
        name="Turvapuhelin",
        unit="kk",
        vat_percent=D("0"),
        vat_code="NONE",
    ),
}
PERSON = BillingCustomer("P0001", CustomerType.PERSON, "Testi Henkilö")
PERSON2 = BillingCustomer("P0002", CustomerType.PERSON, "Toinen Testihenkilö")
COMPANY = BillingCustomer("C0001", CustomerType.COMPANY, "Testiyhtiö Oy", business_id="1234567-1")
TARGETS = {
    "L0001": Target("L0001", "Kohde Yksi", ("Asiakkaat", "Kohde Yksi"), "P0001"),
    "L0002": Target("L0002", "Kohde Kaksi", ("Asiakkaat", "Kohde Kaksi"), "P0002"),
    "L0009": Target("L0009", "Toimisto", ("Yritykset", "Toimisto"), "C0001"),
}


def voucher(
    id: str = "V-1",
    kind: str = "voucher",
    psop_product: str = "KOTIHOITO",
    valid_from: date = date(2026, 1, 1),
    valid_to: date | None = None,
    **amounts: str,
) -> Voucher:
    if not amounts:
        amounts = {"unit_value": "15.00"}
    if kind == "voucher" and not {"quantity_per_period", "quantity_total"} & set(amounts):
        amounts = {**amounts, "quantity_per_period": "1000"}  # a grant no test reaches
    return Voucher(
        id=id,
        kind=kind,
        psop_product=psop_product,
        valid_from=valid_from,
        valid_to=valid_to,
        **{k: D(v) if isinstance(v, str) else v for k, v in amounts.items()},
    )


def mappings(
    vouchers: Sequence[Voucher] = (),
    vouchers2: Sequence[Voucher] = (),
    organiser_document: bool = True,
) -> Mappings:
    region = Region(
        code="VANTAA-KERAVA",
        organiser_name="Vantaan ja Keravan hyvinvointialue",
        organiser_business_id="3221265-7",
        organiser_customer_code="ORG-VAKE",
        organiser_document=organiser_document,
        voucher_deduction_product="PSETELI",
        product_links={
            "KOTIHOITO": "KOTIHOITO-H",
            "SIIVOUS": "SIIVOUS-H",
            "TURVAPUHELIN": "TURVAPUH-KK",
        },
    )
    targets = {
        "L0001": TargetMapping(
            folder_id="L0001",
            name="Kohde Yksi",
            region="VANTAA-KERAVA",
            psop_customer_number="100001",
            vouchers=tuple(vouchers),
        ),
        "L0002": TargetMapping(
            folder_id="L0002",
            name="Kohde Kaksi",
            region="VANTAA-KERAVA",
            psop_customer_number="100002",
            vouchers=tuple(vouchers2),
        ),
    }
    return Mappings(regions={region.code: region}, targets=targets, products=PRODUCTS)


def row(line_id: str, code: str, quantity: str, day: date, price: str | None = None) -> WorkRow:
    kind = RowKind.HOURS if code.endswith("-H") else RowKind.PRODUCT
    return WorkRow(line_id, kind, code, D(quantity), None if price is None else D(price), day)


def task(
    id: str,
    period: Period,
    rows: Iterable[WorkRow],
    target: str = "L0001",
) -> BillableTask:
    customer = TARGETS[target].customer_id
    rows = tuple(rows)
    done = max(r.work_date for r in rows) if rows else period.first_day
    return BillableTask(
        id=id,
        target_id=target,
        customer_id=customer,
        status="completed",
        completed_at=datetime(done.year, done.month, done.day, 12, tzinfo=UTC),
        period=period,
        rows=rows,
    )


def hour(
    id: str,
    period: Period,
    hours: str = "1",
    day: int = 3,
    target: str = "L0001",
    code: str = "KOTIHOITO-H",
    price: str | None = None,
) -> BillableTask:
    """A task with one hour row ``<id>:h0``."""
    when = date(period.year, period.month, day)
    return task(id, period, [row(f"{id}:h0", code, hours, when, price)], target)


@dataclass
class Ledger:
    """What exists in Netvisor: the latest version of every document the engine produced."""

    documents: dict[str, object] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)  # documents a person already sent

    @property
    def history(self) -> list[BilledLine]:
        return [line for doc in self.documents.values() for line in doc.billed]

    def record(self, result: BillingResult) -> None:
        for doc in result.documents:
            self.documents[doc.key] = doc
        for key in result.withdrawn:
            self.documents.pop(key, None)


def run(
    maps: Mappings,
    tasks: Sequence[BillableTask],
    *,
    periods: Sequence[Period],
    observed: Sequence[Period] = (),
    today: date,
    ledger: Ledger | None = None,
    rules: BillingRules | None = None,
    decisions: dict[str, str] | None = None,
    late: Sequence[Period] = (),
) -> BillingResult:
    """One billing run; records the result in ``ledger`` (if given) like the sync would."""
    ledger = ledger if ledger is not None else Ledger()
    inp = BillingInput(
        periods=tuple(periods),
        observed_periods=tuple(observed) or tuple(periods),
        customers={c.id: c for c in (PERSON, PERSON2, COMPANY)},
        targets=TARGETS,
        products=REGISTER,
        tasks=tuple(tasks),
        mappings=maps,
        rules=rules or BillingRules(),
        history=tuple(ledger.history),
        late_periods=tuple(late),
        frozen_documents=frozenset(ledger.sent),
        review_decisions=decisions or {},
    )
    result = bill(inp, today=today)
    assert_owner_order_does_not_matter(inp, today, result)
    ledger.record(result)
    return result


def assert_owner_order_does_not_matter(
    inp: BillingInput, today: date, result: BillingResult
) -> None:
    """The sync bills owner by owner in whatever order its task store and ledger give them,
    each owner with only its own billed lines: the result must be the one ``bill`` gives."""
    from collections import defaultdict

    from connector.billing.documents import document_owner
    from connector.billing.engine import BillingRun, task_owner

    history: dict[str, list[BilledLine]] = defaultdict(list)
    for line in inp.history:
        history[document_owner(line.document_key)].append(line)
    tasks: dict[str | None, list[BillableTask]] = defaultdict(list)
    for task in inp.tasks:
        tasks[task_owner(task, inp.customers, inp.mappings)].append(task)
    streamed = BillingRun(inp, today, (line.document_key for line in inp.history))
    streamed.unknown(tasks.pop(None, []))
    owners = set(tasks) | {o for o in history if o.startswith("inv:")}
    documents = []
    for owner in sorted(owners, reverse=True):  # not the order ``bill`` uses
        # only the lines billing reads, as the sync hands them over; the keys of all
        lines = history.get(owner, [])
        keys = {ln.document_key for ln in lines}
        wanted = [ln for ln in lines if streamed.needs_lines(ln.document_key)]
        documents += streamed.owner(tasks.get(owner, []), wanted, keys)
    organiser_lines = [ln for o, ls in history.items() if o.startswith("org:") for ln in ls]
    documents += streamed.organisers(
        [ln for ln in organiser_lines if streamed.needs_lines(ln.document_key)],
        {ln.document_key for ln in organiser_lines},
    )
    other = streamed.result(documents)
    assert sorted(other.documents, key=lambda d: d.key) == list(result.documents)
    assert sorted(other.withdrawn) == sorted(result.withdrawn)
    for field_name in ("quarantined", "held", "deferred", "events"):
        assert sorted(map(repr, getattr(other, field_name))) == sorted(
            map(repr, getattr(result, field_name))
        ), field_name


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()
