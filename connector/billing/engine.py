"""The billing engine: source records + mappings + what was billed before -> desired documents.

Pure: no I/O, no clock (``today`` is passed in). For every observed period it computes the
current value of every task line in every role (work, voucher deduction, voucher share,
capitation fee), then compares with what stands on documents that can no longer change:

* a line whose own document can still be rebuilt goes onto that document, as it is now (a
  client's invoice freezes on the lock day, an organiser's document on its region's settlement
  day: ``periods.document_locked``; a document a person sent is frozen at once);
* otherwise the difference (now - billed on frozen documents) becomes correction rows in the
  owner's next document that can still be built: negative for what was billed wrongly,
  positive for what is missing, each with a reason code and a Finnish explanation naming the
  task; a reversal names the client and voucher as the billed line stored them.

The run is one object in several modules: ``pricing.py`` (every line's value now, capitation
fees), ``placement.py`` (placing values on documents or as corrections: ``place``/``reversal``),
this module (the run's state, which documents can still change, the owner-by-owner feed),
``lines.py`` (a document's lines and the self-pay specification), ``events.py`` (PSOP's voucher
events), ``values.py`` (the value records) and ``texts.py`` (Finnish texts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connector.billing.documents import (
    VOUCHER_DEDUCTION,
    BilledLine,
    InvoiceDocument,
    VoucherEvent,
    base_role,
    document_owner,
    document_period,
)
from connector.billing.lines import DocumentWriter
from connector.billing.periods import (
    BillingRules,
    PeriodBilled,
    PeriodState,
    document_key_locked,
    document_late,
    period_state,
)
from connector.billing.placement import Placement
from connector.billing.pricing import Pricing
from connector.billing.values import (
    CUSTOMER_OWNER,
    ORGANISER_OWNER,
    LineValue,
    owner_key,
)
from connector.billing.vat import gross_of
from connector.billing.vouchers import APPROVED, Coverage
from connector.core.domain import (
    BillableTask,
    BillingCustomer,
    Period,
    Product,
    Quarantined,
    Target,
)
from connector.core.money import ZERO
from connector.core.reasons import reason as worded
from connector.mapping.models import Mappings


@dataclass(frozen=True)
class BillingInput:
    """Everything one billing run needs (see module docstring)."""

    periods: tuple[Period, ...]  # periods being (re)built: CLOSED, not yet LOCKED
    observed_periods: tuple[Period, ...]  # periods whose tasks are COMPLETELY in ``tasks``
    customers: Mapping[str, BillingCustomer]
    targets: Mapping[str, Target]
    products: Mapping[str, Product]  # Spotilla's register: prices in euros
    tasks: Sequence[BillableTask]
    mappings: Mappings
    rules: BillingRules = field(default_factory=BillingRules)
    history: Sequence[BilledLine] = ()  # everything billed so far on documents that exist
    frozen_documents: frozenset[str] = frozenset()  # sent by a person, or period locked
    # decisions on held work by task line id: "approve" | "bill_client" | "write_off"
    review_decisions: Mapping[str, str] = field(default_factory=dict)
    # LOCKED periods the connector never invoiced: billed late, as their own documents (a
    # correction row needs a document that exists; these months have none)
    late_periods: tuple[Period, ...] = ()
    # what the ledger holds of each period's documents; when given, each document not yet in
    # Netvisor whose own lock date has passed is decided late or not by itself
    # (``periods.document_late``), and LOCKED periods in ``periods`` are built for such documents
    billed_periods: Mapping[Period, PeriodBilled] | None = None


@dataclass(frozen=True)
class BillingResult:
    documents: tuple[InvoiceDocument, ...]
    quarantined: tuple[Quarantined, ...]
    held: tuple[Quarantined, ...]  # over grant / outside validity when configured to hold
    # documents in ``history`` that are still editable but now have nothing to bill
    withdrawn: tuple[str, ...] = ()
    # correction amounts that have no later document to go to yet (they come next period)
    deferred: tuple[BilledLine, ...] = ()
    # the voucher events of the observed periods as PSOP records them (covered and held units)
    events: tuple[VoucherEvent, ...] = ()


class _Run(Pricing, Placement, DocumentWriter):
    def __init__(
        self, inp: BillingInput, today: date, history_keys: Iterable[str] | None = None
    ) -> None:
        self.inp = inp
        self.today = today
        self.rules = inp.rules
        self.late = frozenset(inp.late_periods)
        self.built = sorted(
            {
                p
                for p in set(inp.periods)
                if inp.billed_periods is not None
                or period_state(p, today, inp.rules) is not PeriodState.LOCKED
            }
            | self.late
        )
        self.history_keys = frozenset(
            history_keys if history_keys is not None else (b.document_key for b in inp.history)
        )
        self.history: Sequence[BilledLine] = ()  # the billed lines of the owner being billed
        self.history_documents: Iterable[str] = ()  # ... and the keys of its documents
        self.org_values: list[LineValue] = []  # organisers' values, gathered across owners
        self.deferred: list[BilledLine] = []
        self.withdrawn: list[str] = []
        self.observed = set(inp.observed_periods) | set(inp.periods)
        self.quarantined: list[Quarantined] = []
        self.held: list[Quarantined] = []
        self.unknown_lines: set[str] = set()  # lines whose current value cannot be computed
        self.owner_customer: dict[str, BillingCustomer] = {}
        self.review: list[tuple[str, Coverage]] = []  # (customer owner, wholly held coverage)
        self.events: list[VoucherEvent] = []
        self.approved = {line_id for line_id, d in inp.review_decisions.items() if d == APPROVED}
        self._rebuildable: dict[str, bool] = {}

    # ------------------------------------------------------------ documents that can change

    def rebuildable(self, key: str) -> bool:
        """Whether ``key`` can still be edited in place (else changes become corrections)."""
        known = self._rebuildable.get(key)
        if known is None:  # asked once per line: decided once per document in a run
            known = self._rebuildable[key] = self._decide_rebuildable(key)
        return known

    def _decide_rebuildable(self, key: str) -> bool:
        period = document_period(key)
        if period not in self.built or key in self.inp.frozen_documents:
            return False
        if period in self.late:  # never invoiced: its own (late) document, if none exists
            return key not in self.history_keys
        if not document_key_locked(
            key, today=self.today, rules=self.rules, mappings=self.inp.mappings
        ):
            return True
        billed = self.inp.billed_periods
        if billed is None or key in self.history_keys:
            return False
        return document_late(  # locked, never made: late as its own document, or a correction
            key,
            today=self.today,
            rules=self.rules,
            mappings=self.inp.mappings,
            billed=billed.get(period),
        )

    def next_document(self, owner: str, after: Period) -> str | None:
        for period in self.built:
            if period > after and self.rebuildable(key := owner_key(owner, period)):
                return key
        return None

    # ------------------------------------------------------------ current values

    def tasks(self, tasks: Iterable[BillableTask]) -> list[BillableTask]:
        chosen = []
        for task in tasks:
            if task.period not in self.observed:
                continue
            if task.customer_id not in self.inp.customers:
                self.quarantined.append(
                    Quarantined(
                        "task",
                        task.id,
                        "unknown_customer",
                        worded("unknown_customer", customer=task.customer_id, task=task.id),
                    )
                )
                self.unknown_lines.update(row.line_id for row in task.rows)
                continue
            chosen.append(task)
        return chosen

    def used_before(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(gross euros, units) of each voucher used on periods this run does not re-read.

        Read from the billed voucher-deduction lines of the ledger, so a total-count or balance
        voucher used in April has less left in May.
        """
        euros: dict[str, Decimal] = defaultdict(lambda: ZERO)
        units: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
        for line in self.history:
            if (
                base_role(line.role) == VOUCHER_DEDUCTION
                and line.voucher_id
                and line.period not in self.observed
                and not self.rebuildable(line.document_key)
            ):
                euros[line.voucher_id] -= gross_of(line.amount, line.vat_percent or ZERO)
                units[line.voucher_id] -= line.quantity
        return euros, units

    def documents(self, values: list[LineValue]) -> list[InvoiceDocument]:
        """Place one owner's values against its billed lines; its documents."""
        slots, deferred = self.place(values)
        self.review.clear()
        self.deferred.extend(deferred)
        documents = []
        for key in sorted(slots):
            document = self.document(key, slots[key])
            if document is not None:
                documents.append(document)
        produced = {d.key for d in documents}
        rebuilt = {key for key in self.history_documents if self.rebuildable(key)}
        self.withdrawn.extend(rebuilt - produced)
        return documents


def task_owner(
    task: BillableTask, customers: Mapping[str, BillingCustomer], mappings: Mappings
) -> str | None:
    """``inv:<Netvisor customer code>`` of the invoice a task goes on; None for a task whose
    billing customer is unknown (billing quarantines it)."""
    customer = customers.get(task.customer_id)
    if customer is None:
        return None
    return f"{CUSTOMER_OWNER}:{mappings.netvisor_customer_code(customer)}"


class BillingRun:
    """A billing run fed one document owner at a time, so that neither every task nor every
    billed line need be in memory at once (the sync streams them from disk and the ledger).

    Call :meth:`unknown` with the tasks whose customer is unknown first, then :meth:`owner`
    once per customer owner (``inv:<code>``: the owners with tasks and those with billed
    lines), then :meth:`organisers` with the organisers' billed lines, then :meth:`result`.
    ``inp.tasks`` and ``inp.history`` are not read: the tasks and lines come per call;
    ``history_keys`` are the keys of every document with billed lines.
    """

    def __init__(self, inp: BillingInput, today: date, history_keys: Iterable[str]) -> None:
        self._run = _Run(inp, today, history_keys)
        self._organisers_done = False
        #: the organisers (``org:<region>``) the last customer owner's work goes to
        self.last_organisers: frozenset[str] = frozenset()

    @property
    def held(self) -> Sequence[Quarantined]:
        """What billing has held so far (the owners billed until now)."""
        return self._run.held

    def unknown(self, tasks: Iterable[BillableTask]) -> None:
        """Tasks whose billing customer is unknown: quarantined, their lines not valued."""
        self._run.tasks(tasks)

    def needs_lines(self, document_key: str) -> bool:
        """Whether billing reads the billed lines of this document: only of documents that can
        no longer be rebuilt (what stands on them is compared with the work now); of the
        others it needs only the key."""
        return not self._run.rebuildable(document_key)

    def owner(
        self,
        tasks: Iterable[BillableTask],
        history: Sequence[BilledLine],
        documents: Iterable[str] | None = None,
    ) -> list[InvoiceDocument]:
        """The documents of one customer owner: its tasks and its billed lines (at least those
        of the documents that :meth:`needs_lines`, with ``documents`` the keys of all its
        documents with billed lines; without them, ``history`` is every line)."""
        if self._organisers_done:
            raise RuntimeError("organisers are billed last")
        run = self._run
        run.history = history
        run.history_documents = (
            documents if documents is not None else {line.document_key for line in history}
        )
        values = run.values(run.tasks(tasks))
        mine = []
        organisers = set()
        for value in values:
            if value.owner.startswith(ORGANISER_OWNER + ":"):
                run.org_values.append(value)
                organisers.add(value.owner)
            else:
                mine.append(value)
        self.last_organisers = frozenset(organisers)
        return run.documents(mine)

    def organisers(
        self, history: Sequence[BilledLine], documents: Iterable[str] | None = None
    ) -> list[InvoiceDocument]:
        """The organisers' documents: every owner's voucher shares and the capitation fees
        (``history`` and ``documents`` as for :meth:`owner`, over every organiser)."""
        self._organisers_done = True
        run = self._run
        run.history = history
        run.history_documents = (
            documents if documents is not None else {line.document_key for line in history}
        )
        values, run.org_values = [*run.org_values, *run.capitation_fees()], []
        return run.documents(values)

    def result(self, documents: Iterable[InvoiceDocument] = ()) -> BillingResult:
        run = self._run
        return BillingResult(
            documents=tuple(documents),
            quarantined=tuple(run.quarantined),
            held=tuple(run.held),
            withdrawn=tuple(sorted(run.withdrawn)),
            deferred=tuple(run.deferred),
            events=tuple(run.events),
        )


def bill(inp: BillingInput, *, today: date) -> BillingResult:
    """Build the desired documents of ``inp.periods`` (customer invoices, organiser documents,
    corrections). Amounts are euros; pure: the same input gives the same documents and hashes.

    The whole input in memory, billed owner by owner (:class:`BillingRun`)."""
    history_by_owner: dict[str, list[BilledLine]] = defaultdict(list)
    for line in inp.history:
        history_by_owner[document_owner(line.document_key)].append(line)
    run = BillingRun(inp, today, (line.document_key for line in inp.history))
    tasks_by_owner: dict[str | None, list[BillableTask]] = defaultdict(list)
    for task in inp.tasks:
        tasks_by_owner[task_owner(task, inp.customers, inp.mappings)].append(task)
    run.unknown(tasks_by_owner.pop(None, []))
    owners = set(tasks_by_owner) | {
        o for o in history_by_owner if not o.startswith(ORGANISER_OWNER + ":")
    }
    documents: list[InvoiceDocument] = []
    for owner in sorted(o for o in owners if o is not None):
        documents += run.owner(tasks_by_owner.get(owner, ()), history_by_owner.get(owner, ()))
    organisers = [
        line
        for owner, lines in history_by_owner.items()
        if owner.startswith(ORGANISER_OWNER + ":")
        for line in lines
    ]
    documents += run.organisers(organisers)
    return run.result(sorted(documents, key=lambda d: d.key))
