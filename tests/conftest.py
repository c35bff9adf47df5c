"""Fixtures every test folder may use: a ledger location on either engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Where a ledger lives: a SQLite file, or a fresh company on the test PostgreSQL server
    (skipped, saying why, when there is none)."""
    if request.param == "sqlite":
        yield tmp_path / "ledger" / "connector-ledger.sqlite"
        return
    location = pgserver.location()
    try:
        yield location
    finally:
        pgserver.drop(location.company)
