"""Helpers for the Spotilla tests: a fake clock, clients over mock transports or the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from connector.core.domain import Period
from connector.core.secrets import Secret
from connector.sandbox.spotilla import SpotillaSandbox
from connector.spotilla.client import SpotillaClient

TODAY = date(2026, 11, 22)


class FakeClock:
    """A monotonic clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_for(
    handler_or_app: Callable[..., Any] | SpotillaSandbox,
    clock: FakeClock | None = None,
    *,
    login: bool = False,
    credentials: dict[str, str] | None = None,
    **kw: Any,
) -> SpotillaClient:
    """A client over a sandbox (WSGI, in-process) or an ``httpx.MockTransport`` handler."""
    clock = clock or FakeClock()
    if isinstance(handler_or_app, SpotillaSandbox):
        transport: httpx.BaseTransport = httpx.WSGITransport(app=handler_or_app)
        creds = handler_or_app.credentials
    else:
        transport = httpx.MockTransport(handler_or_app)
        creds = credentials or {
            "token": "tok-abcdef",
            "user_id": "7",
            "subdomain": "acme",
            "username": "user@example.invalid",
            "password": "pw-secret-123",
        }
    auth: dict[str, Any] = (
        {"username": creds["username"], "password": Secret(creds["password"])}
        if login
        else {"token": Secret(creds["token"]), "user_id": creds["user_id"]}
    )
    kw.setdefault("rng", lambda: 0.0)
    return SpotillaClient(
        "http://spotilla.test/api",
        subdomain=creds["subdomain"],
        transport=transport,
        sleep=clock.sleep,
        clock=clock,
        **auth,
        **kw,
    )


def json_response(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def fixture_sandbox(**data: list[dict[str, Any]]) -> SpotillaSandbox:
    """A sandbox serving exactly the given records (products default to the fixed register)."""
    if "products" not in data:
        data["products"] = [
            {
                "id": "PR1",
                "code": "KOTIHOITO-H",
                "name": "Kotihoito",
                "unit": "h",
                "price": "25.00",
            },
            {
                "id": "PR2",
                "code": "ATERIA",
                "name": "Ateriapalvelu",
                "unit": "kpl",
                "price": "9.50",
            },
        ]
    return SpotillaSandbox(data)


def task(tid: str, leaf: str, completed_at: str | None, **over: Any) -> dict[str, Any]:
    """A completed task in API shape with one hour row."""
    base: dict[str, Any] = {
        "id": tid,
        "collection_id": leaf,
        "title": "Kotikäynti",
        "status": "completed",
        "completed_at": completed_at,
        "order_number": None,
        "rows": [],
        "hours": [{"product_code": "KOTIHOITO-H", "hours": "1.5", "date": "2026-03-10"}],
        "updated_at": completed_at or "2026-03-10T10:00:00+02:00",
    }
    base.update(over)
    return base


@pytest.fixture
def generated() -> SpotillaSandbox:
    return SpotillaSandbox.generated(
        seed=7, today=TODAY, months=[Period(2026, 9), Period(2026, 10), Period(2026, 11)]
    )


@pytest.fixture
def sp() -> Any:
    """The helpers above as one fixture (test modules cannot import conftest under importlib)."""
    import types

    return types.SimpleNamespace(
        client_for=client_for,
        json_response=json_response,
        fixture_sandbox=fixture_sandbox,
        task=task,
        FakeClock=FakeClock,
        TODAY=TODAY,
    )
