"""PSOP's money rules as PSOP states them: one test per rule, quoting the seed sentence.

The seeds are PSOP's and DomaCare's own (Finnish) instructions; docs/domain.md lists each rule,
where it lives in the code and its config key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from connector.billing import (
    BillingRules,
    CommentLine,
    DocumentKind,
    document_key_locked,
    document_locked,
)
from connector.billing.vat import gross_of, net_for_gross
from connector.core.domain import Period

from .conftest import APRIL, JUNE, MAY, Ledger, hour, mappings, row, run, task, voucher

CLOSED_APRIL = date(2026, 5, 2)
MAY_RUN = date(2026, 6, 2)  # April locked, May closed
BILL_CLIENT = BillingRules(over_grant="bill_client")


def doc(result, kind):
    return next(d for d in result.documents if d.kind is kind)


def spec_of(document) -> list[str]:
    return [ln.text for ln in document.lines if isinstance(ln, CommentLine)]


def gross_total(document) -> D:
    """What the document's recipient pays: every line's net with its VAT, as Netvisor sums it."""
    return sum((gross_of(ln.amount, ln.vat_percent) for ln in document.priced_lines), D("0.00"))


def with_region(maps, **update):
    (region,) = maps.regions.values()
    return replace(maps, regions={region.code: region.model_copy(update=update)})


def with_target(maps, folder_id: str, **update):
    targets = dict(maps.targets)
    targets[folder_id] = targets[folder_id].model_copy(update=update)
    return replace(maps, targets=targets)


# ------------------------------------------------------------------ 1. over grant: review


def test_work_above_the_granted_quantity_goes_to_review_not_to_the_client():
    """Seed 002: "Tarkastettavaksi menevät ne tapahtumat jotka ylittävät asiakkaalle myönnetyn
    palvelun määrän." and "Maksu palvelunjärjestäjältä palveluntuottajalle tapahtuu vasta kun
    tapahtuma on hyväksytty."
    """
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    tasks = [hour("T1", APRIL, hours="12", day=2), hour("T2", APRIL, hours="12", day=20)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)  # the default rules
    assert BillingRules().over_grant == "hold"
    # the covered 20 h are billed: self-pay 20 x 10,00; the organiser pays 20 x 15,00
    assert doc(result, DocumentKind.CUSTOMER_INVOICE).total == D("200.00")
    assert doc(result, DocumentKind.ORGANISER).total == D("300.00")
    # the 4 h above the grant are held (the run summary and status report `held`)
    (held,) = result.held
    assert (held.record_id, held.rule) == ("T2:h0", "over_grant")
    assert "tarkastettavana" in held.reason


def test_held_work_shows_on_the_self_pay_specification_as_tarkastettavana():
    """Seed 002: "HUOM! Palvelunjärjestäjälle tarkastettaviksi menevät kirjaukset näkyvät
    omavastuuerittelyssä mahdolliseen hylkäämiseen asti"
    """
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    # T2 is wholly above the grant: nothing of it is billed, yet the client sees it
    tasks = [hour("T1", APRIL, hours="20", day=2), hour("T2", APRIL, hours="4", day=20)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    spec = spec_of(doc(result, DocumentKind.CUSTOMER_INVOICE))
    assert (
        "Kotihoito, seteli V-1, tarkastettavana: 4 h x 25,00 € = 100,00 € "
        "(ei laskuteta ennen palvelunjärjestäjän päätöstä)"
    ) in spec
    assert [h.record_id for h in result.held] == ["T2:h0"]


def test_with_bill_client_the_specification_separates_self_pay_from_work_above_the_grant():
    """Seed 002: "Tarkastettavaksi menevät ne tapahtumat jotka ylittävät asiakkaalle myönnetyn
    palvelun määrän." — billed to the client only where the user says so, and then not
    called self-pay.
    """
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    tasks = [hour("T1", APRIL, hours="24", day=2)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL, rules=BILL_CLIENT)
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    assert invoice.total == D("300.00")  # 24 x 25,00 - 20 x 15,00
    spec = spec_of(invoice)
    assert (
        "Kotihoito, seteli V-1: 20 h x 25,00 € = 500,00 €, setelin osuus 300,00 €, "
        "omavastuu 200,00 €"
    ) in spec
    assert (
        "Kotihoito, seteli V-1, yli myönnetyn määrän: 4 h x 25,00 € = 100,00 €, "
        "asiakas maksaa 100,00 €"
    ) in spec
    assert result.held == ()
    # the document's self-pay is the specification's; the client pays the whole invoice
    assert invoice.self_pay == D("200.00") and gross_total(invoice) == D("300.00")


# ------------------------------------------------------------------ 2. the voucher's count


def test_a_total_count_voucher_is_used_up_across_months_in_work_date_order():
    """Seed 000: "Taulukkoon tulee näkyville ostovoimatunnisteen alle palvelusetelin
    voimassaoloaika, yhden setelin arvo, setelien määrä, PSOP-tuote sekä niitä vastaavat
    DomaCare-tuotteet" — setelien määrä: a count over the whole validity.
    """
    maps = mappings([voucher(unit_value="15.00", quantity_total="30")])
    ledger = Ledger()
    april = [hour("T1", APRIL, hours="20")]
    run(maps, april, periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    # May's run does not re-read April: what April used comes from the billed lines
    may = run(maps, [hour("T2", MAY, hours="20")], periods=[MAY], today=MAY_RUN, ledger=ledger)
    invoice = doc(may, DocumentKind.CUSTOMER_INVOICE)
    # 10 h left of 30: covered 10 x (25,00 - 15,00); the other 10 h wait for review
    assert invoice.total == D("100.00")
    assert doc(may, DocumentKind.ORGANISER).total == D("150.00")
    (held,) = may.held
    assert (held.record_id, held.rule) == ("T2:h0", "over_grant")
    assert "10" in held.reason


def test_grants_count_by_work_date_not_by_completion_month():
    """Seed 000: "... yhden setelin arvo, setelien määrä, PSOP-tuote ..." — a monthly quota is
    the work's month: hours worked on 30 April count against April even when the task was
    completed in May.
    """
    maps = mappings([voucher(unit_value="15.00", quantity_per_period="20")])
    late = task("T2", MAY, [row("T2:h0", "KOTIHOITO-H", "5", date(2026, 4, 30))])
    tasks = [hour("T1", APRIL, hours="20", day=10), late, hour("T3", MAY, hours="20", day=12)]
    result = run(maps, tasks, periods=[APRIL, MAY], today=MAY_RUN.replace(day=2, month=6))
    assert [(h.record_id, h.rule) for h in result.held] == [("T2:h0", "over_grant")]


def test_two_consecutive_vouchers_in_one_month_share_its_grant_unless_they_stack():
    """Seed 001: "HUOM! Palveluvaraus tehdään uuteen palveluseteliin vain kerran ja vain yhteen
    palvelusisältöön." — a new voucher for the same content continues the old one; it does not
    double the month's grant unless the mapping says ``stack = true``.
    """
    old = voucher("V-1", valid_to=date(2026, 4, 15), unit_value="15.00", quantity_per_period="20")
    new = voucher("V-2", valid_from=date(2026, 4, 16), unit_value="15.00", quantity_per_period="20")
    tasks = [hour("T1", APRIL, hours="15", day=10), hour("T2", APRIL, hours="15", day=20)]
    shared = run(mappings([old, new]), tasks, periods=[APRIL], today=CLOSED_APRIL)
    assert [(h.record_id, h.rule) for h in shared.held] == [("T2:h0", "over_grant")]
    assert doc(shared, DocumentKind.ORGANISER).total == D("300.00")  # 20 h, not 30 h

    stacked = run(
        mappings([old, new.model_copy(update={"stack": True})]),
        tasks,
        periods=[APRIL],
        today=CLOSED_APRIL,
    )
    assert stacked.held == ()
    assert doc(stacked, DocumentKind.ORGANISER).total == D("450.00")


# ------------------------------------------------------------------ 3. settlement day


def test_an_april_task_changed_on_5_may_is_a_correction_for_a_4th_day_organiser_and_an_in_place_edit_for_an_8th_day_one():
    """Seed 003: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)"; seed 002:
    "Virheellinen tapahtuma on muokattavissa ja poistettavissa palvelunjärjestäjän
    määrittelemään tilityspäivään asti."
    """
    for day, in_place in ((4, False), (8, True)):
        maps = with_region(mappings([voucher()]), settlement_day=day)
        ledger = Ledger()
        run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
        changed = [hour("T1", APRIL, hours="2")]
        result = run(maps, changed, periods=[APRIL], today=date(2026, 5, 5), ledger=ledger)
        keys = {d.key for d in result.documents}
        # the client's invoice freezes on the lock day (9th): still edited in place
        assert "inv:2026-04:SP-P0001" in keys
        if in_place:
            assert "org:2026-04:VANTAA-KERAVA" in keys
            assert ledger.documents["org:2026-04:VANTAA-KERAVA"].total == D("30.00")
            assert result.deferred == ()
        else:
            assert "org:2026-04:VANTAA-KERAVA" not in keys
            (fix,) = result.deferred  # goes to the organiser's next document
            assert (fix.document_key, fix.role, fix.amount) == (
                "org:2026-04:VANTAA-KERAVA",
                "correction:voucher_share",
                D("15.00"),
            )
            assert ledger.documents["org:2026-04:VANTAA-KERAVA"].total == D("15.00")


def test_document_locked_says_when_a_document_freezes_by_its_owner():
    """Seed 003: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)"."""
    maps = with_region(mappings(), settlement_day=4)
    rules = BillingRules()  # lock day 9, default settlement day 8
    fifth = date(2026, 5, 5)
    common = {"today": fifth, "rules": rules, "mappings": maps}
    assert document_locked(APRIL, "VANTAA-KERAVA", organiser=True, **common)
    assert document_locked(APRIL, "ORG-VAKE", organiser=True, **common)  # by customer code
    assert not document_locked(APRIL, "SP-P0001", organiser=False, **common)
    assert not document_locked(APRIL, "ELSEWHERE", organiser=True, **common)  # default: 8th
    assert document_key_locked("org:2026-04:VANTAA-KERAVA", **common)
    assert not document_key_locked("inv:2026-04:SP-P0001", **common)
    assert document_key_locked("inv:2026-04:SP-P0001", **{**common, "today": date(2026, 5, 9)})


@pytest.mark.parametrize("day", [3, 9])
def test_a_settlement_day_outside_the_4th_to_8th_is_refused(day):
    """Seed 003: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)"."""
    with pytest.raises(ValueError, match="settlement_day"):
        BillingRules(settlement_day=day)


# ------------------------------------------------------------------ 5. corrections name the client


def test_a_correction_names_the_client_by_the_stored_psop_number_not_todays_mapping():
    """Seed 002: "Jos käytätte asiakasnumeroa, niin se on varattuna tälle asiakkaalle niin kauan
    kunnes poistatte sen ao. asiakkaalta." — the number on the billed line identifies the client
    in PSOP's settlement; a correction repeats it.
    """
    maps = mappings([voucher("V-1")])
    ledger = Ledger()
    april = run(maps, [hour("T1", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    billed = doc(april, DocumentKind.ORGANISER).billed
    assert {(b.psop_customer_number, b.voucher_id) for b in billed} == {("100001", "V-1")}
    # later the client is renumbered and the voucher removed from the mapping; T1 is deleted
    changed = with_target(maps, "L0001", psop_customer_number="100777", vouchers=())
    may = run(changed, [], periods=[MAY], observed=[APRIL, MAY], today=MAY_RUN, ledger=ledger)
    (fix,) = doc(may, DocumentKind.ORGANISER).priced_lines
    assert fix.name == "Hyvitys huhtikuu 2026: asiakasnumero 100001, seteli V-1"
    assert fix.amount == D("-15.00")
    assert all(b.psop_customer_number == "100001" for b in doc(may, DocumentKind.ORGANISER).billed)


# ------------------------------------------------------------------ 7. negative quantities


def test_a_negative_row_that_cancels_nothing_is_quarantined():
    """Seed 003: "Jos kirjauksessa ilmenee virhe ja tapahtuma on jo tilassa "Tilitetty" tai
    "Maksettu", tulee nämä tapahtumat hyvittää palvelunjärjestäjän toimesta." — a credit is
    made through the credit process, never by a negative row.
    """
    maps = mappings([voucher()])
    t = task(
        "T1",
        APRIL,
        [
            row("T1:h0", "KOTIHOITO-H", "2", date(2026, 4, 3)),
            row("T1:p1", "MATKA-KM", "-10", date(2026, 4, 3)),
        ],
    )
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    assert [(q.record_id, q.rule) for q in result.quarantined] == [("T1:p1", "negative_quantity")]
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    assert invoice.total == D("20.00")  # 2 h x (25,00 - 15,00); the bad row is not billed


def test_a_negative_row_cancelling_a_row_of_the_same_task_bills_the_net_quantity():
    """Seed 003: "Jos kirjauksessa ilmenee virhe ja tapahtuma on jo tilassa "Tilitetty" tai
    "Maksettu", tulee nämä tapahtumat hyvittää palvelunjärjestäjän toimesta."
    """
    maps = mappings([voucher(unit_value="30.00")])
    t = task(
        "T1",
        APRIL,
        [
            row("T1:h0", "KOTIHOITO-H", "3", date(2026, 4, 3)),
            row("T1:h1", "KOTIHOITO-H", "-1", date(2026, 4, 3)),
        ],
    )
    result = run(maps, [t], periods=[APRIL], today=CLOSED_APRIL)
    assert result.quarantined == ()
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    work = [ln for ln in invoice.priced_lines if ln.role == "work"]
    assert [(ln.source_line_id, ln.quantity) for ln in work] == [("T1:h0", D("2"))]
    # the voucher (30,00) is above the price: the organiser pays the price, self-pay is zero
    assert invoice.total == D("0.00")
    assert doc(result, DocumentKind.ORGANISER).total == D("50.00")


# ------------------------------------------------------------------ 8. VAT and vouchers


def test_a_30_euro_voucher_on_taxable_work_costs_the_organiser_30_euros_not_37_65():
    """Seed 000: "... palvelusetelin voimassaoloaika, yhden setelin arvo, setelien määrä ..." —
    the value of one voucher is what the organiser pays, VAT included.
    """
    maps = mappings([voucher("V-S", psop_product="SIIVOUS", unit_value="30.00")])
    result = run(maps, [hour("T1", APRIL, code="SIIVOUS-H")], periods=[APRIL], today=CLOSED_APRIL)
    org = doc(result, DocumentKind.ORGANISER)
    assert gross_total(org) == D("30.00")
    # no net amount has a gross of exactly 30,00 at 25,5 %: 23,90 net + a one-cent line
    assert [(ln.amount, ln.vat_percent) for ln in org.priced_lines] == [
        (D("23.90"), D("25.5")),
        (D("0.01"), D("25.5")),
    ]
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    # the client pays the gross price 42,00 + 25,5 % = 52,71 less the voucher's 30,00
    assert gross_total(invoice) == D("22.71")
    assert (
        "Siivous, seteli V-S: 1 h x 52,71 € = 52,71 €, setelin osuus 30,00 €, omavastuu 22,71 €"
    ) in spec_of(invoice)


def test_vouchers_on_vat_exempt_work_are_unchanged():
    """Seed 000: "... yhden setelin arvo ..." — without VAT, net and gross are the same."""
    maps = mappings([voucher(unit_value="15.00")])
    result = run(maps, [hour("T1", APRIL, hours="2")], periods=[APRIL], today=CLOSED_APRIL)
    org = doc(result, DocumentKind.ORGANISER)
    assert [(ln.quantity, ln.unit_price, ln.amount) for ln in org.priced_lines] == [
        (D("2"), D("15.00"), D("30.00"))
    ]


@pytest.mark.parametrize("vat", ["25.5", "24", "14", "10", "0"])
def test_every_gross_amount_is_billed_exactly_with_vat(vat):
    """Seed 000: "yhden setelin arvo" — whatever the value, the lines' gross is exactly it."""
    rate = D(vat)
    for cents in range(-500, 20001, 7):
        gross = D(cents) / 100
        net, remainder = net_for_gross(gross, rate)
        assert gross_of(net, rate) + gross_of(remainder, rate) == gross
        assert abs(remainder) <= D("0.01")


# ------------------------------------------------------------------ 9. capitation


def capitation_maps(valid_from=date(2026, 1, 1), valid_to=None, customership_to=None):
    fee = voucher(
        "V-K",
        kind="capitation",
        psop_product="TURVAPUHELIN",
        valid_from=valid_from,
        valid_to=valid_to,
        monthly_fee="30.00",
    )
    return with_target(mappings([fee]), "L0001", customership_to=customership_to)


def fees(result):
    org = doc(result, DocumentKind.ORGANISER)
    return [(ln.amount, ln.name) for ln in org.priced_lines]


def test_capitation_is_paid_by_the_days_of_the_customership_in_the_month():
    """Seed 001: "Maksatus toimii automaattisesti asiakkuuden voimassaolon mukaan." """
    maps = capitation_maps(valid_from=date(2026, 4, 11))
    result = run(maps, [], periods=[APRIL], today=CLOSED_APRIL)
    assert fees(result) == [
        (
            D("20.00"),
            "Asiakasnumero 100001, seteli V-K: Turvapuhelin, kapitaatiokorvaus huhtikuu 2026 "
            "(20/30 pv)",
        )
    ]
    whole = run(
        maps,
        [],
        periods=[APRIL],
        today=CLOSED_APRIL,
        rules=BillingRules(capitation_proration="month"),
    )
    assert [amount for amount, _ in fees(whole)] == [D("30.00")]


def test_a_customership_ends_independently_of_its_voucher():
    """Seed 001: "Asiakkuuden voi päättää myös ilman palvelusetelin sulkemista, esimerkiksi jos
    asiakas vaihtaa palveluntuottajaa."
    """
    maps = capitation_maps(customership_to=date(2026, 5, 15))
    may = run(maps, [], periods=[MAY], today=MAY_RUN)
    (may_fee,) = doc(may, DocumentKind.ORGANISER).priced_lines
    assert may_fee.amount == D("14.52")  # 30,00 x 15 / 31
    june = run(maps, [], periods=[JUNE], today=date(2026, 7, 2))
    assert june.documents == ()  # no customership, no fee
    # nor does the voucher cover work after the customership ended
    vmaps = with_target(mappings([voucher()]), "L0001", customership_to=date(2026, 4, 15))
    work = run(vmaps, [hour("T1", APRIL, day=20)], periods=[APRIL], today=CLOSED_APRIL)
    assert doc(work, DocumentKind.CUSTOMER_INVOICE).total == D("25.00")


# ------------------------------------------------------------------ 10. Finnish on every document


def test_a_correction_row_is_in_finnish_with_its_reason_code():
    """Seed 003: "Hyvitykselle on annettava syykoodi sekä selite." """
    maps = mappings()
    ledger = Ledger()
    run(maps, [hour("T43", APRIL)], periods=[APRIL], today=CLOSED_APRIL, ledger=ledger)
    may = run(maps, [], periods=[MAY], observed=[APRIL, MAY], today=MAY_RUN, ledger=ledger)
    (credit,) = doc(may, DocumentKind.CUSTOMER_INVOICE).priced_lines
    assert credit.reason_code == "DELETED"
    assert credit.name == "Hyvitys huhtikuu 2026: Kotihoito"
    assert credit.explanation == (
        "Hyvitys: tehtävä T43 (huhtikuu 2026) poistettu laskutuksen jälkeen "
        "(laskutettu 25,00 €, nyt 0,00 €; syykoodi POISTETTU)"
    )


def test_the_voucher_deduction_is_one_line_per_voucher_of_units_times_the_unit_value():
    """Seed 000: "... yhden setelin arvo, setelien määrä ..." — the deduction reads as covered
    units x one voucher's value, on a generically named product.
    """
    maps = mappings([voucher("V-1", unit_value="15.00")])
    tasks = [hour("T1", APRIL, hours="2", day=3), hour("T2", APRIL, hours="3", day=4)]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    (deduction,) = [ln for ln in invoice.priced_lines if ln.role == "voucher_deduction"]
    assert (deduction.quantity, deduction.unit_price, deduction.amount) == (
        D("-5"),
        D("15.00"),
        D("-75.00"),
    )
    assert (deduction.name, deduction.free_text) == ("Palvelusetelin osuus", "seteli V-1")


def test_self_pay_is_computed_once_in_the_coverage():
    """Seed 002: "asiakkaalle jäävä omavastuuosuus" — the specification's self-pay is the
    coverage's, so the invoice text and the money cannot disagree.
    """
    maps = mappings([voucher(unit_value="15.00")])
    tasks = [hour("T1", APRIL, hours="1.5", price="27.33")]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    # 1,5 x 27,33 = 41,00 (40,995 rounded half up); voucher 22,50; self-pay 18,50
    assert invoice.total == D("18.50")
    assert any(text.endswith("omavastuu 18,50 €") for text in spec_of(invoice))
    assert invoice.self_pay == D("18.50")


def test_work_no_voucher_covers_is_not_self_pay():
    """Seed 002: omavastuu is "asiakkaalle jäävä omavastuuosuus" of voucher-funded work; work
    without a voucher is the client's to pay in full, not self-pay."""
    maps = mappings([voucher(unit_value="15.00")])
    # 2 h of home care on the voucher, 1 h of cleaning that no voucher covers
    tasks = [hour("T1", APRIL, hours="2"), hour("T2", APRIL, code="SIIVOUS-H")]
    result = run(maps, tasks, periods=[APRIL], today=CLOSED_APRIL)
    invoice = doc(result, DocumentKind.CUSTOMER_INVOICE)
    # self-pay 2 x (25,00 - 15,00); the client pays that and the cleaning in full (42,00 net,
    # 52,71 with VAT 25,5 %)
    assert invoice.self_pay == D("20.00") and gross_total(invoice) == D("72.71")


def test_periods_in_tests_are_calendar_months():
    assert Period(2026, 4) == APRIL
