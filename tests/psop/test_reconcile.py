"""Reconciliation: PSOP's report against what we billed the organiser and what we hold."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from connector.psop import (
    APPROVE,
    REJECT,
    BilledOrganiserLine,
    DifferenceKind,
    HeldItem,
    ImportedReport,
    PsopState,
    ReportRow,
    reconcile,
    supersede,
)

DOC = "org:2026-04:VANTAA-KERAVA"


def billed(
    line_id: str, day: int, qty: str, amount: str, number: str = "100001"
) -> BilledOrganiserLine:
    return BilledOrganiserLine(
        DOC, line_id, number, "VK-1", date(2026, 4, day), "KOTIHOITO", Decimal(qty), Decimal(amount)
    )


def row(
    n: int, day: int, qty: str, amount: str, state: PsopState, number: str = "100001"
) -> ReportRow:
    return ReportRow(
        n,
        date(2026, 4, day),
        number,
        "VK-1",
        "KOTIHOITO",
        Decimal(qty),
        Decimal("45"),
        Decimal(amount),
        state,
    )


def report(day: int, *rows: ReportRow) -> ImportedReport:
    return ImportedReport(date(2026, 5, day), rows)


HELD = HeldItem(
    "T9:1",
    "2026-04",
    "100001",
    "VK-1",
    date(2026, 4, 28),
    "KOTIHOITO",
    Decimal(4),
    Decimal("60.00"),
    Decimal("120.00"),
    "over_grant",
)


def test_a_matched_line_gets_the_reports_state_and_date():
    result = reconcile(
        [report(6, row(2, 7, "2", "30.00", PsopState.MAKSETTU))], [billed("T1:1", 7, "2", "30.00")]
    )
    (state,) = result.states
    assert (state.line_id, state.state, state.report_date) == (
        "T1:1",
        PsopState.MAKSETTU,
        date(2026, 5, 6),
    )
    assert result.differences == ()


def test_an_amount_that_differs_is_listed_with_both_figures():
    result = reconcile(
        [report(6, row(2, 7, "2", "28.00", PsopState.TILITETTY))], [billed("T1:1", 7, "2", "30.00")]
    )
    (diff,) = result.differences
    assert (diff.kind, diff.billed_amount, diff.psop_amount) == (
        DifferenceKind.AMOUNT_DIFFERS,
        Decimal("30.00"),
        Decimal("28.00"),
    )
    assert "billed 30,00 €" in diff.describe() and "PSOP 28,00 €" in diff.describe()
    assert "unit value" in diff.what_to_do


def test_an_event_in_psop_that_we_did_not_bill_is_listed():
    result = reconcile(
        [report(6, row(2, 9, "1", "15.00", PsopState.KIRJATTU, number="100777"))], []
    )
    (diff,) = result.differences
    assert (diff.kind, diff.psop_customer_number, diff.billed_amount) == (
        DifferenceKind.NOT_BILLED,
        "100777",
        None,
    )


def test_a_billed_line_psop_does_not_have_is_listed_for_the_months_the_report_covers():
    result = reconcile(
        [report(6, row(2, 7, "2", "30.00", PsopState.MAKSETTU))],
        [billed("T1:1", 7, "2", "30.00"), billed("T2:1", 21, "1", "15.00")],
    )
    (diff,) = result.differences
    assert (diff.kind, diff.line_id, diff.psop_amount) == (DifferenceKind.NOT_IN_PSOP, "T2:1", None)


def test_a_rejected_billed_line_is_a_difference_and_keeps_its_state():
    result = reconcile(
        [report(6, row(2, 7, "2", "30.00", PsopState.HYLATTY))], [billed("T1:1", 7, "2", "30.00")]
    )
    assert [d.kind for d in result.differences] == [DifferenceKind.REJECTED]
    assert result.states[0].state is PsopState.HYLATTY


def test_psop_approving_held_work_decides_the_review_item():
    approved = reconcile([report(6, row(3, 28, "4", "60.00", PsopState.HYVAKSYTTY))], [], [HELD])
    assert [(d.item_id, d.decision) for d in approved.decisions] == [("T9:1", APPROVE)]
    rejected = reconcile([report(6, row(3, 28, "4", "0.00", PsopState.HYLATTY))], [], [HELD])
    assert [(d.item_id, d.decision) for d in rejected.decisions] == [("T9:1", REJECT)]
    waiting = reconcile(
        [report(6, row(3, 28, "4", "60.00", PsopState.TARKASTETTAVANA))], [], [HELD]
    )
    assert (waiting.decisions, waiting.pending_review, waiting.differences) == ((), ("T9:1",), ())


def test_two_equal_events_pair_with_two_billed_lines_in_order():
    result = reconcile(
        [
            report(
                6,
                row(2, 7, "1", "15.00", PsopState.MAKSETTU),
                row(3, 7, "1", "15.00", PsopState.HYLATTY),
            )
        ],
        [billed("T1:1", 7, "1", "15.00"), billed("T1:2", 7, "1", "15.00")],
    )
    assert [(s.line_id, s.state) for s in result.states] == [
        ("T1:1", PsopState.MAKSETTU),
        ("T1:2", PsopState.HYLATTY),
    ]


def test_a_later_report_supersedes_an_earlier_one_line_by_line():
    early = report(
        6,
        row(2, 7, "2", "30.00", PsopState.HYVAKSYTTY),
        row(3, 14, "1", "15.00", PsopState.KIRJATTU),
    )
    late = report(20, row(2, 7, "2", "30.00", PsopState.MAKSETTU))
    result = reconcile(
        [late, early], [billed("T1:1", 7, "2", "30.00"), billed("T2:1", 14, "1", "15.00")]
    )
    by_line = {s.line_id: (s.state, s.report_date) for s in result.states}
    assert by_line == {
        "T1:1": (PsopState.MAKSETTU, date(2026, 5, 20)),  # the later report's word
        "T2:1": (PsopState.KIRJATTU, date(2026, 5, 6)),  # the later report says nothing of it
    }


def test_supersede_keeps_the_later_import_of_the_same_date():
    first = report(6, row(2, 7, "2", "30.00", PsopState.HYVAKSYTTY))
    second = report(6, row(2, 7, "2", "30.00", PsopState.TILITETTY))
    assert [r.state for _, r in supersede([first, second])] == [PsopState.TILITETTY]


def test_periods_limit_both_sides():
    result = reconcile(
        [report(6, row(2, 7, "2", "30.00", PsopState.MAKSETTU))],
        [billed("T1:1", 7, "2", "30.00")],
        periods={"2026-03"},
    )
    assert (result.states, result.differences) == ((), ())


def test_when_granted_and_held_units_look_alike_the_rejected_row_goes_to_the_held_ones():
    same = HeldItem(
        "T9:1",
        "2026-04",
        "100001",
        "VK-1",
        date(2026, 4, 7),
        "KOTIHOITO",
        D(2),
        D("30.00"),
        D("20.00"),
        "over_grant",
    )
    result = reconcile(
        [
            report(
                6,
                row(2, 7, "2", "30.00", PsopState.HYLATTY),
                row(3, 7, "2", "30.00", PsopState.HYVAKSYTTY),
            )
        ],
        [billed("T9:1", 7, "2", "30.00")],
        [same],
    )
    assert [(s.line_id, s.state) for s in result.states] == [("T9:1", PsopState.HYVAKSYTTY)]
    assert [(d.item_id, d.decision) for d in result.decisions] == [("T9:1", REJECT)]
    assert result.differences == ()


@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 8), st.sampled_from(list(PsopState))),
        max_size=12,
    )
)
def test_a_report_that_says_exactly_what_we_billed_differs_only_where_psop_rejected(events):
    lines = [
        billed(f"T{i}:h0", day, str(qty), f"{qty * 15}.00")
        for i, (day, qty, _) in enumerate(events)
    ]
    rows = [
        row(i + 2, day, str(qty), f"{qty * 15}.00", state)
        for i, (day, qty, state) in enumerate(events)
    ]
    result = reconcile([report(6, *rows)], lines)
    assert sorted(s.line_id for s in result.states) == sorted(ln.line_id for ln in lines)
    rejected = sum(1 for _, _, state in events if state is PsopState.HYLATTY)
    assert [d.kind for d in result.differences] == [DifferenceKind.REJECTED] * rejected


def test_psop_report_lists_each_event_by_what_psop_knows_of_it():
    # `psop report` shows an event as PSOP does: customer number, voucher, date, product,
    # quantity; never the internal line id of the task line behind it
    import io

    from connector.cli.psop import print_event_states
    from connector.texts.i18n import Texts

    result = reconcile(
        [
            report(
                6,
                row(1, 7, "2", "30.00", PsopState.TILITETTY, number="100002"),
                row(2, 3, "1", "15.00", PsopState.MAKSETTU),
                row(3, 28, "4", "60.00", PsopState.TARKASTETTAVANA),
            )
        ],
        [billed("T1:1", 7, "2", "30.00", number="100002"), billed("T2:1", 3, "1", "16.00")],
        [HELD],
    )
    assert result.pending_items == (HELD,)
    out = io.StringIO()
    print_event_states(result, Texts("fi"), out)
    text = out.getvalue()
    lines = [line.split() for line in text.splitlines() if line]
    head = "PÄIVÄ ASIAKASNUMERO OSTOVOIMA TUOTE MÄÄRÄ TILA RAPORTTI PSOP LASKUTETTU"
    assert lines[1] == head.split()
    # soonest first; amounts and dates in Finnish form
    assert (
        " ".join(lines[3]) == "3.4.2026 100001 VK-1 KOTIHOITO 1 Maksettu 6.5.2026 15,00 € 16,00 €"
    )
    assert (
        " ".join(lines[4]) == "7.4.2026 100002 VK-1 KOTIHOITO 2 Tilitetty 6.5.2026 30,00 € 30,00 €"
    )
    assert "Tiloittain: Maksettu 1, Tilitetty 1" in text
    assert "Järjestäjän tarkastettavana" in text
    assert "28.4.2026  100001         VK-1       KOTIHOITO  4" in text
    assert "T1:1" not in text and "T2:1" not in text and "T9:1" not in text
