"""systemd's notify protocol (``sd_notify``) without libsystemd: one datagram per message to the
unix socket named by ``NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace).

The daemon sends ``READY=1`` once its schedules run, ``STATUS=...`` lines a person sees in
``systemctl status``, ``WATCHDOG=1`` pings when ``WATCHDOG_USEC`` asks for them (and
``WATCHDOG_PID``, if set, is this process), and ``STOPPING=1`` on shutdown. Without
``NOTIFY_SOCKET`` every call does nothing; a failing send is logged, never raised: monitoring
must not stop the job.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from connector.core.logging import get_logger

log = get_logger("notify")


class Notifier:
    """Sends notify messages for one process (``environ``: the environment to read)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = _address(env.get("NOTIFY_SOCKET", ""))
        self.watchdog_seconds = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> bool:
        """Send ``KEY=value`` lines as one datagram; True when it was sent."""
        if self.address is None or not assignments:
            return False
        message = "\n".join(a.replace("\n", " ") for a in assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(message)
        except OSError as exc:
            log.warning("notify_failed", error=type(exc).__name__)
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str) -> bool:
        return self.send("STOPPING=1", f"STATUS={status}")

    def ping_interval(self) -> float | None:
        """Seconds between watchdog pings (half the watchdog timeout), None without one."""
        return self.watchdog_seconds / 2 if self.watchdog_seconds else None


def _address(value: str) -> str | None:
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]  # Linux abstract namespace
    return value if value.startswith("/") else None


def _watchdog_seconds(env: Mapping[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # the watchdog is meant for another process
    return int(usec) / 1_000_000
