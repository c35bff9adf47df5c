"""Pointing a person at the right line of a TOML file."""

from __future__ import annotations

import tomllib

import pytest

from connector.core.tomlsource import find_line

CONFIG = """\
# connector config
[connector]
ledger = "ledger.sqlite"   # comment
outbox = "outbox"

[netvisor]
customer_id = "XX_0000_1"
partner_id = "Xxx_000"
"organisation_id" = "1234567-8"

[schedule]  # cron
invoicing = "30 6 * * *"
"""

TARGETS = """\
[defaults]
region = "pirkanmaa"

[[targets]]
folder = "F-1"
region = "pirkanmaa"

[[targets]]
folder = "F-2"

[[targets]]
folder = "F-3"
region = "kanta-hame"
vouchers = ["V1"]

[[regions]]
code = "pirkanmaa"
"""


def test_the_texts_are_valid_toml() -> None:
    tomllib.loads(CONFIG)
    tomllib.loads(TARGETS)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("connector", "ledger"), 3),
        (("connector", "outbox"), 4),
        (("netvisor", "customer_id"), 7),
        (("netvisor", "partner_id"), 8),
        (("netvisor", "organisation_id"), 9),  # a quoted key
        (("schedule", "invoicing"), 12),
    ],
)
def test_a_key_is_found_inside_its_table(path: tuple[str, ...], line: int) -> None:
    assert find_line(CONFIG, path) == line


@pytest.mark.parametrize(
    ("path", "line"),
    [(("connector",), 2), (("netvisor",), 6), (("schedule",), 11)],
)
def test_a_table_is_found_by_its_header_even_with_a_trailing_comment(
    path: tuple[str, ...], line: int
) -> None:
    assert find_line(CONFIG, path) == line


def test_a_missing_key_falls_back_to_its_tables_header() -> None:
    assert find_line(CONFIG, ("netvisor", "sender")) == 6
    assert find_line(CONFIG, ("schedule", "master_data")) == 11


def test_nothing_matches_gives_none() -> None:
    assert find_line(CONFIG, ("mappings", "folder")) is None
    assert find_line(CONFIG, ("nope",)) is None
    assert find_line("", ("connector", "ledger")) is None


def test_the_same_key_in_another_table_is_not_confused() -> None:
    # "region" appears under [defaults] first; targets[0].region is the one on line 6.
    assert find_line(TARGETS, ("targets", 0, "region")) == 6
    assert find_line(TARGETS, ("defaults", "region")) == 2


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("targets", 0, "folder"), 5),
        (("targets", 1, "folder"), 9),
        (("targets", 2, "folder"), 12),
        (("targets", 2, "region"), 13),
        (("targets", 2, "vouchers"), 14),
        (("regions", 0, "code"), 17),
    ],
)
def test_arrays_of_tables_are_addressed_by_index(path: tuple[str | int, ...], line: int) -> None:
    assert find_line(TARGETS, path) == line


def test_a_key_missing_from_one_array_entry_points_at_that_entrys_header() -> None:
    # targets[1] has no region: point at its own [[targets]] (line 8), not at another entry's.
    assert find_line(TARGETS, ("targets", 1, "region")) == 8


def test_an_array_entry_is_found_by_its_header() -> None:
    assert find_line(TARGETS, ("targets", 1)) == 8
    assert find_line(TARGETS, ("targets", 2)) == 11


def test_a_dotted_key_at_the_top_level() -> None:
    text = 'title = "x"\nnetvisor.customer_key = "oops"\n'
    assert find_line(text, ("netvisor", "customer_key")) == 2


def test_a_dotted_key_inside_a_table() -> None:
    text = '[spotilla]\nsubdomain = "x"\nauth.token = "oops"\n'
    assert find_line(text, ("spotilla", "auth", "token")) == 3


def test_a_sub_table_header() -> None:
    text = '[a]\nx = 1\n[a.b]\ny = 2\n[ a . "c" ]\nz = 3\n'
    assert find_line(text, ("a", "b", "y")) == 4
    assert find_line(text, ("a", "b")) == 3
    assert find_line(text, ("a", "c", "z")) == 6
    assert find_line(text, ("a", "c", "missing")) == 5
