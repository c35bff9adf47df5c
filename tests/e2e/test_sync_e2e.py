"""The whole pipeline over loopback: Spotilla sandbox -> sync -> Netvisor sandbox."""

from __future__ import annotations

import json
from decimal import Decimal

from e2e.harness import PERSON_NAMES, base_data, task

from connector.core.errors import EXIT_OK, EXIT_PARTIAL
from connector.ledger import LedgerState


def _three_owners() -> dict:
    data = base_data()
    data["tasks"] = [
        task("T10", "L0001", "2026-04-15", hours="2"),
        task("T11", "L0100", "2026-04-16", quantity="3", code="ATERIA"),
        task("T12", "L0009", "2026-04-17", hours="1.5", code="SIIVOUS-H"),
    ]
    return data


def test_domain_correction_example_april_may_june_60_20_40(make_env):
    """A correction: entry 3 of April is wrong and deleted after April locked; May nets it."""
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
        task("T3", "L0100", "2026-04-12", quantity="1", unit_price="20.00"),
    ]
    env = make_env(data)

    april = env.sync("2026-05-02")
    assert april.exit_code == EXIT_OK, april.problems
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("60.00")

    # April locks on the 9th of May; afterwards entry 3 turns out wrong and is deleted.
    env.spotilla.delete_task("T3")
    env.spotilla.add_task(task("T4", "L0100", "2026-05-05", quantity="1", unit_price="20.00"))
    env.spotilla.add_task(task("T5", "L0100", "2026-05-06", quantity="1", unit_price="20.00"))
    may = env.sync("2026-06-02")
    assert may.exit_code == EXIT_OK, may.problems
    may_invoice = env.invoice_by_key("inv:2026-05:SP-P0100")
    assert may_invoice["total"] == Decimal("20.00")
    credit = [ln for ln in may_invoice["lines"] if "product_code" in ln and ln["quantity"] < 0]
    assert len(credit) == 1 and credit[0]["unit_price"] == Decimal("20.00")
    assert "T3" in (credit[0]["free_text"] or ""), "the correction names the task"
    # April's invoice was frozen: untouched.
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("60.00")

    env.spotilla.add_task(task("T6", "L0100", "2026-06-05", quantity="1", unit_price="20.00"))
    env.spotilla.add_task(task("T7", "L0100", "2026-06-06", quantity="1", unit_price="20.00"))
    june = env.sync("2026-07-02")
    assert june.exit_code == EXIT_OK, june.problems
    assert env.totals() == {
        "inv:2026-04:SP-P0100": Decimal("60.00"),
        "inv:2026-05:SP-P0100": Decimal("20.00"),
        "inv:2026-06:SP-P0100": Decimal("40.00"),
    }
    # Everything ever billed equals the surviving work: 6 entries x 20,00.
    assert sum(env.totals().values()) == Decimal("120.00")


def test_voucher_covers_15_of_a_25_hour_and_the_client_pays_10(make_env):
    data = base_data()
    data["tasks"] = [task("T10", "L0001", "2026-04-15", hours="1")]
    env = make_env(data)
    report = env.sync("2026-05-02")
    assert report.exit_code == EXIT_OK, report.problems

    invoice = env.invoice_by_key("inv:2026-04:SP-P0001")
    assert invoice["total"] == Decimal("10.00")
    products = [ln for ln in invoice["lines"] if "product_code" in ln]
    assert {(ln["product_code"], ln["quantity"], ln["unit_price"]) for ln in products} == {
        ("KOTIHOITO", Decimal("1"), Decimal("25.00")),
        ("PSETELI", Decimal("-1"), Decimal("15.00")),
    }
    spec = " ".join(ln.get("comment") or "" for ln in invoice["lines"] if "product_code" not in ln)
    assert "VK-2026-0001" in spec and "10,00" in spec, "self-pay specification on the invoice"

    organiser = env.invoice_by_key(
        "inv:2026-04:ORG-VAKE".replace("inv:", "org:").replace("ORG-VAKE", "VANTAA-KERAVA")
    )
    assert organiser["total"] == Decimal("15.00")
    text = repr(organiser)
    assert "100001" in text and "VK-2026-0001" in text
    for name in PERSON_NAMES:
        assert name not in text and name.split()[0] not in text, (
            "organiser material names no client"
        )


def test_an_unchanged_rerun_makes_zero_netvisor_writes(make_env):
    env = make_env(_three_owners())
    first = env.sync("2026-05-02")
    assert first.exit_code == EXIT_OK, first.problems
    assert first.counts["created"] > 0
    writes = env.netvisor.write_count()

    again = env.sync("2026-05-02")
    assert env.netvisor.write_count() == writes
    assert again.counts["created"] == again.counts["updated"] == 0
    assert again.netvisor_writes == 0
    assert again.exit_code == EXIT_OK


def test_a_change_before_the_lock_day_edits_the_unsent_invoice_in_place(make_env):
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
    ]
    env = make_env(data)
    env.sync("2026-05-02")
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("40.00")

    env.spotilla.update_task(
        "T2", {"rows": [{"product_code": "KOTIHOITO-H", "quantity": "2", "unit_price": "20.00"}]}
    )
    report = env.sync("2026-05-05")
    assert report.counts["updated"] == 1 and report.counts["created"] == 0
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("60.00")
    assert len(env.invoices()) == 1


def test_once_a_person_sent_the_invoice_a_change_goes_to_the_next_document(make_env):
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
    ]
    env = make_env(data)
    env.sync("2026-05-02")
    april = env.invoice_by_key("inv:2026-04:SP-P0100")
    env.netvisor.set_invoice_status(april["key"], "open")  # a person reviewed and sent it

    env.spotilla.delete_task("T2")
    report = env.sync("2026-05-05")  # April not locked by date, but no longer editable
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("40.00")
    assert report.counts["updated"] == 0

    env.spotilla.add_task(task("T3", "L0100", "2026-05-07", quantity="1", unit_price="20.00"))
    env.sync("2026-06-02")
    may = env.invoice_by_key("inv:2026-05:SP-P0100")
    assert may["total"] == Decimal("0.00")  # 20,00 of May work - 20,00 credit for T2


def test_a_next_document_netting_below_zero_is_a_credit_note(make_env):
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
    ]
    env = make_env(data)
    env.sync("2026-05-02")
    env.spotilla.delete_task("T2")
    env.spotilla.delete_task("T1")
    report = env.sync("2026-06-02")
    assert report.exit_code == EXIT_OK, report.problems
    credit = env.invoice_by_key("inv:2026-05:SP-P0100")
    assert credit["total"] == Decimal("-40.00")
    assert all(ln["unit_price"] >= 0 for ln in credit["lines"] if "product_code" in ln)
    assert sum(env.totals().values()) == Decimal("0.00")


def test_quarantined_records_exit_1_and_the_rest_is_billed(make_env):
    data = base_data()
    data["customers"].append(
        {
            "id": "C0666",
            "type": "company",
            "name": "Rikki Oy",
            "business_id": "1234567-2",
            "contacts": [],
            "updated_at": "2026-01-01T00:00:00+02:00",
        }
    )
    data["collections"].append(
        {
            "id": "L0666",
            "name": "Toimisto",
            "parent_id": None,
            "customer_id": "C0666",
            "updated_at": "2026-01-01T00:00:00+02:00",
        }
    )
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T66", "L0666", "2026-04-10", hours="1", code="SIIVOUS-H"),
    ]
    env = make_env(data)
    result = env.cli("sync", "--as-of", "2026-05-02")
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "invalid_business_id" in result.stdout
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["total"] == Decimal("20.00")
    with env.ledger() as ledger:
        rules = {(q.record_id, q.rule) for q in ledger.quarantine()}
        assert ("C0666", "invalid_business_id") in rules
        assert all(o.state in (LedgerState.SENT, LedgerState.CONFIRMED) for o in ledger.objects())


def test_an_unsent_invoice_whose_work_all_vanished_is_cancelled_in_place(make_env):
    data = base_data()
    data["tasks"] = [task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00")]
    env = make_env(data)
    env.sync("2026-05-02")
    env.spotilla.delete_task("T1")
    report = env.sync("2026-05-05")
    assert report.counts["updated"] == 1
    cancelled = env.invoice_by_key("inv:2026-04:SP-P0100")
    assert cancelled["total"] == Decimal("0.00")
    assert any("PERUTTU" in (ln.get("comment") or "") for ln in cancelled["lines"])
    with env.ledger() as ledger:
        assert ledger.billed_lines(document_key="inv:2026-04:SP-P0100") == []
    # Nothing left billed: a later document owes no correction for T1.
    env.sync("2026-06-02")
    assert sum(env.totals().values()) == Decimal("0.00")


def test_a_credit_note_is_matched_to_its_invoice_once_both_are_open(make_env):
    data = base_data()
    data["tasks"] = [task("T1", "L0100", "2026-04-10", quantity="2", unit_price="20.00")]
    env = make_env(data)
    env.sync("2026-05-02")
    env.spotilla.delete_task("T1")
    env.sync("2026-06-02")
    invoice = env.invoice_by_key("inv:2026-04:SP-P0100")
    credit = env.invoice_by_key("inv:2026-05:SP-P0100")
    assert credit["total"] == Decimal("-40.00")

    report = env.sync("2026-06-03")
    assert not [a for a in report.plan.actions if a.obj.kind == "match"], "not while unsent"

    env.netvisor.set_invoice_status(invoice["key"], "open")
    env.netvisor.set_invoice_status(credit["key"], "open")
    report = env.sync("2026-06-04")
    assert report.exit_code == EXIT_OK, report.problems
    assert env.netvisor.write_count("matchcreditnote.nv") == 1
    assert env.invoice_by_key("inv:2026-04:SP-P0100")["open_sum"] == Decimal("0.00")
    env.sync("2026-06-05")
    assert env.netvisor.write_count("matchcreditnote.nv") == 1, "matched once"


def test_the_nightly_master_data_job_pushes_customers_and_products_only(make_env):
    env = make_env(base_data())
    report = env.sync("2026-05-02", scope="master")
    assert report.exit_code == EXIT_OK, report.problems
    assert env.invoices() == []
    codes = {c["code"] for c in env.netvisor.customers()}
    assert {"SP-P0001", "SP-P0100", "YR-C0001"} <= codes  # C0001 has an override
    assert {p["code"] for p in env.netvisor.products()} >= {"KOTIHOITO", "SIIVOUS", "ATERIA"}
    writes = env.netvisor.write_count()
    env.sync("2026-05-02", scope="master")
    assert env.netvisor.write_count() == writes


def test_a_stop_request_is_honoured_between_actions_and_the_next_run_goes_on(make_env):
    import threading

    from connector.ledger import IN_DOUBT
    from connector.sync import SyncEngine

    env = make_env(_three_owners())
    stop = threading.Event()

    def progress(phase: str, done: int, _total: int) -> None:
        if phase == "apply" and done == 3:
            stop.set()  # as SIGTERM would, in the middle of applying

    from datetime import date

    engine = SyncEngine(
        env.config, env.config.load_secrets(), as_of=date(2026, 5, 2), stop=stop, progress=progress
    )
    report = engine.run()
    assert report.stopped and report.status == "stopped"
    with env.ledger() as ledger:
        assert ledger.objects(states=IN_DOUBT) == [], "never stopped between sending and sent"
        assert len(ledger.objects()) == 3  # the third had begun when the stop came: finished
    rest = env.sync("2026-05-02")
    assert rest.exit_code == EXIT_OK and rest.counts["created"] > 0
    env.totals()  # nothing twice


def test_a_large_run_packs_its_invoices_and_sends_and_records_the_same(make_env, monkeypatch):
    """Beyond the plan's memory budget invoices are kept packed until sent: Netvisor gets the
    same invoices, the ledger the same billed lines, and corrections still find them."""
    from connector.sync import plan

    data = base_data()
    data["tasks"] = [
        task("T10", "L0001", "2026-04-15", hours="2"),
        task("T11", "L0100", "2026-04-16", quantity="3", code="ATERIA"),
        task("T12", "L0009", "2026-04-17", hours="1.5", code="SIIVOUS-H"),
        task("T13", "L0100", "2026-04-18", quantity="1", unit_price="20.00"),
    ]
    whole, packed = make_env(data, name="whole"), make_env(data, name="packed")
    assert whole.sync("2026-05-02").exit_code == EXIT_OK
    monkeypatch.setattr(plan, "KEEP_LINES", 0)  # every invoice beyond the budget
    first = packed.sync("2026-05-02")
    assert first.exit_code == EXIT_OK, first.problems
    assert packed.totals() == whole.totals() and packed.totals()
    for key in whole.totals():
        assert packed.invoice_by_key(key)["lines"] == whole.invoice_by_key(key)["lines"]
    assert packed.ledger().billed_lines() == whole.ledger().billed_lines()

    writes = packed.netvisor.write_count()
    assert packed.sync("2026-05-02").netvisor_writes == 0  # unchanged: nothing sent
    packed.spotilla.delete_task("T13")  # after April locked: May corrects it
    may = packed.sync("2026-06-02")
    assert may.exit_code == EXIT_OK, may.problems
    assert packed.netvisor.write_count() > writes
    assert packed.totals()["inv:2026-05:SP-P0100"] == Decimal("-20.00")


def test_a_rerun_reads_the_invoice_list_once_and_no_invoice_one_by_one(make_env):
    """The steady state (bench/bench_sync.py --steady): a re-run's Netvisor reads do not follow
    the number of documents. Unchanged it reads the invoice list once (which invoices a person
    sent); one task changed adds exactly one invoice edit; after the lock day, with every invoice
    sent (``open``), the corrections are computed against the ledger's billed lines, not by
    reading the invoices back."""
    env = make_env(_three_owners())
    assert env.sync("2026-05-02").exit_code == EXIT_OK

    def requests_of(as_of: str) -> dict[str, int]:
        before = env.netvisor.stats()["requests"]
        report = env.sync(as_of)
        assert report.exit_code == EXIT_OK, report.problems
        after = env.netvisor.stats()["requests"]
        return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}

    assert requests_of("2026-05-02") == {"salesinvoicelist.nv": 1}
    env.spotilla.update_task("T11", {"rows": [{"product_code": "ATERIA", "quantity": "4"}]})
    assert requests_of("2026-05-02") == {
        "salesinvoicelist.nv": 1,
        "salesinvoice.nv?method=edit": 1,
    }
    for invoice in env.invoices():
        env.netvisor.set_invoice_status(invoice["key"], "open")
    # June 2nd: May is built (no work), April locked and observed: its invoices are frozen by
    # date, so nothing needs reading; an unchanged April makes no correction
    writes = env.netvisor.write_count()
    assert requests_of("2026-06-02") == {}
    assert requests_of("2026-06-02") == {}
    assert env.netvisor.write_count() == writes


def test_writes_leave_while_later_owners_are_still_being_billed(make_env):
    """Issue 24: billing, planning and sending are one stream (connector/sync/planning.py).
    The Netvisor sandbox has writes before the last owner is billed — the first owner's
    customer, products and invoice — and the run's outcome is the one a plan shows."""
    from datetime import date

    from connector.sync import SyncEngine

    env = make_env(_three_owners())
    planned = env.cli("plan", "--as-of", "2026-05-02", "--json")
    assert planned.returncode == EXIT_OK, planned.stderr
    billed: list[tuple[int, int, int]] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "bill":
            billed.append((done, total, env.netvisor.write_count()))

    engine = SyncEngine(
        env.config, env.config.load_secrets(), as_of=date(2026, 5, 2), progress=progress
    )
    report = engine.run()
    assert report.exit_code == EXIT_OK, report.problems
    done, total, writes_by_then = billed[-1]
    assert done == total >= 3
    assert writes_by_then > 0, billed  # in Netvisor before the last owner was billed
    assert env.netvisor.write_count() > writes_by_then  # and the rest after
    # the whole plan in the report, as the plan showed it and in the order people read it
    shown = json.loads(planned.stdout)["actions"]
    assert [(a["action"], a["key"]) for a in shown] == [
        (str(a.kind), a.obj.key) for a in report.plan.actions
    ]
    assert report.counts["created"] == len(report.plan.writes()) == env.netvisor.write_count()
    rerun = env.sync("2026-05-02")
    assert rerun.exit_code == EXIT_OK and rerun.plan.writes() == []


def test_a_stop_while_the_stream_is_billed_sends_no_more_and_still_bills_every_owner(make_env):
    """Asked to stop after the first owner is billed: what is in flight settles, nothing more
    is sent, and billing still completes without Netvisor (the plan, the report's documents
    and the quarantine cover every owner); the next run sends the rest, once."""
    from datetime import date

    from connector.sync import SyncEngine

    env = make_env(_three_owners())
    engine: SyncEngine | None = None

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "bill" and done == 1 and engine is not None:
            engine.stop.set()

    engine = SyncEngine(
        env.config, env.config.load_secrets(), as_of=date(2026, 5, 2), progress=progress
    )
    requests = env.netvisor.stats()["requests"]
    stopped = engine.run()
    assert stopped.stopped
    sent = env.netvisor.write_count()
    assert 0 < sent < len(stopped.plan.writes())
    assert stopped.documents == len(
        [a for a in stopped.plan.actions if a.obj.kind.value == "invoice"]
    )
    after = env.netvisor.stats()["requests"]
    assert after.get("salesinvoice.nv?method=add", 0) - requests.get(
        "salesinvoice.nv?method=add", 0
    ) < len([a for a in stopped.plan.writes() if a.obj.kind.value == "invoice"])
    rest = env.sync("2026-05-02")
    assert rest.exit_code == EXIT_OK, rest.problems
    assert env.netvisor.write_count() == len(stopped.plan.writes())  # each write once
    with env.ledger() as ledger:
        assert all(o.state in (LedgerState.SENT, LedgerState.CONFIRMED) for o in ledger.objects())
