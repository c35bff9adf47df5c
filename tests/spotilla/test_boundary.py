"""The boundary: every value from Spotilla is checked in ``spotilla/api.py`` before use.

Hostile or broken text and numbers quarantine one record with a rule and a reason that names the
field, never the value; control characters are removed; over-long texts are cut to Netvisor's
field lengths with a notice in the log.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import structlog

from connector.core.domain import Quarantined
from connector.spotilla import api


def customer(**over):
    return {"id": "P1", "type": "person", "name": "Testi Asiakas", **over}


def task(rows=None, hours=None):
    return {
        "id": "T1",
        "collection_id": "L1",
        "status": "completed",
        "rows": rows or [],
        "hours": hours or [],
    }


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9f"])
def test_a_control_character_in_a_name_is_removed(char):
    result = api.parse_record(api.Customer, customer(name=f"Testi{char} Asiakas"))
    assert isinstance(result, api.Customer) and result.name == "Testi Asiakas"


def test_tab_newline_and_carriage_return_are_valid_xml_and_stay():
    result = api.parse_record(api.Customer, customer(name="Testi\tAsiakas\r\nKoti"))
    assert isinstance(result, api.Customer) and result.name == "Testi\tAsiakas\r\nKoti"


def test_a_control_character_in_an_id_quarantines_the_record():
    raw = task()
    raw["collection_id"] = "L\x001"
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, Quarantined) and result.rule == "invalid_text"
    assert "collection_id" in result.reason


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\ufffe", "\uffff"])
def test_an_invalid_code_point_quarantines_the_record_naming_the_field_not_the_value(bad):
    result = api.parse_record(api.Customer, customer(name=f"Salainen{bad}Nimi"))
    assert isinstance(result, Quarantined)
    assert (result.kind, result.record_id, result.rule) == ("customer", "P1", "invalid_text")
    assert "field name" in result.reason and "Salainen" not in result.reason
    result.reason.encode("utf-8")  # the reason itself is storable


def test_an_invalid_code_point_in_a_folder_name_or_an_id_is_quarantined_and_the_id_escaped():
    folder = api.parse_record(api.Collection, {"id": "L\ud8001", "name": "Koti\udc00"})
    assert isinstance(folder, Quarantined) and folder.rule == "invalid_text"
    assert folder.record_id == "L\\ud8001"
    folder.record_id.encode("utf-8")


def test_an_invalid_code_point_deep_in_a_task_row_is_found():
    raw = task(rows=[{"product_code": "ATERIA", "quantity": "1", "description": "x\ud83d"}])
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, Quarantined) and "rows[0].description" in result.reason


@pytest.mark.parametrize(
    ("rows", "hours"),
    [
        ([{"product_code": "A", "quantity": 1e308}], None),
        ([{"product_code": "A", "quantity": "1E+999999"}], None),
        ([{"product_code": "A", "quantity": float("inf")}], None),
        ([{"product_code": "A", "quantity": float("nan")}], None),
        ([{"product_code": "A", "quantity": "NaN"}], None),
        ([{"product_code": "A", "quantity": "-Infinity"}], None),
        ([{"product_code": "A", "quantity": "1000001"}], None),
        ([{"product_code": "A", "quantity": "1E-30"}], None),
        ([{"product_code": "A", "quantity": "1", "unit_price": "1e12"}], None),
        (None, [{"product_code": "A", "hours": "1e308", "date": "2026-01-02"}]),
        (None, [{"product_code": "A", "hours": "1001", "date": "2026-01-02"}]),
    ],
)
def test_a_number_outside_the_sane_range_or_not_finite_quarantines_the_task(rows, hours):
    result = api.parse_record(api.Task, task(rows, hours))
    assert isinstance(result, Quarantined)
    assert result.rule == "number_out_of_range", result.reason
    assert "e308" not in result.reason.lower() and "999999" not in result.reason


def test_a_product_price_out_of_range_quarantines_the_product():
    result = api.parse_record(
        api.Product, {"id": "9", "code": "X", "name": "x", "price": "1E+999999"}
    )
    assert isinstance(result, Quarantined) and result.rule == "number_out_of_range"


def test_numbers_inside_the_range_flow():
    raw = task(
        [{"product_code": "A", "quantity": "-3.5", "unit_price": "999999.99"}],
        [{"product_code": "H", "hours": "0.25", "date": "2026-01-02"}],
    )
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, api.Task) and result.rows[0].quantity == Decimal("-3.5")


def test_a_record_nested_too_deep_is_quarantined_without_recursion():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    result = api.parse_record(api.Task, {**task(), "junk": deep})
    assert isinstance(result, Quarantined) and result.rule == "too_deep"
    assert result.record_id == "T1"


def test_a_page_too_deep_for_the_json_parser_is_read_with_the_deep_part_cut_out():
    deep = "[" * 100_000 + "]" * 100_000
    text = '{"data": [{"id": "T1", "junk": ' + deep + '}, {"id": "T2", "s": "[[{"}], '
    text += '"meta": {"next_page": null}}'
    body = api.load_json(text.encode())
    assert body["data"][1] == {"id": "T2", "s": "[[{"}  # brackets inside strings are text
    assert api.parse_record(api.Task, body["data"][0]).rule == "too_deep"
    assert api.parse_page(body).meta is not None


def test_a_body_that_is_not_json_is_a_value_error():
    for bad in (b"<html>", b'{"data": [', "[\ud800]".encode("utf-8", "surrogatepass")):
        with pytest.raises(ValueError):
            api.load_json(bad)


def test_a_huge_integer_literal_does_not_fail_the_page():
    body = api.load_json(('[{"q": ' + "9" * 5000 + "}]").encode())
    assert isinstance(body[0]["q"], Decimal)


def test_an_escaped_lone_surrogate_parses_and_is_then_quarantined():
    body = api.load_json(json.dumps([customer(name="A\ud800")]).encode())
    assert api.parse_record(api.Customer, body[0]).rule == "invalid_text"


@pytest.mark.parametrize(
    ("model", "raw", "field", "limit"),
    [
        (api.Customer, customer(name="N" * 300), "name", 250),
        (
            api.Customer,
            customer(address={"street": "S" * 100, "city": "Vantaa"}),
            "address.street",
            80,
        ),
        (api.Collection, {"id": "L1", "name": "K" * 400}, "name", 250),
        (api.Product, {"id": "1", "code": "X", "name": "P" * 201, "price": "1"}, "name", 200),
    ],
)
def test_text_longer_than_netvisors_field_is_cut_with_an_ellipsis_and_a_notice(
    model, raw, field, limit
):
    with structlog.testing.capture_logs() as logs:
        result = api.parse_record(model, raw)
    assert not isinstance(result, Quarantined)
    value = result
    for part in field.split("."):
        value = getattr(value, part)
    assert len(value) == limit and value.endswith("…")
    notice = next(e for e in logs if e["event"] == "spotilla_text_truncated")
    assert notice["field"] == field and notice["limit"] == limit
    assert "NNNN" not in str(notice) and "KKKK" not in str(notice)


def test_a_long_line_description_is_cut_to_500():
    raw = task([{"product_code": "A", "quantity": "1", "description": "d" * 600}])
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, api.Task) and len(result.rows[0].description) == 500
