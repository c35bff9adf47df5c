"""The run report an accountant opens: figures per billing customer and per organiser, problems
with what to do; one self-contained HTML file, escaped; a CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D
from types import SimpleNamespace

from connector.billing.documents import (
    VOUCHER_DEDUCTION,
    VOUCHER_SHARE,
    WORK,
    BilledLine,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
)
from connector.core.domain import Period, Quarantined
from connector.texts.i18n import Texts
from connector.texts.report_data import ReportData, WithheldRow, build_report
from connector.texts.run_report import render_csv, render_html, write_report

P = Period.parse("2026-01")
HOSTILE = "<script>alert('x')</script> Oy"


def line(amount: str, role: str, vat: str = "25.5", qty: str = "1") -> DocumentLine:
    q = D(qty)
    return DocumentLine("P1", "work", q, D(amount) / q, D(vat), "KOMY", D(amount), role, "t1:1")


def billed(key: str, amount: str, role: str, psop: str | None = None) -> BilledLine:
    return BilledLine(key, "t1:1", role, P, "v1", D("1"), D(amount), psop_customer_number=psop)


def client_invoice() -> InvoiceDocument:
    key = "inv:2026-01:C1"
    return InvoiceDocument(
        key=key,
        kind=DocumentKind.CUSTOMER_INVOICE,
        period=P,
        customer_code="C1",
        billing_customer_id="cust-1",
        invoice_date=date(2026, 2, 1),
        payment_term_days=14,
        lines=(line("100.00", WORK), line("-60.00", VOUCHER_DEDUCTION)),
        billed=(
            billed(key, "100.00", WORK, "PS-001"),
            billed(key, "-60.00", VOUCHER_DEDUCTION, "PS-001"),
        ),
        self_pay=D("30.00"),  # what the invoice's specification says
    )


def organiser_invoice() -> InvoiceDocument:
    key = "org:2026-01:R1"
    return InvoiceDocument(
        key=key,
        kind=DocumentKind.ORGANISER,
        period=P,
        customer_code="ORG-R1",
        billing_customer_id=None,
        invoice_date=date(2026, 2, 8),
        payment_term_days=14,
        lines=(line("60.00", VOUCHER_SHARE, vat="0"),),
        billed=(billed(key, "60.00", VOUCHER_SHARE, "PS-001"),),
    )


def sample(names: dict[str, str] | None = None) -> ReportData:
    return build_report(
        run_id=7,
        command="sync",
        as_of=date(2026, 2, 2),
        status="partial",
        periods=["2026-01"],
        documents=[client_invoice(), organiser_invoice()],
        quarantined=[Quarantined("task", "t9", "unknown_product", "product X has no mapping")],
        held=[Quarantined("line", "t1:2", "over_grant", "above the grant: held", ("t1",))],
        names=names if names is not None else {"cust-1": HOSTILE},
        ledger_rows={
            "inv:2026-01:C1": SimpleNamespace(
                netvisor_key="501", state="sent", netvisor_status="unsent"
            )
        },
        quarantine_ids={("task", "t9", "unknown_product"): 3},
        now=datetime(2026, 2, 2, 6, 30, tzinfo=UTC),
    )


def test_a_client_invoice_shows_net_vat_gross_voucher_share_and_self_pay() -> None:
    doc = sample().client_documents[0]
    # 100.00 at 25.5 % -> VAT 25.50; -60.00 -> VAT -15.30; per line, half up
    assert (doc.net, doc.vat, doc.gross) == (D("40.00"), D("10.20"), D("50.20"))
    # self-pay as the specification says; the client pays the whole invoice
    assert (doc.voucher, doc.self_pay, doc.client_pays) == (D("60.00"), D("30.00"), D("50.20"))
    assert (doc.lines, doc.held, doc.psop_numbers) == (2, 1, ("PS-001",))
    assert (doc.netvisor_key, doc.state) == ("501", "sent")


def test_an_organiser_section_carries_no_name_and_no_psop_number() -> None:
    org = sample().organiser_documents[0]
    assert (org.name, org.psop_numbers) == (None, ())
    assert (org.net, org.voucher, org.self_pay) == (D("60.00"), D("60.00"), D("0.00"))


def test_the_html_is_one_self_contained_page_with_every_value_escaped() -> None:
    page = render_html(sample(), Texts("fi"))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no external asset
    assert "<link" not in page and "@import" not in page
    assert "@media print" in page
    assert "Ajoraportti 7" in page and "2.2.2026" in page
    assert "50,20\u00a0€" in page and "60,00\u00a0€" in page
    assert "connector quarantine retry 3" in page  # what to do, with the quarantine id
    # self-pay and what the client pays are two columns, two figures
    assert "<th>Omavastuu</th><th>Asiakkaan maksettavaksi</th>" in page
    assert '30,00\u00a0€</td><td class="n">50,20\u00a0€' in page


def test_english_keeps_english_in_the_html() -> None:
    page = render_html(sample(), Texts("en"))
    assert "Run report 7" in page and "€50.20" in page and "2026-02-02" in page


def test_the_csv_in_finnish_is_semicolon_separated_with_decimal_commas() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(sample(), Texts("fi"))), delimiter=";"))
    head, client = rows[0], rows[1]
    got = dict(zip(head, client, strict=True))
    assert got["section"] == "customer" and got["gross"] == "50,20"
    assert (got["self_pay"], got["client_pays"]) == ("30,00", "50,20")
    assert got["name"] == HOSTILE  # names on client invoices, as the document itself carries
    sections = [r[0] for r in rows[1:]]
    assert sections == ["customer", "organiser", "quarantine", "review"]


def test_a_csv_cell_a_spreadsheet_would_run_is_defused() -> None:
    data = sample(names={"cust-1": '=HYPERLINK("http://x")'})
    rows = list(csv.reader(io.StringIO(render_csv(data, Texts("en")))))
    assert rows[1][4].startswith("'=")


def test_the_ledger_copy_has_no_names_and_round_trips() -> None:
    data = sample()
    stored = data.without_names().to_json()
    assert "script" not in stored
    back = ReportData.from_json(stored)
    assert back == data.without_names()
    assert back.client_documents[0].gross == D("50.20")


def test_the_ledger_copy_holds_every_field_of_every_row() -> None:
    import json
    from dataclasses import asdict

    data = sample()
    assert data.documents and data.problems
    data = replace(data, withheld=(WithheldRow("held_documents", 1, D("2.00"), None, ("k",)),))
    expected = json.dumps(asdict(data), default=str, sort_keys=True)
    assert json.loads(data.to_json()) == json.loads(expected)


def test_a_report_stored_before_the_split_reads_its_self_pay_as_what_the_client_pays() -> None:
    # reports stored before self-pay and "asiakkaan maksettavaksi" were two figures called the
    # invoice's gross "self_pay"
    import json

    raw = json.loads(sample().without_names().to_json())
    for d in raw["documents"]:
        d["self_pay"] = d.pop("client_pays") if d["kind"] == "customer_invoice" else "0.00"
        d.pop("client_pays", None)
    back = ReportData.from_json(json.dumps(raw)).client_documents[0]
    assert (back.self_pay, back.client_pays) == (D("0.00"), D("50.20"))


def test_the_report_files_are_written_atomically_side_by_side(tmp_path) -> None:
    html_path, csv_path = write_report(sample(), tmp_path / "reports", Texts("fi"))
    assert (html_path.name, csv_path.name) == ("7.html", "7.csv")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["7.csv", "7.html"]
    assert all((p.stat().st_mode & 0o077) == 0 for p in (html_path, csv_path))  # names inside


def test_withheld_money_is_a_section_of_its_own_with_amounts_and_round_trips() -> None:
    from connector.texts.report_data import WithheldRow

    data = build_report(
        run_id=7,
        command="sync",
        as_of=date(2026, 5, 20),
        status="ok",
        periods=["2026-04"],
        documents=[],
        withheld=[
            WithheldRow("deferred_corrections", 2, D("-20.00"), "2026-04"),
            WithheldRow(
                "held_documents", 1, D("514.25"), keys=("org:2026-11:VK",), reasons=("frozen",)
            ),
            WithheldRow("held_for_review", 3),
        ],
        now=datetime(2026, 5, 20, 8, tzinfo=UTC),
    )
    fi = Texts("fi")
    page = render_html(data, fi)
    assert "Pidätetty ja siirtynyt (ei laskutettu)" in page
    assert "-20,00\u00a0€" in page and "514,25\u00a0€" in page
    assert "org:2026-11:VK (frozen)" in page
    rows = list(csv.reader(io.StringIO(render_csv(data, fi)), delimiter=";"))
    withheld = [r for r in rows if r[0] == "withheld"]
    assert [r[15] for r in withheld] == [
        "deferred_corrections",
        "held_documents",
        "held_for_review",
    ]
    assert withheld[0][7] == "-20,00" and withheld[1][9] == "514,25" and withheld[2][9] == ""
    assert ReportData.from_json(data.to_json()) == data
