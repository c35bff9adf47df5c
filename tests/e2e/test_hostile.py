"""Hostile and messy input from Spotilla never stops invoicing.

Each hostile value goes through the real Spotilla sandbox over loopback and the real CLI: text
that XML 1.0 cannot hold is cleaned (control characters) or quarantines its record (invalid code
points), absurd numbers and absurdly nested records quarantine theirs, and everyone else's
documents reach the Netvisor sandbox. A server whose paging never ends stops the read (exit 3)
naming the endpoint, after a bounded number of requests, and nothing is billed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from e2e.harness import base_data, task

from connector.core.errors import EXIT_ABORTED, EXIT_OK, EXIT_PARTIAL

AS_OF = "2026-05-02"
GOOD_INVOICES = {"inv:2026-04:SP-P0001", "inv:2026-04:SP-P0100"}
HOSTILE_NAME = "Vihamielinen Asiakas"


def work() -> dict[str, Any]:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="2"),
        task("T4", "L0100", "2026-04-11", quantity="1", unit_price="20.00"),
    ]
    return data


def with_hostile_customer(name: str) -> Callable[[dict[str, Any]], None]:
    """A private customer P0666 named ``name`` with leaf L0666 and one task on it."""

    def change(data: dict[str, Any]) -> None:
        data["customers"].append(
            {
                "id": "P0666",
                "type": "person",
                "name": name,
                "contacts": [],
                "updated_at": "2026-01-01T00:00:00+02:00",
            }
        )
        data["collections"].append(
            {"id": "L0666", "name": "Koti", "parent_id": None, "customer_id": "P0666"}
        )
        data["tasks"].append(task("T666", "L0666", "2026-04-15", hours="1"))

    return change


def with_hostile_folder_name(name: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["collections"].append(
            {"id": "L0667", "name": name, "parent_id": None, "customer_id": "P0100"}
        )
        data["tasks"].append(task("T667", "L0667", "2026-04-16", hours="1"))

    return change


def with_hostile_task(field: str, raw: str) -> Callable[[dict[str, Any]], None]:
    """Task T668 on L0100 whose ``field`` is the JSON text ``raw``, served verbatim."""

    def change(data: dict[str, Any]) -> None:
        hostile = task("T668", "L0100", "2026-04-17", hours="1")
        if field == "quantity":
            hostile = task("T668", "L0100", "2026-04-17", quantity="1")
            hostile["rows"][0]["quantity"] = {"$raw": raw}
        elif field == "hours":
            hostile["hours"][0]["hours"] = {"$raw": raw}
        else:
            hostile[field] = {"$raw": raw}
        data["tasks"].append(hostile)

    return change


DEEP = "[" * 100_000 + "]" * 100_000

# (case, change, outcome): outcome is the quarantine (kind, record, rule) expected, or None when
# the value is cleaned and the hostile customer is invoiced like anybody else.
CASES = [
    ("NUL in a customer name", with_hostile_customer("Vihamielinen\x00 Asiakas"), None),
    ("ESC in a customer name", with_hostile_customer("Vihamielinen\x1b[31m Asiakas"), None),
    (
        "lone surrogate in a customer name",
        with_hostile_customer("Vihamielinen \ud800Asiakas"),
        ("customer", "P0666", "invalid_text"),
    ),
    (
        "lone surrogate in a folder name",
        with_hostile_folder_name("Koti \udfff"),
        ("collection", "L0667", "invalid_text"),
    ),
    (
        "1e308 as a quantity",
        with_hostile_task("quantity", "1e308"),
        ("task", "T668", "number_out_of_range"),
    ),
    (
        "1E+999999 as hours",
        with_hostile_task("hours", "1E+999999"),
        ("task", "T668", "number_out_of_range"),
    ),
    (
        "1E+999999 as a quantity",
        with_hostile_task("quantity", "1E+999999"),
        ("task", "T668", "number_out_of_range"),
    ),
    (
        "a 100 000-deep array in a task",
        with_hostile_task("junk", DEEP),
        ("task", "T668", "too_deep"),
    ),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("case", "change", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_value_quarantines_its_record_or_is_cleaned_and_everyone_else_is_invoiced(
    make_env, case, change, outcome
):
    data = work()
    change(data)
    env = make_env(data)
    result = env.cli("sync", "--as-of", AS_OF)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    keys = {inv["private_comment"] for inv in env.invoices()}
    assert keys >= GOOD_INVOICES, (case, result.stdout, result.stderr)
    with env.ledger() as ledger:
        quarantined = {(q.kind, q.record_id, q.rule): q.reason for q in ledger.quarantine()}
    if outcome is None:
        # cleaned: the control characters are gone and the customer is invoiced
        assert result.returncode == EXIT_OK, result.stdout + result.stderr
        assert quarantined == {}
        [hostile] = [c for c in env.netvisor.customers() if c["code"] == "SP-P0666"]
        assert hostile["name"].startswith("Vihamielinen") and hostile["name"].isprintable()
        assert "inv:2026-04:SP-P0666" in keys
    else:
        assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr
        assert outcome in quarantined, quarantined
        reason = quarantined[outcome]
        assert outcome[1] in reason and "Vihamielinen" not in reason
        assert "999999" not in reason and "e308" not in reason.lower()
        assert f"[{outcome[2]}]" in result.stdout  # the summary shows the rule
        assert "inv:2026-04:SP-P0666" not in keys


@pytest.mark.e2e
def test_endless_paging_stops_the_read_naming_the_endpoint_and_bills_nothing(make_env):
    env = make_env(work())
    env.spotilla.inject("endless_paging", times=None)
    result = env.cli("sync", "--as-of", AS_OF)
    assert result.returncode == EXIT_ABORTED, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "GET /v3/" in out and "page" in out and "beyond the advertised total" in out
    assert "Traceback" not in out
    assert env.spotilla.requests_served <= 5  # bounded: stopped at the first page past the total
    assert env.netvisor.write_count() == 0 and env.invoices() == []


@pytest.mark.e2e
def test_check_warns_about_a_secret_file_readable_by_others(make_env):
    env = make_env(work())
    (env.tmp / "secrets" / "netvisor_partner_key").chmod(0o644)
    result = env.cli("check")
    assert result.returncode == EXIT_OK, result.stderr
    assert "warning:" in result.stdout and "netvisor.partner_key_file" in result.stdout
    assert "chmod 600" in result.stdout
    assert env.netvisor.credentials["partner_key"] not in result.stdout + result.stderr


@pytest.mark.e2e
def test_an_http_url_to_a_remote_host_is_refused_before_anything_runs(make_env):
    env = make_env(work())
    text = env.config_path.read_text()
    remote = text.replace(env.servers[1].url, "http://spotilla.example.invalid")
    env.config_path.write_text(remote)
    result = env.cli("sync", "--as-of", AS_OF)
    assert result.returncode == 2
    assert "spotilla.base_url" in result.stderr and "http://" in result.stderr
    assert env.spotilla.requests_served == 0 and env.netvisor.write_count() == 0
