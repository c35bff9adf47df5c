"""What the two run locks share: the file lock of a SQLite ledger (``lock.py``) and the lease of a
PostgreSQL ledger's company (``lease.py``) wait their turn the same way and are held for a
``with`` block the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Self


def wait_turn(
    take: Callable[[], bool],
    holder: Callable[[], str],
    *,
    wait: float,
    poll: float,
    on_wait: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[str, bool] | None:
    """Call ``take()`` until it says it got the lock (then None), for up to ``wait`` seconds.

    Between tries it looks again every ``poll`` seconds; ``on_wait(holder())`` is called once,
    when it first has to wait; a set ``cancel`` ends the wait early. When the wait is over
    without the lock: ``(holder(), cancelled)``, for the caller's refusal.
    """
    deadline = time.monotonic() + max(wait, 0.0)
    announced = False
    while not take():
        who = holder()
        cancelled = cancel is not None and cancel.is_set()
        if time.monotonic() < deadline and not cancelled:
            if not announced and on_wait is not None:
                on_wait(who)
            announced = True
            # neither lock has an event to wait on: look again shortly (or stop)
            (cancel or threading.Event()).wait(poll)
            continue
        return who, cancelled
    return None


class HeldInWith:
    """``with lock:`` acquires (without waiting) and releases, whatever the block raised."""

    def acquire(self) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
