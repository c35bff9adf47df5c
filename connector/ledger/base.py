"""The ledger's connection: one SQLite file, WAL, a busy timeout, short transactions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from connector.core.logging import redact_text
from connector.ledger import schema
from connector.ledger.sqlite import Database


def _clean(text: str) -> str:
    """Free text bound for the ledger: secrets and identity codes masked, length capped."""
    return redact_text(text or "")[:500]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LedgerBase:
    """Opening, migrating and closing the file; the transaction every write runs in."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(self.path, timeout=busy_timeout_ms / 1000)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut
        with suppress(OSError):
            os.chmod(self.path, 0o600)
        schema.migrate(self.db, self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return schema.schema_version(self.db)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One short write transaction."""
        with self.db.atomic() as db:
            yield db
