"""The Spotilla client: paging in both forms, retries with back-off on a fake clock, auth."""

from __future__ import annotations

import threading

import httpx
import pytest

from connector.core.errors import ConfigError, FatalRunError
from connector.core.secrets import Secret
from connector.spotilla import api
from connector.spotilla.client import (
    SpotillaApiError,
    SpotillaAuthError,
    SpotillaClient,
    SpotillaUnavailableError,
)


def paged(total: int, *, with_total: bool = True, calls: list | None = None):
    """A handler serving products 1..total in the ``{data, meta}`` form."""

    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        with lock:
            if calls is not None:
                calls.append(page)
        items = [
            {"id": str(i), "code": f"P{i}", "name": "x", "price": "1.00"}
            for i in range((page - 1) * per_page + 1, min(total, page * per_page) + 1)
        ]
        meta = {
            "page": page,
            "per_page": per_page,
            "next_page": page + 1 if page * per_page < total else None,
        }
        if with_total:
            meta["total"] = total
        return httpx.Response(200, json={"data": items, "meta": meta})

    return handler


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("with_total", [True, False])
def test_pages_are_followed_in_order(sp, concurrency, with_total):
    client = sp.client_for(paged(23, with_total=with_total), per_page=5, concurrency=concurrency)
    codes = [p.code for p in client.iter_products()]
    assert codes == [f"P{i}" for i in range(1, 24)]


def test_a_bare_array_is_a_single_page(sp):
    calls = []

    def handler(request):
        calls.append(request.url.params.get("page"))
        return httpx.Response(200, json=[{"id": "1", "name": "Koti", "parent_id": None}])

    client = sp.client_for(handler)
    assert [c.id for c in client.iter_collections()] == ["1"]
    assert calls == ["1"]


def test_pages_stream_with_a_bounded_prefetch(sp):
    calls: list[int] = []
    client = sp.client_for(paged(1000, calls=calls), per_page=10, concurrency=3)
    it = client.iter_products()
    first = next(it)
    assert first.code == "P1"
    assert len(calls) <= 1 + 3  # page 1 and at most `concurrency` pages ahead
    it.close()


def test_a_list_that_grows_while_read_is_followed_to_its_end(sp):
    state = {"total": 10}

    def handler(request):
        page = int(request.url.params["page"])
        if page == 2:
            state["total"] = 15  # a task was added meanwhile
        total = state["total"]
        items = [
            {"id": str(i), "code": f"P{i}", "name": "x", "price": "1"}
            for i in range((page - 1) * 5 + 1, min(total, page * 5) + 1)
        ]
        nxt = page + 1 if page * 5 < total else None
        return httpx.Response(
            200,
            json={
                "data": items,
                "meta": {"page": page, "per_page": 5, "total": total, "next_page": nxt},
            },
        )

    client = sp.client_for(handler, per_page=5, concurrency=2)
    assert len(list(client.iter_products())) == 15


def test_paging_that_does_not_advance_is_an_api_error(sp):
    item = {"id": "1", "code": "P1", "name": "x", "price": "1.00"}

    def handler(request):
        return httpx.Response(200, json={"data": [item], "meta": {"next_page": 1}})

    with pytest.raises(SpotillaApiError, match="does not advance"):
        list(sp.client_for(handler, concurrency=1).iter_products())


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_empty_page_while_paging_continues_is_a_contract_break_naming_endpoint_and_page(
    sp, concurrency
):
    full = paged(30)

    def handler(request):
        if request.url.params["page"] == "2":
            return httpx.Response(
                200,
                json={"data": [], "meta": {"page": 2, "per_page": 10, "total": 30, "next_page": 3}},
            )
        return full(request)

    client = sp.client_for(handler, per_page=10, concurrency=concurrency)
    with pytest.raises(SpotillaApiError, match=r"GET /v3/products page 2: the page is empty"):
        list(client.iter_products())


@pytest.mark.parametrize(
    "body",
    [
        {"data": [{"id": "1", "code": "P1", "name": "x", "price": "1.00"}]},
        {"data": [], "meta": {"page": 1, "total": 0}},
        {"data": [], "meta": "none"},
    ],
    ids=["no-meta", "meta-without-next-page", "meta-not-an-object"],
)
def test_a_list_answer_without_paging_metadata_is_a_contract_break(sp, body):
    client = sp.client_for(lambda r: httpx.Response(200, json=body))
    with pytest.raises(SpotillaApiError, match=r"GET /v3/products page 1: .*paging metadata"):
        list(client.iter_products())


def endless(*, total: int | None, calls: list[int]):
    """A server whose next_page keeps counting, each page full of the same products."""

    def handler(request):
        page = int(request.url.params["page"])
        calls.append(page)
        items = [{"id": str(i), "code": f"P{i}", "name": "x", "price": "1"} for i in range(5)]
        meta = {"page": page, "per_page": 5, "next_page": page + 1}
        if total is not None:
            meta["total"] = total
        return httpx.Response(200, json={"data": items, "meta": meta})

    return handler


@pytest.mark.parametrize("concurrency", [1, 3])
def test_endless_paging_stops_at_the_advertised_total(sp, concurrency):
    calls: list[int] = []
    client = sp.client_for(endless(total=20, calls=calls), per_page=5, concurrency=concurrency)
    with pytest.raises(SpotillaApiError, match=r"GET /v3/products page 4: next_page 5 is beyond"):
        list(client.iter_products())
    assert max(calls) <= 4


@pytest.mark.parametrize("concurrency", [1, 3])
def test_endless_paging_without_a_total_stops_at_the_page_ceiling(sp, concurrency):
    calls: list[int] = []
    client = sp.client_for(
        endless(total=None, calls=calls), per_page=5, concurrency=concurrency, max_pages=25
    )
    with pytest.raises(SpotillaApiError, match=r"GET /v3/products page 26: more than 25 pages"):
        list(client.iter_products())
    assert len(calls) == 25


def test_endless_paging_stops_at_the_list_time_budget(sp, clock):
    calls: list[int] = []
    handler = endless(total=None, calls=calls)

    def slow(request):
        clock.now += 10.0  # every page takes ten seconds of the fake clock
        return handler(request)

    client = sp.client_for(slow, clock, per_page=5, concurrency=1, list_time_budget=95)
    with pytest.raises(SpotillaApiError, match=r"took longer than 95 s"):
        list(client.iter_products())
    assert len(calls) == 10


def test_a_lying_total_cannot_make_the_prefetch_ask_past_the_ceiling(sp):
    calls: list[int] = []
    client = sp.client_for(
        endless(total=10**9, calls=calls), per_page=5, concurrency=4, max_pages=12
    )
    with pytest.raises(SpotillaApiError, match="more than 12 pages"):
        list(client.iter_products())
    assert max(calls) <= 12


def test_an_unreadable_page_fails_the_read_naming_endpoint_and_page(sp, clock):
    def handler(request):
        if request.url.params["page"] == "1":
            return httpx.Response(
                200,
                json={
                    "data": [{"id": "1", "code": "P1", "name": "x", "price": "1"}],
                    "meta": {"page": 1, "per_page": 1, "total": 2, "next_page": 2},
                },
            )
        return httpx.Response(200, content=b"<html>proxy error</html>")

    client = sp.client_for(handler, clock, per_page=1, concurrency=1, max_attempts=2)
    with pytest.raises(SpotillaUnavailableError, match=r"GET /v3/products page 2: gave up"):
        list(client.iter_products())


def test_a_page_nested_too_deep_for_the_parser_quarantines_only_that_record(sp):
    deep = "[" * 100_000 + "]" * 100_000
    body = (
        '[{"id": "1", "code": "P1", "name": "x", "price": "1"},'
        '{"id": "2", "code": "P2", "name": "x", "price": "1", "extra": ' + deep + "},"
        '{"id": "3", "code": "P3", "name": "x", "price": "1"}]'
    ).encode()
    client = sp.client_for(lambda r: httpx.Response(200, content=body))
    out = list(client.iter_products())
    assert [getattr(o, "code", None) for o in out] == ["P1", None, "P3"]
    assert out[1].rule == "too_deep" and out[1].record_id == "2"


def test_tasks_are_asked_with_the_date_window_and_updated_since(sp):
    from datetime import UTC, date, datetime

    seen = {}

    def handler(request):
        seen.update(request.url.params)
        return httpx.Response(200, json=[])

    list(
        sp.client_for(handler).iter_tasks(
            completed_from=date(2026, 2, 28),
            completed_to=date(2026, 4, 1),
            updated_since=datetime(2026, 3, 1, tzinfo=UTC),
        )
    )
    assert seen["completed_from"] == "2026-02-28" and seen["completed_to"] == "2026-04-01"
    assert seen["updated_since"].startswith("2026-03-01T00:00:00")


def flaky(responses):
    """A handler answering from a list of responses/exceptions, then an empty page."""
    queue = list(responses)

    def handler(request):
        if queue:
            item = queue.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        return httpx.Response(200, json=[])

    return handler


def test_5xx_is_retried_with_jittered_exponential_back_off(sp, clock):
    client = sp.client_for(
        flaky([httpx.Response(503), httpx.Response(502), httpx.Response(500)]),
        clock,
        rng=lambda: 1.0,
    )
    assert list(client.iter_products()) == []
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_back_off_is_jittered_between_half_and_full(sp, clock):
    client = sp.client_for(flaky([httpx.Response(503)] * 2), clock, rng=lambda: 0.0)
    list(client.iter_products())
    assert clock.sleeps == [0.25, 0.5]


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(200, content=b'{"data": [{"id": "1", "co'),
        httpx.Response(
            200, content=b"<html>502 Bad Gateway</html>", headers={"Content-Type": "text/html"}
        ),
        httpx.Response(200, content=b"\xff\xfe\x00garbage"),
    ],
    ids=["connect", "timeout", "dropped", "truncated_json", "proxy_page", "binary"],
)
def test_transient_faults_and_unreadable_bodies_are_retried(sp, clock, fault):
    client = sp.client_for(flaky([fault]), clock)
    assert list(client.iter_products()) == []
    assert len(clock.sleeps) == 1


def test_retry_after_is_honoured(sp, clock):
    client = sp.client_for(flaky([httpx.Response(429, headers={"Retry-After": "7"})]), clock)
    list(client.iter_products())
    assert clock.sleeps == [7.0]


def test_retry_after_is_capped(sp, clock):
    client = sp.client_for(
        flaky([httpx.Response(429, headers={"Retry-After": "3600"})]), clock, retry_after_cap=20.0
    )
    list(client.iter_products())
    assert clock.sleeps == [20.0]


def test_a_429_without_a_usable_retry_after_backs_off_normally(sp, clock):
    client = sp.client_for(
        flaky([httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})]),
        clock,
    )
    list(client.iter_products())
    assert clock.sleeps == [0.25]


def test_the_time_budget_bounds_all_retries(sp, clock):
    client = sp.client_for(
        lambda r: httpx.Response(503), clock, time_budget=10.0, max_attempts=100, rng=lambda: 1.0
    )
    with pytest.raises(SpotillaUnavailableError, match="time budget") as info:
        list(client.iter_products())
    assert sum(clock.sleeps) <= 10.0
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # the next 8 s would overrun the budget
    assert isinstance(info.value, FatalRunError)


def test_max_attempts_bounds_retries(sp, clock):
    client = sp.client_for(lambda r: httpx.Response(500), clock, max_attempts=3)
    with pytest.raises(SpotillaUnavailableError, match="3 attempts"):
        list(client.iter_products())
    assert len(clock.sleeps) == 2


def test_a_definitive_4xx_is_not_retried_and_names_the_code_only(sp, clock):
    client = sp.client_for(
        lambda r: httpx.Response(404, json={"error": "not_found", "message": "Testi Asiakas"}),
        clock,
    )
    with pytest.raises(SpotillaApiError) as info:
        list(client.iter_products())
    assert info.value.status == 404 and info.value.code == "not_found"
    assert "Testi" not in str(info.value)
    assert clock.sleeps == []


def test_401_with_an_integration_key_is_fatal_at_once(sp, clock):
    client = sp.client_for(lambda r: httpx.Response(401, json={"error": "unauthorized"}), clock)
    with pytest.raises(SpotillaAuthError, match="integration key"):
        client.check_credentials()
    assert clock.sleeps == []


class LoginServer:
    """Issues tokens on login; the first ``expire_first`` tokens are refused on use."""

    def __init__(self, expire_first: int = 0, refuse_login: bool = False) -> None:
        self.logins = 0
        self.expire_first = expire_first
        self.refuse_login = refuse_login
        self.headers: list[dict] = []

    def __call__(self, request):
        if request.url.path == "/api/v3/login":
            import json

            body = json.loads(request.content)
            assert body == {
                "username": "user@example.invalid",
                "password": "pw-secret-123",
                "subdomain": "acme",
            }
            if self.refuse_login:
                return httpx.Response(401, json={"error": "invalid_credentials"})
            self.logins += 1
            return httpx.Response(200, json={"token": f"tok-{self.logins}", "user_id": "7"})
        self.headers.append(dict(request.headers))
        number = int(request.headers["X-User-Token"].split("-")[1])
        if number <= self.expire_first:
            return httpx.Response(401)
        return httpx.Response(200, json=[])


def test_without_a_token_the_client_logs_in_and_sends_the_three_headers(sp):
    server = LoginServer()
    client = sp.client_for(server, login=True)
    client.check_credentials()
    assert server.logins == 1
    h = server.headers[0]
    assert (h["x-user-token"], h["x-user-id"], h["x-user-subdomain"]) == ("tok-1", "7", "acme")


def test_a_401_gets_exactly_one_re_login(sp):
    server = LoginServer(expire_first=1)
    client = sp.client_for(server, login=True)
    client.check_credentials()
    assert server.logins == 2


def test_a_401_after_the_re_login_is_fatal(sp):
    server = LoginServer(expire_first=99)
    client = sp.client_for(server, login=True)
    with pytest.raises(SpotillaAuthError, match="even after a re-login"):
        client.check_credentials()
    assert server.logins == 2


def test_a_refused_login_is_fatal_and_names_no_secret(sp):
    client = sp.client_for(LoginServer(refuse_login=True), login=True)
    with pytest.raises(SpotillaAuthError) as info:
        client.check_credentials()
    assert "pw-secret" not in str(info.value)


def test_credentials_are_required_and_never_printed():
    with pytest.raises(ConfigError):
        SpotillaClient("http://x/api", subdomain="s")
    with pytest.raises(ConfigError):
        SpotillaClient("http://x/api", subdomain="s", token=Secret("tok-abcdef"))
    client = SpotillaClient("http://x/api", subdomain="s", user_id="1", token=Secret("tok-abcdef"))
    assert "tok-abcdef" not in repr(client) and "tok-abcdef" not in str(vars(client))
    client.close()


def test_bad_records_become_quarantined_and_the_rest_flows(sp):
    rows = [
        {"id": "C1", "type": "company", "name": "Yritys Oy", "business_id": "0737546-2"},
        {"id": "C2", "type": "robot", "name": "x"},
        "not an object",
    ]
    client = sp.client_for(lambda r: httpx.Response(200, json=rows))
    out = list(client.iter_customers())
    assert isinstance(out[0], api.Customer)
    assert [q.rule for q in out[1:]] == ["invalid_record", "invalid_record"]
    assert "type" in out[1].reason


def test_the_client_is_a_context_manager(sp):
    with sp.client_for(lambda r: httpx.Response(200, json=[])) as client:
        client.check_credentials()
