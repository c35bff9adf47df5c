"""The assumed API shape: decimals, times, tolerance, identity codes dropped, quarantine reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.core.domain import Quarantined
from connector.spotilla import api

CUSTOMER = {
    "id": "P0002",
    "type": "person",
    "name": "Testi Asiakas 002",
    "henkilotunnus": "010101-999X",
    "address": {"street": "Testikatu 2", "postal_code": "01300", "city": "Vantaa"},
    "contacts": [{"name": "Testi Omainen", "role": "contract", "hetu": "020202-998Y"}],
    "updated_at": "2026-03-01T10:00:00+02:00",
    "favourite_colour": "blue",
}


def test_a_customer_parses_and_unknown_fields_are_tolerated():
    customer = api.parse_record(api.Customer, CUSTOMER)
    assert isinstance(customer, api.Customer)
    assert customer.address is not None and customer.address.city == "Vantaa"
    assert customer.updated_at is not None and customer.updated_at.utcoffset() is not None


@pytest.mark.parametrize(
    "key",
    [
        "henkilotunnus",
        "henkilötunnus",
        "hetu",
        "ssn",
        "personal_id",
        "personalIdentityCode",
        "identity_code",
        "social_security_number",
    ],
)
def test_a_personal_identity_code_is_dropped_at_the_door(key):
    raw = {**CUSTOMER, key: "010101-999X"}
    customer = api.parse_record(api.Customer, raw)
    assert isinstance(customer, api.Customer)
    dumped = customer.model_dump_json()
    assert "999X" not in dumped and "998Y" not in dumped
    assert "999X" not in repr(customer)
    assert key not in api.drop_identity_codes(raw)


def test_decimal_strings_become_decimals_with_comma_or_point():
    product = api.parse_record(
        api.Product, {"id": "1", "code": "MATKA-KM", "name": "Matka", "price": "0,59"}
    )
    assert isinstance(product, api.Product) and product.price == Decimal("0.59")
    task = api.parse_record(
        api.Task,
        {
            "id": "T1",
            "collection_id": "L1",
            "status": "completed",
            "rows": [
                {"product_code": "X", "quantity": 2, "unit_price": ""},
                {"product_code": "Y", "quantity": "1,5", "unit_price": " 12,50 "},
            ],
        },
    )
    assert isinstance(task, api.Task)
    assert task.rows[0].quantity == Decimal(2) and task.rows[0].unit_price is None
    assert task.rows[1].quantity == Decimal("1.5") and task.rows[1].unit_price == Decimal("12.50")


def test_numeric_ids_are_read_as_text():
    folder = api.parse_record(api.Collection, {"id": 12, "name": "Koti", "parent_id": 3})
    assert isinstance(folder, api.Collection) and folder.id == "12" and folder.parent_id == "3"


def test_a_missing_required_field_quarantines_the_record_naming_the_field_not_the_value():
    result = api.parse_record(api.Customer, {"id": "C5", "type": "company"})
    assert isinstance(result, Quarantined)
    assert (result.kind, result.record_id, result.rule) == ("customer", "C5", "invalid_record")
    assert "name" in result.reason and "missing" in result.reason


def test_a_non_numeric_quantity_is_its_own_rule_and_the_value_stays_out_of_the_reason():
    raw = {
        "id": "T1",
        "collection_id": "L1",
        "status": "completed",
        "rows": [{"product_code": "ATERIA", "quantity": "kolme"}],
    }
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, Quarantined) and result.rule == "invalid_quantity"
    assert "rows[0].quantity" in result.reason and "kolme" not in result.reason
    hours = {
        **raw,
        "rows": [],
        "hours": [{"product_code": "X", "hours": "n/a", "date": "2026-01-02"}],
    }
    assert api.parse_record(api.Task, hours).rule == "invalid_quantity"


def test_a_naive_completion_time_is_malformed():
    raw = {
        "id": "T1",
        "collection_id": "L1",
        "status": "completed",
        "completed_at": "2026-03-10T10:00:00",
    }
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, Quarantined) and result.rule == "invalid_record"
    assert "completed_at" in result.reason


def test_a_record_that_is_not_an_object_is_quarantined():
    result = api.parse_record(api.Task, ["T1"])
    assert isinstance(result, Quarantined) and result.record_id == "?"


def test_hour_rows_carry_their_date():
    raw = {
        "id": "T1",
        "collection_id": "L1",
        "status": "approved",
        "completed_at": "2026-03-10T10:00:00Z",
        "hours": [{"product_code": "KOTIHOITO-H", "hours": "2.25", "date": "2026-03-09"}],
    }
    result = api.parse_record(api.Task, raw)
    assert isinstance(result, api.Task)
    assert result.hours[0].hours == Decimal("2.25") and result.hours[0].date == date(2026, 3, 9)


def test_both_page_forms_and_nothing_else():
    assert api.parse_page([1, 2]).meta is None
    page = api.parse_page(
        {"data": [1], "meta": {"page": 1, "per_page": 1, "total": 3, "next_page": 2}}
    )
    assert page.data == [1] and page.meta is not None and page.meta.next_page == 2
    with pytest.raises(ValueError):
        api.parse_page({"error": "x"})


def test_login_models_never_print_the_password_or_token():
    request = api.LoginRequest(username="u", password="hunter2-secret", subdomain="s")
    response = api.LoginResponse(token="tok-very-secret", user_id="1")
    assert "hunter2" not in repr(request) and "hunter2" not in str(request)
    assert "very-secret" not in repr(response)
