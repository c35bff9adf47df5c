"""Shared fixtures of the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test leaves structlog as it found it: a test that configures logging onto its own
    captured stream must not make a later test log into that stream once it is closed."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
