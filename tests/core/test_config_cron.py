"""A schedule's cron lines are judged without APScheduler when they are plain (start-up of
`connector check`), and that shortcut never accepts a line APScheduler would refuse: anything
else is still judged by building the trigger, with APScheduler's own message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.core.config import ScheduleSection
from connector.core.cron import cron_trigger, plainly_valid_crontab

REPO = Path(__file__).resolve().parents[2]

_BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 7)}


def _items(low: int, high: int) -> st.SearchStrategy[str]:
    """Items near the field's bounds, in every form APScheduler knows, and a few odd ones."""
    n = st.integers(min_value=max(0, low - 2), max_value=high + 2).map(str)
    return st.one_of(
        st.just("*"),
        n,
        n.map(lambda k: f"*/{k}"),
        st.tuples(n, n).map("-".join),
        st.tuples(n, n, n).map(lambda t: f"{t[0]}-{t[1]}/{t[2]}"),
        st.tuples(n, n).map("/".join),
        st.sampled_from(["mon", "sun", "MON", "jan", "xyz", "last", "mon-fri", "fri-mon"]),
        st.sampled_from(["", "٣", "+1", "-1", "1-", "*/", "0x1", "07", "00-05"]),
    )


_line = st.tuples(
    *(st.lists(_items(*b), min_size=1, max_size=3).map(",".join) for b in _BOUNDS.values())
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(_line)
def test_a_line_judged_plain_is_one_apscheduler_accepts(expr):
    if plainly_valid_crontab(expr):
        cron_trigger(expr, "UTC")  # raises if APScheduler refuses it


def _accepted(expr: str) -> bool:
    try:
        cron_trigger(expr, "UTC")
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("position", range(5), ids=list(_BOUNDS))
def test_for_single_values_ranges_and_steps_the_shortcut_agrees_with_apscheduler(position):
    low, high = list(_BOUNDS.values())[position]
    values = sorted({low - 1, low, low + 1, (low + high) // 2, high - 1, high, high + 1} - {-1})
    items = [str(v) for v in values] + [f"*/{v}" for v in values]
    items += [f"{a}-{b}" for a in values for b in values]
    for item in items:
        fields = ["*"] * 5
        fields[position] = item
        expr = " ".join(fields)
        assert plainly_valid_crontab(expr) == _accepted(expr), expr


@pytest.mark.parametrize(
    "expr",
    [
        "0 2 * * *",
        "30 6 * * *",
        "30 6 * * 1-5",
        "0 3 * * */2",
        "15 3 * * 0",
        "0 7 * * 1-5/2",
        "*/15 0-5,22-23 1,15 */3 7",
    ],
)
def test_plain_lines_need_no_apscheduler_to_judge(expr):
    assert plainly_valid_crontab(expr)
    cron_trigger(expr, "UTC")


@pytest.mark.parametrize(
    "expr",
    [
        "61 * * * *",
        "* 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "*/0 * * * *",
        "*/60 * * * *",
        "5-1 * * * *",
        "0 2 * * 8",
        "* * *",
        "0 2 * * * *",
        "0 2 * * mon-fri",  # names the user wrote: APScheduler reads them
        "0 2 L * *",
    ],
)
def test_anything_else_is_left_to_apscheduler(expr):
    assert not plainly_valid_crontab(expr)


def test_the_example_configs_schedule_is_plain():
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    section = text.split("[schedule]", 1)[1].split("\n[", 1)[0]
    lines = re.findall(r'^(?:master_data|invoicing) = "([^"]+)"', section, re.MULTILINE)
    assert lines
    assert all(plainly_valid_crontab(line) for line in lines)
    defaults = ScheduleSection.model_fields
    assert plainly_valid_crontab(defaults["master_data"].default)
    assert plainly_valid_crontab(defaults["invoicing"].default)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("61 * * * *", "Error validating expression '61'"),
        ("0 2 * * mon-fry", "mon-fry"),
        ("0 2 * * 9", "unsupported weekday item '9'"),
    ],
)
def test_a_line_that_is_not_plain_is_still_refused_with_apschedulers_reason(expr, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ScheduleSection(invoicing=expr)
