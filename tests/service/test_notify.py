"""systemd's notify protocol over a real unix datagram socket: READY, STATUS, WATCHDOG,
STOPPING; a path or an abstract ('@') name; nothing at all without NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.service.notify import Notifier


class NotifyListener:
    """The service manager's end: a bound unix datagram socket collecting messages."""

    def __init__(self, address: str, env_value: str) -> None:
        self.env_value = env_value
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(30)

    def next(self) -> dict[str, str]:
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.split("\n"))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[NotifyListener]:
    path = tmp_path / "notify.sock"
    sock = NotifyListener(str(path), str(path))
    yield sock
    sock.close()


def test_ready_status_watchdog_and_stopping_reach_the_socket(listener: NotifyListener) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": listener.env_value})
    assert notifier.enabled
    assert notifier.ready("idle; next: invoicing 2026-05-02 06:30")
    ready = listener.next()
    assert ready["READY"] == "1" and ready["STATUS"].startswith("idle")
    assert ready["MAINPID"] == str(os.getpid())
    assert notifier.status("running invoicing")
    assert listener.next() == {"STATUS": "running invoicing"}
    assert notifier.watchdog()
    assert listener.next() == {"WATCHDOG": "1"}
    assert notifier.stopping("stopping")
    assert listener.next() == {"STOPPING": "1", "STATUS": "stopping"}


def test_an_abstract_socket_name_starting_with_at_is_used_as_such() -> None:
    name = f"connector-test-{uuid.uuid4().hex}"
    sock = NotifyListener("\0" + name, "@" + name)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready("idle")
        assert sock.next()["READY"] == "1"
    finally:
        sock.close()


def test_without_notify_socket_nothing_is_sent_and_nothing_fails() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready("idle") is False
    assert notifier.ping_interval() is None


def test_a_vanished_socket_is_logged_never_raised(tmp_path: Path) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert notifier.status("x") is False


def test_the_watchdog_interval_is_half_of_watchdog_usec_for_this_process() -> None:
    mine = {
        "NOTIFY_SOCKET": "/run/x",
        "WATCHDOG_USEC": "20000000",
        "WATCHDOG_PID": str(os.getpid()),
    }
    assert Notifier(mine).ping_interval() == 10.0
    assert Notifier({**mine, "WATCHDOG_PID": "1"}).ping_interval() is None  # another process's
    assert Notifier({**mine, "WATCHDOG_USEC": "0"}).ping_interval() is None


def test_the_daemon_announces_ready_pings_the_watchdog_and_says_stopping(
    listener: NotifyListener, tmp_path: Path
) -> None:
    from service.test_daemon import make_config

    from connector.service.daemon import run_daemon

    config = make_config(tmp_path)
    notifier = Notifier({"NOTIFY_SOCKET": listener.env_value, "WATCHDOG_USEC": "200000"})
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            run_daemon(config, lambda *_: None, install_signals=False, stop=stop, notifier=notifier)
        )
    )
    thread.start()
    try:
        ready = listener.next()
        assert ready["READY"] == "1" and "next: master_data" in ready["STATUS"]
        assert listener.next() == {"WATCHDOG": "1"}  # every 0.1 s while it runs
    finally:
        stop.set()
        thread.join(timeout=60)
    messages = []
    while (msg := listener.next()) and "STOPPING" not in msg:
        messages.append(msg)
    assert msg["STOPPING"] == "1"
    assert all(m == {"WATCHDOG": "1"} for m in messages)
    assert result == [0]
