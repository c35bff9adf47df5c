"""The progress line: on a terminal only, and only for a run that takes a while."""

from __future__ import annotations

import io

from connector.sync.report import terminal_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_progress_line_into_a_pipe_or_a_log_file():
    assert terminal_progress(io.StringIO()) is None


def test_a_short_run_shows_nothing():
    screen, clock = Terminal(), Clock()
    show = terminal_progress(screen, clock=clock)
    assert show is not None
    for i in range(1, 51):
        show("apply", i, 50)
        clock.now += 0.01  # half a second in all
    assert screen.getvalue() == ""


def test_a_long_run_shows_one_line_per_phase_redrawn_at_most_five_times_a_second():
    screen, clock = Terminal(), Clock()
    show = terminal_progress(screen, language="fi", clock=clock)
    assert show is not None
    clock.now += 1.5
    for i in range(1, 11):
        show("apply", i, 10)
        clock.now += 0.125
    drawn = screen.getvalue()
    assert drawn.startswith("\rlähetetään Netvisoriin: 1/10")
    assert drawn.endswith("\rlähetetään Netvisoriin: 10/10\n")  # the phase ends its line
    assert drawn.count("\r") == 6  # 1, 3, 5, 7, 9 and the last
    show("bill", 1, 3)
    assert screen.getvalue().endswith("\rlaskutetaan asiakkaita: 1/3")
