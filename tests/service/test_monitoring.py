"""``status --check`` as a pure function of ledger facts: OK 0, WARNING 1, CRITICAL 2, one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.service.monitoring import CRITICAL, OK, WARNING, HealthFacts, evaluate

NOW = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)


def facts(**kw) -> HealthFacts:
    base = dict(
        now=NOW,
        last_run_status="ok",
        last_run_command="daemon:full",
        last_success_at=NOW - timedelta(hours=3),
        quarantined=0,
        in_doubt=0,
        rejected=0,
    )
    return HealthFacts(**{**base, **kw})


def test_a_recent_clean_run_is_ok_in_one_line_with_perfdata() -> None:
    code, line = evaluate(facts())
    assert code == OK
    assert line.startswith("CONNECTOR OK - last success 3.0 h ago |")
    assert "quarantined=0" in line and "\n" not in line


@pytest.mark.parametrize(
    ("change", "code", "text"),
    [
        ({"last_success_at": None}, CRITICAL, "no run has succeeded yet"),
        ({"last_success_at": NOW - timedelta(hours=60)}, CRITICAL, "last success 60 h ago"),
        ({"last_success_at": NOW - timedelta(hours=30)}, WARNING, "last success 30 h ago"),
        ({"last_run_status": "aborted"}, CRITICAL, "aborted"),
        ({"last_run_status": "partial"}, WARNING, "finished with problems"),
        ({"rejected": 2}, CRITICAL, "2 rejected by Netvisor"),
        ({"in_doubt": 1}, WARNING, "1 writes in doubt"),
        ({"quarantined": 4}, WARNING, "4 quarantined"),
    ],
)
def test_each_rule_sets_its_state(change, code, text) -> None:
    got, line = evaluate(facts(**change))
    assert got == code
    assert text in line
    assert line.startswith(f"CONNECTOR {['OK', 'WARNING', 'CRITICAL'][code]} - ")


def test_critical_wins_over_warning_and_both_are_named() -> None:
    code, line = evaluate(facts(last_run_status="aborted", quarantined=1))
    assert code == CRITICAL and "aborted" in line and "1 quarantined" in line


def test_the_age_limits_can_be_set() -> None:
    assert evaluate(facts(), warning_hours=2)[0] == WARNING
    assert evaluate(facts(), warning_hours=1, critical_hours=2)[0] == CRITICAL
