"""mappings/psop_report.toml: defaults, the example file, and errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.core.errors import ConfigError
from connector.psop import ReportMapping, load_report_mapping

REPO = Path(__file__).resolve().parents[2]


def test_without_the_file_the_report_has_psops_own_headers(tmp_path: Path):
    mapping = load_report_mapping(tmp_path)
    assert list(mapping.columns.model_dump().values()) == [
        "Tapahtumapäivä",
        "Asiakasnumero",
        "Ostovoima",
        "Tuote",
        "Määrä",
        "Yksikköhinta",
        "Summa",
        "Tila",
    ]
    assert (mapping.format.delimiter, mapping.format.decimal_separator) == (";", ",")


def test_the_example_file_is_valid_and_says_the_defaults():
    assert load_report_mapping(REPO / "mappings") == ReportMapping()


def test_a_bad_key_is_named_with_its_file_and_line(tmp_path: Path):
    (tmp_path / "psop_report.toml").write_text(
        '[columns]\ndate = "Päivä"\n\n[format]\ndelimiter = "|"\ncolour = "red"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_report_mapping(tmp_path)
    shown = [str(p) for p in caught.value.problems]
    assert any(s.startswith("psop_report.toml:5: format.delimiter:") for s in shown), shown
    assert any(s.startswith("psop_report.toml:6: format.colour: unknown key") for s in shown), shown


def test_two_fields_naming_one_column_are_refused(tmp_path: Path):
    (tmp_path / "psop_report.toml").write_text('[columns]\namount = "Määrä"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="name the same column"):
        load_report_mapping(tmp_path)


def test_the_same_separator_for_fields_and_decimals_is_refused(tmp_path: Path):
    (tmp_path / "psop_report.toml").write_text('[format]\ndelimiter = ","\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="both ','"):
        load_report_mapping(tmp_path)
