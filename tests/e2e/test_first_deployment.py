"""What a first real deployment meets: a fresh ledger on 7 December, the example mappings
(VANTAA-KERAVA settles on the 5th, client invoices lock on the 9th), no hand-set history.

Every date is pinned; none of these tests reads today's date.
"""

from __future__ import annotations

from decimal import Decimal

from e2e.harness import base_data, task

from connector.core.errors import EXIT_ABORTED, EXIT_OK

DEC_7 = "2026-12-07"  # November closed (1.12), VANTAA-KERAVA settled (5.12), clients open (9.12)


def november() -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-11-10", quantity="1", unit_price="20.00"),  # a private client
        task("T2", "L0001", "2026-11-11", hours="2"),  # VANTAA-KERAVA voucher client
    ]
    return data


def test_a_first_sync_after_the_settlement_day_bills_the_organiser_for_its_own_month(make_env):
    """PSOP: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)"; events are editable
    "palvelunjärjestäjän määrittelemään tilityspäivään asti". On 7.12 November's organiser
    document of VANTAA-KERAVA (settles on the 5th) is already past its settlement day, but it
    was never made: it is billed late as November's own document, not as a MISSING row on
    December's organiser document."""
    env = make_env(november(), start_period="2026-11")
    report = env.sync(DEC_7)
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    totals = env.totals()
    assert totals["inv:2026-11:SP-P0100"] == Decimal("20.00")
    org = env.invoice_by_key("org:2026-11:VANTAA-KERAVA")
    assert org is not None and Decimal(org["total"]) > 0
    assert not any(k.startswith("org:2026-12") for k in totals)
    assert any("org:2026-11:VANTAA-KERAVA" in n and "late" in n for n in report.notices)
    # December: the next runs bill it once; no "missing from a locked invoice" rows anywhere
    again = env.sync("2026-12-08")
    assert again.exit_code == EXIT_OK and env.totals() == totals
    env.spotilla.add_task(task("T3", "L0001", "2026-12-03", hours="1"))
    january = env.sync("2027-01-02")
    assert january.exit_code == EXIT_OK, (january.aborted, january.problems)
    dec_org = env.invoice_by_key("org:2026-12:VANTAA-KERAVA")
    texts = " ".join(ln.get("free_text") or "" for ln in dec_org["lines"])
    assert "MISSING" not in texts and "puuttui" not in texts
    assert env.totals()["org:2026-11:VANTAA-KERAVA"] == totals["org:2026-11:VANTAA-KERAVA"]


def test_a_daemon_down_on_the_first_to_fifth_bills_the_organiser_late_too(make_env):
    """The ledger billed October on 2.11; the daemon was down 1.–6.12: on 6.12 November's
    client invoices are still open (they lock on the 9th) and its organiser document (settled
    on the 5th) is made late, for November."""
    data = november()
    data["tasks"].append(task("T0", "L0001", "2026-10-20", hours="1"))
    env = make_env(data, start_period="2026-10")
    assert env.sync("2026-11-02").exit_code == EXIT_OK
    assert "org:2026-10:VANTAA-KERAVA" in env.totals()
    report = env.sync("2026-12-06")
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    assert "org:2026-11:VANTAA-KERAVA" in env.totals()
    oct_org = env.invoice_by_key("org:2026-10:VANTAA-KERAVA")
    assert all("puuttui" not in (ln.get("free_text") or "") for ln in oct_org["lines"])


def test_work_added_after_the_settlement_day_of_a_billed_month_stays_a_correction(make_env):
    """The connector billed November on 2.12, while the organiser document was still open;
    work added to November after the 5th goes on the organiser's next document as a
    correction (its November document stood): only a document never given its chance is late."""
    env = make_env(november(), start_period="2026-11")
    assert env.sync("2026-12-02").exit_code == EXIT_OK
    nov_org = env.totals()["org:2026-11:VANTAA-KERAVA"]
    env.spotilla.add_task(task("T4", "L0001", "2026-11-20", hours="1"))
    env.spotilla.add_task(task("T5", "L0001", "2026-12-02", hours="1"))
    assert env.sync("2026-12-07").exit_code == EXIT_OK
    assert env.totals()["org:2026-11:VANTAA-KERAVA"] == nov_org
    assert env.sync("2027-01-02").exit_code == EXIT_OK
    dec_org = env.invoice_by_key("org:2026-12:VANTAA-KERAVA")
    assert any("T4" in (ln.get("free_text") or "") for ln in dec_org["lines"])


def test_a_fresh_ledger_without_start_period_refuses_before_any_write(make_env):
    """On 7.12 a fresh ledger would bill November: the sync names it, says how to set
    start_period, and sends nothing; `plan` shows which month the first run bills."""
    env = make_env(november(), start_period=None, language="fi")
    result = env.cli("sync", "--as-of", DEC_7)
    assert result.returncode == EXIT_ABORTED
    assert "2026-11" in result.stdout and 'start_period = "2026-11"' in result.stdout
    # nothing was written: no customer, product or invoice in Netvisor
    assert env.netvisor.customers() == [] and env.netvisor.products() == []
    assert env.invoices() == []
    plan = env.cli("plan", "--as-of", DEC_7)
    assert plan.returncode == EXIT_OK, plan.stdout + plan.stderr
    assert "ensimmäinen ajo laskuttaisi kaudet 2026-11" in plan.stdout


def test_start_period_after_the_closed_month_bills_nothing_of_it(make_env):
    """An office that invoiced November by hand sets start_period = "2026-12": 7.12 bills
    nothing of November (no client invoice, no organiser document), January bills December."""
    data = november()
    data["tasks"].append(task("T6", "L0100", "2026-12-10", quantity="1", unit_price="30.00"))
    env = make_env(data, start_period="2026-12")
    report = env.sync(DEC_7)
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    assert report.built == [] and env.totals() == {}
    assert env.sync("2027-01-02").exit_code == EXIT_OK
    assert env.totals() == {"inv:2026-12:SP-P0100": Decimal("30.00")}


def test_start_period_in_a_locked_month_bills_it_late_on_the_first_run(make_env):
    """start_period = "2026-10" on 7.12: October is locked, never billed: the first run bills
    it as October's own documents (late, with a notice), and November as usual."""
    data = november()
    data["tasks"].append(task("T7", "L0100", "2026-10-05", quantity="1", unit_price="10.00"))
    env = make_env(data, start_period="2026-10")
    report = env.sync(DEC_7)
    assert report.exit_code == EXIT_OK, (report.aborted, report.problems)
    totals = env.totals()
    assert totals["inv:2026-10:SP-P0100"] == Decimal("10.00")
    assert totals["inv:2026-11:SP-P0100"] == Decimal("20.00")


def test_withheld_money_shows_with_its_amount_in_the_summary_the_run_report_and_status(
    make_env,
):
    """April billed, then T1 (20,00 €) deleted after April locked: the correction has no later
    document yet. The sync says so with the amount, as do its HTML and CSV report and
    `status` (not only `plan`)."""
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0001", "2026-04-11", hours="2"),
    ]
    env = make_env(data, language="fi")
    assert env.cli("sync", "--as-of", "2026-05-02").returncode == EXIT_OK
    env.spotilla.delete_task("T1")
    result = env.cli("sync", "--period", "2026-04", "--as-of", "2026-05-20")
    assert result.returncode == EXIT_OK, result.stdout + result.stderr
    withheld = [ln for ln in result.stdout.splitlines() if "PIDÄTETTY, ei laskutettu" in ln]
    assert withheld and "1 korjausrivi kaudelta 2026-04" in withheld[0]  # singular: one line
    assert "20,00\u00a0€" in withheld[0]
    run = max(int(p.stem) for p in (env.tmp / "reports").glob("*.html"))
    html = (env.tmp / "reports" / f"{run}.html").read_text(encoding="utf-8")
    assert "Pidätetty ja siirtynyt (ei laskutettu)" in html and "20,00\u00a0€" in html
    csv = (env.tmp / "reports" / f"{run}.csv").read_text(encoding="utf-8-sig")
    (row,) = [ln for ln in csv.splitlines() if ln.startswith("withheld;")]
    assert ";2026-04;" in row and "-20,00" in row and "deferred_corrections" in row
    status = env.cli("status")
    assert "pidätetty, ei laskutettu" in status.stdout and "20,00\u00a0€" in status.stdout
