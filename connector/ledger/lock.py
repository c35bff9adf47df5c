"""One writer per ledger — and one process talking to a Netvisor company: an OS file lock beside
the ledger file; on a PostgreSQL ledger, the company's lease (``lease.py``), taken through the
same class so the sync, the daemon and the fleet all get it through one code path.

Every command that calls Netvisor (``sync``, ``reconcile``, ``check --online``, ``quarantine
retry``, the daemon's jobs) holds it for as long as it may send a request, so two processes never
have requests in flight for the same company (Netvisor refuses the second one).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.core.errors import RunLockedError
from connector.core.reasons import reason as worded
from connector.ledger.holding import HeldInWith, wait_turn

if TYPE_CHECKING:
    from connector.core.config import PostgresLedger

#: how often a waiting acquire tries the lock again (seconds)
POLL_SECONDS = 0.1


class RunLock(HeldInWith):
    """One writer per ledger: an OS file lock next to the ledger (``<ledger>.lock``).

    ``acquire(wait=...)`` waits up to ``wait`` seconds for a holder to finish (0: fail at once);
    ``on_wait(holder_pid)`` is called once when it has to wait, so a command can say so;
    ``cancel`` (a stop request) ends the wait early. ``try_acquire()`` never waits and says
    whether it got the lock.

    ``RunLock(ledger)`` of a PostgreSQL ledger (a :class:`PostgresLedger`) is that company's
    :class:`connector.ledger.lease.Lease`, with the same methods.
    """

    def __new__(cls, ledger_path: str | Path | PostgresLedger) -> Any:
        if cls is RunLock and not isinstance(ledger_path, str | Path):
            from connector.ledger.lease import Lease

            return Lease(ledger_path)
        return super().__new__(cls)

    def __init__(self, ledger_path: str | Path | PostgresLedger) -> None:
        self.path = Path(str(ledger_path) + ".lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if free; False (at once) when another process holds it."""
        try:
            self.acquire(0.0)
        except RunLockedError:
            return False
        return True

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(
        self,
        wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        def holder() -> str:
            with suppress(OSError):
                return os.pread(fd, 64, 0).decode(errors="replace").strip()
            return ""

        refused = wait_turn(
            take, holder, wait=wait, poll=POLL_SECONDS, on_wait=on_wait, cancel=cancel
        )
        if refused is not None:
            pid, cancelled = refused
            os.close(fd)
            notes = [worded("lock_holder", pid=pid)] if pid else []
            if cancelled:
                notes.append(worded("lock_stopped"))
            elif wait > 0:
                notes.append(worded("lock_waited", seconds=f"{wait:g}"))
            raise RunLockedError(
                worded("run_locked_notes", path=self.path, notes="; ".join(notes))
                if notes
                else worded("run_locked", path=self.path)
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
