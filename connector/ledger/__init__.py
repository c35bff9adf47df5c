"""The sync ledger: a SQLite file (or one company's schema on a PostgreSQL server shared by hosts:
``postgres.py``, with the company's lease as the run lock: ``lease.py``; the file lock of a SQLite
ledger: ``lock.py``; what the two share: ``holding.py``) that makes every run safe to repeat and
every crash safe to resume.

What it holds (ids, keys, hashes, amounts, states, error types — never names, identity codes or
addresses):

- ``runs``          one row per run with its counts and outcome (``runs.py``)
- ``objects``       every Netvisor object the connector owns, with its state machine
                    (planned -> sending -> sent -> confirmed; rejected; unknown) (``objects.py``)
- ``billed_lines``  which task line went into which document with which amounts; the version
                    being sent is kept as ``pending`` and becomes ``current`` only when Netvisor
                    has it, in the same transaction as the state change (``objects.py``)
- ``quarantine``    records a rule stopped: rule, reason, first/last seen, resolved
                    (``quarantine.py``)
- ``requests``      request audit: transaction id, resource, outcome (no bodies) (``runs.py``)
- ``psop_events``, ``review_decisions``, ``psop_reports`` (+ ``psop_report_rows``),
  ``psop_line_states``   the PSOP loop: voucher events as billed and held, decisions on held
                    work, imported PSOP reports by file hash, each line's PSOP state (``psop.py``)
- ``settings``      the Netvisor environment the ledger is bound to (``ops.py``)
- ``run_reports``   each run's report data, without names (``ops.py``)
- ``alerts``        fingerprints of problems an alert already announced (``ops.py``)

A ledger that holds data is copied to ``<ledger>.v<N>.bak`` (SQLite's backup API) before a schema
migration; ``Ledger.backup`` takes the same consistent copy on demand.

Connections use WAL and a busy timeout; every write is one short transaction; no transaction is
ever held open across an HTTP call. The schema is versioned and migrated forward on open
(``schema.py``). Plain SQL over ``sqlite3`` (``sqlite.py``): the writes are upserts with
expressions (``attempts + 1``, ``COALESCE``) and multi-statement transactions whose boundaries
carry the intent-before-write rule, which a table-helper library would hide.

May import: core and billing (its ``BilledLine``); never sync or anything above.
"""

from connector.ledger.lock import RunLock
from connector.ledger.records import (
    EDIT_UNCLEAR,
    IN_DOUBT,
    SETTLED,
    LedgerState,
    ObjectKind,
    OwnedObject,
    QuarantineEntry,
)
from connector.ledger.schema import SCHEMA_VERSION
from connector.ledger.store import Ledger

__all__ = [
    "EDIT_UNCLEAR",
    "IN_DOUBT",
    "SCHEMA_VERSION",
    "SETTLED",
    "Ledger",
    "LedgerState",
    "ObjectKind",
    "OwnedObject",
    "QuarantineEntry",
    "RunLock",
    "ledger_exists",
]


def ledger_exists(location: object) -> bool:
    """Whether a ledger is at ``location``: a SQLite file, or the company's ledger on a
    PostgreSQL server (``core.config.PostgresLedger``; looked up without creating one)."""
    from pathlib import Path

    if isinstance(location, Path | str):
        return Path(location).exists()
    from connector.ledger.postgres import company_exists

    return company_exists(location)  # type: ignore[arg-type]
