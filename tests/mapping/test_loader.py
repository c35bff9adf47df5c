"""Loading the mapping folder: every problem named by file, line and key."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest

from connector.core.domain import BillingCustomer, CustomerType
from connector.core.errors import ConfigError, ConfigProblem
from connector.mapping import load_mappings

EXAMPLES = Path(__file__).resolve().parents[2] / "mappings"

REGIONS = """\
[[region]]
code = "VANTAA-KERAVA"
organiser_name = "Vantaan ja Keravan hyvinvointialue"
organiser_business_id = "3221265-7"
organiser_customer_code = "ORG-VAKE"
voucher_deduction_product = "PSETELI"

[region.product_links]
KOTIHOITO = "KOTIHOITO-H"
SIIVOUS = "SIIVOUS-H"
"""

PRODUCTS = """\
[vat.general]
percent = "25.5"
code = "KOMY"

[vat.social_exempt]
percent = 0
code = "NONE"

[[product]]
spotilla_code = "KOTIHOITO-H"
netvisor_code = "KOTIHOITO"
name = "Kotihoito"
unit = "h"
vat = "social_exempt"

[[product]]
spotilla_code = "SIIVOUS-H"
netvisor_code = "SIIVOUS"
name = "Siivous"
unit = "h"
vat_percent = 25.5
vat_code = "KOMY"
"""

TARGETS = """\
[[target]]
folder_id = "L0001"
name = "Asiakas Yksi"
region = "VANTAA-KERAVA"
psop_customer_number = "100001"

[[target.voucher]]
id = "V-1"
kind = "voucher"
psop_product = "KOTIHOITO"
unit_value = 15.00
quantity_per_period = 20
valid_from = 2026-01-01
"""


def write(folder: Path, **files: str) -> Path:
    for name, text in files.items():
        (folder / name.replace("_", ".", 1)).write_text(dedent(text), encoding="utf-8")
    return folder


def problems(folder: Path) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as caught:
        load_mappings(folder)
    return caught.value.problems


def one(folder: Path) -> ConfigProblem:
    (problem,) = problems(folder)
    return problem


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write(tmp_path, regions_toml=REGIONS, products_toml=PRODUCTS, targets_toml=TARGETS)


def test_the_example_mappings_load_cleanly():
    maps = load_mappings(EXAMPLES)
    assert set(maps.regions) == {"VANTAA-KERAVA", "KESKI-UUSIMAA"}
    assert set(maps.targets) == {f"L000{i}" for i in range(1, 9)}
    assert {"KOTIHOITO-H", "SIIVOUS-H", "ATERIA", "TURVAPUH-KK", "MATKA-KM", "SAUNOTUS"} <= set(
        maps.products
    )
    kinds = {v.kind for t in maps.targets.values() for v in t.vouchers}
    assert kinds == {"voucher", "balance", "capitation"}
    assert maps.products["KOTIHOITO-H"].vat_percent == 0
    assert maps.products["SIIVOUS-H"].vat_percent == Decimal("25.5")
    assert any(v.valid_to for t in maps.targets.values() for v in t.vouchers)


def test_a_valid_folder_loads(folder):
    maps = load_mappings(folder)
    (v,) = maps.targets["L0001"].vouchers
    assert (v.unit_value, v.quantity_per_period) == (Decimal("15.00"), Decimal("20"))
    assert maps.regions["VANTAA-KERAVA"].psop_product_of("SIIVOUS-H") == "SIIVOUS"


def test_netvisor_customer_code_is_the_override_or_sp_and_the_spotilla_id(folder):
    write(
        folder,
        customers_toml="""\
        [[customer]]
        spotilla_id = "C0001"
        netvisor_customer_code = "YR-1"
        payment_term_days = 30

        [[customer]]
        business_id = "1234567-1"
        einvoice_address = "003712345671"
        einvoice_operator = "003721291126"
        """,
    )
    maps = load_mappings(folder)
    company = BillingCustomer("C0001", CustomerType.COMPANY, "Oy", business_id="1234567-1")
    other = BillingCustomer("C0002", CustomerType.COMPANY, "Ab", business_id="1234567-1")
    person = BillingCustomer("P0001", CustomerType.PERSON, "Henkilö")
    assert maps.netvisor_customer_code(company) == "YR-1"
    assert maps.netvisor_customer_code(person) == "SP-P0001"
    assert maps.netvisor_customer_code(other) == "SP-C0002"  # matched by Y-tunnus, no code
    assert maps.customer_override(other).einvoice_operator == "003721291126"
    assert maps.customer_override(person) is None


def test_a_missing_folder_is_a_config_error(tmp_path):
    assert one(tmp_path / "nope").message == "mapping folder not found"


def test_not_toml_names_the_line(folder):
    write(folder, regions_toml='[[region]]\ncode = "X"\nbroken =\n')
    (p,) = [p for p in problems(folder) if p.file == "regions.toml"]
    assert p.line == 3 and "not TOML" in p.message


def test_a_wrong_value_names_file_line_and_key(folder):
    write(folder, targets_toml=TARGETS.replace("unit_value = 15.00", 'unit_value = "lots"'))
    p = one(folder)
    assert (p.file, p.line, p.key) == ("targets.toml", 11, "target[L0001].voucher[0].unit_value")


def test_a_voucher_without_its_amount(folder):
    write(folder, targets_toml=TARGETS.replace("unit_value = 15.00\n", "balance = 100\n"))
    p = one(folder)
    assert (p.line, p.key) == (7, "target[L0001].voucher[0]")
    assert "needs unit_value" in p.message


def test_an_invalid_organiser_business_id(folder):
    write(folder, regions_toml=REGIONS.replace("3221265-7", "3221265-8"))
    p = one(folder)
    assert (p.file, p.line, p.key) == (
        "regions.toml",
        4,
        "region[VANTAA-KERAVA].organiser_business_id",
    )
    assert "Y-tunnus" in p.message


def test_an_unknown_key_is_reported(folder):
    write(
        folder,
        products_toml=PRODUCTS.replace('unit = "h"\nvat = "social', 'unti = "h"\nvat = "social'),
    )
    found = {(p.line, p.key) for p in problems(folder)}
    assert found == {(13, "product[KOTIHOITO-H].unti"), (9, "product[KOTIHOITO-H].unit")}


def test_an_unknown_top_level_table(folder):
    write(folder, targets_toml=TARGETS + '\n[[targets]]\nfolder_id = "L0002"\n')
    p = one(folder)
    assert (p.line, p.key, p.message) == (15, "targets", "unknown key at top level")


def test_unknown_region(folder):
    write(folder, targets_toml=TARGETS.replace('region = "VANTAA-KERAVA"', 'region = "VANTAA"'))
    p = one(folder)
    assert (p.file, p.line, p.key) == ("targets.toml", 4, "target[L0001].region")
    assert "unknown region 'VANTAA'" in p.message


def test_a_psop_customer_number_used_twice_in_a_region_names_both_targets(folder):
    second = TARGETS.split("\n\n")[0].replace("L0001", "L0002").replace("Yksi", "Kaksi")
    write(folder, targets_toml=TARGETS + "\n" + second + "\n")
    p = one(folder)
    assert (p.file, p.line, p.key) == ("targets.toml", 19, "target[L0002].psop_customer_number")
    assert "L0001" in p.message and "L0002" in p.message
    assert "Asiakas Yksi" in p.message and "Asiakas Kaksi" in p.message
    assert "targets.toml:5" in p.message  # where the first use is


def test_the_same_psop_number_in_two_regions_is_refused_naming_both_targets(folder):
    """Seed 002 (PSOP's customer instructions): "Palveluntuottaja voi yksilöidä asiakkaansa
    omalla asiakasnumerolla, joka tulee näkyviin laskulle ja on palveluntuottajakohtainen."

    The number is the provider's own, so it is unique across all its regions (this test said
    the opposite before: a number per region was wrongly accepted)."""
    other_region = REGIONS.replace("VANTAA-KERAVA", "KESKI-UUSIMAA").replace(
        "ORG-VAKE", "ORG-KEUDA"
    )
    second = (
        TARGETS.split("\n\n")[0].replace("L0001", "L0002").replace("VANTAA-KERAVA", "KESKI-UUSIMAA")
    )
    write(folder, regions_toml=REGIONS + "\n" + other_region, targets_toml=TARGETS + "\n" + second)
    p = one(folder)
    assert p.key == "target[L0002].psop_customer_number"
    assert "L0001" in p.message and "L0002" in p.message and "unique across" in p.message


def test_a_voucher_whose_psop_product_is_not_linked_in_its_region(folder):
    write(
        folder, targets_toml=TARGETS.replace('psop_product = "KOTIHOITO"', 'psop_product = "SAUNA"')
    )
    p = one(folder)
    assert (p.line, p.key) == (10, "target[L0001].voucher[V-1].psop_product")
    assert "not linked" in p.message and "VANTAA-KERAVA" in p.message


def test_a_product_without_vat_rate_and_code(folder):
    write(folder, products_toml=PRODUCTS.replace('vat = "social_exempt"\n', ""))
    p = one(folder)
    assert (p.file, p.line, p.key) == ("products.toml", 9, "product[KOTIHOITO-H].vat")
    assert "VAT rate" in p.message


def test_a_product_with_a_rate_but_no_code(folder):
    write(folder, products_toml=PRODUCTS.replace('vat_code = "KOMY"\n', ""))
    p = one(folder)
    # the key is absent: the line is its table's
    assert (p.line, p.key) == (16, "product[SIIVOUS-H].vat_code")


def test_an_unknown_vat_class(folder):
    write(folder, products_toml=PRODUCTS.replace('vat = "social_exempt"', 'vat = "exempt"'))
    p = one(folder)
    assert (p.line, p.key) == (14, "product[KOTIHOITO-H].vat")
    assert "unknown VAT class 'exempt'" in p.message


def test_overlapping_vouchers_for_the_same_target_product_and_dates(folder):
    overlapping = """
[[target.voucher]]
id = "V-2"
kind = "balance"
psop_product = "KOTIHOITO"
balance = 300
valid_from = 2026-03-01
valid_to = 2026-04-30
"""
    write(folder, targets_toml=TARGETS + overlapping)
    p = one(folder)
    assert (p.line, p.key) == (20, "target[L0001].voucher[V-2].valid_from")
    assert "overlaps voucher 'V-1'" in p.message


def test_consecutive_vouchers_do_not_overlap(folder):
    targets = TARGETS.replace(
        "valid_from = 2026-01-01", "valid_from = 2026-01-01\nvalid_to = 2026-02-28"
    )
    write(
        folder,
        targets_toml=targets
        + """
[[target.voucher]]
id = "V-2"
kind = "voucher"
psop_product = "KOTIHOITO"
unit_value = 16
quantity_per_period = 20
valid_from = 2026-03-01
""",
    )
    assert len(load_mappings(folder).targets["L0001"].vouchers) == 2


@pytest.mark.parametrize(
    ("file", "text", "line", "key"),
    [
        ("regions.toml", REGIONS + "\n" + REGIONS, 13, "region[VANTAA-KERAVA].code"),
        (
            "targets.toml",
            TARGETS + "\n" + TARGETS.replace("V-1", "V-9"),
            16,
            "target[L0001].folder_id",
        ),
        (
            "products.toml",
            PRODUCTS + PRODUCTS.split("\n\n", 2)[2].split("\n\n")[0],
            24,
            "product[KOTIHOITO-H].spotilla_code",
        ),
    ],
    ids=["region code", "target folder id", "product code"],
)
def test_duplicate_ids(folder, file, text, line, key):
    write(folder, **{file.replace(".", "_"): text})
    found = [(p.file, p.line, p.key) for p in problems(folder)]
    assert (file, line, key) in found
    assert any("duplicate" in p.message for p in problems(folder))


def test_duplicate_voucher_ids(folder):
    second = TARGETS.replace("L0001", "L0002").replace("100001", "100002")
    write(folder, targets_toml=TARGETS + "\n" + second)
    p = one(folder)
    assert (p.line, p.key) == (22, "target[L0002].voucher[V-1].id")
    assert "targets.toml:8" in p.message


def test_a_product_linked_twice_in_a_region_and_a_link_to_an_unmapped_product(folder):
    write(folder, regions_toml=REGIONS + 'KOTIHOITO2 = "KOTIHOITO-H"\nATERIA = "ATERIA"\n')
    found = {(p.line, p.key, p.message.split(" ")[0]) for p in problems(folder)}
    assert found == {
        (11, "region[VANTAA-KERAVA].product_links.KOTIHOITO2", "own"),
        (12, "region[VANTAA-KERAVA].product_links.ATERIA", "own"),
    }


def test_all_problems_are_reported_at_once(folder):
    write(
        folder,
        regions_toml=REGIONS.replace("3221265-7", "bad"),
        targets_toml=TARGETS.replace('region = "VANTAA-KERAVA"', 'region = "NOWHERE"'),
        products_toml=PRODUCTS.replace('vat = "social_exempt"\n', ""),
    )
    files = sorted(p.file for p in problems(folder))
    assert files == ["products.toml", "regions.toml", "targets.toml"]


# ------------------------------------------------------------------ CSV


def test_targets_and_vouchers_as_csv(folder):
    (folder / "targets.toml").unlink()
    write(
        folder,
        targets_csv="folder_id,name,region,psop_customer_number\n"
        "L0001,Asiakas Yksi,VANTAA-KERAVA,100001\n"
        "L0002,Asiakas Kaksi,VANTAA-KERAVA,100002\n",
        vouchers_csv="target,id,kind,psop_product,unit_value,balance,monthly_fee,"
        "quantity_per_period,valid_from,valid_to\n"
        'L0001,V-1,voucher,KOTIHOITO,"15,00",,,20,2026-01-01,\n'
        "L0002,V-2,balance,KOTIHOITO,,500,,,2026-01-01,2026-12-31\n",
    )
    maps = load_mappings(folder)
    assert maps.targets["L0001"].vouchers[0].unit_value == Decimal("15.00")
    assert maps.targets["L0002"].vouchers[0].balance == Decimal("500")


def test_csv_problems_name_the_row_line_and_column(folder):
    (folder / "targets.toml").unlink()
    write(
        folder,
        targets_csv="folder_id,name,region,psop_customer_number\n"
        "L0001,Asiakas Yksi,VANTAA-KERAVA,100001\n"
        "L0002,Asiakas Kaksi,ELSEWHERE,100002\n"
        "L0003,Asiakas Kolme,VANTAA-KERAVA,100001\n",
        vouchers_csv="target,id,kind,psop_product,unit_value,quantity_total,valid_from\n"
        "L0001,V-1,voucher,KOTIHOITO,abc,10,2026-01-01\n"
        "L0009,V-2,voucher,KOTIHOITO,15,10,2026-01-01\n"
        "L0001,V-3,voucher,SAUNA,15,10,2026-01-01\n",
    )
    found = {(p.file, p.line, p.key) for p in problems(folder)}
    assert found == {
        ("targets.csv", 3, "target[L0002].region"),
        ("targets.csv", 4, "target[L0003].psop_customer_number"),
        ("vouchers.csv", 2, "voucher[V-1].unit_value"),
        ("vouchers.csv", 3, "voucher[V-2].target"),
        ("vouchers.csv", 4, "voucher[V-3].psop_product"),
    }


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_csv_code_or_number_cell_starting_like_a_formula_is_refused_naming_line_and_column(
    folder, start
):
    (folder / "targets.toml").unlink()
    write(
        folder,
        targets_csv="folder_id,name,region,psop_customer_number\n"
        "L0001,Asiakas Yksi,VANTAA-KERAVA,100001\n"
        f'L0002,Asiakas Kaksi,{start}HYPERLINK("x"),100002\n',
        vouchers_csv="target,id,kind,psop_product,unit_value,valid_from\n"
        f'L0001,V-1,voucher,KOTIHOITO," {start}15",2026-01-01\n',
    )
    found = {(p.file, p.line, p.key): p.message for p in problems(folder)}
    assert set(found) == {("targets.csv", 3, "region"), ("vouchers.csv", 2, "unit_value")}
    assert "column 3 (region)" in found[("targets.csv", 3, "region")]
    assert "column 5 (unit_value)" in found[("vouchers.csv", 2, "unit_value")]
    assert "formula" in found[("targets.csv", 3, "region")]


def test_a_free_text_name_cell_may_start_with_a_dash(folder):
    (folder / "targets.toml").unlink()
    write(
        folder,
        targets_csv="folder_id,name,region,psop_customer_number\n"
        "L0001,- Asiakas Yksi,VANTAA-KERAVA,100001\n",
    )
    assert load_mappings(folder).targets["L0001"].psop_customer_number == "100001"


def test_csv_missing_and_unknown_columns(folder):
    (folder / "targets.toml").unlink()
    write(folder, targets_csv="folder_id,region,psop_nro\nL0001,VANTAA-KERAVA,1\n")
    found = {(p.line, p.key, p.message) for p in problems(folder)}
    assert (1, "psop_nro", "unknown column") in found
    assert (1, "psop_customer_number", "missing column") in found


def test_targets_in_both_toml_and_csv_is_a_problem(folder):
    write(folder, targets_csv="folder_id,name,region,psop_customer_number\n")
    p = one(folder)
    assert p.file == "targets.csv" and "not both" in p.message


def test_products_file_is_required(tmp_path):
    write(
        tmp_path,
        regions_toml=REGIONS.replace("[region.product_links]\n", "").split("KOTIHOITO =")[0],
    )
    assert [p.file for p in problems(tmp_path)] == ["products.toml"]


def test_copying_the_examples_and_breaking_one_thing_gives_exactly_one_problem(tmp_path):
    for path in EXAMPLES.iterdir():
        shutil.copy(path, tmp_path / path.name)
    text = (tmp_path / "targets.toml").read_text(encoding="utf-8")
    (tmp_path / "targets.toml").write_text(
        text.replace('psop_customer_number = "100002"', 'psop_customer_number = "100001"'),
        encoding="utf-8",
    )
    p = one(tmp_path)
    assert p.key == "target[L0002].psop_customer_number"


def test_a_customer_code_with_a_comma_is_refused(folder):
    """Netvisor's customer look-up takes a comma-separated list: a code may not hold one."""
    write(
        folder,
        customers_toml='[[customer]]\nspotilla_id = "C0001"\nnetvisor_customer_code = "A,B"\n',
    )
    p = one(folder)
    assert (p.file, p.line, p.key) == (
        "customers.toml",
        3,
        "customer[C0001].netvisor_customer_code",
    )


BROKEN = {
    "wrong types": {
        "targets_toml": TARGETS.replace("unit_value = 15.00", 'unit_value = "lots"')
        .replace('kind = "voucher"', 'kind = "seteli"')
        .replace("valid_from = 2026-01-01", 'valid_from = "2026-13-01"')
        .replace('psop_customer_number = "100001"', "psop_customer_number = 100001")
    },
    "ranges and keys": {
        "targets_toml": TARGETS.replace(
            "quantity_per_period = 20", "quantity_per_period = -1"
        ).replace('folder_id = "L0001"', 'folder_id = ""\nextra = 1'),
        "products_toml": PRODUCTS.replace('vat = "social_exempt"', 'vat = "nope"'),
    },
    "cross-checks": {
        "regions_toml": REGIONS.replace("3221265-7", "3221265-8").replace(
            'SIIVOUS = "SIIVOUS-H"', 'SIIVOUS = "SIIVOUS-H"\nATERIA = "ATERIA"'
        ),
        "targets_toml": TARGETS.replace('region = "VANTAA-KERAVA"', 'region = "VANTAA"')
        + '\n[[targets]]\nfolder_id = "L0002"\n',
        "products_toml": PRODUCTS + "\n[vat]\nx = 1\n",
    },
    "vouchers": {
        "targets_toml": TARGETS.replace("unit_value = 15.00\n", "balance = 100\n")
        + TARGETS.split("\n\n", 1)[1]
        + "valid_to = 2025-01-01\nquantity_total = 3\n",
    },
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_mapping_problem_reads_in_finnish(folder, case):
    """A person reads the problems in the configured language (Finnish by default): each
    message, pydantic's own and ours, is recognised and shown in Finnish (non-negotiable 9)."""
    from connector.texts.i18n import Texts

    write(folder, **BROKEN[case])
    found = problems(folder)
    assert len(found) >= 2, found
    fi = Texts("fi")
    english = [p for p in found if fi.text(p.message) == p.message]
    assert english == [], english


def test_a_mapping_problem_in_finnish_reads_its_nested_words_in_finnish_too(folder):
    from connector.texts.i18n import Texts

    write(
        folder,
        regions_toml=REGIONS.replace("3221265-7", "3221265-8"),
        targets_toml=TARGETS.replace('region = "VANTAA-KERAVA"', 'region = "VANTAA"'),
    )
    shown = {p.key: Texts("fi").text(p.message) for p in problems(folder)}
    assert shown["target[L0001].region"] == (
        "tuntematon alue 'VANTAA' (tunnetut: ei yhtään tiedostossa regions.toml)"
    )
    assert shown["region[VANTAA-KERAVA].organiser_business_id"].startswith(
        "'3221265-8' ei ole kelvollinen Y-tunnus"
    )
    assert Texts("en").text(problems(folder)[0].message) == problems(folder)[0].message
