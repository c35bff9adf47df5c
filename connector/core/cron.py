"""Crontab lines for the daemon's schedules: a standard 5-field line as an APScheduler trigger.

Owns the translation of crontab's weekday numbering (Sunday = 0 or 7) to APScheduler's day names
(:func:`cron_trigger`) and the cheap check that a plain line is certainly valid without importing
APScheduler (:func:`plainly_valid_crontab`), which keeps ``connector check`` fast. The config's
``[schedule]`` section and the fleet's schedules validate their lines with it; the daemon builds
its triggers with it.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from connector.core.reasons import reason as worded

_CRON_WEEKDAYS = {
    "0": "sun",
    "1": "mon",
    "2": "tue",
    "3": "wed",
    "4": "thu",
    "5": "fri",
    "6": "sat",
    "7": "sun",
}


def cron_trigger(expr: str, timezone: str) -> Any:
    """An APScheduler CronTrigger from a standard 5-field crontab line.

    APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7). Numeric
    weekdays are translated to names so ``30 6 * * 1-5`` means Monday to Friday, as in cron.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(worded("cron_fields", value=repr(expr)))
    fields[4] = _crontab_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(timezone))


def _crontab_weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler day names: numeric items (``1-5``, ``*/2``,
    ``1-5/2``, ``5-7``) are expanded to the days crontab means (Sunday = 0 or 7), so a step
    counts from Sunday as in cron; named items (``mon-fri``) pass through."""
    days: list[str] = []
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        if base != "*" and not re.fullmatch(r"[0-7](-[0-7])?", base):
            if step_text or re.search(r"\d", base):
                raise ValueError(worded("cron_weekday_unsupported", item=repr(item)))
            days.append(item)  # a name or a name range
            continue
        if base == "*":
            if not step_text:
                days.append("*")
                continue
            first, last = 0, 6
        elif "-" in base:
            first, last = (int(x) for x in base.split("-"))
        else:
            first = int(base)
            last = 7 if step_text else first  # "a/n" runs to the end of the week, as in cron
        if step_text and not step_text.isdigit():
            raise ValueError(worded("cron_weekday_step", item=repr(item)))
        step = int(step_text) if step_text else 1
        if step < 1 or first > last:
            raise ValueError(worded("cron_weekday", item=repr(item)))
        days.extend(_CRON_WEEKDAYS[str(d)] for d in range(first, last + 1, step))
    if "*" in days:
        return "*"
    return ",".join(dict.fromkeys(days))


#: (lowest, highest) of the crontab fields minute, hour, day of month and month
_CRON_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12))
_WEEKDAY_NAMES = frozenset(_CRON_WEEKDAYS.values())


def plainly_valid_crontab(expr: str) -> bool:
    """Whether ``expr`` is certainly a valid crontab line for :func:`cron_trigger`, judged
    without APScheduler (whose import costs more than the rest of ``connector check``).

    Only plain forms count: each numeric field a comma list of ``*``, ``*/step``, ``n`` and
    ``n-m`` within the field's bounds, the weekday field anything :func:`_crontab_weekdays`
    turns into day names. False means "not certain", never "invalid": the caller then builds
    the trigger, which accepts or rejects it with APScheduler's own message. A property test
    checks that APScheduler accepts every expression this accepts.
    """
    fields = expr.split()
    if len(fields) != 5:
        return False
    try:
        weekdays = _crontab_weekdays(fields[4])
    except ValueError:
        return False
    if weekdays != "*" and not set(weekdays.split(",")) <= _WEEKDAY_NAMES:
        return False
    return all(
        _plain_cron_field(field, low, high)
        for field, (low, high) in zip(fields[:4], _CRON_BOUNDS, strict=True)
    )


def _plain_cron_field(field: str, low: int, high: int) -> bool:
    for item in field.split(","):
        if item == "*":
            continue
        if item.startswith("*/"):
            step = item[2:]
            if not (step.isascii() and step.isdigit() and 1 <= int(step) <= high - low):
                return False
            continue
        first, dash, last = item.partition("-")
        if not dash:
            last = first
        if not all(x.isascii() and x.isdigit() for x in (first, last)):
            return False
        if not low <= int(first) <= int(last) <= high:
            return False
    return True
