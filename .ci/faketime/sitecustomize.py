"""Loaded only by the calendar runs of .ci/run (PYTHONPATH=.ci/faketime), never by the product.

Debian 12's libfaketime 0.9.10 cannot fake the wall clock of Python 3.11+ on its own:
- faking the monotonic clock too hangs every timed lock wait (Python waits with
  sem_clockwait(CLOCK_MONOTONIC), which libfaketime does not intercept), so the runs set
  FAKETIME_DONT_FAKE_MONOTONIC=1;
- with the monotonic clock left alone, its clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) shifts
  the deadline by the fake offset and every time.sleep() fails with EINVAL
  (wolfcw/libfaketime issue 426, fixed after 0.9.10).
So time.sleep waits on a timed event instead, which uses the real monotonic clock. PYTHONPATH
is inherited, so the connector subprocesses the crash tests start get the same sleep.
"""

from __future__ import annotations

import threading
import time


def _sleep(secs: float) -> None:
    if secs < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(secs)


time.sleep = _sleep
