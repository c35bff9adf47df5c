"""The demo's example mappings (mappings/) drive the engine as the demo will."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

from connector.billing import BillingInput, DocumentKind, bill
from connector.core.domain import BillingCustomer, CustomerType, Period, Target
from connector.mapping import load_mappings

from .conftest import REGISTER, hour, row, task

EXAMPLES = Path(__file__).resolve().parents[2] / "mappings"
OCTOBER = Period(2026, 10)


def test_l0001_home_care_voucher_15_of_25_for_20_hours_a_month():
    maps = load_mappings(EXAMPLES)
    customers = {
        "P0001": BillingCustomer("P0001", CustomerType.PERSON, "Testi Henkilö"),
        "P0003": BillingCustomer("P0003", CustomerType.PERSON, "Kolmas Testi"),
        "P0006": BillingCustomer("P0006", CustomerType.PERSON, "Kuudes Testi"),
    }
    targets = {
        "L0001": Target("L0001", "Kohde L0001", ("Vantaa", "Kohde L0001"), "P0001"),
        "L0003": Target("L0003", "Kohde L0003", ("Vantaa", "Kohde L0003"), "P0003"),
        "L0006": Target("L0006", "Kohde L0006", ("Keski-Uusimaa", "Kohde L0006"), "P0006"),
    }
    l0003 = {"target_id": "L0003", "customer_id": "P0003"}
    tasks = [
        hour("T1", OCTOBER, hours="22", day=6),  # 2 h above the 20 h grant
        task("T2", OCTOBER, [row("T2:h0", "SIIVOUS-H", "2", date(2026, 10, 7))]),
        # L0003's home-care voucher expires on 15 October: T3 is covered, T4 is not
        replace(hour("T3", OCTOBER, day=14), **l0003),
        replace(hour("T4", OCTOBER, day=20), **l0003),
    ]
    result = bill(
        BillingInput(
            periods=(OCTOBER,),
            observed_periods=(OCTOBER,),
            customers=customers,
            targets=targets,
            products=REGISTER,
            tasks=tuple(tasks),
            mappings=maps,
        ),
        today=date(2026, 11, 2),
    )
    docs = {d.key: d for d in result.documents}
    p1 = docs["inv:2026-10:SP-P0001"]
    # home care: 20 h x 25,00 - 20 h x 15,00 (the 2 h above the grant are held for review);
    # cleaning (25,5 % VAT) 2 h x 42,00 net - the 2 x 30,00 voucher value, net 47,81
    assert p1.total == D("500.00") - D("300.00") + D("84.00") - D("47.81")
    assert [(h.record_id, h.rule) for h in result.held] == [("T1:h0", "over_grant")]
    spec = " | ".join(ln.text for ln in p1.lines if not hasattr(ln, "amount"))
    assert "tarkastettavana: 2 h x 25,00 € = 50,00 €" in spec
    cleaning = next(ln for ln in p1.priced_lines if ln.product_code == "SIIVOUS")
    assert (cleaning.vat_percent, cleaning.vat_code) == (D("25.5"), "KOMY")
    home = next(ln for ln in p1.priced_lines if ln.product_code == "KOTIHOITO")
    assert (home.vat_percent, home.vat_code) == (D("0"), "NONE")  # AVL 37 §: exempt, not 0 %-rated
    p3 = docs["inv:2026-10:SP-P0003"]
    assert p3.payment_term_days == 21  # customers.toml override
    assert p3.total == D("25.00") - D("18.50") + D("25.00")  # T4 is after the voucher expired
    org = docs["org:2026-10:VANTAA-KERAVA"]
    assert org.customer_code == "ORG-VAKE" and org.kind is DocumentKind.ORGANISER
    assert org.total == D("300.00") + D("47.81") + D("18.50")
    # Keski-Uusimaa's capitation fee (L0006) is billed every month the voucher is valid
    keuda = docs["org:2026-10:KESKI-UUSIMAA"]
    assert [ln.amount for ln in keuda.priced_lines] == [D("28.00")]
    assert "200006" in keuda.priced_lines[0].name


def test_no_capitation_fee_for_a_client_spotilla_does_not_know():
    """A capitation voucher in the mappings earns a fee only while its target exists."""
    result = bill(
        BillingInput(
            periods=(OCTOBER,),
            observed_periods=(OCTOBER,),
            customers={},
            targets={},
            products=REGISTER,
            tasks=(),
            mappings=load_mappings(EXAMPLES),
        ),
        today=date(2026, 11, 2),
    )
    assert result.documents == ()
