"""No identity code and no e-mail address reaches a log line or the ledger, whatever Netvisor
writes in its error text: the sync's log output (console and JSON), its summary, and every text
column of the ledger file are read after Netvisor refused an invoice with a text full of them.
Masking is by pattern, not only of the values the failed request sent."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from e2e.harness import base_data, task

from connector.core.errors import EXIT_PARTIAL

AS_OF = "2026-05-02"
# henkilötunnus shapes: the 1900s and 2000s century signs (old and new), one glued to a word;
# none of them is anything the connector sent
IDENTITY_CODES = ("131052-308T", "010203A9876", "241299Y123H", "ID020304B123J")
EMAILS = ("matti.meikalainen@example.fi", "Laskutus+Asiakas@Esimerkki.invalid")
NETVISOR_TEXT = (
    "Asiakkaan henkilötunnus 131052-308T ei vastaa tietoja (aiemmin 010203A9876, 241299Y123H); "
    f"ilmoitettu sähköposti {EMAILS[0]} tai <{EMAILS[1]}>; viite ID020304B123J"
)


def work() -> dict[str, Any]:
    data = base_data()
    data["tasks"] = [task("T1", "L0001", "2026-04-03", hours="2")]
    return data


def ledger_texts(path: Any) -> str:
    """Every text value of every table of the ledger file."""
    db = sqlite3.connect(path)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = []
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                found.extend(str(v) for v in row if isinstance(v, str | bytes))
        return "\n".join(found)
    finally:
        db.close()


def leaked(text: str) -> list[str]:
    lowered = text.lower()
    return [t for t in (*IDENTITY_CODES, *EMAILS) if t.lower() in lowered]


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_a_netvisor_error_text_with_identity_codes_and_emails_is_masked_everywhere(
    make_env, log_format
):
    env = make_env(work())
    if log_format == "json":  # the daemon's form, at the most talkative level
        config = env.config_path.read_text().replace(
            'log_level = "WARNING"', 'log_level = "DEBUG"\nlog_format = "json"'
        )
        env.config_path.write_text(config)
    env.netvisor.inject(
        "invalid_data", resource="salesinvoice.nv", method="add", text=NETVISOR_TEXT
    )
    result = env.cli("sync", "--as-of", AS_OF)
    assert result.returncode == EXIT_PARTIAL, result.stdout + result.stderr
    output = result.stdout + result.stderr
    if log_format == "json":
        assert '"event"' in result.stderr  # JSON lines were written
    # the refusal is reported, with Netvisor's words around the masked tokens
    assert "ei vastaa tietoja" in output
    assert leaked(output) == []
    texts = ledger_texts(env.config.ledger_path)
    assert "ei vastaa tietoja" in texts, "Netvisor's text is kept, masked"
    assert leaked(texts) == []
    shown = env.cli("quarantine", "list").stdout + env.cli("status").stdout
    assert leaked(shown) == []
