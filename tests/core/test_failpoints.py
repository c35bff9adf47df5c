"""Named crash points: inert unless CONNECTOR_FAILPOINTS names them, then a SIGKILL on the nth hit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from connector.core import failpoints
from connector.core.failpoints import ENV, _parse, hit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record would-be kills instead of dying; fresh hit counts for every test."""
    recorded: list[tuple[int, int]] = []
    monkeypatch.setattr(failpoints, "_hits", Counter())
    monkeypatch.setattr(failpoints.os, "kill", lambda pid, sig: recorded.append((pid, sig)))
    return recorded


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("after_sending", [("after_sending", None, 1)]),
        ("after_sending:invoice", [("after_sending", "invoice", 1)]),
        ("after_answer:invoice@2", [("after_answer", "invoice", 2)]),
        ("x@3", [("x", None, 3)]),
        (
            " after_sending:invoice , after_answer:customer@2 ,",
            [("after_sending", "invoice", 1), ("after_answer", "customer", 2)],
        ),
        ("", []),
        (",,", []),
    ],
)
def test_parse(spec: str, parsed: list[tuple[str, str | None, int]]) -> None:
    assert _parse(spec) == parsed


def test_nothing_happens_and_nothing_is_counted_when_unset(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    for _ in range(5):
        hit("after_sending", "invoice")
    assert kills == []
    assert failpoints._hits == Counter()


def test_an_empty_setting_is_unset(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "")
    hit("after_sending", "invoice")
    assert kills == []


def test_the_nth_matching_hit_kills_with_sigkill(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "after_answer:invoice@2")
    hit("after_answer", "invoice")
    assert kills == []
    hit("after_answer", "customer")  # another kind does not count
    hit("after_sending", "invoice")  # another point does not count
    assert kills == []
    hit("after_answer", "invoice")
    assert kills == [(os.getpid(), signal.SIGKILL)]
    hit("after_answer", "invoice")  # only the nth, not every hit after it
    assert len(kills) == 1


def test_without_a_kind_every_kind_counts(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "after_sending@3")
    hit("after_sending", "customer")
    hit("after_sending", "product")
    assert kills == []
    hit("after_sending", "invoice")
    assert kills == [(os.getpid(), signal.SIGKILL)]


def test_a_kind_in_the_setting_does_not_match_a_hit_without_kind(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "after_sending:invoice")
    hit("after_sending")
    assert kills == []
    hit("after_sending", "invoice")
    assert len(kills) == 1


def test_one_of_several_points_fires(
    kills: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "after_sending:invoice@5,after_answer:customer")
    hit("after_answer", "customer")
    assert len(kills) == 1


def run_child(code: str, spec: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    if spec is not None:
        env[ENV] = spec
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


CHILD = """\
from connector.core.failpoints import hit
hit("x", "invoice")
print("after first", flush=True)
hit("x", "customer")
hit("x", "invoice")
print("after second", flush=True)
"""


def test_a_child_process_dies_by_sigkill_on_the_second_hit() -> None:
    child = run_child(CHILD, "x:invoice@2")
    assert child.returncode == -signal.SIGKILL == -9, child.stderr
    assert child.stdout.splitlines() == ["after first"]


def test_a_child_process_without_the_setting_runs_to_the_end() -> None:
    child = run_child(CHILD, None)
    assert child.returncode == 0, child.stderr
    assert child.stdout.splitlines() == ["after first", "after second"]
