"""apply: the pipelined sender against a fake Netvisor and a real ledger file.

Every write has its intent (``sending``) committed before it leaves and its outcome committed
after its answer; a stop request is honoured between writes only; errors land in the state a
person or reconcile can act on.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sync.helpers import customer, invoice, product, run_context

from connector.core.errors import AmbiguousWriteError
from connector.ledger import Ledger, LedgerState, ObjectKind
from connector.netvisor import documents as nv
from connector.netvisor.errors import (
    NetvisorAuthenticationError,
    NetvisorDuplicateData,
    NetvisorInvalidData,
)
from connector.sync.apply import WRITERS, adopt_duplicate, apply_plan
from connector.sync.context import RunAborted
from connector.sync.desired import DesiredObject
from connector.sync.plan import ActionKind, make_plan


class FakeNetvisor:
    """Answers writes with running keys; notes the ledger state each key had when it was sent.

    The state is read through a connection of its own, so it sees committed rows only.
    """

    def __init__(self, ledger_path: Path) -> None:
        self._db = sqlite3.connect(ledger_path, check_same_thread=False)
        self.calls: list[tuple[str, str]] = []  # (method, key or code)
        self.state_when_sent: dict[str, str | None] = {}
        self.fail: dict[str, Exception] = {}  # key -> error to raise when it is sent
        self.on_send: Callable[[str], None] = lambda key: None
        self.existing_customers: dict[str, str] = {}
        self.existing_products: dict[str, str] = {}  # what a look-up finds (code -> key)
        self.bodies: dict[str, bytes | None] = {}  # key -> the body the sender was handed
        self._next = 100

    def close(self) -> None:
        self._db.close()

    def _write(self, method: str, key: str) -> str:
        row = self._db.execute("SELECT state FROM objects WHERE key = ?", [key]).fetchone()
        self.state_when_sent[key] = row[0] if row else None
        self.calls.append((method, key))
        self.on_send(key)
        if key in self.fail:
            raise self.fail[key]
        self._next += 1
        return f"NV-{self._next}"

    def add_customer(self, record: nv.CustomerRecord, *, body: bytes | None = None) -> str:
        self.bodies[f"cust:{record.code}"] = body
        return self._write("add_customer", f"cust:{record.code}")

    def edit_customer(
        self, netvisor_key: str, record: nv.CustomerRecord, *, body: bytes | None = None
    ) -> None:
        self.calls.append(("edit_customer", netvisor_key))

    def customers_by_code(self, codes: list[str]) -> dict[str, nv.CustomerSummary]:
        self.calls.append(("customers_by_code", ",".join(codes)))
        return {
            c: nv.CustomerSummary(self.existing_customers[c], c, None, None)
            for c in codes
            if c in self.existing_customers
        }

    def product_by_code(self, code: str) -> nv.ProductSummary | None:
        self.calls.append(("product_by_code", code))
        key = self.existing_products.get(code)
        return nv.ProductSummary(key, code, None, None) if key else None

    def add_product(self, record: nv.ProductRecord, *, body: bytes | None = None) -> str:
        self.bodies[f"prod:{record.code}"] = body
        return self._write("add_product", f"prod:{record.code}")

    def add_sales_invoice(self, invoice: nv.SalesInvoice, *, body: bytes | None = None) -> str:
        self.bodies[invoice.private_comment or ""] = body
        return self._write("add_sales_invoice", invoice.private_comment or "")

    def edit_sales_invoice(
        self, netvisor_key: str, invoice: nv.SalesInvoice, *, body: bytes | None = None
    ) -> None:
        self.bodies[invoice.private_comment or ""] = body
        self._write("edit_sales_invoice", invoice.private_comment or "")


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


@pytest.fixture
def netvisor(ledger: Ledger) -> Iterator[FakeNetvisor]:
    fake = FakeNetvisor(ledger.path)
    yield fake
    fake.close()


def plan_of(ledger: Ledger, *objects: DesiredObject):
    return make_plan(objects, {r.key: r for r in ledger.objects()})


def state(ledger: Ledger, key: str) -> LedgerState | None:
    row = ledger.get(key)
    return row.state if row else None


def test_every_write_is_committed_as_sending_before_it_leaves_and_sent_after(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    ctx = run_context(ledger)
    plan = plan_of(ledger, invoice(), customer(), product())
    apply_plan(ctx, netvisor, plan)  # type: ignore[arg-type]
    keys = ["cust:C1", "prod:KOTIHOITO", "inv:2026-04:C1"]
    assert [key for _, key in netvisor.calls] == keys  # customers, products, then invoices
    assert netvisor.state_when_sent == dict.fromkeys(keys, "sending")
    assert [state(ledger, k) for k in keys] == [LedgerState.SENT] * 3
    assert [ledger.get(k).netvisor_key for k in keys] == ["NV-101", "NV-102", "NV-103"]
    assert ctx.report.counts["created"] == 3
    # the invoice's billed-line version and its check value settled with it
    row = ledger.get("inv:2026-04:C1")
    assert (row.pending_hash, row.pending_check, row.content_hash) == (
        None,
        None,
        invoice().content_hash,
    )


def test_an_unchanged_plan_sends_nothing_the_second_time(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    apply_plan(run_context(ledger), netvisor, plan_of(ledger, customer(), product(), invoice()))  # type: ignore[arg-type]
    netvisor.calls.clear()
    again = plan_of(ledger, customer(), product(), invoice())
    assert [a.kind for a in again.actions] == [ActionKind.SKIP] * 3
    apply_plan(run_context(ledger), netvisor, again)  # type: ignore[arg-type]
    assert netvisor.calls == []


def test_a_stop_request_is_honoured_between_writes_never_mid_write(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    stop = threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if done == 2:  # the stop arrives just after the check before write 2
            stop.set()

    ctx = run_context(ledger, stop=stop, progress=progress)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product(), invoice()))  # type: ignore[arg-type]
    assert ctx.report.stopped
    # write 2 was already under way: it went out and its answer was recorded; write 3 never began
    assert [key for _, key in netvisor.calls] == ["cust:C1", "prod:KOTIHOITO"]
    assert state(ledger, "cust:C1") is LedgerState.SENT
    assert state(ledger, "prod:KOTIHOITO") is LedgerState.SENT
    assert ledger.objects(states=[LedgerState.SENDING, LedgerState.UNKNOWN]) == []
    assert state(ledger, "inv:2026-04:C1") is None


def test_a_lost_answer_that_did_not_apply_is_read_back_at_once_and_its_dependants_wait(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["prod:KOTIHOITO"] = AmbiguousWriteError("read timeout after the body was sent")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product(), invoice()))  # type: ignore[arg-type]
    # read back before anything else went out: not in Netvisor, so planned again
    calls = [method for method, _ in netvisor.calls]
    assert calls == ["add_customer", "add_product", "product_by_code"]
    row = ledger.get("prod:KOTIHOITO")
    assert row.state is LedgerState.PLANNED
    assert ctx.report.counts["unknown"] == 0 and ctx.report.counts["replanned"] == 1
    # the invoice needs that product: queued behind it, it was held and never sent (its intent
    # is withdrawn: planned), and says why
    assert state(ledger, "inv:2026-04:C1") is LedgerState.PLANNED
    assert "inv:2026-04:C1" not in [key for _, key in netvisor.calls]
    assert ctx.report.counts["failed"] == 2  # the product and the invoice: the next run
    assert any("depends on prod:KOTIHOITO" in p for p in ctx.report.problems)


def test_a_lost_answer_that_did_apply_is_read_back_and_the_run_goes_on(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["prod:KOTIHOITO"] = AmbiguousWriteError("read timeout after the body was sent")
    netvisor.existing_products["KOTIHOITO"] = "NV-55"
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product(), invoice()))  # type: ignore[arg-type]
    assert (ledger.get("prod:KOTIHOITO").state, ledger.get("prod:KOTIHOITO").netvisor_key) == (
        LedgerState.CONFIRMED,
        "NV-55",
    )
    assert state(ledger, "inv:2026-04:C1") is LedgerState.SENT  # nothing pushed to a later run
    assert ctx.report.counts["unknown"] == 0 and ctx.report.counts["failed"] == 0
    assert ctx.report.counts["reconciled"] == 1


def test_a_lost_answer_whose_look_up_fails_stays_in_doubt_for_reconcile(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    from connector.core.errors import TransientError

    def broken(code: str) -> None:
        raise TransientError("Netvisor does not answer reads either", error_type="TIMEOUT")

    netvisor.product_by_code = broken  # type: ignore[method-assign]
    netvisor.fail["prod:KOTIHOITO"] = AmbiguousWriteError("read timeout after the body was sent")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product(), invoice()))  # type: ignore[arg-type]
    row = ledger.get("prod:KOTIHOITO")
    assert (row.state, row.last_error_type) == (LedgerState.UNKNOWN, "AMBIGUOUS_WRITE")
    assert ctx.report.counts["unknown"] == 1
    assert state(ledger, "inv:2026-04:C1") is LedgerState.PLANNED  # held behind it, never sent
    assert "inv:2026-04:C1" not in [key for _, key in netvisor.calls]
    assert ctx.report.counts["failed"] == 1


def test_writes_that_keep_getting_no_clear_answer_stop_the_run(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    codes = [f"C{i}" for i in range(1, 7)]
    for code in codes:
        netvisor.fail[f"cust:{code}"] = AmbiguousWriteError("garbled answer")
    ctx = run_context(ledger)  # at most 3 unknown outcomes in a row
    with pytest.raises(RunAborted) as info:
        apply_plan(ctx, netvisor, plan_of(ledger, *(customer(c) for c in codes)))  # type: ignore[arg-type]
    assert info.value.error.error_type == "UNKNOWN_IN_A_ROW"
    sent = [key for method, key in netvisor.calls if method == "add_customer"]
    assert len(sent) == 3, "stopped writing after the third unclear answer"
    # nothing is left `sending`: the written ones are in doubt or planned, the rest untouched
    assert ledger.objects(states=[LedgerState.SENDING]) == []
    assert {o.key for o in ledger.objects()} <= {f"cust:{c}" for c in codes[:4]}


def test_a_clear_answer_resets_the_count_of_unclear_ones(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    codes = [f"C{i}" for i in range(1, 7)]
    for code in ("C1", "C2", "C4", "C5"):
        netvisor.fail[f"cust:{code}"] = AmbiguousWriteError("garbled answer")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, *(customer(c) for c in codes)))  # type: ignore[arg-type]
    assert len([m for m, _ in netvisor.calls if m == "add_customer"]) == 6
    assert ctx.report.aborted is None


def test_a_refused_record_is_rejected_for_a_person_and_the_run_goes_on(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = NetvisorInvalidData("INVALID_DATA", "bad business id")
    other = customer("C2")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), other))  # type: ignore[arg-type]
    row = ledger.get("cust:C1")
    assert (row.state, row.last_error_type) == (LedgerState.REJECTED, "INVALID_DATA")
    assert state(ledger, "cust:C2") is LedgerState.SENT
    assert ctx.report.counts["rejected"] == 1
    assert ctx.report.exit_code == 1
    # the same version is held, not resent, by the next plan
    assert plan_of(ledger, customer()).actions[0].kind is ActionKind.HOLD


def test_a_duplicate_customer_is_found_by_its_code_and_adopted(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = NetvisorDuplicateData("DUPLICATE_DATA", "customer code exists")
    netvisor.existing_customers["C1"] = "NV-7"
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer()))  # type: ignore[arg-type]
    row = ledger.get("cust:C1")
    assert (row.state, row.netvisor_key) == (LedgerState.SENT, "NV-7")
    assert ("edit_customer", "NV-7") in netvisor.calls  # our version written onto it
    assert ctx.report.counts["created"] == 1


def test_a_duplicate_that_cannot_be_found_is_rejected(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = NetvisorDuplicateData("DUPLICATE_DATA", "customer code exists")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer()))  # type: ignore[arg-type]
    assert state(ledger, "cust:C1") is LedgerState.REJECTED
    assert ctx.report.counts["rejected"] == 1


def test_an_invoice_is_never_adopted_by_duplicate():
    assert adopt_duplicate(object(), invoice()) is None  # type: ignore[arg-type]


def test_a_refusal_before_processing_stops_the_run_and_the_write_may_go_again(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = NetvisorAuthenticationError("AUTHENTICATION_FAILED", "bad MAC")
    ctx = run_context(ledger)
    with pytest.raises(RunAborted):
        apply_plan(ctx, netvisor, plan_of(ledger, customer(), product()))  # type: ignore[arg-type]
    # the refused write is planned again; the one queued behind it never left
    assert state(ledger, "cust:C1") is LedgerState.PLANNED
    assert state(ledger, "prod:KOTIHOITO") is LedgerState.PLANNED
    assert [key for _, key in netvisor.calls] == ["cust:C1"]


def test_progress_is_reported_per_write(ledger: Ledger, netvisor: FakeNetvisor) -> None:
    seen: list[tuple[str, int, int]] = []
    ctx = run_context(ledger, progress=lambda *step: seen.append(step))
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product()))  # type: ignore[arg-type]
    assert seen == [("apply", 1, 2), ("apply", 2, 2)]


@pytest.mark.parametrize("kind", list(ObjectKind))
def test_every_object_kind_has_one_writer_that_renders_its_xml(kind: ObjectKind) -> None:
    payloads: dict[ObjectKind, Any] = {
        ObjectKind.CUSTOMER: customer().payload,
        ObjectKind.PRODUCT: product().payload,
        ObjectKind.INVOICE: invoice().payload,
        ObjectKind.MATCH: ("NV-1", "NV-2"),
    }
    body = WRITERS[kind].render(payloads[kind])
    assert body.startswith(b"<") and len(body) > 20


def test_the_sender_is_handed_each_write_already_rendered(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    objects = {"cust:C1": customer(), "prod:KOTIHOITO": product(), "inv:2026-04:C1": invoice()}
    apply_plan(run_context(ledger), netvisor, plan_of(ledger, *objects.values()))  # type: ignore[arg-type]
    assert netvisor.bodies == {
        key: WRITERS[obj.kind].render(obj.payload) for key, obj in objects.items()
    }


def test_the_next_write_is_queued_behind_the_one_in_flight_after_its_intent_is_committed(
    ledger: Ledger, netvisor: FakeNetvisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connector.sync.apply as apply_module

    second_queued = threading.Event()

    class Sender(ThreadPoolExecutor):
        submitted = 0

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            future = super().submit(fn, *args, **kwargs)
            Sender.submitted += 1
            if Sender.submitted == 2:
                second_queued.set()
            return future

    monkeypatch.setattr(apply_module, "ThreadPoolExecutor", Sender)
    seen_while_in_flight: dict[str, str | None] = {}

    def hold_the_first_answer(key: str) -> None:
        if key == "cust:C1":  # write 1 is answered only once write 2 waits behind it
            assert second_queued.wait(timeout=60), "write 2 was not queued while 1 was in flight"
            row = netvisor._db.execute(
                "SELECT state FROM objects WHERE key = 'prod:KOTIHOITO'"
            ).fetchone()
            seen_while_in_flight["prod:KOTIHOITO"] = row[0] if row else None

    netvisor.on_send = hold_the_first_answer
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), product()))  # type: ignore[arg-type]
    # write 2 was queued with its intent committed; it left only after write 1's answer
    assert seen_while_in_flight == {"prod:KOTIHOITO": "sending"}
    assert [key for _, key in netvisor.calls] == ["cust:C1", "prod:KOTIHOITO"]
    assert netvisor.state_when_sent["prod:KOTIHOITO"] == "sending"
    assert [state(ledger, k) for k in ("cust:C1", "prod:KOTIHOITO")] == [LedgerState.SENT] * 2


def test_a_kill_after_an_answer_always_finds_the_write_queued_behind_it_not_yet_sent(
    ledger: Ledger, netvisor: FakeNetvisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``after_answer`` crash point is hit on the sending thread before it takes the next
    write. Hit on the run's thread (as it was), the sender was already free to send the write
    queued behind: a kill there sometimes found that write applied in Netvisor, sometimes not
    (the end-to-end test of an undecidable April edit then saw the organiser's April edit
    applied or not, and so a May correction for the organiser to hold, or none)."""
    from connector.core import failpoints

    hits: list[tuple[str, list[str], str]] = []

    def hit(name: str, kind: str = "") -> None:
        if name == "after_answer":
            sent = [key for _, key in netvisor.calls]
            hits.append((kind, sent, threading.current_thread().name.split("_")[0]))

    monkeypatch.setattr(failpoints, "hit", hit)
    plan = plan_of(ledger, customer(), product(), invoice())
    apply_plan(run_context(ledger), netvisor, plan)  # type: ignore[arg-type]
    sender = "netvisor-sender"
    assert hits == [
        ("customer", ["cust:C1"], sender),
        ("product", ["cust:C1", "prod:KOTIHOITO"], sender),
        ("invoice", ["cust:C1", "prod:KOTIHOITO", "inv:2026-04:C1"], sender),
    ]


def test_the_write_after_a_lost_answer_leaves_only_after_the_read_back(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = AmbiguousWriteError("read timeout after the body was sent")
    netvisor.existing_customers["C1"] = "NV-7"  # it did apply
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer("C1"), customer("C2"), customer("C3")))  # type: ignore[arg-type]
    assert [m for m, _ in netvisor.calls] == [
        "add_customer",  # C1: the answer is lost
        "customers_by_code",  # read back before anything else leaves
        "add_customer",  # C2
        "add_customer",  # C3
    ]
    assert [k for m, k in netvisor.calls if m == "add_customer"] == [
        "cust:C1",
        "cust:C2",
        "cust:C3",
    ]
    assert ledger.get("cust:C1").state is LedgerState.CONFIRMED
    assert ledger.objects(states=[LedgerState.SENDING, LedgerState.UNKNOWN]) == []
    assert ctx.report.counts["created"] == 2 and ctx.report.counts["reconciled"] == 1


def test_an_invoice_is_queued_behind_its_customer_in_flight(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    """A streamed run sends each owner's customer and then its invoice: the invoice's intent is
    committed and queued while the customer's request is still in flight (no wait for its
    answer), and it leaves right after that answer."""
    seen: dict[str, Any] = {}
    watcher = sqlite3.connect(ledger.path, check_same_thread=False)

    def on_send(key: str) -> None:
        if key != "cust:C1":
            return
        for _ in range(1000):  # up to 10 s: the run's thread commits the invoice's intent
            row = watcher.execute(
                "SELECT state FROM objects WHERE key = 'inv:2026-04:C1'"
            ).fetchone()
            if row is not None:
                seen["invoice"] = row[0]
                return
            threading.Event().wait(0.01)

    netvisor.on_send = on_send
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), invoice()))  # type: ignore[arg-type]
    watcher.close()
    assert seen == {"invoice": "sending"}  # committed while its customer was in flight
    assert [key for _, key in netvisor.calls] == ["cust:C1", "inv:2026-04:C1"]
    assert state(ledger, "inv:2026-04:C1") is LedgerState.SENT


def test_an_invoice_queued_behind_its_rejected_customer_never_leaves(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    netvisor.fail["cust:C1"] = NetvisorInvalidData("INVALID_DATA", "bad business id")
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), invoice()))  # type: ignore[arg-type]
    assert [key for _, key in netvisor.calls] == ["cust:C1"]
    assert state(ledger, "cust:C1") is LedgerState.REJECTED
    assert state(ledger, "inv:2026-04:C1") is LedgerState.PLANNED  # its intent withdrawn
    assert ctx.report.counts["rejected"] == 1 and ctx.report.counts["failed"] == 1
    assert any("depends on cust:C1" in p for p in ctx.report.problems)


def test_an_invoice_queued_behind_a_customer_adopted_as_a_duplicate_is_sent(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    """DUPLICATE_DATA on the customer: the run's thread adopts it (the sender held the queue
    meanwhile), then the invoice behind it leaves."""
    netvisor.fail["cust:C1"] = NetvisorDuplicateData("DUPLICATE_DATA", "customer code in use")
    netvisor.existing_customers["C1"] = "NV-7"
    ctx = run_context(ledger)
    apply_plan(ctx, netvisor, plan_of(ledger, customer(), invoice()))  # type: ignore[arg-type]
    assert state(ledger, "cust:C1") is LedgerState.SENT
    assert ledger.get("cust:C1").netvisor_key == "NV-7"
    assert state(ledger, "inv:2026-04:C1") is LedgerState.SENT
    assert [m for m, _ in netvisor.calls] == [
        "add_customer",
        "customers_by_code",
        "edit_customer",
        "add_sales_invoice",
    ]


def test_the_run_prepares_its_report_while_the_last_write_is_in_flight(
    ledger: Ledger, netvisor: FakeNetvisor
) -> None:
    """Every write handed to the sender, the last one not yet answered: the run's own work
    (``while_last_in_flight``) is done then, once; what fails in it never fails the run."""
    last_sent = threading.Event()
    may_answer = threading.Event()

    def hold_the_last_answer(key: str) -> None:
        if key == "prod:KOTIHOITO":
            last_sent.set()
            assert may_answer.wait(timeout=60), "the last answer was held too long"

    prepared: list[LedgerState | None] = []

    def prepare() -> None:
        assert last_sent.wait(timeout=60)
        prepared.append(state(ledger, "prod:KOTIHOITO"))  # not settled: still in flight
        may_answer.set()
        raise RuntimeError("a report that cannot be prepared")

    netvisor.on_send = hold_the_last_answer
    apply_plan(
        run_context(ledger),
        netvisor,  # type: ignore[arg-type]
        plan_of(ledger, customer(), product()),
        while_last_in_flight=prepare,
    )
    assert prepared == [LedgerState.SENDING]
    assert [state(ledger, k) for k in ("cust:C1", "prod:KOTIHOITO")] == [LedgerState.SENT] * 2
