"""No log line ever carries a secret, a name, an address or a henkilötunnus."""

from __future__ import annotations

import io
import json
import re
from collections import namedtuple
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import structlog

from connector.core.logging import (
    MASK,
    configure,
    get_logger,
    redact,
    redact_text,
    redaction_processor,
)
from connector.core.secrets import Secret

TOKEN = "spotilla-token-8d2e1f0a"
CUSTOMER_KEY = "netvisor-customer-key-77c1"
HETU = "010190-123A"  # obviously fake (1 Jan 1990); the pattern is what counts


@pytest.fixture(autouse=True)
def _restore_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


@pytest.fixture
def secrets() -> frozenset[str]:
    Secret(TOKEN)
    Secret(CUSTOMER_KEY)
    return frozenset({TOKEN, CUSTOMER_KEY})


def process(**event: object) -> dict[str, object]:
    return dict(redaction_processor(None, "info", dict(event)))


def json_lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


# -- secrets ---------------------------------------------------------------------------------


def test_every_secret_value_is_masked_wherever_it_appears(secrets: frozenset[str]) -> None:
    event = process(
        event=f"login with {TOKEN}",
        url=f"https://api.example/?token={TOKEN}&x=1",
        headers={"X-Custom": f"Bearer {TOKEN}", "nested": [f"k={CUSTOMER_KEY}", ("a", TOKEN)]},
        values={TOKEN, "other"},
    )
    text = json.dumps(event, default=str)
    assert TOKEN not in text
    assert CUSTOMER_KEY not in text
    assert event["event"] == f"login with {MASK}"
    assert event["url"] == f"https://api.example/?token={MASK}&x=1"
    headers = event["headers"]
    assert isinstance(headers, dict)
    assert headers["X-Custom"] == f"Bearer {MASK}"
    assert headers["nested"] == [f"k={MASK}", ("a", MASK)]


def test_a_secret_object_is_masked_even_when_its_value_is_short() -> None:
    # Short values are not registered for text search, but the Secret itself is masked.
    assert process(value=Secret("abc"))["value"] == MASK
    assert redact([Secret("xy")]) == [MASK]


def test_a_secret_that_contains_another_is_masked_whole_whatever_the_order() -> None:
    # another company's (or an earlier test's) secret may be a part of this one
    inner, outer = "customer-key", "netvisor-customer-key-77c1"
    for order in ((inner, outer), (outer, inner)):
        secrets = frozenset(order)
        assert redact_text(f"401 for key {outer}", secrets) == f"401 for key {MASK}"
        assert redact_text(f"{inner} and {outer}", secrets) == f"{MASK} and {MASK}"


def test_a_secret_inside_an_exception_text_is_masked(secrets: frozenset[str]) -> None:
    exc = RuntimeError(f"401 for key {CUSTOMER_KEY}")
    event = process(error=exc)
    assert event["error"] == f"RuntimeError: 401 for key {MASK}"


def test_a_secret_in_a_logged_traceback_is_masked(secrets: frozenset[str]) -> None:
    buf = io.StringIO()
    configure(json=True, stream=buf)
    log = get_logger("test")
    try:
        raise PermissionError(f"Netvisor refused {CUSTOMER_KEY} for {HETU}")
    except PermissionError:
        log.exception("login_failed")
    (line,) = json_lines(buf)
    assert "PermissionError" in str(line["exception"])
    assert CUSTOMER_KEY not in buf.getvalue()
    assert HETU not in buf.getvalue()
    assert MASK in str(line["exception"])


def test_redaction_reaches_deep_nesting(secrets: frozenset[str]) -> None:
    deep: object = TOKEN
    for _ in range(15):
        deep = {"level": [deep]}
    assert TOKEN not in json.dumps(redact(deep), default=str)


def test_an_object_whose_repr_reveals_a_secret_is_masked(secrets: frozenset[str]) -> None:
    class Request:
        def __repr__(self) -> str:
            return f"<Request GET /customers?token={TOKEN}>"

    assert redact(Request()) == f"<Request GET /customers?token={MASK}>"


def test_harmless_values_keep_their_type() -> None:
    Point = namedtuple("Point", "x y")
    amount = Decimal("12.50")
    assert redact(amount) is amount
    assert redact(7) == 7
    assert redact(None) is None
    assert redact(True) is True
    assert redact(Point(1, "a")) == Point(1, "a")  # a namedtuple does not crash the logger
    assert redact((1, 2)) == (1, 2)


# -- personal data ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "name",
        "Name",
        "first_name",
        "lastname",
        "customer_name",
        "henkilötunnus",
        "henkilotunnus",
        "hetu",
        "address",
        "street_address",
        "email",
        "customer_email",
        "e_mail",
        "phone",
        "phone_number",
        "mobile",
        "password",
        "token",
        "customer_key",
        "partner_key",
        "authorization",
    ],
)
def test_values_of_personal_data_and_secret_keys_are_masked(key: str) -> None:
    assert process(**{key: "Maija Meikäläinen"})[key] == MASK
    assert redact({"customer": {key: "Maija Meikäläinen"}}) == {"customer": {key: MASK}}


def test_a_whole_nested_personal_record_is_masked_but_its_ids_survive() -> None:
    event = process(
        customer={
            "id": "C-1001",
            "name": "Maija Meikäläinen",
            "address": {"street": "Testikatu 1", "city": "Tampere"},
            "contacts": [{"email": "maija@example.invalid", "phone": "+358 40 000 0000"}],
        }
    )
    assert event["customer"] == {
        "id": "C-1001",
        "name": MASK,
        "address": MASK,
        "contacts": [{"email": MASK, "phone": MASK}],
    }


@pytest.mark.parametrize(
    "key",
    ["netvisor_key", "document_key", "object_key", "line_key", "key", "key_count", "customer_code"],
)
def test_identifier_keys_are_kept(key: str) -> None:
    assert process(**{key: "inv:2026-04:C1001:client"})[key] == "inv:2026-04:C1001:client"


def test_the_event_name_itself_is_never_masked_by_its_key() -> None:
    assert process(event="customer_created")["event"] == "customer_created"


@pytest.mark.parametrize(
    "hetu",
    [HETU, "010190+123A", "010105A123B", "311299-999Y", "010101Y123C", "010101B123D"],
)
def test_a_personal_identity_code_in_free_text_is_masked(hetu: str) -> None:
    text = f"task T1001 note: client {hetu}, see folder 42"
    assert redact_text(text, frozenset()) == f"task T1001 note: client {MASK}, see folder 42"
    assert process(note=text)["note"] == f"task T1001 note: client {MASK}, see folder 42"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("hetu:ID010190-123A.", f"hetu:ID{MASK}."),  # glued to a word
        ("(010105a123b)", f"({MASK})"),  # lower case
        ("ks. 010101U123C ja 010101F123D", f"ks. {MASK} ja {MASK}"),  # the 2023 century signs
        ("sähköposti matti.meikalainen@example.fi;", f"sähköposti {MASK};"),
        ("<Laskutus+Asiakas@Esimerkki.invalid>", f"<{MASK}>"),
    ],
)
def test_identity_codes_and_emails_are_masked_by_their_shape(text: str, masked: str) -> None:
    assert redact_text(text, frozenset()) == masked


@pytest.mark.parametrize(
    "text",
    [
        "invoice 2026-04 total 123,45 €",
        "ledger key inv:2026-04:SP-P0001 at 2026-04-03T12:00:00+03:00",
        "Y-tunnus 1234567-8",
        "transaction 20260401-123456",
        "order 123456-12",  # too short for a henkilötunnus
    ],
)
def test_ordinary_numbers_are_not_mistaken_for_identity_codes(text: str) -> None:
    assert redact_text(text, frozenset()) == text


# -- configure -------------------------------------------------------------------------------


def test_configure_json_emits_one_json_object_per_line(secrets: frozenset[str]) -> None:
    buf = io.StringIO()
    configure(json=True, stream=buf)
    log = get_logger("sync", run_id=7)
    log.info("document_sent", netvisor_key="NV-123", name="Maija Meikäläinen", note=HETU)
    log.warning("retrying", url=f"https://x/?t={TOKEN}")
    first, second = json_lines(buf)
    assert first["event"] == "document_sent"
    assert first["component"] == "sync"
    assert first["run_id"] == 7
    assert first["level"] == "info"
    # Helsinki time with its offset: ISO 8601, one unambiguous moment
    moment = datetime.fromisoformat(first["timestamp"])
    assert moment.utcoffset() == moment.astimezone(ZoneInfo("Europe/Helsinki")).utcoffset()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0[23]:00", first["timestamp"])
    assert first["netvisor_key"] == "NV-123"
    assert first["name"] == MASK
    assert first["note"] == MASK
    assert second["level"] == "warning"
    assert second["url"] == f"https://x/?t={MASK}"
    raw = buf.getvalue()
    assert "Meikäläinen" not in raw and HETU not in raw and TOKEN not in raw


def test_a_logger_made_before_configure_follows_it() -> None:
    log = get_logger("early")  # like a module-level logger created at import time
    buf = io.StringIO()
    configure(json=True, stream=buf)
    log.info("hello", password="hunter2-long")
    (line,) = json_lines(buf)
    assert line["component"] == "early"
    assert line["password"] == MASK


def test_the_level_filters_lower_events() -> None:
    buf = io.StringIO()
    configure(json=True, level="WARNING", stream=buf)
    log = get_logger("test")
    log.info("quiet")
    log.warning("loud")
    assert [line["event"] for line in json_lines(buf)] == ["loud"]


def test_the_console_format_is_readable_and_redacted(secrets: frozenset[str]) -> None:
    buf = io.StringIO()
    configure(json=False, stream=buf)
    get_logger("cli").info("checked", email="maija@example.invalid", token_hint=TOKEN)
    out = buf.getvalue()
    assert "checked" in out
    assert "component=cli" in out
    assert "maija@example.invalid" not in out
    assert TOKEN not in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_json_log_lines_carry_a_syslog_priority() -> None:
    """``journalctl -p err`` selects by priority: an error is 3, a warning 4, info 6."""
    out = io.StringIO()
    configure(json=True, stream=out)
    log = get_logger("test")
    log.error("boom")
    log.warning("hmm")
    log.info("fine")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["event"], x["priority"]) for x in lines] == [("boom", 3), ("hmm", 4), ("fine", 6)]


def test_under_journald_each_json_line_starts_with_its_priority_prefix() -> None:
    from connector.core.logging import journald_prefix, syslog_priority_processor

    render = journald_prefix(lambda _l, _m, ev: json.dumps(ev), enabled=True)
    event = syslog_priority_processor(None, "error", {"event": "boom", "level": "error"})
    line = render(None, "error", event)
    assert line.startswith("<3>{") and json.loads(line[3:])["event"] == "boom"


def test_a_stream_is_journald_only_when_journal_stream_names_it(tmp_path, monkeypatch) -> None:
    import os

    from connector.core.logging import writes_to_journal

    with open(tmp_path / "log", "w") as stream:
        st = os.fstat(stream.fileno())
        monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        assert not writes_to_journal(stream)
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert writes_to_journal(stream)
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino + 1}")
        assert not writes_to_journal(stream)
