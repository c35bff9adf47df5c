"""One writer per ledger: an OS file lock beside the ledger file."""

from __future__ import annotations

import fcntl
import os
from contextlib import suppress
from pathlib import Path

from connector.errors import RunLockedError


class RunLock:
    """One writer per ledger: an OS file lock next to the ledger (``<ledger>.lock``)."""

    def __init__(self, ledger_path: str | Path) -> None:
        self.path = Path(str(ledger_path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with suppress(OSError):
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise RunLockedError(
                f"another connector run holds the ledger lock {self.path}"
                + (f" (pid {holder})" if holder else "")
                + "; wait for it to finish (the daemon runs jobs on its schedule)"
            ) from None
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

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
