"""The PostgreSQL server the ledger tests run against, when there is one.

The server comes from ``CONNECTOR_TEST_PG_URL`` (a ``postgresql://`` URL without a password) or
from libpq's own variables (``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGDATABASE``; the password in
``PGPASSWORD``/``PGPASSFILE``), as ``pg_virtualenv`` sets them. Without a reachable server the
PostgreSQL cases are skipped, saying why — unless ``CONNECTOR_REQUIRE_PG=1`` (CI), where they
fail instead. Each test gets a company key of its own, and its schema is dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from functools import cache

import pytest

from connector.core.config import PostgresLedger


def server_url() -> str | None:
    url = os.environ.get("CONNECTOR_TEST_PG_URL")
    if url:
        return url
    if not os.environ.get("PGHOST") and not os.environ.get("PGDATABASE"):
        return None
    user = os.environ.get("PGUSER", "")
    host = os.environ.get("PGHOST", "localhost")
    port = os.environ.get("PGPORT", "5432")
    database = os.environ.get("PGDATABASE", user or "postgres")
    return f"postgresql://{user + '@' if user else ''}{host}:{port}/{database}"


@cache
def unreachable() -> str | None:
    """Why the PostgreSQL cases cannot run (None: they can)."""
    url = server_url()
    if url is None:
        return "no PostgreSQL server: set CONNECTOR_TEST_PG_URL or PGHOST/PGDATABASE"
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[postgresql]')"
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {url} is not reachable: {type(exc).__name__}"
    return None


def require() -> str:
    """The server URL, or skip (fail under CONNECTOR_REQUIRE_PG=1) saying why not."""
    reason = unreachable()
    if reason is not None:
        if os.environ.get("CONNECTOR_REQUIRE_PG") == "1":
            pytest.fail(f"CONNECTOR_REQUIRE_PG=1 but {reason}")
        pytest.skip(reason)
    url = server_url()
    assert url is not None
    return url


def new_company() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


def location(company: str | None = None, **kw: object) -> PostgresLedger:
    return PostgresLedger(url=require(), company=company or new_company(), **kw)  # type: ignore[arg-type]


def drop(company: str) -> None:
    """Remove a test company's schema and rows."""
    import psycopg
    from psycopg import sql

    url = server_url()
    assert url is not None
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(f"ledger_{company}"))
        )
        for table in ("companies", "leases"):
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                conn.execute(f"DELETE FROM connector.{table} WHERE company = %s", [company])
