"""A real ledger filled by real syncs against the sandboxes over loopback (tests/e2e/harness.py),
and the console's application over it, driven through Starlette's TestClient.

April on L0001 (the e2e PSOP loop's month): T1 8 h, T2 6 h, T3 4 h, T4 5 h (3 h over the grant:
held), T5 2 h (held), T6 in May. Synced as on 2026-05-02: April's client invoice and organiser
document are in Netvisor, two items wait for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from e2e.harness import Env, task
from e2e.harness import ledger_engine as ledger_engine
from e2e.harness import make_env as make_env

TODAY = date(2026, 5, 20)
PASSWORD = "correct horse battery"
HEADER = "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila"
REPORT = [
    HEADER,
    "3.4.2026;100001;VK-2026-0001;KOTIHOITO;8;25,00;120,00;Maksettu",
    "10.4.2026;100001;VK-2026-0001;KOTIHOITO;6;25,00;90,00;Tilitetty",
    "17.4.2026;100001;VK-2026-0001;KOTIHOITO;4;25,00;55,00;Hyväksytty",
    "29.4.2026;100001;VK-2026-0001;KOTIHOITO;1;25,00;15,00;Kirjattu",
]


def april() -> dict[str, Any]:
    """The e2e PSOP loop's April, and a private client's 3 hours billed in full (T7)."""
    from e2e.test_psop_loop import april as psop_april

    data = psop_april()
    data["tasks"].append(task("T7", "L0100", "2026-04-08", hours="3"))
    return data


def report_bytes(lines: list[str] = REPORT) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


@pytest.fixture
def synced(make_env: Callable[..., Env]) -> Env:
    env = make_env(april(), language="en")
    env.sync("2026-05-02")
    return env


def add_users(env: Env) -> None:
    from connector.console.users import UsersFile

    users = UsersFile(env.config.console.users_file)
    users.add("maija", PASSWORD, "decider")
    users.add("ville", PASSWORD, "viewer")


@dataclass
class Console:
    client: Any  # starlette.testclient.TestClient
    env: Env
    clock: list[float]

    def login(self, name: str = "maija", password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        token = csrf_of(page.text)
        return self.client.post(
            "/login",
            data={"csrf": token, "name": name, "password": password},
            follow_redirects=False,
        )

    def csrf(self, path: str = "/") -> str:
        return csrf_of(self.client.get(path).text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def make_console(env: Env, *, host: str = "testserver") -> Console:
    from starlette.testclient import TestClient

    from connector.console.users import UsersFile
    from connector.console.web import Company, Settings, accepted_hosts, create_app

    clock = [1000.0]
    settings = Settings(
        users=UsersFile(env.config.console.users_file),
        hosts=accepted_hosts("127.0.0.1", 8765, ["testserver"]),
        idle_seconds=env.config.console.idle_minutes * 60,
        language=env.config.connector.language,
        today=lambda: TODAY,
        clock=lambda: clock[0],
    )
    app = create_app([Company("demo", env.config)], settings)
    return Console(TestClient(app, base_url=f"http://{host}"), env, clock)


@pytest.fixture
def console(synced: Env) -> Iterator[Console]:
    add_users(synced)
    made = make_console(synced)
    yield made
    made.client.close()


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "psop-raportti.csv"
    path.write_bytes(report_bytes())
    return path
