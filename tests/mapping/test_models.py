"""Mapping records and checks for PSOP's rules: voucher counts, customer numbers, unit values."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from pydantic import ValidationError

from connector.core.domain import Product
from connector.core.errors import ConfigError
from connector.mapping import (
    Mappings,
    ProductMapping,
    Region,
    TargetMapping,
    Voucher,
    load_mappings,
    unit_value_warnings,
)
from connector.mapping.models import RegionEntry, TargetEntry, looks_like_identity_code

EXAMPLES = Path(__file__).resolve().parents[2] / "mappings"
VOUCHER = {
    "id": "V-1",
    "kind": "voucher",
    "psop_product": "KOTIHOITO",
    "unit_value": D("15.00"),
    "valid_from": date(2026, 1, 1),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in ("regions.toml", "products.toml", "customers.toml", "targets.toml"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "targets.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(folder: Path):
    with pytest.raises(ConfigError) as caught:
        load_mappings(folder)
    return caught.value.problems


# ------------------------------------------------------------------ the voucher's count


@pytest.mark.parametrize(
    "counts",
    [{}, {"quantity_per_period": D("20"), "quantity_total": D("60")}],
    ids=["neither", "both"],
)
def test_a_voucher_needs_exactly_one_count_per_month_or_in_total(counts):
    """Seed 000: "... palvelusetelin voimassaoloaika, yhden setelin arvo, setelien määrä,
    PSOP-tuote ..." — setelien määrä is a total or a monthly quota, never both or neither."""
    with pytest.raises(ValidationError, match="exactly one of quantity_per_period"):
        Voucher(**VOUCHER, **counts)
    assert Voucher(**VOUCHER, quantity_total=D("60")).quantity_total == D("60")


def test_a_voucher_without_its_count_is_a_mapping_error_with_file_line_and_key(folder):
    """Seed 000: "... yhden setelin arvo, setelien määrä, PSOP-tuote ..." """
    edit(folder, 'quantity_per_period = "20"\n', "")
    (p,) = problems(folder)
    assert (p.file, p.key) == ("targets.toml", "target[L0001].voucher[0]")
    assert p.line is not None and "quantity_total" in p.message


def test_balance_and_capitation_vouchers_take_no_count():
    with pytest.raises(ValidationError, match="takes no quantity_total"):
        Voucher(
            id="V-2",
            kind="balance",
            psop_product="KOTIHOITO",
            balance=D("100"),
            quantity_total=D("3"),
            valid_from=date(2026, 1, 1),
        )


def test_vouchers_csv_reads_the_total_count_and_stack(folder):
    (folder / "targets.toml").unlink()
    (folder / "targets.csv").write_text(
        "folder_id,name,region,psop_customer_number,customership_to\n"
        "L0001,Asiakas Yksi,VANTAA-KERAVA,100001,2026-06-30\n",
        encoding="utf-8",
    )
    (folder / "vouchers.csv").write_text(
        "target,id,kind,psop_product,unit_value,quantity_total,stack,valid_from\n"
        "L0001,V-1,voucher,KOTIHOITO,15,60,true,2026-01-01\n",
        encoding="utf-8",
    )
    target = load_mappings(folder).targets["L0001"]
    (v,) = target.vouchers
    assert (v.quantity_total, v.quantity_per_period, v.stack) == (D("60"), None, True)
    assert target.customership_to == date(2026, 6, 30)
    assert target.in_customership(date(2026, 6, 30)) and not target.in_customership(
        date(2026, 7, 1)
    )


# ------------------------------------------------------------------ PSOP customer numbers


@pytest.mark.parametrize("number", ["131052-308T", "010203A1234", "311299+999X"])
def test_a_psop_customer_number_shaped_like_a_henkilotunnus_is_refused(number):
    """Seed 000: "Suosittelemme, että käytät samaa asiakasnumeroa, joka asiakkaalla on
    DomaCaressa jotta PSOP-numero olisi yksilöllinen." — the provider's own number, never a
    personal identity code."""
    assert looks_like_identity_code(number)
    with pytest.raises(ValidationError, match="henkilötunnus"):
        TargetEntry(folder_id="L1", region="R", psop_customer_number=number)


def test_a_henkilotunnus_in_targets_toml_is_named_by_file_line_and_key(folder):
    """Seed 002: "Palveluntuottaja voi yksilöidä asiakkaansa omalla asiakasnumerolla, joka tulee
    näkyviin laskulle ja on palveluntuottajakohtainen." """
    edit(folder, 'psop_customer_number = "100001"', 'psop_customer_number = "131052-308T"')
    (p,) = problems(folder)
    assert (p.file, p.key) == ("targets.toml", "target[L0001].psop_customer_number")
    assert "131052" not in p.message  # the message never repeats an identity code


def test_every_code_python_stdnum_accepts_is_refused_by_its_shape():
    """The shape check stands in for ``stdnum.fi.hetu.is_valid`` (kept out of start-up): every
    century sign, upper and lower case, surrounding spaces, temporary numbers too."""
    from stdnum.fi import hetu

    checks = "0123456789ABCDEFHJKLMNPRSTUVWXY"
    seen = 0
    for day, month, year in [(1, 1, 0), (29, 2, 96), (31, 12, 99), (15, 6, 52)]:
        for sign in "+-ABCDEFYXWVU":
            for individual in (2, 308, 899, 950, 999):
                stem = f"{day:02d}{month:02d}{year:02d}{sign}{individual:03d}"
                code = stem + checks[int(f"{day:02d}{month:02d}{year:02d}{individual:03d}") % 31]
                for written in (code, code.lower(), f" {code} "):
                    if hetu.is_valid(written, allow_temporary=True):
                        seen += 1
                        assert looks_like_identity_code(written), written
    assert seen > 500  # the loop did exercise stdnum's accepted codes


@pytest.mark.parametrize("number", ["100001", "SP-1001", "1234567", "0102031234"])
def test_ordinary_customer_numbers_are_accepted(number):
    assert not looks_like_identity_code(number)
    TargetEntry(folder_id="L1", region="R", psop_customer_number=number)


# ------------------------------------------------------------------ settlement day


@pytest.mark.parametrize(("day", "ok"), [(3, False), (4, True), (8, True), (9, False)])
def test_a_region_settlement_day_is_the_4th_to_the_8th(day, ok):
    """Seed 003: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)" """
    raw = {
        "code": "R",
        "organiser_name": "Hyvinvointialue",
        "organiser_business_id": "3221265-7",
        "organiser_customer_code": "ORG",
        "voucher_deduction_product": "PSETELI",
        "settlement_day": day,
    }
    if ok:
        assert RegionEntry(**raw).settlement_day == day
    else:
        with pytest.raises(ValidationError):
            RegionEntry(**raw)


def test_the_example_regions_set_their_own_settlement_days():
    maps = load_mappings(EXAMPLES)
    assert {code: r.settlement_day for code, r in maps.regions.items()} == {
        "VANTAA-KERAVA": 5,
        "KESKI-UUSIMAA": None,  # the config's default
    }


# ------------------------------------------------------------------ unit value warnings


def _maps(unit_value: str, **count: str) -> Mappings:
    region = Region(
        code="R",
        organiser_name="Hyvinvointialue",
        organiser_business_id="3221265-7",
        organiser_customer_code="ORG",
        organiser_document=True,
        voucher_deduction_product="PSETELI",
        product_links={"KOTIHOITO": "KOTIHOITO-H"},
    )
    product = ProductMapping(
        spotilla_code="KOTIHOITO-H",
        netvisor_code="KOTIHOITO",
        name="Kotihoito",
        unit="h",
        vat_percent=D("0"),
        vat_code="KOMY",
    )
    v = Voucher(**{**VOUCHER, "unit_value": D(unit_value)}, **{k: D(x) for k, x in count.items()})
    target = TargetMapping(
        folder_id="L1", name="", region="R", psop_customer_number="1", vouchers=(v,)
    )
    return Mappings(
        regions={"R": region}, targets={"L1": target}, products={"KOTIHOITO-H": product}
    )


PRICES = {"KOTIHOITO-H": Product("KOTIHOITO-H", "Kotihoito", "h", D("25.00"))}


def test_a_unit_value_above_every_linked_price_that_looks_like_value_times_count_is_warned():
    """Seed 000: "HUOM. poiketen PSOP-palvelusta / parastapalvelu.fi-sivustosta DomaCare näyttää
    yhden setelin arvon, PSOP-palvelussa näkyy kaikkien samalla ostovoimatunnisteella olevien
    setelien yhteisarvo." """
    (warning,) = unit_value_warnings(_maps("300.00", quantity_per_period="20"), PRICES)
    assert warning.key == "target[L1].voucher[V-1].unit_value"
    assert "more than the price of every product" in warning.message
    assert "value x count (15,00 € x 20)" in warning.message


def test_a_plausible_unit_value_gives_no_warning():
    """Seed 000: "DomaCare näyttää yhden setelin arvon" """
    assert unit_value_warnings(_maps("15.00", quantity_per_period="20"), PRICES) == []
    # above the price but not a multiple of anything plausible: still warned, without the guess
    (warning,) = unit_value_warnings(_maps("31.00", quantity_total="7"), PRICES)
    assert "value x count" not in warning.message
