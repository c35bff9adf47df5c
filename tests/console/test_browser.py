"""The console in a real browser: headless Chromium driven by Selenium, Debian's ``chromium`` and
``chromium-driver`` (the driver's path given, so nothing is downloaded). The console is served
by uvicorn over loopback on a ledger real syncs filled (Finnish, the default language).

The browser logs in, approves a held item with a note, sees the decision on the month-close
page after the next sync, uploads PSOP's report, and follows a document line to its task and
PSOP state. Every page is saved as a screenshot: into ``$CONSOLE_SCREENSHOTS`` when set, else
under pytest's temporary folder.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from console.conftest import PASSWORD, add_users, april, report_bytes

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = next(
    (Path(p) for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()),
    None,
)


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if CHROMIUM is None or not CHROMEDRIVER.exists():
        return (
            "Debian's chromium and chromium-driver are not installed "
            "(apt-get update && apt-get install -y chromium chromium-driver)"
        )
    return None


pytestmark = [pytest.mark.e2e, pytest.mark.skipif(_missing() is not None, reason=str(_missing()))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(make_env) -> Iterator[tuple[Any, str]]:
    """The console over a synced Finnish ledger, served by uvicorn in a thread."""
    from connector.console.server import _server, build_app

    env = make_env(april(), language="fi")
    env.sync("2026-05-02")
    add_users(env)
    port = _free_port()
    app = build_app([("Demo Oy", env.config)], env.config.console.users_file, "127.0.0.1", port)
    server = _server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield env, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=fi-FI",
    ):
        options.add_argument(arg)
    # The browser keeps the machine's own clock: CI's calendar runs fake the test processes'
    # clock with libfaketime (LD_PRELOAD), which Chromium's processes do not survive. Nothing
    # here depends on the browser's clock (the console's cookies carry Max-Age, not a date).
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "LD_PRELOAD" and not k.startswith(("FAKETIME", "DONT_FAKE"))
    }
    service = Service(executable_path=str(CHROMEDRIVER), env=env)
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(driver: Any, folder: Path, name: str) -> Path:
    """A full-page screenshot: the window grows to the page's height first."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, min(int(height) + 100, 6000)))
    path = folder / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot {path}"
    driver.set_window_size(1400, 1000)
    return path


def _text_appears(driver: Any, text: str) -> str:
    """The page's main text once ``text`` is in it (the form's answer has loaded)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d: Any) -> str | bool:
        try:
            main = d.find_element(By.TAG_NAME, "main").text
        except Exception:  # the old page went away under us: look again
            return False
        return main if text in main else False

    return WebDriverWait(driver, 15).until(found)


def test_a_person_closes_a_month_in_the_browser(served, browser, shots, tmp_path):
    from selenium.webdriver.common.by import By

    env, base = served
    b = browser

    # the login page; a wrong password first
    b.get(f"{base}/review")
    assert "Kirjaudu sisään" in b.title
    _shoot(b, shots, "01-login")
    b.find_element(By.ID, "name").send_keys("maija")
    b.find_element(By.ID, "password").send_keys("not the password")
    b.find_element(By.ID, "login").click()
    _text_appears(b, "Väärä käyttäjätunnus tai salasana")
    b.find_element(By.ID, "name").send_keys("maija")
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    b.find_element(By.ID, "login").click()
    _text_appears(b, "Tarkistettavat")

    # back where the browser was going: the review queue; approve one item with a note
    assert b.current_url.endswith("/review"), b.page_source[:3000]
    assert "T5:h0" in b.find_element(By.ID, "held").text
    _shoot(b, shots, "02-review")
    b.find_element(By.ID, "note").send_keys("järjestäjä hyväksyi puhelimessa")
    b.find_element(By.CSS_SELECTOR, 'button[value="approve:T5:h0"]').click()
    _text_appears(b, "T5:h0: hyväksytty")
    decided = b.find_element(By.ID, "decided").text
    assert "maija" in decided and "järjestäjä hyväksyi puhelimessa" in decided
    _shoot(b, shots, "03-review-decided")

    # the next sync bills it; the month close shows the decision and the documents
    env.sync("2026-05-03")
    b.find_element(By.LINK_TEXT, "Kuukauden päätös").click()
    main = b.find_element(By.TAG_NAME, "main").text
    assert "Kuukauden päätös 2026-04" in main
    assert "org:2026-04:VANTAA-KERAVA" in main
    decided = b.find_element(By.ID, "decided").text
    assert "T5:h0" in decided and "maija" in decided
    _shoot(b, shots, "04-month-close")

    # PSOP: upload the organiser's report
    report = tmp_path / "psop-raportti.csv"
    report.write_bytes(report_bytes())
    b.find_element(By.LINK_TEXT, "PSOP").click()
    b.find_element(By.ID, "report-file").send_keys(str(report))
    b.find_element(By.ID, "import-button").click()
    _text_appears(b, "Tuotu 4 riviä")
    assert "summa eroaa" in b.find_element(By.ID, "differences").text
    _shoot(b, shots, "05-psop")

    # a document line to its task and PSOP state
    b.find_element(By.LINK_TEXT, "Kuukauden päätös").click()
    b.find_element(By.LINK_TEXT, "org:2026-04:VANTAA-KERAVA").click()
    lines = b.find_element(By.ID, "lines").text
    assert "Maksettu" in lines and "100001" in lines
    assert "SP-P0001" not in b.find_element(By.TAG_NAME, "main").text
    _shoot(b, shots, "06-document")
    b.find_element(By.LINK_TEXT, "T1").click()
    assert "Spotilla-tehtävä T1" in b.find_element(By.TAG_NAME, "h1").text
    assert "Maksettu" in b.find_element(By.ID, "task-lines").text
    _shoot(b, shots, "07-task")

    # the client's invoice, the quarantine and the runs
    b.get(f"{base}/document/inv:2026-04:SP-P0001")
    assert "Asiakaslasku" in b.find_element(By.TAG_NAME, "h1").text
    _shoot(b, shots, "08-client-invoice")
    b.find_element(By.LINK_TEXT, "Karanteeni").click()
    _shoot(b, shots, "09-quarantine")
    b.find_element(By.LINK_TEXT, "Ajot").click()
    assert "Ajohistoria" in b.find_element(By.TAG_NAME, "main").text
    _shoot(b, shots, "10-runs")

    # log out: the pages are closed again
    b.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    b.get(f"{base}/")
    assert "Kirjaudu sisään" in b.title
    for name in ("01-login", "04-month-close", "06-document", "07-task"):
        assert (shots / f"{name}.png").stat().st_size > 10_000


def test_a_viewer_in_the_browser_has_no_decide_buttons(served, browser):
    from selenium.webdriver.common.by import By

    _, base = served
    b = browser
    b.get(f"{base}/login")
    b.find_element(By.ID, "name").send_keys("ville")
    b.find_element(By.ID, "password").send_keys(PASSWORD)
    b.find_element(By.ID, "login").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # the login's answer (its session cookie) must arrive before the next page is asked for
    WebDriverWait(b, 15).until(lambda d: "/login" not in d.current_url)
    b.get(f"{base}/review")
    assert "T5:h0" in b.find_element(By.ID, "held").text
    assert not b.find_elements(By.CSS_SELECTOR, 'button[value^="approve"]')
    assert "et voi päättää" in b.find_element(By.TAG_NAME, "main").text
