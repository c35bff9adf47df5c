"""The PSOP loop end to end over loopback: a month billed, the events exported, PSOP's report
imported (approvals, a rejection, a settled and a paid line, an amount difference, a row we did
not bill), the decisions billed on the next documents, and ``status`` showing the figures.

April on L0001 (KOTIHOITO 25,00 €/h, voucher VK-2026-0001 15,00 €/h, 20 h a month): T1 8 h,
T2 6 h, T3 4 h, T4 5 h (2 h within the grant, 3 h held), T5 2 h (held). The organiser's April
document bills 18 h + 2 h = 300,00 €; the client's April invoice 20 h x 10,00 € = 200,00 €.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

from e2e.harness import PERSON_NAMES, base_data, task

from connector.core.errors import EXIT_CONFIG, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE

D = Decimal
HEADER = "Tapahtumapäivä;Asiakasnumero;Ostovoima;Tuote;Määrä;Yksikköhinta;Summa;Tila"
REPORT = [
    HEADER,
    "3.4.2026;100001;VK-2026-0001;KOTIHOITO;8;25,00;120,00;Maksettu",
    "10.4.2026;100001;VK-2026-0001;KOTIHOITO;6;25,00;90,00;Tilitetty",
    "17.4.2026;100001;VK-2026-0001;KOTIHOITO;4;25,00;55,00;Hyväksytty",  # we billed 60,00
    "24.4.2026;100001;VK-2026-0001;KOTIHOITO;2;25,00;30,00;Hyväksytty",
    "24.4.2026;100001;VK-2026-0001;KOTIHOITO;3;25,00;45,00;Hyväksytty",  # the held 3 h: approved
    "28.4.2026;100001;VK-2026-0001;KOTIHOITO;2;25,00;30,00;Hylätty",  # the held 2 h: rejected
    "29.4.2026;100001;VK-2026-0001;KOTIHOITO;1;25,00;15,00;Kirjattu",  # we billed no such event
]


def april() -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0001", "2026-04-03", hours="8"),
        task("T2", "L0001", "2026-04-10", hours="6"),
        task("T3", "L0001", "2026-04-17", hours="4"),
        task("T4", "L0001", "2026-04-24", hours="5"),
        task("T5", "L0001", "2026-04-28", hours="2"),
        task("T6", "L0001", "2026-05-06", hours="2"),  # May's own work
    ]
    return data


def write_report(env, lines=REPORT, name="psop-raportti.csv"):
    path = env.tmp / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def organiser(status: dict, period: str) -> dict:
    (month,) = [m for m in status["psop"]["organisers"] if m["period"] == period]
    return month


def table_counts(env) -> dict[str, int]:
    with env.ledger() as ledger:
        return {
            name: ledger.db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0]
            for name in ("psop_reports", "psop_report_rows", "psop_line_states", "review_decisions")
        }


def test_a_month_billed_reconciled_with_psops_report_and_the_decisions_billed_next(make_env):
    env = make_env(april())
    env.sync("2026-05-02")  # April closed: its documents are built
    totals = env.totals()
    assert totals["org:2026-04:VANTAA-KERAVA"] == D("300.00")
    assert totals["inv:2026-04:SP-P0001"] == D("200.00")

    # the held work is listed for review, by PSOP customer number only
    listed = env.cli("review", "list", "--json", "--period", "2026-04")
    assert listed.returncode == EXIT_OK, listed.stderr
    held = {
        (i["date"], i["quantity"], i["voucher_share"], i["why"])
        for i in json.loads(listed.stdout)["review"]
    }
    assert json.loads(listed.stdout)["schema_version"] == 1
    assert held == {
        ("2026-04-24", "3", "45.00", "over_grant"),
        ("2026-04-28", "2", "30.00", "over_grant"),
    }

    # the events for PSOP: one row each, the held units as events of their own
    out = env.tmp / "april.csv"
    exported = env.cli("psop", "export", "--period", "2026-04", "--out", str(out))
    assert exported.returncode == EXIT_OK, exported.stderr
    text = out.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == [
        "3.4.2026",
        "100001",
        "VK-2026-0001",
        "KOTIHOITO",
        "8",
        "25,00",
        "120,00",
        "80,00",
    ]
    assert [(r[0], r[4], r[6]) for r in rows[1:]] == [
        ("3.4.2026", "8", "120,00"),
        ("10.4.2026", "6", "90,00"),
        ("17.4.2026", "4", "60,00"),
        ("24.4.2026", "2", "30,00"),
        ("24.4.2026", "3", "45,00"),
        ("28.4.2026", "2", "30,00"),
    ]
    assert not any(name in text for name in PERSON_NAMES)
    xlsx = env.cli(
        "psop",
        "export",
        "--period",
        "2026-04",
        "--format",
        "xlsx",
        "--out",
        str(env.tmp / "a.xlsx"),
    )
    assert xlsx.returncode == EXIT_OK and (env.tmp / "a.xlsx").read_bytes()[:2] == b"PK"

    # PSOP's report: states, decisions and differences
    report = write_report(env)
    imported = env.cli("psop", "import", str(report), "--report-date", "2026-05-20")
    assert imported.returncode == EXIT_PARTIAL, imported.stdout + imported.stderr  # differences
    assert "approved by PSOP's report" in imported.stdout
    assert "rejected by PSOP's report (bill_client)" in imported.stdout
    assert "amount_differs: 2026-04-17" in imported.stdout and "billed €60.00" in imported.stdout
    assert "in_psop_not_billed: 2026-04-29" in imported.stdout

    status = json.loads(env.cli("status", "--json").stdout)
    assert organiser(status, "2026-04") == {
        "region": "VANTAA-KERAVA",
        "period": "2026-04",
        "billed": "300.00",
        "approved": "295.00",  # 120 + 90 + 55 + 30
        "settled": "210.00",  # Tilitetty and Maksettu
        "paid": "120.00",
        "open_difference": "10.00",  # 55 - 60, and 15,00 PSOP has that we did not bill
        "differences": 2,
        "not_billed": "0.00",  # every share billing meant is on April's document in Netvisor
    }
    assert status["psop"]["review"] == {"held": 0, "approved": 1, "rejected": 1}

    # the same file again changes nothing
    before = table_counts(env)
    again = env.cli("psop", "import", str(report), "--report-date", "2026-05-21")
    assert again.returncode == EXIT_OK and "imported before" in again.stdout
    assert table_counts(env) == before
    assert json.loads(env.cli("status", "--json").stdout)["psop"] == status["psop"]

    # May closes: the approved share goes on the organiser's May document, the rejected hours
    # are billed to the client in full, the approved hours' self-pay too
    env.sync("2026-06-02")
    totals = env.totals()
    assert totals["org:2026-04:VANTAA-KERAVA"] == D("300.00")  # settled: never edited
    assert totals["org:2026-05:VANTAA-KERAVA"] == D("75.00")  # T6 30,00 + T4 -30,00 + 75,00
    assert totals["inv:2026-05:SP-P0001"] == D("100.00")  # T6 20 + T4 3 h x 10 + T5 2 h x 25
    may = env.invoice_by_key("org:2026-05:VANTAA-KERAVA")
    approved = [ln for ln in may["lines"] if "Hyväksytty tarkastuksessa" in (ln.get("name") or "")]
    assert approved and "työpäivä 24.4.2026" in json.dumps(may, ensure_ascii=False, default=str)

    status = json.loads(env.cli("status", "--json").stdout)
    assert organiser(status, "2026-04") == {
        "region": "VANTAA-KERAVA",
        "period": "2026-04",
        "billed": "345.00",  # with the approved 45,00
        "approved": "340.00",
        "settled": "210.00",
        "paid": "120.00",
        "open_difference": "10.00",
        "differences": 2,
        "not_billed": "0.00",
    }
    human = env.cli("status")
    assert "PSOP by organiser and month" in human.stdout and "€340.00" in human.stdout
    report_json = json.loads(env.cli("psop", "report", "--period", "2026-04", "--json").stdout)
    assert sorted(d["kind"] for d in report_json["differences"]) == [
        "amount_differs",
        "in_psop_not_billed",
    ]
    fields = ("date", "psop_customer_number", "voucher_id", "psop_product", "quantity")
    fields += ("state", "psop_amount", "billed_amount")
    # each billed event's state, identified as PSOP knows it (no internal line ids)
    assert [tuple(s[k] for k in fields) for s in report_json["states"]] == [
        ("2026-04-03", "100001", "VK-2026-0001", "KOTIHOITO", "8", "Maksettu", "120.00", "120.00"),
        ("2026-04-10", "100001", "VK-2026-0001", "KOTIHOITO", "6", "Tilitetty", "90.00", "90.00"),
        ("2026-04-17", "100001", "VK-2026-0001", "KOTIHOITO", "4", "Hyväksytty", "55.00", "60.00"),
        ("2026-04-24", "100001", "VK-2026-0001", "KOTIHOITO", "2", "Hyväksytty", "30.00", "30.00"),
        ("2026-04-24", "100001", "VK-2026-0001", "KOTIHOITO", "3", "Hyväksytty", "45.00", "45.00"),
    ]
    assert not any("line_id" in s for s in report_json["states"])
    text = env.cli("psop", "report", "--period", "2026-04").stdout
    head = next(line for line in text.splitlines() if line.startswith("DATE "))
    assert re.split(r"\s{2,}", head)[:6] == [
        "DATE",
        "PSOP CUSTOMER",
        "VOUCHER",
        "PRODUCT",
        "QUANTITY",
        "STATE",
    ]
    row = next(line for line in text.splitlines() if line.startswith("2026-04-10"))
    assert row.split()[:6] == [
        "2026-04-10",
        "100001",
        "VK-2026-0001",
        "KOTIHOITO",
        "6",
        "Tilitetty",
    ]
    assert "By state: Maksettu 1, Tilitetty 1, Hyväksytty 3" in text
    assert "T2:" not in text and "SP-P0001" not in text and PERSON_NAMES[0] not in text


def test_a_malformed_report_is_refused_with_file_row_and_column_and_nothing_is_recorded(make_env):
    env = make_env(april())
    env.sync("2026-05-02")
    before = table_counts(env)
    cases = {
        "missing column": [HEADER.replace(";Tila", ""), REPORT[1].rsplit(";", 1)[0]],
        "bad date": [HEADER, REPORT[1].replace("3.4.2026", "32.4.2026")],
        "bad number": [HEADER, REPORT[1].replace(";120,00;", ";12O,00;")],
        "comma separated": [
            HEADER.replace(";", ","),
            '3.4.2026,100001,VK-2026-0001,KOTIHOITO,8,"25,00","120,00",Maksettu',
        ],
        "unknown voucher": [HEADER, REPORT[1], REPORT[2].replace("VK-2026-0001", "VK-9999")],
    }
    expected = {
        "missing column": "row 1: column Tila: missing column",
        "bad date": "row 2: column Tapahtumapäivä:",
        "bad number": "row 2: column Summa:",
        "comma separated": "row 1: the fields are separated by ','",
        "unknown voucher": "row 3: column Ostovoima: unknown voucher 'VK-9999'",
    }
    for case, lines in cases.items():
        path = write_report(env, lines, name=f"{case.replace(' ', '-')}.csv")
        result = env.cli("psop", "import", str(path))
        assert result.returncode == EXIT_CONFIG, (case, result.stdout, result.stderr)
        assert f"{path.name}: {expected[case]}" in result.stderr, (case, result.stderr)
        assert "Traceback" not in result.stderr
        assert table_counts(env) == before, case


def test_a_person_approves_and_rejects_held_work_once(make_env):
    env = make_env(april())
    env.sync("2026-05-02")
    listed = json.loads(env.cli("review", "list", "--json").stdout)["review"]
    items = {i["date"]: i["id"] for i in listed}
    approve = env.cli("review", "approve", items["2026-04-24"], "--note", "sovittu puhelimessa")
    assert approve.returncode == EXIT_OK and "approved" in approve.stdout, approve.stderr
    twice = env.cli("review", "approve", items["2026-04-24"])
    assert "decided before" in twice.stdout
    # an id that names nothing is a wrong command line (64, as in `quarantine retry`): nothing
    # is decided, not even the right id beside it
    wrong = env.cli("review", "reject", items["2026-04-28"], "NOPE:1")
    assert wrong.returncode == EXIT_USAGE and "NOPE:1" in wrong.stderr, wrong.stderr
    assert len(json.loads(env.cli("review", "list", "--json").stdout)["review"]) == 1
    reject = env.cli("review", "reject", items["2026-04-28"])
    assert reject.returncode == EXIT_OK and "rejected" in reject.stdout, reject.stderr
    assert json.loads(env.cli("review", "list", "--json").stdout)["review"] == []
    decided = json.loads(env.cli("review", "list", "--all", "--json").stdout)["review"]
    assert {(i["decision"], i["effect"], i["note"]) for i in decided} == {
        ("approve", "approve", "sovittu puhelimessa"),
        ("reject", "bill_client", None),
    }
    env.sync("2026-05-03")  # before the settlement day: April's documents are rebuilt in place
    totals = env.totals()
    assert totals["org:2026-04:VANTAA-KERAVA"] == D("345.00")  # 300 + the approved 3 h x 15
    assert totals["inv:2026-04:SP-P0001"] == D("280.00")  # 200 + 3 h x 10 + 2 h x 25
