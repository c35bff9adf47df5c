from __future__ import annotations

from connector.core.tomlsource import TomlLocator

TEXT = """\
# comment
[[target]]
folder_id = "A"

[[target.voucher]]
id = "V1"
unit_value = 1

[[target.voucher]]
id = "V2"

[[target]]
folder_id = "B"
"quoted key" = 2

[target.extra]
x = 1
"""


def test_keys_of_arrays_of_tables_and_nested_tables():
    loc = TomlLocator(TEXT)
    assert loc.line_of(("target", 0, "folder_id")) == 3
    assert loc.line_of(("target", 0, "voucher", 1, "id")) == 10
    assert loc.line_of(("target", 0, "voucher", 0, "unit_value")) == 7
    assert loc.line_of(("target", 1, "folder_id")) == 13
    assert loc.line_of(("target", 1, "quoted key")) == 14
    assert loc.line_of(("target", 1, "extra", "x")) == 17


def test_a_missing_key_falls_back_to_its_table():
    loc = TomlLocator(TEXT)
    assert loc.line_of(("target", 0, "voucher", 1, "kind")) == 9
    assert loc.line_of(("target", 1, "voucher", 0, "id")) == 12
    assert loc.line_of(("target", 5, "id")) is None
