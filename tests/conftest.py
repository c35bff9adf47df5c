"""Shared fixtures of the whole suite: logging restored after each test, and a ledger location
on either engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest
import structlog
from hypothesis import settings

ENGINES = ["sqlite", "postgresql"]

# No test may carry a wall-clock limit: Hypothesis's default deadline (200 ms an example) failed
# a property test whose first example ran while the machine was loaded. Tests that set their
# own settings keep them; every other one runs without a deadline.
settings.register_profile("connector", deadline=None)
settings.load_profile("connector")


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test leaves structlog as it found it: a test that configures logging onto its own
    captured stream must not make a later test log into that stream once it is closed."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


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
