"""The PSOP file interchange: the event export, the settlement report import, reconciliation.

PSOP has no public provider API; providers enter or import events and download event and
settlement reports as files. ``export`` writes the month's events, ``report`` reads a report
(validated whole, untrusted), ``reconcile`` matches it to what was billed (pure), ``loop`` does
the commands' work over the ledger (``report_import`` a report's import, ``organiser_status``
each organiser's month). ``mappings/psop_report.toml`` is read by
``connector.mapping.psop_report``.

May import: core, mapping, billing and the ledger; never sync or anything above.
"""

from connector.mapping.psop_report import PSOP_REPORT, ReportMapping, load_report_mapping
from connector.psop.export import EXPORT_HEADERS, events_csv, events_xlsx, format_date_fi
from connector.psop.reconcile import (
    APPROVE,
    REJECT,
    Difference,
    DifferenceKind,
    ImportedReport,
    LineState,
    Reconciliation,
    ReviewDecision,
    reconcile,
    supersede,
)
from connector.psop.records import BilledOrganiserLine, EventRow, HeldItem, PsopState, ReportRow
from connector.psop.report import ReportError, ReportProblem, read_report

__all__ = [
    "APPROVE",
    "EXPORT_HEADERS",
    "PSOP_REPORT",
    "REJECT",
    "BilledOrganiserLine",
    "Difference",
    "DifferenceKind",
    "EventRow",
    "HeldItem",
    "ImportedReport",
    "LineState",
    "PsopState",
    "Reconciliation",
    "ReportError",
    "ReportMapping",
    "ReportProblem",
    "ReportRow",
    "ReviewDecision",
    "events_csv",
    "events_xlsx",
    "format_date_fi",
    "load_report_mapping",
    "read_report",
    "reconcile",
    "supersede",
]
