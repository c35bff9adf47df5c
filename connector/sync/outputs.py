"""What a run leaves for people besides Netvisor: the environment check before it starts, and
after it the run report (``reports/<run>.html`` / ``.csv``, a name-free copy in the ledger) and
the alert for new problems. Called by the engine; never fails a run that already finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from connector.core.config import Config
from connector.core.errors import FatalRunError
from connector.core.logging import get_logger
from connector.core.reasons import reason as worded
from connector.ledger import Ledger, ObjectKind
from connector.sync.doubt import HELD_KIND
from connector.sync.report import RunReport

log = get_logger("sync")


def environment(config: Config) -> dict[str, str]:
    """The Netvisor environment a config points at: host, customer id, organisation id."""
    nv = config.netvisor
    return {
        "netvisor_host": (urlsplit(nv.base_url).hostname or "").lower(),
        "netvisor_customer_id": nv.customer_id,
        "netvisor_organisation_id": nv.organisation_id,
    }


def check_binding(ledger: Ledger, config: Config, *, read_only: bool) -> None:
    """Refuse a ledger bound to another Netvisor environment; bind an unbound one on its first
    writing run. A ledger rehearsed against the test environment must never drive production
    (its keys and states describe other objects), nor the other way round."""
    here = environment(config)
    bound = ledger.binding()
    if bound is None:
        if not read_only:
            ledger.bind(here)
        return
    if bound != here:
        differ = ", ".join(
            f"{k.removeprefix('netvisor_')} {bound[k]!r} (ledger) vs {here[k]!r} (config)"
            for k in here
            if bound[k] != here[k]
        )
        raise FatalRunError(
            worded("ledger_environment", path=config.ledger_path, differ=differ),
            error_type="LEDGER_ENVIRONMENT",
        )


#: quarantine kinds every reading run reads in full (master data: no period)
MASTER_KINDS = frozenset({"customer", "collection", "target", "product"})


def rechecked_by(
    period_of: Callable[[str], Any],
    built: Iterable[Any],
    quarantined: Iterable[Any],
    *,
    read_master: bool,
) -> Callable[[str, str], bool]:
    """Which quarantine entries this run re-checked, so that passing now means resolved.

    ``period_of``: a task id -> the period of that task among the tasks this run read (None
    when it read no such task). Master data (customers, targets, products) is read whole by
    every run that reads it. A task is re-checked when its period was read (it is among the
    tasks, or quarantined again); a line, which billing judges, when its task's period was
    built. A document held for a document in doubt (``connector/sync/doubt.py``) by every run
    that bills: each one decides the holds afresh. Anything else was not re-checked and stays
    open.
    """
    built_periods = set(built)
    quarantined_tasks = {q.record_id for q in quarantined if q.kind == "task"}

    def rechecked(kind: str, record_id: str) -> bool:
        if kind in MASTER_KINDS:
            return read_master
        if kind == "task":
            return record_id in quarantined_tasks or period_of(record_id) is not None
        if kind == "line":
            period = period_of(record_id.split(":", 1)[0])
            return period is not None and period in built_periods
        if kind == HELD_KIND:
            return bool(built_periods)
        return False

    return rechecked


def not_rechecked_reason(kind: str) -> str:
    """Why an entry a run did not re-check was not re-checked (for ``quarantine retry``)."""
    if kind in MASTER_KINDS:
        return worded("not_rechecked_master")
    if kind == "line":
        return worded("not_rechecked_line")
    if kind == "task":
        return worded("not_rechecked_task")
    if kind == HELD_KIND:
        return worded("not_rechecked_held")
    return worded("not_rechecked_kind", kind=kind)


def after_run(config: Config, ledger: Ledger, report: RunReport) -> None:
    """Write the run report and announce new problems (a writing run only)."""
    if report.run_id is None:
        return
    try:
        write_run_report(config, ledger, report)
    except OSError as exc:
        report.notices.append(worded("report_not_written", error=exc.strerror))
        log.warning("report_not_written", error_type=type(exc).__name__)
    except Exception as exc:  # the run itself is done: a report bug must not undo its outcome
        report.notices.append(worded("report_not_rendered", error=type(exc).__name__))
        log.error("report_failed", error_type=type(exc).__name__)
    try:
        _alert(config, ledger, report)
    except Exception as exc:  # an alert never fails a run
        log.warning("alert_failed", error_type=type(exc).__name__)


def prepare_report(config: Config) -> None:
    """Loads what writing the run report needs (its modules, the language's number forms from
    Babel): a run does this while its last request is in flight, not after the answer."""
    from decimal import Decimal

    from connector.texts import alerts, run_report  # noqa: F401
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    t.money(Decimal(1))
    t.money(Decimal(-1))


def build_run_report(ledger: Ledger, report: RunReport) -> Any:
    from connector.sync.report import withheld_rows
    from connector.texts.report_data import build_report

    docs = report.document_rows
    keys = {d.key for d in docs}
    periods = {d.period for d in docs}  # not every invoice the ledger has ever kept
    rows = {
        o.key: o for o in ledger.objects(kind=ObjectKind.INVOICE, periods=periods) if o.key in keys
    }
    qids = {(q.kind, q.record_id, q.rule): q.id for q in ledger.quarantine()}
    return build_report(
        run_id=report.run_id,
        command=report.command,
        as_of=report.today,
        status=report.status,
        periods=report.built,
        documents=docs,
        quarantined=report.quarantined,
        held=report.held,
        ledger_rows=rows,
        quarantine_ids=qids,
        aborted=report.aborted,
        withheld=withheld_rows(report),
    )


def write_run_report(config: Config, ledger: Ledger, report: RunReport) -> None:
    from connector.texts.i18n import texts
    from connector.texts.run_report import write_report

    data = build_run_report(ledger, report)
    assert report.run_id is not None
    ledger.save_report(report.run_id, data.without_names().to_json())
    html_path, _ = write_report(data, config.connector.reports, texts(config.connector.language))
    report.report_file = html_path


def _alert(config: Config, ledger: Ledger, report: RunReport) -> None:
    from connector.ledger import LedgerState
    from connector.texts.alerts import announce, problems_of_run

    rejected = ledger.objects(states=[LedgerState.REJECTED])
    problems = problems_of_run(
        aborted=report.aborted,
        aborted_type=report.aborted_type,
        command=report.command,
        quarantined=ledger.quarantine(),  # what stands after the run, not only what it re-read
        held=report.held,
        rejected=rejected,
    )
    announce(
        ledger,
        config.alerts,
        report.run_id,
        report.status,
        problems,
        run_ok=not report.aborted,
        company=config.company,
    )
