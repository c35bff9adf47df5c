"""End-to-end harness: both sandboxes served on real loopback HTTP, a real ledger file, the real
CLI in a separate process where a test needs to kill it.

The ledger is a SQLite file, or — where a test module asks for both engines with
``ledger_engine`` (the exactly-once tests do), or ``CONNECTOR_TEST_LEDGER=postgresql`` is set —
a fresh company on the test PostgreSQL server (tests/pgserver.py), with a short lease.

The Spotilla data here is invented and small, so each test can state exactly what it expects.
Leaf L0001 is a PSOP client in the example mappings (region VANTAA-KERAVA, PSOP customer number
100001, voucher VK-2026-0001: KOTIHOITO 15,00 EUR/h, 20 h a month); L0100 is a private client with
no voucher (billed in full); L0009 belongs to a company.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pgserver
import pytest
from stdnum.fi import ytunnus

from connector.cli.demo import example_mappings, write_config
from connector.core.config import load_config
from connector.ledger import Ledger
from connector.sandbox.netvisor import NetvisorSandbox
from connector.sandbox.server import RunningServer, serve
from connector.sandbox.spotilla import SpotillaSandbox
from connector.sync import RunReport, SyncEngine

REPO = Path(__file__).resolve().parents[2]
STAMP = "2026-01-01T00:00:00+02:00"

# Invented people and places; the privacy tests look for these strings.
PERSON_NAMES = ("Testi Henkilö Yksi", "Koe Asiakas Sata")
STREET = "Kuvitteellinen katu 99"


def _company_id(base: str) -> str:
    """``base`` with the check digit python-stdnum accepts."""
    return next(f"{base}-{d}" for d in range(10) if ytunnus.is_valid(f"{base}-{d}"))


def base_data() -> dict[str, list[dict[str, Any]]]:
    """Customers, folders and products in Spotilla's API shape (no tasks)."""
    return {
        "customers": [
            {
                "id": "P0001",
                "type": "person",
                "name": PERSON_NAMES[0],
                "email": "yksi@example.invalid",
                "phone": "+358 40 000 0001",
                "address": {
                    "street": STREET,
                    "postal_code": "01300",
                    "city": "Vantaa",
                    "country": "FI",
                },
                "henkilotunnus": "010190-999X",
                "contacts": [],
                "updated_at": STAMP,
            },
            {
                "id": "P0100",
                "type": "person",
                "name": PERSON_NAMES[1],
                "address": {
                    "street": STREET,
                    "postal_code": "00100",
                    "city": "Helsinki",
                    "country": "FI",
                },
                "contacts": [],
                "updated_at": STAMP,
            },
            {
                "id": "C0001",
                "type": "company",
                "name": "Esimerkki Kiinteistöt Oy",
                "business_id": _company_id("1234567"),
                "contacts": [],
                "updated_at": STAMP,
            },
        ],
        "collections": [
            {
                "id": "R1",
                "name": "Vantaa–Kerava",
                "parent_id": None,
                "customer_id": None,
                "updated_at": STAMP,
            },
            {
                "id": "L0001",
                "name": f"{PERSON_NAMES[0]} – koti",
                "parent_id": "R1",
                "customer_id": "P0001",
                "updated_at": STAMP,
            },
            {
                "id": "L0100",
                "name": f"{PERSON_NAMES[1]} – koti",
                "parent_id": None,
                "customer_id": "P0100",
                "updated_at": STAMP,
            },
            {
                "id": "F001",
                "name": "Yritysasiakkaat",
                "parent_id": None,
                "customer_id": "C0001",
                "updated_at": STAMP,
            },
            {
                "id": "L0009",
                "name": "Porraskäytävät",
                "parent_id": "F001",
                "customer_id": None,
                "updated_at": STAMP,
            },
        ],
        "products": [
            {
                "id": "1",
                "code": "KOTIHOITO-H",
                "name": "Kotihoito",
                "category": "hoiva",
                "unit": "h",
                "price": "25.00",
                "updated_at": STAMP,
            },
            {
                "id": "2",
                "code": "SIIVOUS-H",
                "name": "Siivous",
                "category": "siivous",
                "unit": "h",
                "price": "42.00",
                "updated_at": STAMP,
            },
            {
                "id": "3",
                "code": "ATERIA",
                "name": "Ateriapalvelu",
                "category": "ateria",
                "unit": "kpl",
                "price": "9.50",
                "updated_at": STAMP,
            },
        ],
        "tasks": [],
    }


def task(
    task_id: str,
    leaf: str,
    day: str,
    *,
    code: str = "KOTIHOITO-H",
    hours: str | None = None,
    quantity: str | None = None,
    unit_price: str | None = None,
    status: str = "completed",
) -> dict[str, Any]:
    """A completed task on ``leaf`` on ``day`` (YYYY-MM-DD, noon in Helsinki)."""
    rows, hour_rows = [], []
    if hours is not None:
        hour_rows.append({"product_code": code, "hours": hours, "date": day})
    else:
        row: dict[str, Any] = {"product_code": code, "quantity": quantity or "1"}
        if unit_price is not None:
            row["unit_price"] = unit_price
        rows.append(row)
    return {
        "id": task_id,
        "collection_id": leaf,
        "title": f"Käynti {task_id}",
        "status": status,
        "completed_at": f"{day}T12:00:00+03:00",
        "order_number": None,
        "rows": rows,
        "hours": hour_rows,
        "updated_at": f"{day}T12:00:00+03:00",
    }


class Env:
    """Both sandboxes on loopback plus a config and ledger in ``tmp``."""

    def __init__(
        self,
        tmp: Path,
        data: dict[str, Any],
        mappings: Path | None = None,
        extra: str = "",
        language: str = "en",
        start_period: str | None = "2026-04",
        ledger_engine: str = "sqlite",
    ):
        self.tmp = tmp
        self.company: str | None = None
        self.netvisor = NetvisorSandbox()
        fixture = tmp / "spotilla.json"
        fixture.write_text(json.dumps(data), encoding="utf-8")
        self.spotilla = SpotillaSandbox.from_fixture(fixture)
        self.servers: list[RunningServer] = [
            serve(self.netvisor, name="netvisor"),
            serve(self.spotilla, name="spotilla"),
        ]
        self.config_path = write_config(
            tmp,
            netvisor_url=self.servers[0].url,
            netvisor_credentials=self.netvisor.credentials,
            spotilla_url=f"{self.servers[1].url}/api",
            spotilla_credentials=self.spotilla.credentials,
            mappings=mappings or example_mappings(),
            extra=extra,
            language=language,  # the e2e tests read English; test_ops_e2e pins Finnish
            start_period=start_period,  # the month most tests bill first (as of 2.5.2026)
        )
        if ledger_engine == "postgresql":
            self.use_postgres(pgserver.new_company())
        self.config = load_config(self.config_path)

    def use_postgres(self, company: str, lease_seconds: float = 3) -> None:
        """Point the config at ``company`` on the test PostgreSQL server (the password comes
        from libpq's PGPASSWORD/PGPASSFILE, as the subprocesses inherit the environment)."""
        url = pgserver.require()
        text = self.config_path.read_text(encoding="utf-8")
        text = text.replace(
            'ledger = "ledger.sqlite"',
            f'ledger = "{url}"\ncompany = "{company}"\nlease_seconds = {lease_seconds}',
        )
        self.config_path.write_text(text, encoding="utf-8")
        self.config = load_config(self.config_path)
        self.company = company

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.company is not None:
            pgserver.drop(self.company)

    # -- running the job ------------------------------------------------------------------

    def sync(self, as_of: date | str, **kw: Any) -> RunReport:
        """One sync in this process, over loopback HTTP, with a real ledger file."""
        as_of = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        engine = SyncEngine(self.config, self.config.load_secrets(), as_of=as_of)
        return engine.run(**kw)

    def cli_args(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "connector", *args, "--config", str(self.config_path)]

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """The real CLI in a separate process."""
        return subprocess.run(
            self.cli_args(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(env),
            cwd=self.tmp,
        )

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, **(extra or {})}

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.cli_args(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._env(env),
            cwd=self.tmp,
        )

    # -- looking at the results -------------------------------------------------------------

    def invoices(self) -> list[dict[str, Any]]:
        return self.netvisor.invoices()

    def invoice_by_key(self, key: str) -> dict[str, Any]:
        found = [i for i in self.invoices() if i.get("private_comment") == key]
        assert len(found) == 1, (
            f"{key}: expected exactly one invoice in Netvisor, found {len(found)}"
        )
        return found[0]

    def totals(self) -> dict[str, Decimal]:
        """Private comment (our key) -> total; fails if any key is there twice."""
        out: dict[str, Decimal] = {}
        for inv in self.invoices():
            key = inv.get("private_comment")
            assert key not in out, f"{key} exists twice in Netvisor"
            out[key] = inv["total"]
        return out

    def ledger(self) -> Ledger:
        return Ledger(self.config.ledger_path)

    def wait_for(self, predicate: Any, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.02)


@pytest.fixture
def ledger_engine() -> str:
    """The engine of the envs' ledgers: SQLite unless ``CONNECTOR_TEST_LEDGER=postgresql``. A
    test module that must hold on both overrides it with ``both_engines``."""
    return os.environ.get("CONNECTOR_TEST_LEDGER", "sqlite")


#: ``ledger_engine = both_engines`` in a test module runs each of its tests on both engines
both_engines = pytest.fixture(params=["sqlite", "postgresql"], name="ledger_engine")(
    lambda request: request.param
)


@pytest.fixture
def make_env(tmp_path: Path, ledger_engine: str) -> Iterator[Any]:
    envs: list[Env] = []

    def make(data: dict[str, Any] | None = None, name: str = "env", **kw: Any) -> Env:
        folder = tmp_path / name
        folder.mkdir()
        kw.setdefault("ledger_engine", ledger_engine)
        env = Env(folder, data if data is not None else base_data(), **kw)
        envs.append(env)
        return env

    yield make
    for env in envs:
        env.close()
