"""A firm's fleet over loopback: one multi-company Netvisor sandbox (each company its own
customer id, organisation id and customer key, one request at a time *per company*), one
Spotilla sandbox per company (its own data and token), a folder per company with an ordinary
config, and the fleet file listing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from e2e.harness import REPO, base_data, task

from connector.cli.demo import example_mappings, write_config
from connector.ledger import Ledger
from connector.sandbox.netvisor import NetvisorCompanies, NetvisorSandbox
from connector.sandbox.server import RunningServer, serve
from connector.sandbox.spotilla import SpotillaSandbox


def company_data(n: int) -> dict[str, Any]:
    """A month of work that differs per company ``n`` (so totals tell companies apart)."""
    data = base_data()
    data["tasks"] = [
        task(f"T{n}-1", "L0001", "2026-04-03", hours="2"),
        task(f"T{n}-2", "L0100", "2026-04-10", quantity=str(n + 1), code="ATERIA"),
        task(f"T{n}-3", "L0100", "2026-04-11", quantity="1", unit_price=f"{10 + n}.00"),
        task(f"T{n}-4", "L0009", "2026-04-12", hours="2.25", code="SIIVOUS-H"),
    ]
    return data


class Fleet:
    """``names`` companies; ``fleet_extra`` goes into the ``[fleet]`` table."""

    def __init__(
        self,
        tmp: Path,
        names: list[str],
        *,
        max_parallel: int = 4,
        fleet_extra: str = "",
        company_extra: dict[str, str] | None = None,
        tail: str = "",
        log_level: str = "WARNING",
    ) -> None:
        self.tmp = tmp
        self.netvisor = NetvisorCompanies()
        self.servers: list[RunningServer] = [serve(self.netvisor, name="netvisor-companies")]
        self.companies: dict[str, NetvisorSandbox] = {}
        self.spotillas: dict[str, SpotillaSandbox] = {}
        entries = []
        for n, name in enumerate(names):
            nv = self.netvisor.add(name)
            sp = SpotillaSandbox(
                company_data(n),
                credentials={
                    "token": f"spotilla-token-{name}",
                    "user_id": f"{2000 + n}",
                    "subdomain": f"firm-{name}",
                    "username": f"{name}@example.invalid",
                    "password": "unused",
                },
            )
            server = serve(sp, name=f"spotilla-{name}")
            self.servers.append(server)
            self.companies[name], self.spotillas[name] = nv, sp
            folder = tmp / name
            folder.mkdir()
            write_config(
                folder,
                netvisor_url=self.servers[0].url,
                netvisor_credentials=nv.credentials,
                spotilla_url=f"{server.url}/api",
                spotilla_credentials=sp.credentials,
                mappings=example_mappings(),
                extra=(company_extra or {}).get(name, ""),
                language="en",
                start_period="2026-04",  # the first month these companies bill
            )
            entries.append(f'[[company]]\nname = "{name}"\nconfig = "{name}/config.toml"\n')
        self.path = tmp / "fleet.toml"
        self.path.write_text(
            f'[fleet]\nmax_parallel = {max_parallel}\nlanguage = "en"\nlog_level = "{log_level}"\n'
            f"{fleet_extra}\n{tail}\n" + "\n".join(entries),
            encoding="utf-8",
        )

    def close(self) -> None:
        for server in self.servers:
            server.stop()

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
        return {**os.environ, "PYTHONPATH": path, **(extra or {})}

    def cli_args(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "connector", "fleet", *args, "--fleet", str(self.path)]

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.cli_args(*args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            cwd=self.tmp,
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.cli_args(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(env),
            cwd=self.tmp,
        )

    def totals(self, name: str) -> dict[str, Decimal]:
        """One company's invoices in Netvisor: our key -> total; fails on a key there twice."""
        out: dict[str, Decimal] = {}
        for inv in self.companies[name].invoices():
            key = inv.get("private_comment")
            assert key not in out, f"{name}: {key} exists twice in Netvisor"
            out[key] = inv["total"]
        return out

    def ledger(self, name: str) -> Ledger:
        return Ledger(self.tmp / name / "ledger.sqlite")


@pytest.fixture
def make_fleet(tmp_path: Path) -> Iterator[Any]:
    made: list[Fleet] = []

    def make(names: list[str], folder: str = "firm", **kw: Any) -> Fleet:
        root = tmp_path / folder
        root.mkdir()
        fleet = Fleet(root, names, **kw)
        made.append(fleet)
        return fleet

    yield make
    for fleet in made:
        fleet.close()


def read_json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("<") and ">" in line[:4]:
            line = line.split(">", 1)[1]
        if line.startswith("{"):
            out.append(json.loads(line))
    return out
