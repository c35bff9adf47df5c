"""The Spotilla sandbox: generated data and its id scheme, filters, admin, faults, loopback."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from stdnum.fi import ytunnus

from connector.core.domain import BillableTask, Period, Quarantined
from connector.core.secrets import Secret
from connector.sandbox.server import serve
from connector.sandbox.spotilla import SpotillaSandbox
from connector.spotilla.client import SpotillaAuthError, SpotillaClient
from connector.spotilla.source import BillableWorkRules, SpotillaSource

TODAY = date(2026, 11, 22)
MONTHS = [Period(2026, 9), Period(2026, 10), Period(2026, 11)]


@pytest.fixture
def sandbox() -> SpotillaSandbox:
    return SpotillaSandbox.generated(seed=3, today=TODAY, months=MONTHS, sleep=lambda s: None)


def http(sandbox: SpotillaSandbox) -> httpx.Client:
    c = sandbox.credentials
    return httpx.Client(
        transport=httpx.WSGITransport(app=sandbox),
        base_url="http://sandbox/api",
        headers={
            "X-User-Token": c["token"],
            "X-User-Id": c["user_id"],
            "X-User-Subdomain": c["subdomain"],
        },
    )


def client(sandbox: SpotillaSandbox, **kw) -> SpotillaClient:
    c = sandbox.credentials
    kw.setdefault("sleep", lambda s: None)
    return SpotillaClient(
        "http://sandbox/api",
        subdomain=c["subdomain"],
        user_id=c["user_id"],
        token=Secret(c["token"]),
        transport=httpx.WSGITransport(app=sandbox),
        **kw,
    )


def test_generated_data_follows_the_fixed_id_scheme(sandbox):
    data = sandbox.snapshot()
    codes = {p["code"]: (p["unit"], p["price"]) for p in data["products"]}
    assert codes == {
        "KOTIHOITO-H": ("h", "25.00"),
        "SIIVOUS-H": ("h", "42.00"),
        "ATERIA": ("kpl", "9.50"),
        "TURVAPUH-KK": ("kk", "30.00"),
        "MATKA-KM": ("km", "0.59"),
        "SAUNOTUS": ("krt", "35.00"),
    }
    folders = {f["id"]: f for f in data["collections"]}
    leaves = sorted(f for f in folders if f not in {g["parent_id"] for g in folders.values()})
    assert leaves[:3] == ["L0001", "L0002", "L0003"] and "L9001" in leaves and "L9002" in leaves

    def root(fid):
        while folders[fid]["parent_id"]:
            fid = folders[fid]["parent_id"]
        return folders[fid]["name"]

    assert {root(f"L{i:04d}") for i in range(1, 5)} == {"Vantaa–Kerava"}
    assert {root(f"L{i:04d}") for i in range(5, 9)} == {"Keski-Uusimaa"}
    assert root("L0009") == "Yritysasiakkaat"
    assert all(re.fullmatch(r"(F\d{3}|L\d{4}|F9002|L9001|L9002)", f) for f in folders)
    customers = {c["id"]: c for c in data["customers"]}
    for c in customers.values():
        if c["type"] == "company" and c["id"] != "C9001":
            assert ytunnus.is_valid(c["business_id"]) and c["business_id"][7] == "-"
        if c["type"] == "person":
            assert re.fullmatch(r"Testi Asiakas \d{3}", c["name"])
    assert not ytunnus.is_valid(customers["C9001"]["business_id"])
    assert "henkilotunnus" in customers["P0002"]
    assert all(re.fullmatch(r"T\d{5}|T9\d{3}", t["id"]) for t in data["tasks"])


def test_generation_is_seeded_and_sizes_are_configurable():
    a = SpotillaSandbox.generated(seed=5, today=TODAY, months=MONTHS).snapshot()
    b = SpotillaSandbox.generated(seed=5, today=TODAY, months=MONTHS).snapshot()
    assert a == b
    big = SpotillaSandbox.generated(
        seed=5,
        today=TODAY,
        months=[Period(2026, 10)],
        leaves=40,
        customers=10,
        depth=6,
        tasks_per_leaf_per_month=3,
        bad_records=False,
    )
    snap = big.snapshot()
    assert len(snap["tasks"]) == 120
    assert {c["id"] for c in snap["customers"]} >= {"C0010", "P0008"}
    assert "C9001" not in {c["id"] for c in snap["customers"]}


def test_lists_page_and_tasks_filter_by_helsinki_completion_date(sandbox):
    with http(sandbox) as h:
        body = h.get("/v3/tasks", params={"per_page": 10, "page": 2}).json()
        assert len(body["data"]) == 10 and body["meta"]["page"] == 2
        assert body["meta"]["total"] == sandbox.count("tasks")
        october = h.get(
            "/v3/tasks",
            params={"completed_from": "2026-10-01", "completed_to": "2026-10-31", "per_page": 1000},
        ).json()
        for t in october["data"]:
            if t["completed_at"]:
                assert Period.of(
                    __import__("datetime").datetime.fromisoformat(t["completed_at"])
                ) == Period(2026, 10)
        assert (
            h.get("/v3/tasks", params={"updated_since": "2099-01-01T00:00:00Z"}).json()["data"]
            == []
        )


def test_the_api_needs_the_three_headers_or_a_login(sandbox):
    with httpx.Client(transport=httpx.WSGITransport(app=sandbox), base_url="http://s/api") as h:
        assert h.get("/v3/customers").status_code == 401
        c = sandbox.credentials
        bad = h.post(
            "/v3/login",
            json={"username": c["username"], "password": "x", "subdomain": c["subdomain"]},
        )
        assert bad.status_code == 401
        ok = h.post("/v3/login", json={k: c[k] for k in ("username", "password", "subdomain")})
        token = ok.json()["token"]
        r = h.get(
            "/v3/customers",
            headers={
                "X-User-Token": token,
                "X-User-Id": c["user_id"],
                "X-User-Subdomain": c["subdomain"],
            },
        )
        assert r.status_code == 200


def test_admin_endpoints_change_tasks_and_folders_while_it_runs(sandbox):
    with http(sandbox) as h:
        added = h.post(
            "/_sandbox/tasks",
            json={
                "id": "T77777",
                "collection_id": "L0001",
                "status": "completed",
                "completed_at": "2026-10-05T10:00:00+03:00",
            },
        )
        assert added.status_code == 201
        changed = h.put("/_sandbox/tasks/T77777", json={"status": "cancelled"}).json()
        assert changed["status"] == "cancelled" and changed["updated_at"]
        assert h.delete("/_sandbox/tasks/T77777").status_code == 204
        assert h.delete("/_sandbox/tasks/T77777").status_code == 404
        assert (
            h.post(
                "/_sandbox/collections",
                json={"id": "L0999", "name": "Uusi", "parent_id": "F001", "customer_id": "P0001"},
            ).status_code
            == 201
        )
        assert h.put("/_sandbox/collections/L0999", json={"parent_id": None}).status_code == 200
        assert h.delete("/_sandbox/collections/L0999").status_code == 204
        assert h.get("/_sandbox/state").json()["counts"]["tasks"] == sandbox.count("tasks")
    sandbox.add_task({"collection_id": "L0002", "status": "open"})
    assert sandbox.count("tasks") == len(sandbox.snapshot()["tasks"])


def test_a_correction_shows_in_the_next_read(sandbox):
    src = SpotillaSource(client(sandbox), BillableWorkRules())
    master = src.master_data()
    first = {
        t.id for t in src.billable_work(Period(2026, 10), master) if isinstance(t, BillableTask)
    }
    victim = sorted(first)[0]
    sandbox.delete_task(victim)
    sandbox.update_collection("L0001", {"customer_id": None, "parent_id": None})  # now an orphan
    master = src.master_data()
    assert any(q.record_id == "L0001" and q.rule == "orphan_leaf" for q in master.quarantined)
    second = list(src.billable_work(Period(2026, 10), master))
    assert victim not in {t.id for t in second if isinstance(t, BillableTask)}
    assert all(t.target_id != "L0001" for t in second if isinstance(t, BillableTask))


@pytest.mark.parametrize(
    ("fault", "extra"),
    [("429", {"retry_after": 2}), ("5xx", {}), ("truncated_json", {}), ("latency", {"seconds": 1})],
)
def test_faults_are_injected_over_http_and_survived_by_the_client(sandbox, fault, extra):
    sleeps = []
    with http(sandbox) as h:
        assert (
            h.post("/_sandbox/faults", json={"kind": fault, "times": 2, **extra}).status_code == 201
        )
    products = list(client(sandbox, sleep=sleeps.append, rng=lambda: 0.0).iter_products())
    assert len(products) == 6
    if fault == "429":
        assert sleeps == [2.0, 2.0]
    elif fault == "latency":
        assert sleeps == []
    else:
        assert len(sleeps) == 2
    with http(sandbox) as h:
        assert h.delete("/_sandbox/faults").status_code == 204


def test_401_after_n_requests_is_survived_by_a_re_login_only_with_a_password(sandbox):
    c = sandbox.credentials
    sandbox.inject("401_after", after=1)
    login_client = SpotillaClient(
        "http://sandbox/api",
        subdomain=c["subdomain"],
        username=c["username"],
        password=Secret(c["password"]),
        transport=httpx.WSGITransport(app=sandbox),
        sleep=lambda s: None,
        per_page=5,
        concurrency=1,
    )
    assert len(list(login_client.iter_collections())) == sandbox.count("collections")
    assert sandbox.logins == 2
    sandbox.inject("401_after", after=0)
    with pytest.raises(SpotillaAuthError):
        list(client(sandbox).iter_products())


def test_fixture_round_trip(sandbox, tmp_path):
    path = tmp_path / "spotilla.json"
    sandbox.to_fixture(path)
    again = SpotillaSandbox.from_fixture(path)
    assert again.snapshot() == sandbox.snapshot()


def test_a_real_loopback_read_through_the_source(sandbox):
    running = serve(sandbox, name="spotilla-test")
    try:
        c = sandbox.credentials
        with SpotillaClient(
            f"{running.url}/api",
            subdomain=c["subdomain"],
            user_id=c["user_id"],
            token=Secret(c["token"]),
            per_page=20,
            concurrency=4,
        ) as sc:
            src = SpotillaSource(sc, BillableWorkRules())
            master = src.master_data()
            work = list(src.billable_work(Period(2026, 10), master))
    finally:
        running.stop()
    assert len(master.targets) == 20
    assert sum(isinstance(w, BillableTask) for w in work) > 50
    assert {q.record_id for q in work if isinstance(q, Quarantined)} == {
        "T9001",
        "T9002",
        "T9003",
        "T9004",
        "T9005",
        "T9006",
    }
