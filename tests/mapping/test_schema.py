from __future__ import annotations

import json

from connector.mapping import json_schemas


def test_a_schema_for_every_mapping_file():
    schemas = json_schemas()
    assert set(schemas) == {
        "regions.toml",
        "products.toml",
        "customers.toml",
        "targets.toml",
        "targets.csv",
        "vouchers.csv",
        "psop_report.toml",
    }
    for schema in schemas.values():
        json.dumps(schema)  # plain JSON
        assert schema["$schema"].startswith("https://json-schema.org/")


def test_the_targets_schema_uses_the_file_key_voucher():
    schema = json_schemas()["targets.toml"]
    target = schema["$defs"]["TargetEntry"]["properties"]
    assert "voucher" in target and "vouchers" not in target
    assert set(schema["$defs"]["Voucher"]["properties"]["kind"]["enum"]) == {
        "voucher",
        "balance",
        "capitation",
    }
