"""Finnish texts of billing documents: month names, dates, what a correction is about and why."""

from __future__ import annotations

from datetime import date

from connector.billing.documents import (
    APPROVED_IN_REVIEW,
    CHANGED,
    DELETED,
    MISSING,
)
from connector.core.domain import Period

# the voucher-deduction line's name: generic, so the shared Netvisor product is too
VOUCHER_DEDUCTION_NAME = "Palvelusetelin osuus"
FI_MONTHS = (
    "tammikuu",
    "helmikuu",
    "maaliskuu",
    "huhtikuu",
    "toukokuu",
    "kesäkuu",
    "heinäkuu",
    "elokuu",
    "syyskuu",
    "lokakuu",
    "marraskuu",
    "joulukuu",
)
# a correction row's first word, by reason code
CORRECTION_WORD = {
    DELETED: "Hyvitys",
    CHANGED: "Oikaisu",
    MISSING: "Lisäys",
    APPROVED_IN_REVIEW: "Hyväksytty tarkastuksessa",
}
# a correction's reason code as the document states it ("syykoodi"): a Finnish word, as a person
# reading the invoice reads it; the machine code (DELETED, ...) stays in the billed line's
# ``reason_code``. See docs/domain.md section 10.
REASON_CODE_FI = {
    DELETED: "POISTETTU",
    CHANGED: "MUUTETTU",
    MISSING: "LISÄTTY",
    APPROVED_IN_REVIEW: "HYVÄKSYTTY",
}
CORRECTION_WHAT = {
    DELETED: "poistettu laskutuksen jälkeen",
    CHANGED: "muuttunut laskutuksen jälkeen",
    MISSING: "puuttui lukitulta laskulta",
    APPROVED_IN_REVIEW: "hyväksytty palvelunjärjestäjän tarkastuksessa",
}


def month_fi(period: Period) -> str:
    """``huhtikuu 2026``."""
    return f"{FI_MONTHS[period.month - 1]} {period.year}"


def task_of_line(line_id: str) -> str:
    return line_id.split(":", 1)[0]


def subject_fi(line_id: str, voucher_id: str | None) -> str:
    """What a correction is about, in Finnish: the task, or a voucher's capitation fee."""
    if line_id.startswith("capitation:"):
        return f"kapitaatiokorvaus, seteli {voucher_id}"
    return f"tehtävä {task_of_line(line_id)}"


def date_fi(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"
