"""The console over HTTP (Starlette's TestClient) on a ledger real syncs filled: every page,
every refusal, and each decision reaching the ledger exactly as the CLI's would."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from console.conftest import PASSWORD, TODAY, csrf_of, make_console, report_bytes

from connector.console.web import CSP, REPORT_CSP, SESSION_COOKIE
from connector.core.errors import EXIT_OK

PAGES = (
    "/",
    "/review",
    "/quarantine",
    "/runs",
    "/runs/1",
    "/psop",
    "/psop/export?period=2026-04&format=csv",
    "/document/inv:2026-04:SP-P0001",
    "/document/org:2026-04:VANTAA-KERAVA",
    "/task/T4",
)


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("path", PAGES)
def test_without_login_every_page_sends_to_the_login_page(console, path):
    answer = console.client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    page = console.client.get(path)  # followed: the login form, nothing of the page
    assert 'name="password"' in page.text
    assert "€" not in page.text and "<table" not in page.text


@pytest.mark.parametrize("path", ["/review", "/quarantine/retry", "/psop/import", "/logout"])
def test_a_post_without_a_session_is_refused(console, path):
    answer = console.client.post(path, data={"csrf": "x", "act": "approve:T5:h0"})
    assert answer.status_code == 403
    with console.env.ledger() as ledger:
        assert ledger.review_decisions() == {}


def test_a_post_with_a_wrong_or_missing_csrf_token_is_refused_and_changes_nothing(console):
    assert console.login().status_code == 303
    for data in ({"act": "approve:T5:h0"}, {"act": "approve:T5:h0", "csrf": "forged"}):
        answer = console.client.post("/review", data=data, follow_redirects=False)
        assert answer.status_code == 403
    with console.env.ledger() as ledger:
        assert ledger.review_decisions() == {}
        assert ledger.audit() == []


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1:9999", "attacker.test:8765"])
def test_a_wrong_host_header_is_refused_everywhere(synced, host):
    from console.conftest import add_users

    add_users(synced)
    other = make_console(synced, host=host)
    for path in ("/login", "/", "/static/console.css"):
        assert other.client.get(path).status_code == 400
    assert other.client.post("/login", data={"name": "maija"}).status_code == 400
    other.client.close()


def test_the_loopback_names_on_the_listen_port_are_accepted(synced):
    from connector.console.web import accepted_hosts

    hosts = accepted_hosts("127.0.0.1", 8765)
    assert {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"} <= hosts
    assert "evil.example:8765" not in hosts
    assert accepted_hosts("10.0.0.5", 8443, ["connector.example.fi"]) >= {
        "10.0.0.5:8443",
        "connector.example.fi",
    }
    assert "localhost:8443" not in accepted_hosts("10.0.0.5", 8443)


def test_a_viewer_sees_the_queue_but_cannot_decide_import_or_retry(console):
    assert console.login("ville").status_code == 303
    page = console.client.get("/review")
    assert "T5:h0" in page.text
    assert 'value="approve:T5:h0"' not in page.text  # no decide buttons for a viewer
    token = csrf_of(page.text)  # the logout form's token: a valid one
    answer = console.client.post("/review", data={"csrf": token, "act": "approve:T5:h0"})
    assert answer.status_code == 403
    answer = console.client.post(
        "/quarantine/retry", data={"csrf": token, "target": "quarantine:1"}
    )
    assert answer.status_code == 403
    answer = console.client.post(
        "/psop/import",
        data={"csrf": token},
        files={"report": ("r.csv", report_bytes(), "text/csv")},
    )
    assert answer.status_code == 403
    with console.env.ledger() as ledger:
        assert ledger.review_decisions() == {}
        assert ledger.psop_reports() == []


def test_wrong_passwords_then_the_login_is_rate_limited(console):
    for _ in range(5):
        assert console.login(password="wrong password!").status_code == 401
    limited = console.login()  # the right password, too late
    assert limited.status_code == 429
    assert SESSION_COOKIE not in limited.cookies
    console.clock[0] += 15 * 60 + 1  # the window has passed
    assert console.login().status_code == 303


def test_an_unknown_user_fails_like_a_wrong_password(console):
    answer = console.login("nobody")
    assert answer.status_code == 401
    assert "Wrong user name or password" in answer.text


def test_login_needs_the_login_forms_token(console):
    console.client.get("/login")
    answer = console.client.post(
        "/login", data={"csrf": "guess", "name": "maija", "password": PASSWORD}
    )
    assert answer.status_code == 403


def test_the_session_cookie_is_httponly_samesite_strict_and_ends_when_idle(console):
    answer = console.login()
    cookie = answer.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain loopback; Secure behind TLS (below)
    assert console.client.get("/", follow_redirects=False).status_code == 200
    console.clock[0] += 30 * 60 + 1
    assert console.client.get("/", follow_redirects=False).status_code == 303


def test_behind_tls_the_cookie_is_secure(synced):
    from console.conftest import add_users
    from starlette.testclient import TestClient

    from connector.console.users import UsersFile
    from connector.console.web import Company, Settings, accepted_hosts, create_app

    add_users(synced)
    settings = Settings(
        users=UsersFile(synced.config.console.users_file),
        hosts=accepted_hosts("127.0.0.1", 8765, ["testserver"]),
        secure_cookies=True,
        today=lambda: TODAY,
    )
    app = create_app([Company("x", synced.config)], settings)
    with TestClient(app, base_url="https://testserver") as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post(
            "/login",
            data={"csrf": token, "name": "maija", "password": PASSWORD},
            follow_redirects=False,
        )
        assert "Secure" in answer.headers["set-cookie"]


def test_every_response_carries_the_security_headers(console):
    console.login()
    page = console.client.get("/")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    # nothing external: only the package's own style sheet and script
    assert "http://" not in page.text and "https://" not in page.text
    assert console.client.get("/static/console.css").status_code == 200
    assert console.client.get("/static/console.js").status_code == 200


def test_after_login_the_user_lands_where_they_were_going_but_never_off_site(console):
    page = console.client.get("/review")  # -> the login form with next=/review
    token = csrf_of(page.text)
    answer = console.client.post(
        "/login",
        data={"csrf": token, "name": "maija", "password": PASSWORD, "next": "/review"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/review"
    console.client.cookies.clear()
    token = csrf_of(console.client.get("/login").text)
    answer = console.client.post(
        "/login",
        data={"csrf": token, "name": "maija", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/"


def test_logout_ends_the_session(console):
    console.login()
    token = console.csrf("/")
    assert console.client.post("/logout", data={"csrf": token}).status_code == 200
    assert console.client.get("/", follow_redirects=False).status_code == 303


# ------------------------------------------------------------------ pages


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_after_login(console, path):
    console.login()
    assert console.client.get(path).status_code == 200


def test_unknown_things_are_404(console):
    console.login()
    assert console.client.get("/document/inv:2099-01:NOPE").status_code == 404
    assert console.client.get("/task/NO-SUCH-TASK").status_code == 404
    assert console.client.get("/runs/999").status_code == 404


def test_month_close_shows_documents_figures_held_and_what_to_do(console):
    console.login()
    page = console.client.get("/?period=2026-04").text
    assert "Month close 2026-04" in page
    # the client invoice: 20 h x 25,00 = 500,00 work, 300,00 voucher share, 200,00 to pay
    assert "inv:2026-04:SP-P0001" in page and "€200.00" in page and "€300.00" in page
    assert "org:2026-04:VANTAA-KERAVA" in page
    assert "inv:2026-04:SP-P0100" in page and "€75.00" in page  # 3 h private, in full
    assert "2 items wait for a decision" in page
    assert "PSOP&#39;s report of this month has not been imported" in page
    assert 'href="/review?period=2026-04"' in page


def test_the_month_close_is_finnish_by_default(make_env):
    from console.conftest import add_users, april

    env = make_env(april(), name="fi", language="fi")
    env.sync("2026-05-02")
    add_users(env)
    console = make_console(env)
    console.login()
    page = console.client.get("/").text
    assert "Kuukauden päätös 2026-04" in page
    assert "200,00\xa0€" in page
    assert "2 riviä odottaa päätöstä" in page
    console.client.close()


def test_the_organiser_document_names_clients_only_by_psop_customer_number(console):
    console.login()
    page = console.client.get("/document/org:2026-04:VANTAA-KERAVA").text
    assert "100001" in page and "VK-2026-0001" in page
    assert "SP-P0001" not in page  # the billing customer's code stays on the client side
    for name in ("Testi Henkilö Yksi", "Koe Asiakas Sata"):
        assert name not in page
    psop = console.client.get("/psop").text
    assert "SP-P0001" not in psop


def test_a_document_shows_its_lines_tasks_and_the_money_received(console):
    env = console.env
    with env.ledger() as ledger:
        keys = {o.key: o.netvisor_key for o in ledger.objects(kind="invoice")}
    # a person in Netvisor: the client invoice is paid, the organiser's partly
    env.netvisor.set_invoice_status(keys["inv:2026-04:SP-P0001"], "paid")
    env.netvisor.edit_invoice(
        keys["org:2026-04:VANTAA-KERAVA"], status="open", open_sum=Decimal("100.00")
    )
    env.sync("2026-05-03")  # reads the invoice list: the balances are recorded
    console.login()
    client_page = console.client.get("/document/inv:2026-04:SP-P0001").text
    assert "paid" in client_page
    assert 'href="/task/T1"' in client_page
    org_page = console.client.get("/document/org:2026-04:VANTAA-KERAVA").text
    # dated 1.5., 14 days net: on 20.5. the 100,00 still open is overdue
    assert "overdue" in org_page and "€100.00 / €300.00" in org_page
    month = console.client.get("/").text
    assert "money-paid" in month and "money-overdue" in month
    assert "1 invoices overdue" in month


def test_a_partly_paid_invoice_before_its_due_date(console):
    from connector.console.views import balance_of

    row = {
        "gross": "300.00",
        "open_sum": "100.00",
        "invoice_date": "2026-05-01",
        "status": "open",
        "invoice_number": "20003",
        "seen_at": "2026-05-03T06:00:00+00:00",
    }
    assert balance_of(None, row, today=TODAY, term_days=30).state == "partly_paid"
    assert balance_of(None, row, today=TODAY, term_days=14).state == "overdue"
    assert balance_of(None, {**row, "open_sum": "0.00"}, today=TODAY, term_days=14).state == "paid"
    assert (
        balance_of(None, {**row, "open_sum": "300.00"}, today=TODAY, term_days=30).state == "open"
    )
    assert balance_of(None, {**row, "status": "unsent"}, today=TODAY, term_days=1).state == "unsent"
    assert balance_of(None, None, today=TODAY, term_days=14).state == "unknown"


def test_an_unpaid_invoice_past_its_due_date_is_overdue(console):
    env = console.env
    with env.ledger() as ledger:
        nv = ledger.get("inv:2026-04:SP-P0100").netvisor_key
    env.netvisor.set_invoice_status(nv, "open")
    env.sync("2026-05-03")
    console.login()  # today is 2026-05-20: invoice dated in May + 14 days
    page = console.client.get("/document/inv:2026-04:SP-P0100").text
    with env.ledger() as ledger:
        balance = ledger.invoice_balances()["inv:2026-04:SP-P0100"]
    from datetime import date, timedelta

    due = date.fromisoformat(balance["invoice_date"]) + timedelta(days=14)
    expected = "overdue" if due < TODAY else "open"
    assert f"money-{expected}" in page


def test_runs_page_lists_runs_and_serves_a_runs_report(console):
    console.login()
    page = console.client.get("/runs").text
    assert "No writes in doubt." in page
    assert 'href="/runs/1"' in page
    report = console.client.get("/runs/1")
    assert report.status_code == 200
    assert report.headers["content-security-policy"] == REPORT_CSP
    assert "SP-P0001" in report.text
    assert "Testi Henkilö Yksi" not in report.text  # the ledger's copy has no names


def test_runs_page_shows_a_write_in_doubt_and_what_settles_it(console):
    with console.env.ledger() as ledger:
        ledger.mark_unknown("inv:2026-04:SP-P0100", "TIMEOUT", "answer lost")
    console.login()
    page = console.client.get("/runs").text
    assert "inv:2026-04:SP-P0100" in page and "TIMEOUT" in page
    month = console.client.get("/").text
    assert "1 writes in doubt" in month


# ------------------------------------------------------------------ decisions


def test_approving_one_item_is_the_clis_decision_with_who_and_the_note(console):
    console.login()
    token = console.csrf("/review")
    answer = console.client.post(
        "/review",
        data={"csrf": token, "act": "approve:T5:h0", "note": "organiser agreed by phone"},
    )
    assert answer.status_code == 200
    assert "T5:h0: approved" in answer.text
    with console.env.ledger() as ledger:
        row = ledger.review_decisions()["T5:h0"]
        audit = ledger.audit()
    assert (row["decision"], row["effect"], row["source"]) == ("approve", "approve", "review")
    assert row["decided_by"] == "maija"
    assert row["note"] == "organiser agreed by phone"
    assert [(a["actor"], a["action"], a["subject"]) for a in audit] == [
        ("maija", "review:approve", "T5:h0")
    ]
    # the review page and the document page show who decided
    page = console.client.get("/review").text
    assert "maija" in page and "organiser agreed by phone" in page
    doc = console.client.get("/document/org:2026-04:VANTAA-KERAVA").text
    assert "maija" in doc
    # the CLI sees the same decision
    listed = console.env.cli("review", "list", "--all", "--json")
    assert listed.returncode == EXIT_OK, listed.stderr
    (entry,) = [e for e in json.loads(listed.stdout)["review"] if e["id"] == "T5:h0"]
    assert entry["decision"] == "approve"


def test_the_next_sync_bills_an_approval_made_in_the_console(console):
    console.login()
    token = console.csrf("/review")
    console.client.post("/review", data={"csrf": token, "act": "approve:T5:h0"})
    before = console.env.totals()["org:2026-04:VANTAA-KERAVA"]
    console.env.sync("2026-05-03")
    after = console.env.totals()["org:2026-04:VANTAA-KERAVA"]
    assert after == before + Decimal("30.00")  # 2 h x 15,00 the voucher now pays


def test_rejecting_several_at_once_and_a_second_decision_does_not_count(console):
    console.login()
    token = console.csrf("/review")
    answer = console.client.post(
        "/review",
        data={"csrf": token, "act": "reject", "ids": ["T4:h0", "T5:h0"], "note": "no"},
    )
    assert "T4:h0: rejected" in answer.text and "T5:h0: rejected" in answer.text
    answer = console.client.post(
        "/review", data={"csrf": csrf_of(answer.text), "act": "approve:T4:h0"}
    )
    assert "decided before; the first decision stands" in answer.text
    with console.env.ledger() as ledger:
        decisions = ledger.review_decisions()
    assert {k: v["decision"] for k, v in decisions.items()} == {
        "T4:h0": "reject",
        "T5:h0": "reject",
    }
    assert decisions["T4:h0"]["effect"] == "bill_client"  # rejected_review's default


def test_a_decision_without_items_or_for_an_unknown_item_is_explained(console):
    console.login()
    token = console.csrf("/review")
    answer = console.client.post("/review", data={"csrf": token, "act": "approve"})
    assert "Choose at least one item" in answer.text
    answer = console.client.post(
        "/review", data={"csrf": csrf_of(answer.text), "act": "approve:NOPE:1"}
    )
    assert "no held item has this id" in answer.text


def test_check_again_marks_a_quarantined_record_and_audits_it(console):
    console.login()
    page = console.client.get("/quarantine").text
    with console.env.ledger() as ledger:
        entry = ledger.quarantine()[0]
    answer = console.client.post(
        "/quarantine/retry", data={"csrf": csrf_of(page), "target": f"quarantine:{entry.id}"}
    )
    assert "the next sync checks it again" in answer.text
    assert "maija asked for a check" in answer.text
    with console.env.ledger() as ledger:
        (row,) = ledger.audit()
    assert (row["actor"], row["action"], row["subject"]) == (
        "maija",
        "quarantine:check",
        f"quarantine:{entry.id}",
    )


def test_check_again_on_a_rejected_document_plans_it_again_like_quarantine_retry(console):
    key = "inv:2026-04:SP-P0100"
    with console.env.ledger() as ledger:
        ledger.mark_rejected(key, "PERIOD_LOCK", "the period is locked")
    console.login()
    page = console.client.get("/quarantine").text
    assert key in page and "PERIOD_LOCK" in page
    answer = console.client.post("/quarantine/retry", data={"csrf": csrf_of(page), "target": key})
    assert "the next sync sends it again" in answer.text
    with console.env.ledger() as ledger:
        assert str(ledger.get(key).state) == "planned"
        assert ledger.audit()[0]["action"] == "quarantine:retry"
    answer = console.client.post(
        "/quarantine/retry", data={"csrf": csrf_of(answer.text), "target": key}
    )
    assert "no object Netvisor rejected" in answer.text


# ------------------------------------------------------------------ PSOP


def test_the_event_file_is_the_clis_export(console, tmp_path):
    console.login()
    csv_answer = console.client.get("/psop/export?period=2026-04&format=csv")
    assert csv_answer.headers["content-disposition"].endswith('psop-tapahtumat-2026-04.csv"')
    out = tmp_path / "cli.csv"
    done = console.env.cli("psop", "export", "--period", "2026-04", "--out", str(out))
    assert done.returncode == EXIT_OK, done.stderr
    assert csv_answer.content == out.read_bytes()
    xlsx = console.client.get("/psop/export?period=2026-04&format=xlsx")
    assert xlsx.content[:2] == b"PK"
    assert console.client.get("/psop/export?period=2026-04&format=pdf").status_code == 400


def test_uploading_psops_report_imports_it_and_the_states_show_on_the_document(console):
    console.login()
    token = console.csrf("/psop")
    answer = console.client.post(
        "/psop/import",
        data={"csrf": token, "report_date": "2026-05-15", "period": "2026-04"},
        files={"report": ("psop-raportti.csv", report_bytes(), "text/csv")},
    )
    assert answer.status_code == 200
    assert "Imported 4 rows; 3 billed lines got their PSOP state." in answer.text
    assert "amount differs" in answer.text  # T3: PSOP pays 55,00, we billed 60,00
    assert "in PSOP, not billed" in answer.text  # 29.4. has no task
    doc = console.client.get("/document/org:2026-04:VANTAA-KERAVA").text
    assert "Maksettu" in doc and "Tilitetty" in doc and "Hyväksytty" in doc
    task = console.client.get("/task/T1").text
    assert "Maksettu" in task
    with console.env.ledger() as ledger:
        (row,) = ledger.audit()
        assert (row["actor"], row["action"]) == ("maija", "psop:import")
    # the same file again changes nothing
    again = console.client.post(
        "/psop/import",
        data={"csrf": csrf_of(answer.text)},
        files={"report": ("copy.csv", report_bytes(), "text/csv")},
    )
    assert "imported before" in again.text
    with console.env.ledger() as ledger:
        assert len(ledger.psop_reports()) == 1


def test_a_faulty_report_is_refused_whole_with_its_problems(console):
    console.login()
    token = console.csrf("/psop")
    bad = report_bytes(
        [
            "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila",
            "3.4.2026;100001;VK-UNKNOWN;KOTIHOITO;8;25,00;120,00;Maksettu",
            "3.4.2026;100001;VK-2026-0001;KOTIHOITO;8;25,00;120,00;Lost",
        ]
    )
    answer = console.client.post(
        "/psop/import",
        data={"csrf": token},
        files={"report": ("r.csv", bad, "text/csv")},
    )
    assert "The report was not imported; nothing was recorded" in answer.text
    assert "Lost" in answer.text or "VK-UNKNOWN" in answer.text
    answer = console.client.post(
        "/psop/import",
        data={"csrf": csrf_of(answer.text)},
        files={"report": ("r.pdf", b"%PDF", "application/pdf")},
    )
    assert "must be a .csv or .xlsx file" in answer.text
    with console.env.ledger() as ledger:
        assert ledger.psop_reports() == [] and ledger.audit() == []


# ------------------------------------------------------------------ a fleet


def test_a_fleet_shows_one_row_per_company_worst_first(make_env):
    from console.conftest import april
    from starlette.testclient import TestClient

    from connector.console.users import UsersFile
    from connector.console.web import Company, Settings, accepted_hosts, create_app

    calm = make_env(april(), name="calm", language="en")  # nothing synced: no ledger
    busy = make_env(april(), name="busy", language="en")
    busy.sync("2026-05-02")
    users = UsersFile(busy.tmp / "users.json")
    users.add("maija", PASSWORD, "decider")
    settings = Settings(
        users=users,
        hosts=accepted_hosts("127.0.0.1", 8765, ["testserver"]),
        language="en",
        today=lambda: TODAY,
    )
    app = create_app([Company("Calm Oy", calm.config), Company("Busy Oy", busy.config)], settings)
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"csrf": token, "name": "maija", "password": PASSWORD})
        page = client.get("/").text
        assert page.index("Calm Oy") < page.index("Busy Oy")  # no ledger counts as worst
        assert "no ledger yet" in page
        assert "2 items wait for a decision" in page
        assert client.get("/review?c=Busy+Oy").status_code == 200
        assert "T5:h0" in client.get("/review?c=Busy+Oy").text
        # a company page without a company goes back to the list
        assert client.get("/review", follow_redirects=False).status_code == 303
        token = csrf_of(client.get("/review?c=Busy+Oy").text)
        answer = client.post("/review?c=Busy+Oy", data={"csrf": token, "act": "approve:T5:h0"})
        assert "T5:h0: approved" in answer.text
        assert client.post("/review?c=Nope", data={"csrf": token}).status_code == 400


def test_the_logs_carry_no_user_or_client_names(console):
    import io

    from connector.core.logging import configure

    stream = io.StringIO()
    configure(json=True, level="DEBUG", stream=stream)
    try:
        console.login(password="wrong password!")
        console.login("nobody-such")
        console.login()
        token = console.csrf("/review")
        console.client.post(
            "/review", data={"csrf": token, "act": "approve:T5:h0", "note": "ok by phone"}
        )
        console.client.get("/document/inv:2026-04:SP-P0001")
    finally:
        configure()
    logged = stream.getvalue()
    assert "console_login_failed" in logged and "console_decision" in logged
    for secret in ("maija", "nobody-such", PASSWORD, "ok by phone", "Testi Henkilö"):
        assert secret not in logged
