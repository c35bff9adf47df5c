"""What a run leaves besides Netvisor: which quarantine entries it re-checked, and a run report
that cannot be written never undoes the run's outcome."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace

from connector.core.domain import Period, Quarantined
from connector.core.logging import configure
from connector.sync.outputs import not_rechecked_reason, rechecked_by

APRIL, MAY = Period.parse("2026-04"), Period.parse("2026-05")


def a_task(task_id: str, period: Period) -> SimpleNamespace:
    # completed on its period's last day at noon: never the day the test runs
    done = datetime.combine(period.last_day, datetime.min.time(), UTC).replace(hour=12)
    return SimpleNamespace(id=task_id, period=period, completed_at=done)


def periods(*tasks: SimpleNamespace) -> Callable[[str], Period | None]:
    return {t.id: t.period for t in tasks}.get


def test_master_data_is_rechecked_by_every_run_that_reads_it() -> None:
    assert rechecked_by(periods(), [], [], read_master=True)("customer", "C1")
    assert not rechecked_by(periods(), [], [], read_master=False)("product", "P1")


def test_a_task_is_rechecked_only_when_its_period_was_read() -> None:
    check = rechecked_by(
        periods(a_task("T1", MAY)), [MAY], [Quarantined("task", "T2", "r", "why")], read_master=True
    )
    assert check("task", "T1") and check("task", "T2")
    assert not check("task", "T3")


def test_a_line_is_rechecked_only_when_its_task_was_billed_this_run() -> None:
    check = rechecked_by(
        periods(a_task("T1", MAY), a_task("T0", APRIL)), [MAY], [], read_master=True
    )
    assert check("line", "T1:1")
    assert not check("line", "T0:1")  # read for corrections, not billed: its hold stands
    assert "--as-of" in not_rechecked_reason("line")
    assert not check("invalid_record", "x")


def test_a_report_that_cannot_be_written_is_a_note_not_a_failed_run(tmp_path) -> None:
    from connector.ledger import Ledger
    from connector.sync.outputs import after_run
    from connector.sync.report import RunReport

    configure(stream=io.StringIO())
    blocker = tmp_path / "file"
    blocker.write_text("x")
    config = SimpleNamespace(
        connector=SimpleNamespace(reports=blocker / "reports", language="fi"),
        alerts=SimpleNamespace(command=None, webhook_url=None),
    )
    with Ledger(tmp_path / "l.sqlite") as ledger:
        run_id = ledger.start_run("sync")
        report = RunReport(command="sync", run_id=run_id, today=datetime(2026, 5, 2).date())
        after_run(config, ledger, report)  # type: ignore[arg-type]
        assert ledger.report(run_id) is not None  # the ledger copy is kept all the same
    assert report.exit_code == 0
    assert any("could not be written" in n for n in report.notices)


def test_preparing_the_report_loads_its_modules_and_the_languages_number_forms() -> None:
    import sys

    from connector.sync.outputs import prepare_report
    from connector.texts.i18n import _money_form

    _money_form.cache_clear()
    for n, language in enumerate(("fi", "en"), start=1):
        config = SimpleNamespace(connector=SimpleNamespace(language=language))
        prepare_report(config)  # type: ignore[arg-type]
        assert "connector.texts.run_report" in sys.modules
        assert _money_form.cache_info().currsize == 2 * n  # positive and negative, per locale
