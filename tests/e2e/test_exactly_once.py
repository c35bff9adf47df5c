"""The exactly-once matrix: every fault a run can meet, and for each one Netvisor ends with
exactly the documents and totals of a fault-free run, and the exit code and message say what
happened.

| fault                                              | where tested                                  |
|----------------------------------------------------|-----------------------------------------------|
| kill after intent / after the answer (adds)        | test_crash.py (failpoints, SIGKILL)           |
| kill after Netvisor committed, answer held         | test_crash.py                                 |
| kill inside reconcile (after reading Netvisor)     | here: reconcile_read / reconcile_settled      |
| lost answer to an add (each reply layout)          | here; test_faults.py (5xx, drops, TECHNICAL)  |
| lost answer to an invoice edit: kill, dropped conn | here, in every reply layout, then lock day    |
| an edit no reply layout can decide (EDIT_UNCLEAR)  | here: dependants held, resolved by a person   |
| timeout longer than the client's                   | here (busy_wait: no overlap, nothing pushed)  |
| 5xx, 429, garbled XML, maintenance on a write      | here; 5xx/TECHNICAL_ERROR in test_faults.py   |
| Netvisor answering garbage again and again         | here (stops after max_unknown_in_a_row)       |
| authentication failure                             | test_faults.py                                |
| SIGTERM to sync and to the daemon                  | test_shutdown.py                              |
| a second process talking to Netvisor               | here (check --online during a slow sync)      |
"""

from __future__ import annotations

import getpass
import json
import re
import signal
import subprocess
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from e2e.harness import Env, base_data, both_engines, task

from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_PARTIAL
from connector.ledger import IN_DOUBT, LedgerState
from connector.sync import SyncEngine

pytestmark = pytest.mark.slow

# every test here runs on a SQLite ledger and on a PostgreSQL one (a fresh company each)
ledger_engine = both_engines

APRIL, EDIT_DAY, LOCKED = "2026-05-02", "2026-05-03", "2026-06-02"
LAYOUTS = [
    pytest.param({"wrapper": "one", "key": True}, id="one-list"),
    pytest.param({"wrapper": "one", "key": False}, id="one-list-no-key"),
    pytest.param({"wrapper": "per_line", "key": True}, id="per-line"),
    pytest.param({"wrapper": "per_line", "key": False}, id="per-line-no-key"),
    # issue 19: one InvoiceLine per line and no SalesInvoiceProductLineFreeText at all
    pytest.param({"wrapper": "per_line", "key": True, "free_text": False}, id="no-free-text"),
]


def work() -> dict[str, Any]:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T2", "L0001", "2026-04-09", hours="1.5"),
        task("T4", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
        task("T5", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
    ]
    return data


def one_hour_more(env: Env) -> None:
    """A person corrects a task of the unsent April invoice: 1,5 h -> 2,5 h."""
    env.spotilla.update_task(
        "T2", {"hours": [{"product_code": "KOTIHOITO-H", "hours": "2.5", "date": "2026-04-09"}]}
    )


def settled(env: Env) -> dict[str, str]:
    with env.ledger() as ledger:
        return {o.key: o.state for o in ledger.objects()}


def assert_all_settled(env: Env) -> None:
    states = settled(env)
    assert all(s in (LedgerState.SENT, LedgerState.CONFIRMED) for s in states.values()), states


@pytest.fixture
def fault_free(make_env) -> dict[str, Decimal]:
    """April billed, one hour added and edited in, then the lock day: no fault anywhere."""
    env = make_env(work(), name="fault-free")
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_hour_more(env)
    edited = env.sync(EDIT_DAY)
    assert edited.exit_code == EXIT_OK and edited.counts["updated"] >= 1
    assert env.sync(LOCKED).exit_code == EXIT_OK
    return env.totals()


def per_customer(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    """What each billing customer is billed in all (key ``kind:period:customer``)."""
    out: dict[str, Decimal] = {}
    for key, total in totals.items():
        kind, _period, who = key.split(":", 2)
        out[f"{kind}:{who}"] = out.get(f"{kind}:{who}", Decimal("0.00")) + total
    return out


# -- a lost answer to an invoice edit (issue 8 §1) ----------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fault", ["kill_after_answer", "drop_after_commit"])
def test_a_lost_answer_to_an_invoice_edit_never_bills_the_added_hour_twice(
    make_env, fault_free, fault, layout
):
    env = make_env(work(), name="faulty")
    env.netvisor.set_reply_layout(**layout)
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_hour_more(env)
    if fault == "kill_after_answer":
        # Netvisor applied the edit and answered; the process dies before `sent` is committed
        killed = env.cli(
            "sync", "--as-of", EDIT_DAY, env={"CONNECTOR_FAILPOINTS": "after_answer:invoice"}
        )
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        with env.ledger() as ledger:
            doubt = {o.key: o.pending_action for o in ledger.objects(states=IN_DOUBT)}
        # the edited invoice (and perhaps the next edit, whose intent was committed meanwhile)
        assert doubt.get("inv:2026-04:SP-P0001") == "edit", doubt
    else:
        # Netvisor applied the edit; the connection dropped before the answer
        env.netvisor.inject("drop_after_commit", resource="salesinvoice.nv", method="edit", times=1)
        edited = env.sync(EDIT_DAY)
        assert edited.exit_code == EXIT_OK, edited.problems
        assert edited.counts["reconciled"] == 1 and edited.counts["restored"] == 0
    after_lock = env.cli("sync", "--as-of", LOCKED)
    assert after_lock.returncode == EXIT_OK, after_lock.stdout + after_lock.stderr
    if fault == "kill_after_answer":  # the applied edit is recognised from its content
        found = re.search(r"(\d+) found in Netvisor", after_lock.stdout)
        assert found and int(found.group(1)) >= 1, after_lock.stdout
    totals = env.totals()  # fails if any document is there twice
    # the client pays the added hour once: its April invoice is the fault-free one, no
    # correction follows in May
    client = {k: t for k, t in totals.items() if "SP-P0001" in k}
    assert client == {k: t for k, t in fault_free.items() if "SP-P0001" in k}
    # every customer is billed exactly what the fault-free run bills (an organiser document
    # whose edit the kill cut off is frozen by the lock day: its difference is a correction
    # on the next one — the same money)
    assert per_customer(totals) == per_customer(fault_free)
    assert_all_settled(env)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_invoice_edit_that_never_reached_netvisor_is_sent_again_in_every_reply_layout(
    make_env, fault_free, layout
):
    env = make_env(work(), name="faulty")
    env.netvisor.set_reply_layout(**layout)
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_hour_more(env)
    env.netvisor.inject("drop_before_commit", resource="salesinvoice.nv", method="edit", times=1)
    edited = env.sync(EDIT_DAY)
    # read back at once: Netvisor shows the old version, so the edit did not happen
    assert edited.counts["restored"] == 1 and edited.counts["unknown"] == 0
    assert edited.exit_code == EXIT_PARTIAL  # one edit waits for the next run, and it says so
    assert env.sync(EDIT_DAY).exit_code == EXIT_OK
    assert env.sync(LOCKED).exit_code == EXIT_OK
    assert env.totals() == fault_free
    assert_all_settled(env)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_lost_answer_to_an_invoice_add_is_found_by_its_key_in_every_reply_layout(
    make_env, layout
):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="faulty")
    env.netvisor.set_reply_layout(**layout)
    env.netvisor.inject("drop_after_commit", resource="salesinvoice.nv", method="add", times=1)
    report = env.sync(APRIL)
    assert report.exit_code == EXIT_OK and report.counts["reconciled"] == 1
    assert env.totals() == reference.totals()
    assert_all_settled(env)


# -- an edit no reply can decide holds what depends on it (issue 19) ----------------------------


def may_work() -> dict[str, Any]:
    """April as in :func:`work`, and May's work for the same clients."""
    data = work()
    data["tasks"] += [
        task("T6", "L0001", "2026-05-05", hours="1"),
        task("T7", "L0100", "2026-05-06", quantity="1", unit_price="20.00"),
    ]
    return data


def one_day_later(env: Env) -> None:
    """A person corrects the date of a task of the unsent April invoice (9.4. -> 10.4.): the
    amounts stay, only the line's free text changes."""
    env.spotilla.update_task(
        "T2",
        {
            "hours": [{"product_code": "KOTIHOITO-H", "hours": "1.5", "date": "2026-04-10"}],
            "completed_at": "2026-04-10T12:00:00+03:00",
        },
    )


APRIL_DOC, MAY_DOC = "inv:2026-04:SP-P0001", "inv:2026-05:SP-P0001"
ORG_APRIL = "org:2026-04:VANTAA-KERAVA"


def lose_the_answer_to_the_edit(env: Env, fault: str) -> None:
    """Send the April edit and lose its answer after Netvisor applied it."""
    if fault == "kill_after_answer":
        killed = env.cli(
            "sync", "--as-of", EDIT_DAY, env={"CONNECTOR_FAILPOINTS": "after_answer:invoice"}
        )
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    else:
        env.netvisor.inject("drop_after_commit", resource="salesinvoice.nv", method="edit", times=1)
        edited = env.sync(EDIT_DAY)
        assert edited.counts["held_for_person"] >= 1, edited.problems


def status_json(env: Env) -> dict[str, Any]:
    shown = env.cli("status", "--json")
    assert shown.returncode == EXIT_OK, shown.stderr
    return json.loads(shown.stdout)


@pytest.fixture
def fault_free_dated(make_env) -> dict[str, Decimal]:
    """May's work too; April's task re-dated and edited in; the lock day: no fault anywhere."""
    env = make_env(may_work(), name="fault-free-dated")
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_day_later(env)
    assert env.sync(EDIT_DAY).counts["updated"] >= 1
    assert env.sync(LOCKED).exit_code == EXIT_OK
    return env.totals()


@pytest.mark.parametrize("fault", ["kill_after_answer", "drop_after_commit"])
def test_an_undecidable_edit_holds_the_documents_computed_from_it_until_a_person_resolves_it(
    make_env, fault_free_dated, fault
):
    env = make_env(may_work(), name="faulty")
    # the reply carries no free texts, and the two April versions differ only in one
    env.netvisor.set_reply_layout(wrapper="per_line", free_text=False)
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_day_later(env)
    lose_the_answer_to_the_edit(env, fault)
    after_lock = env.cli("sync", "--as-of", LOCKED)
    # April stays undecided: May's documents of the client and its organiser are held
    assert after_lock.returncode == EXIT_PARTIAL, after_lock.stdout + after_lock.stderr
    assert "wait for a document in doubt" in after_lock.stdout
    assert MAY_DOC in after_lock.stdout
    with env.ledger() as ledger:
        april = ledger.get(APRIL_DOC)
        assert (april.state, april.last_error_type) == (LedgerState.UNKNOWN, "EDIT_UNCLEAR")
        assert ledger.get(MAY_DOC) is None  # never sent
        assert ledger.get("org:2026-05:VANTAA-KERAVA") is None
    assert not [k for k in env.totals() if k.startswith("inv:2026-05:SP-P0001")]
    # the private client's May invoice does not depend on April's client: it went out
    assert "inv:2026-05:SP-P0100" in env.totals()
    status = status_json(env)
    assert [h["key"] for h in status["held_for_person"]] == [APRIL_DOC]
    held = {h["key"]: h["waits_for"] for h in status["held_for_doubt"]}
    assert held == {MAY_DOC: [APRIL_DOC], "org:2026-05:VANTAA-KERAVA": [APRIL_DOC]}
    text = env.cli("status").stdout
    assert f"held for a document in doubt: {MAY_DOC} (waits for {APRIL_DOC}" in text
    assert "connector ledger resolve" in text
    # the run report says which and why, and what to do
    report = (env.tmp / "reports" / "3.html").read_text()  # runs 1, 2 (killed or not), 3
    assert MAY_DOC in report and APRIL_DOC in report and "ledger resolve" in report
    # so does the plan, apart from what waits for review
    plan = env.cli("plan", "--as-of", LOCKED, "--json")
    withheld = {w["kind"]: w for w in json.loads(plan.stdout)["withheld"]}
    assert withheld["waiting_for_doubt"]["keys"] == [MAY_DOC, "org:2026-05:VANTAA-KERAVA"]
    assert withheld["waiting_for_doubt"]["waits_for"] == [APRIL_DOC]
    assert "held_for_review" not in withheld
    # a rerun does not guess either
    assert env.cli("sync", "--as-of", LOCKED).returncode == EXIT_PARTIAL
    assert not [k for k in env.totals() if k.startswith(MAY_DOC)]
    # a person looks in Netvisor and says it has the new version
    resolved = env.cli("ledger", "resolve", APRIL_DOC, "--netvisor-has", "new", "--by", "tester")
    assert resolved.returncode == EXIT_OK, resolved.stdout + resolved.stderr
    assert "tester" in resolved.stdout
    with env.ledger() as ledger:
        (record,) = ledger.resolutions(APRIL_DOC)
        assert (record["netvisor_has"], record["resolved_by"]) == ("new", "tester")
        assert ledger.get(APRIL_DOC).state is LedgerState.CONFIRMED
    again = env.cli("ledger", "resolve", APRIL_DOC, "--netvisor-has", "old")
    assert again.returncode != EXIT_OK and "not waiting for a person" in again.stderr
    # the held documents go out with the next run: exactly what a fault-free run bills
    final = env.cli("sync", "--as-of", LOCKED)
    assert final.returncode == EXIT_OK, final.stdout + final.stderr
    totals = env.totals()
    assert totals == fault_free_dated
    assert status_json(env)["held_for_doubt"] == []
    assert_all_settled(env)


def test_an_undecided_added_hour_is_never_billed_again_as_a_correction_in_may(make_env, fault_free):
    """The issue's own scenario where nothing can decide the edit: a ledger written before bare
    fingerprints (its checks carry only the full one) and a reply without free texts. May's
    correction would come from the old April version (+52,71 EUR, the hour billed twice): it
    is held until a person says which version Netvisor has."""
    env = make_env(work(), name="faulty")
    env.netvisor.set_reply_layout(wrapper="per_line", free_text=False)
    assert env.sync(APRIL).exit_code == EXIT_OK
    april = env.totals()
    one_hour_more(env)
    lose_the_answer_to_the_edit(env, "kill_after_answer")
    # killed on the client's answer: the organiser's April edit queued behind it never left
    # (its intent may or may not be committed yet), so May carries the organiser's
    # correction too, computed from the coverage of the client's April in doubt
    assert env.totals()[ORG_APRIL] == april[ORG_APRIL]
    with env.ledger() as ledger:  # as an older connector stored them
        (row,) = ledger.db.query(
            "SELECT pending_check, content_check FROM objects WHERE key = ?", [APRIL_DOC]
        )
        ledger.db.execute(  # only the full fingerprint of each version, as the engines store it
            "UPDATE objects SET pending_check = ?, content_check = ? WHERE key = ?",
            [row["pending_check"].split()[0], row["content_check"].split()[0], APRIL_DOC],
        )
    after_lock = env.cli("sync", "--as-of", LOCKED)
    assert after_lock.returncode == EXIT_PARTIAL, after_lock.stdout + after_lock.stderr
    assert MAY_DOC in after_lock.stdout
    # the corrections from the old version are not sent: the client's, nor the organiser's
    assert not [k for k in env.totals() if k.startswith(("inv:2026-05", "org:2026-05"))]
    held = [h["key"] for h in status_json(env)["held_for_doubt"]]
    assert held == [MAY_DOC, "org:2026-05:VANTAA-KERAVA"]
    resolved = env.cli("ledger", "resolve", APRIL_DOC, "--netvisor-has", "new")
    assert resolved.returncode == EXIT_OK, resolved.stdout + resolved.stderr
    with env.ledger() as ledger:  # who: the OS user when not named
        assert [r["resolved_by"] for r in ledger.resolutions()] == [getpass.getuser()]
    final = env.cli("sync", "--as-of", LOCKED)
    assert final.returncode == EXIT_OK, final.stdout + final.stderr
    client = {k: t for k, t in env.totals().items() if "SP-P0001" in k}
    assert client == {k: t for k, t in fault_free.items() if "SP-P0001" in k}
    assert per_customer(env.totals()) == per_customer(fault_free)
    assert_all_settled(env)


# -- killed inside reconcile --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crash", "in_reconcile"),
    [
        pytest.param("after_answer:invoice", "reconcile_read:invoice", id="add-read"),
        pytest.param("after_sending:invoice", "reconcile_read:invoice", id="add-not-sent-read"),
        pytest.param("after_answer:customer", "reconcile_read:customer", id="customer-read"),
    ],
)
def test_a_kill_inside_reconcile_leaves_the_row_in_doubt_and_the_next_run_settles_it(
    make_env, crash, in_reconcile
):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="crashed")
    first = env.cli("sync", "--as-of", APRIL, env={"CONNECTOR_FAILPOINTS": crash})
    assert first.returncode == -signal.SIGKILL
    again = env.cli("sync", "--as-of", APRIL, env={"CONNECTOR_FAILPOINTS": in_reconcile})
    assert again.returncode == -signal.SIGKILL, again.stdout + again.stderr
    with env.ledger() as ledger:
        assert ledger.objects(states=IN_DOUBT), "killed before the ledger settled: still in doubt"
    rerun = env.cli("sync", "--as-of", APRIL)
    assert rerun.returncode == EXIT_OK, rerun.stdout + rerun.stderr
    assert env.totals() == reference.totals()
    assert_all_settled(env)


@pytest.mark.parametrize("point", ["reconcile_read:invoice", "reconcile_settled:invoice"])
def test_a_kill_inside_the_reconcile_of_an_edit_then_the_lock_day_bills_nothing_twice(
    make_env, fault_free, point
):
    env = make_env(work(), name="crashed")
    assert env.sync(APRIL).exit_code == EXIT_OK
    one_hour_more(env)
    if point == "reconcile_settled:invoice":
        # the edit never reached Netvisor: reconcile restores the old version, then dies
        env.netvisor.inject("drop_before_commit", resource="salesinvoice.nv", method="edit")
    killed = env.cli(
        "sync", "--as-of", EDIT_DAY, env={"CONNECTOR_FAILPOINTS": "after_answer:invoice"}
    )
    env.netvisor.clear_faults()
    if point == "reconcile_settled:invoice":
        # the edit failed cleanly (dropped before commit): the run ended; leave it in doubt by
        # crashing the next attempt right after its intent instead
        assert killed.returncode in (EXIT_PARTIAL, -signal.SIGKILL)
        killed = env.cli(
            "sync", "--as-of", EDIT_DAY, env={"CONNECTOR_FAILPOINTS": "after_sending:invoice"}
        )
    assert killed.returncode == -signal.SIGKILL
    inside = env.cli("sync", "--as-of", EDIT_DAY, env={"CONNECTOR_FAILPOINTS": point})
    assert inside.returncode == -signal.SIGKILL, inside.stdout + inside.stderr
    assert env.cli("sync", "--as-of", EDIT_DAY).returncode == EXIT_OK
    assert env.cli("sync", "--as-of", LOCKED).returncode == EXIT_OK
    assert per_customer(env.totals()) == per_customer(fault_free)
    assert_all_settled(env)


# -- a write slower than the client's timeout (§3) ----------------------------------------------


def set_netvisor(env: Env, lines: str) -> None:
    from connector.core.config import load_config

    text = env.config_path.read_text().replace(
        'partner_key_file = "secrets/netvisor_partner_key"',
        'partner_key_file = "secrets/netvisor_partner_key"\n' + lines,
    )
    env.config_path.write_text(text)
    env.config = load_config(env.config_path)


def test_a_write_slower_than_the_timeout_is_waited_out_read_back_and_nothing_is_pushed(make_env):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="slow")
    # the client gives up after 1.5 s; Netvisor commits and goes on working for 3 s; the client
    # counts the company busy for 4 s (generous margins: the suite runs on busy machines)
    set_netvisor(env, "timeout = 1.5\nbusy_wait = 4")
    env.netvisor.inject(
        "hold_after_commit", resource="salesinvoice.nv", method="add", times=1, seconds=3
    )
    report = env.sync(APRIL)
    assert env.netvisor.overlap_count() == 0, "a request overlapped Netvisor's processing"
    # read back at once (found by its key), and every other document went out in this run
    assert report.exit_code == EXIT_OK, report.problems
    assert report.counts["reconciled"] >= 1 and report.counts["failed"] == 0
    assert env.totals() == reference.totals()
    assert_all_settled(env)


# -- what Netvisor answers to a write: 5xx, 429, garbage, maintenance ---------------------------


class Answering(httpx.BaseTransport):
    """Forwards to the served sandbox; the ``nth`` invoice add gets ``answer`` instead of
    Netvisor's reply (after Netvisor committed it when ``committed``, else without sending)."""

    def __init__(self, answer: httpx.Response, *, committed: bool, nth: int = 1, times: int = 1):
        self.inner = httpx.HTTPTransport()
        self.answer, self.committed, self.nth, self.times = answer, committed, nth, times
        self.seen = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_add = request.url.path.endswith("/salesinvoice.nv") and b"method=add" in (
            request.url.query or b""
        )
        if is_add:
            self.seen += 1
        if is_add and self.nth <= self.seen < self.nth + self.times:
            if self.committed:
                self.inner.handle_request(request).read()
            return httpx.Response(
                self.answer.status_code, headers=self.answer.headers, content=self.answer.content
            )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


MAINTENANCE = (
    b'<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>FAILED</Status>'
    b"<Status>SYSTEM_MAINTANANCE :: Netvisor is being updated</Status>"
    b"<TimeStamp>2026-05-02 10:00:00</TimeStamp></ResponseStatus></Root>"
)


def faulty_sync(env: Env, transport: httpx.BaseTransport, as_of: str = APRIL):
    engine = SyncEngine(
        env.config,
        env.config.load_secrets(),
        as_of=date.fromisoformat(as_of),
        netvisor_transport=transport,
    )
    return engine.run()


@pytest.mark.parametrize(
    ("answer", "committed"),
    [
        pytest.param(httpx.Response(503, content=b"<html>503</html>"), True, id="503-committed"),
        pytest.param(httpx.Response(429, content=b"slow down"), False, id="429-not-run"),
        pytest.param(httpx.Response(200, content=b"<Root><Respo"), True, id="garbled-committed"),
        pytest.param(httpx.Response(200, content=b"\x00\xff not xml"), False, id="garbage"),
    ],
)
def test_an_unclear_answer_to_a_write_is_read_back_and_nothing_is_doubled(
    make_env, answer, committed
):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="faulty")
    report = faulty_sync(env, Answering(answer, committed=committed))
    assert report.counts["unknown"] == 0
    if committed:
        assert report.counts["reconciled"] == 1 and report.exit_code == EXIT_OK
    else:
        # provably not there: planned again, counted as not sent (exit 1); the next run sends it
        assert report.counts["replanned"] == 1 and report.exit_code == EXIT_PARTIAL
        assert env.sync(APRIL).exit_code == EXIT_OK
    assert env.totals() == reference.totals()
    assert_all_settled(env)


def test_maintenance_on_a_write_stops_the_run_with_exit_3_and_a_rerun_completes(make_env):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="maintenance")
    report = faulty_sync(
        env, Answering(httpx.Response(503, content=MAINTENANCE), committed=False, times=99)
    )
    assert report.exit_code == EXIT_ABORTED
    assert "MAINT" in (report.aborted_type or "") + (report.aborted or "")
    with env.ledger() as ledger:
        assert ledger.objects(states=IN_DOUBT) == []  # refused before processing: nothing in doubt
    assert env.sync(APRIL).exit_code == EXIT_OK
    assert env.totals() == reference.totals()
    assert_all_settled(env)


def test_netvisor_answering_garbage_to_every_write_stops_the_run_after_a_few(make_env):
    reference = make_env(work(), name="reference")
    assert reference.sync(APRIL).exit_code == EXIT_OK
    env = make_env(work(), name="garbage")
    set_netvisor(env, "max_unknown_in_a_row = 2")
    garbage = Answering(httpx.Response(200, content=b"<<garbage"), committed=True, times=99)
    report = faulty_sync(env, garbage)
    assert report.exit_code == EXIT_ABORTED and report.aborted_type == "UNKNOWN_IN_A_ROW"
    assert "2 writes in a row" in (report.aborted or "")
    assert garbage.seen == 2, "no write after the second unclear answer"
    with env.ledger() as ledger:
        assert ledger.objects(states=[LedgerState.SENDING]) == []
    rerun = env.sync(APRIL)  # reconciles the two (both committed), sends the rest
    assert rerun.exit_code == EXIT_OK, rerun.problems
    assert env.totals() == reference.totals()
    assert_all_settled(env)


# -- a second process talking to Netvisor (§4) --------------------------------------------------


def slow_sync(env: Env) -> subprocess.Popen[str]:
    env.netvisor.inject("latency", resource="salesinvoice.nv", method="add", seconds=1.0)
    proc = env.popen("sync", "--as-of", APRIL)
    env.wait_for(lambda: env.netvisor.write_count("salesinvoice.nv") >= 1, "the sync's writes")
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out + err


def test_check_online_during_a_slow_sync_says_the_lock_is_held_and_sends_nothing(make_env):
    env = make_env(work())
    proc = slow_sync(env)
    requests = env.netvisor.request_count("customerlist.nv")
    check = env.cli("check", "--online")
    code, output = finish(proc)
    assert check.returncode == EXIT_ABORTED, check.stdout + check.stderr
    assert "holds the ledger lock" in check.stderr and "--wait-lock" in check.stderr
    assert env.netvisor.request_count("customerlist.nv") == requests
    assert code == EXIT_OK, output
    assert env.netvisor.overlap_count() == 0


def test_check_online_with_wait_lock_waits_for_the_sync_then_checks(make_env):
    env = make_env(work())
    proc = slow_sync(env)
    check = env.cli("check", "--online", "--wait-lock", "120")
    code, output = finish(proc)
    assert check.returncode in (EXIT_OK, EXIT_PARTIAL), check.stdout + check.stderr
    assert "waiting up to 120 s" in check.stderr
    assert "credentials OK" in check.stdout
    assert code == EXIT_OK, output
    assert env.netvisor.overlap_count() == 0, "the check overlapped the sync's requests"
    assert_all_settled(env)


def test_quarantine_retry_holds_the_lock_from_its_ledger_change_through_the_sync(
    make_env, monkeypatch
):
    from connector.cli.main import main
    from connector.core.errors import RunLockedError
    from connector.ledger import RunLock

    env = make_env(work())
    seen: list[str] = []
    real_run = SyncEngine.run

    def run(self, **kw):
        try:  # another process (the daemon) trying now must find the lock taken
            RunLock(env.config.ledger_path).acquire()
            seen.append("free")
        except RunLockedError:
            seen.append("held")
        assert kw["lock"].held
        return real_run(self, **kw)

    monkeypatch.setattr(SyncEngine, "run", run)
    code = main(["quarantine", "retry", "--as-of", APRIL, "--config", str(env.config_path)])
    assert code == EXIT_OK
    assert seen == ["held"]
    env.totals()
