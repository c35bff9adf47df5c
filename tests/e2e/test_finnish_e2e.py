"""People read Finnish by default: a month run through the real CLI (over loopback, a real ledger
file) with ``language = "fi"`` prints no sentence of the English catalogue and none of a list of
English phrases the connector used to print; with ``language = "en"`` the English is there.

The month is the PSOP loop's April (tests/e2e/test_psop_loop.py): work above a voucher's grant
held for review, a task with an unknown product quarantined, PSOP's report imported with an
approval, a rejection and two differences, and the decisions billed when May closes.
"""

from __future__ import annotations

import re
import subprocess
import sys

from e2e.harness import task
from e2e.test_psop_loop import REPORT, april, write_report

from connector.texts.i18n import MESSAGES

#: English the commands printed before every text went through the catalogue (issue 19 §4)
ENGLISH_PHRASES = (
    "Held for review",
    "held for review",
    "decided:",
    "approved",
    "rejected",
    "PSOP by organiser and month",
    "exceed the quantity granted",
    "held for the organiser's review",
    "held for a person",
    "PSOP reconciliation",
    "Billed lines by PSOP state",
    "Differences",
    "what to do",
    "approved by PSOP's report",
    "credentials OK",
    "regions",
    "targets",
    "products",
    "warning",
    "records",
    "writes",
    "requests",
    "invoice ",
    "customer ",
    "product ",
    "task ",
    "line ",
    "sent",
    "confirmed",
    "partial",
    "Nothing",
    "nothing",
    "wrote",
    "error",
    "failed",
    "aborted",
    "OPEN DIFFERENCE",
    "ORGANISER",
    "VOUCHER",
    "SELF-PAY",
    "ACTION",
    "WHY",
)


def english_sentences() -> list[str]:
    """The fixed text of every English catalogue entry that differs from its Finnish one: each
    run of at least three words between its ``{fields}``, unless Finnish uses it too (a
    command line such as `connector quarantine list`)."""
    finnish = " ".join(m["fi"] for m in MESSAGES.values())
    out = set()
    for forms in MESSAGES.values():
        if forms["en"] == forms["fi"]:
            continue
        for part in re.split(r"\{\w+\}", forms["en"]):
            part = part.strip(" ,.:;()\n—-…")
            if len(part.split()) >= 3 and part not in finnish:
                out.add(part)
    return sorted(out)


def _clean(text: str, env) -> str:
    """Output without what is no text of ours: the temporary folder's name (pytest names it
    after the test), the sandboxes' addresses and file names (targets.toml)."""
    text = text.replace(str(env.tmp), "<tmp>").replace(str(env.tmp.parent), "<tmp>")
    text = re.sub(r"\w+\.toml", "<file>", text)
    # ledger export: the tables' own names (identifiers, as in the ledger and its files)
    text = re.sub(r"(siinä on: )[a-z_, ]+", r"\1<tables>", text)
    text = re.sub(
        r"(?m)^(\s*)[a-z_]+(: \d+ rivi\w* -> <tmp>/\w+/)[a-z_]+", r"\1<table>\2<table>", text
    )
    return re.sub(r"http://127\.0\.0\.1:\d+(/api)?", "<url>", text)


def month_in_cli(env) -> dict[str, str]:
    """Every command a person runs in a month, with what each printed (stdout and stderr)."""
    shown: dict[str, str] = {}

    def run(*args: str, stdin: str = "") -> None:  # stdin a pipe, never a terminal
        result = subprocess.run(
            env.cli_args(*args),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            env=env._env(None),
            cwd=env.tmp,
        )
        assert result.returncode in (0, 1, 2, 64), (args, result.stdout, result.stderr)
        key = _clean(" ".join(args), env)
        key += f" #{sum(k.startswith(key) for k in shown) + 1}" if key in shown else ""
        shown[key] = _clean(result.stdout + result.stderr, env)

    def demo() -> None:  # no --config: the demo writes its own, Finnish as every config
        command = [sys.executable, "-m", "connector", "demo"]
        result = subprocess.run(
            command, capture_output=True, text=True, env=env._env(None), cwd=env.tmp, timeout=300
        )
        assert result.returncode == 0, (result.stdout, result.stderr)
        shown["demo"] = _clean(result.stdout + result.stderr, env)

    run("check")
    run("check", "--online")
    run("plan", "--as-of", "2026-05-02")
    run("sync", "--as-of", "2026-05-02")
    run("status")
    run("quarantine", "list")
    run("review", "list")
    run("psop", "export", "--period", "2026-04", "--out", str(env.tmp / "april.csv"))
    report = write_report(env, REPORT)
    run("psop", "import", str(report), "--report-date", "2026-05-20")
    run("psop", "import", str(report), "--report-date", "2026-05-21")
    run("psop", "report", "--period", "2026-04")
    run("review", "list", "--all")
    run("review", "approve", "T4:h0", "NOPE:1")
    run("quarantine", "retry", "999")  # no such entry: a usage error on stderr
    run("sync", "--as-of", "2026-06-02")
    run("quarantine", "retry", "1", "--as-of", "2026-06-02")
    run("status")
    run("report")
    run("plan", "--as-of", "2026-06-02")
    # the ledger's and the console's own commands, and what they refuse
    run("ledger", "backup", str(env.tmp / "backup.sqlite"))
    run("ledger", "export", "--out", str(env.tmp / "export"))
    run("ledger", "export", "--out", str(env.tmp / "export"))  # not empty now: refused
    run("ledger", "export", "--table", "people", "--out", str(env.tmp / "other"))
    run("console", "--listen", "127.0.0.1:9")  # no users yet: refused before it listens
    run("console", "adduser", "maija", "--role", "decider", stdin="")
    run("console", "adduser", "maija", "--role", "decider", stdin="short\n")
    run("console", "adduser", "Maija M", "--role", "decider", stdin="pitkä salasana 123\n")
    run("console", "adduser", "maija", "--role", "decider", stdin="pitkä salasana 123\n")
    run("console", "adduser", "maija", "--role", "viewer", stdin="toinen salasana 456\n")
    run("console", "--listen", "ei-osoite")  # refused before it listens
    demo()
    return shown


def data() -> dict:
    month = april()
    month["tasks"].append(task("T9", "L0100", "2026-04-11", quantity="1", unit_price="20.00"))
    month["tasks"].append(task("T10", "L0001", "2026-04-12", hours="1.5", code="EI-OLE"))
    return month


def test_a_month_in_the_default_language_prints_no_english_sentence(make_env):
    env = make_env(data(), language="fi")
    shown = month_in_cli(env)
    sentences = english_sentences()
    assert len(sentences) > 100  # the check has teeth
    for command, text in shown.items():
        found = [s for s in sentences if s in text]
        assert not found, f"connector {command} printed English {found}:\n{text}"
        phrases = [p for p in ENGLISH_PHRASES if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text)]
        assert not phrases, f"connector {command} printed English {phrases}:\n{text}"

    # and it is Finnish: states, reasons, figures with decimal commas and Finnish dates
    assert "tarkastettavana: 2" in shown["sync --as-of 2026-05-02"]
    assert "tehtävän T4 3 h ylittää palvelusetelin VK-2026-0001" in shown["quarantine list"]
    assert "tehtävä T10: tuotekoodi puuttuu" in shown["quarantine list"]
    assert "lähetetty" in shown["status"] and "osittain" in shown["status"]
    assert "24.4.2026" in shown["review list"] and "45,00" in shown["review list"]
    imported = next(v for k, v in shown.items() if k.startswith("psop import") and "05-20" in k)
    assert "summa eroaa: 17.4.2026" in imported and "laskutettu 60,00" in imported
    assert "karanteenissa olevan tietueen" in shown["quarantine retry 1 --as-of 2026-06-02"]
    assert "ei avointa karanteenimerkintää" in shown["quarantine retry 999"]
    assert "Netvisor-kirjoituksia toisessa ajossa: 0" in shown["demo"]
    assert (
        "varmuuskopioitiin tiedostoon <tmp>/backup.sqlite"
        in shown["ledger backup <tmp>/backup.sqlite"]
    )
    exported = shown["ledger export --out <tmp>/export"]
    assert re.search(r"<table>: \d+ riviä", exported) and "taulua vietiin kansioon" in exported
    refused = shown["ledger export --out <tmp>/export #2"]
    assert "<tmp>/export ei ole tyhjä: anna uusi tai tyhjä kansio" in refused
    no_table = shown["ledger export --table people --out <tmp>/other"]
    assert "kirjanpidossa ei ole taulua people" in no_table
    assert "ei ole konsolin käyttäjiä" in shown["console --listen 127.0.0.1:9"]
    adduser = "console adduser maija --role decider"
    assert "syötteessä ei ole salasanaa" in shown[adduser]
    assert "vähintään 10 merkkiä" in shown[f"{adduser} #2"]
    assert "käyttäjänimessä on 1–32 merkkiä" in shown["console adduser Maija M --role decider"]
    assert "konsolin käyttäjä maija lisättiin: rooli decider" in shown[f"{adduser} #3"]
    assert "päivitettiin (uusi salasana ja rooli)" in shown["console adduser maija --role viewer"]
    assert (
        "valitsin --listen: odotettiin muotoa PALVELIN:PORTTI"
        in shown["console --listen ei-osoite"]
    )

    # the run report: Finnish states and reasons
    html = (env.tmp / "reports" / "1.html").read_text(encoding="utf-8")
    assert "osittain" in html and "lähetetty" in html
    assert "ylittää palvelusetelin" in html and "exceed the quantity" not in html


def test_english_on_request(make_env):
    env = make_env(data(), language="en")
    env.cli("sync", "--as-of", "2026-05-02")
    status = env.cli("status").stdout
    assert "Held for review: 2" in status and "PSOP by organiser and month" in status
    listed = env.cli("quarantine", "list").stdout
    assert "3 h of task T4 exceed the quantity granted by voucher VK-2026-0001" in listed
    review = env.cli("review", "list").stdout
    assert "2026-04-24" in review and "over_grant" in review


def test_a_broken_config_is_framed_in_finnish_and_names_file_line_and_key(make_env):
    env = make_env(data(), language="fi")
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(text.replace('log_level = "WARNING"', 'log_level = "LOUD"'))
    result = env.cli("check")
    assert result.returncode == 2
    assert "ongelma asetuksissa" in result.stderr  # "1 ongelma": singular
    assert "config.toml:" in result.stderr and "log_level" in result.stderr  # file:line: key
    assert "Mitään ei kirjoitettu. Korjaa yllä mainitut tiedostot" in result.stderr
    assert "Nothing was written" not in result.stderr
