"""Every text the console shows is in the i18n catalogue, in Finnish and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.billing.documents import CAPITATION_FEE, VOUCHER_DEDUCTION, VOUCHER_SHARE, WORK
from connector.console import messages
from connector.psop.reconcile import DifferenceKind
from connector.texts.i18n import MESSAGES

HERE = Path(messages.__file__).resolve().parent
ROUTES = ("web.py", "login.py", "decisions.py", "psop_pages.py", "common.py", "views.py")
SOURCES = [*sorted((HERE / "templates").glob("*.html")), *(HERE / name for name in ROUTES)]


def test_every_console_text_has_finnish_and_english():
    for key, texts in messages.MESSAGES.items():
        assert key.startswith("console."), key
        assert texts["fi"] and texts["en"], key
        assert MESSAGES[key] is texts


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_key_a_template_or_view_names_is_in_the_catalogue(source):
    text = source.read_text(encoding="utf-8")
    keys = set(re.findall(r"""t\(\s*["']((?:console|col|report|quarantine)\.[a-z_.]+)["']""", text))
    keys |= set(re.findall(r"""["']((?:console)\.[a-z_]+\.[a-z_]+)["'] (?:if|else)""", text))
    missing = sorted(k for k in keys if k not in MESSAGES and not k.endswith("."))
    assert not missing, f"{source.name}: {missing}"


def test_the_keys_pages_build_from_values_exist():
    from connector.console.views import SEVERITY

    dynamic = (
        [f"console.todo.{what}" for what in SEVERITY]
        + [f"console.diff.{k.value}" for k in DifferenceKind]
        + [f"console.diff_todo.{k.value}" for k in DifferenceKind]
        + [
            f"console.state.{s}"
            for s in ("planned", "sending", "sent", "confirmed", "rejected", "unknown")
        ]
        + [
            f"console.balance.{s}"
            for s in ("paid", "partly_paid", "open", "overdue", "unsent", "credit", "unknown")
        ]
        + [
            f"console.line_role.{r}"
            for r in (WORK, VOUCHER_DEDUCTION, VOUCHER_SHARE, CAPITATION_FEE)
        ]
        + [
            f"console.line_role.correction_{r}"
            for r in (WORK, VOUCHER_DEDUCTION, VOUCHER_SHARE, CAPITATION_FEE)
        ]
        + [
            f"console.action.{a}"
            for a in (
                "review_approve",
                "review_reject",
                "quarantine_check",
                "quarantine_retry",
                "psop_import",
            )
        ]
        + [f"console.review.{d}" for d in ("approved", "rejected")]
        + [f"console.quarantine.{r}" for r in ("marked", "replanned", "unknown")]
        + [f"console.role.{r}" for r in ("viewer", "decider")]
        + [f"console.fleet.error.{e}" for e in ("no_ledger", "other")]
        + [f"console.decision.{d}" for d in ("approve", "reject")]
        + [f"console.effect.{e}" for e in ("approve", "bill_client", "write_off")]
        + [f"console.source.{s}" for s in ("review", "psop_report")]
    )
    assert sorted(k for k in dynamic if k not in MESSAGES) == []


def test_a_part_of_the_catalogue_cannot_override_another():
    from connector.texts.i18n import add_messages

    with pytest.raises(ValueError, match="already in the catalogue"):
        add_messages({"console.title": {"fi": "x", "en": "x"}})
