"""The billing keys of the config file: PSOP's defaults, and values PSOP does not allow refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.core.config import load_config
from connector.core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
CONFIG = """\
[connector]
{extra}

[spotilla]
subdomain = "testcompany"
user_id = "12345"

[netvisor]
customer_id = "XX_0000_1"
partner_id = "Xxx_000"
organisation_id = "1234567-8"
"""


def config_with(tmp_path: Path, extra: str = ""):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(extra=extra), encoding="utf-8")
    return load_config(path)


def test_the_billing_defaults_are_psops_rules(tmp_path: Path) -> None:
    """Seed 002: "Tarkastettavaksi menevät ne tapahtumat jotka ylittävät asiakkaalle myönnetyn
    palvelun määrän." — work above the grant is held for review unless the user says otherwise."""
    c = config_with(tmp_path).connector
    assert (c.over_grant, c.settlement_day, c.capitation_proration) == ("hold", 8, "days")
    example = load_config(REPO / "config.example.toml").connector
    assert (example.over_grant, example.settlement_day) == ("hold", 8)


@pytest.mark.parametrize("line", ["settlement_day = 3", "settlement_day = 9"])
def test_a_settlement_day_outside_the_4th_to_8th_is_refused_with_its_key(
    tmp_path: Path, line: str
) -> None:
    """Seed 003: "Palvelunjärjestäjän tilityspäivä (kuukauden 4. - 8. päivä)" """
    with pytest.raises(ConfigError) as caught:
        config_with(tmp_path, line)
    (problem,) = caught.value.problems
    assert problem.key == "connector.settlement_day" and problem.line == 2


def test_capitation_proration_is_days_or_month(tmp_path: Path) -> None:
    """Seed 001: "Maksatus toimii automaattisesti asiakkuuden voimassaolon mukaan." """
    assert config_with(
        tmp_path, 'capitation_proration = "month"'
    ).connector.capitation_proration == ("month")
    with pytest.raises(ConfigError):
        config_with(tmp_path, 'capitation_proration = "weeks"')


def test_rejected_review_work_is_billed_to_the_client_unless_written_off(tmp_path: Path) -> None:
    assert config_with(tmp_path).connector.rejected_review == "bill_client"
    assert load_config(REPO / "config.example.toml").connector.rejected_review == "bill_client"
    chosen = config_with(tmp_path, 'rejected_review = "write_off"').connector
    assert chosen.rejected_review == "write_off"
    with pytest.raises(ConfigError, match=r"connector\.rejected_review"):
        config_with(tmp_path, 'rejected_review = "ignore"')
