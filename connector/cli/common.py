"""Helpers the command groups share: loading the config, building the engine, signals, tables."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when needed: `connector check` must start fast
    from connector.core.config import Config
    from connector.core.domain import Period
    from connector.sync import SyncEngine


def run_config(args: argparse.Namespace, *, logging: bool = True) -> Config:
    """The validated config; with ``logging``, logging configured as it says.

    ``logging=False`` is for a command that logs nothing (the offline ``check``): it then need
    not import the logging stack; it calls :func:`configure_logging` before it does log."""
    from connector.core.config import load_config

    config = load_config(args.config)
    if logging:
        configure_logging(args, config)
    return config


def configure_logging(args: argparse.Namespace, config: Config) -> None:
    from connector.core.logging import configure

    configure(
        json=config.connector.log_format == "json" or getattr(args, "log_json", False),
        level=config.connector.log_level,
    )


def make_engine(args: argparse.Namespace, config: Config, **kw: Any) -> SyncEngine:
    from connector.sync import SyncEngine, terminal_progress

    secrets = config.load_secrets()
    as_of = getattr(args, "as_of", None)
    return SyncEngine(config, secrets, as_of=as_of, progress=terminal_progress(), **kw)


def parse_period(text: str | None) -> Period | None:
    if not text:
        return None
    from connector.core.domain import Period

    return Period.parse(text)


def stop_on_signals(stop: threading.Event, say: Callable[[str], str] | None = None) -> None:
    """SIGTERM/SIGINT finish the action under way, then stop the run (every run sharing
    ``stop``: a fleet's companies too). ``say(signal name)``: the line printed instead of the
    default."""

    def handler(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        text = say(name) if say else f"{name}: finishing the write under way, then stopping…"
        # os.write, not print: the handler may interrupt the main thread inside a print
        # (buffered streams are not reentrant)
        with contextlib.suppress(OSError):
            os.write(sys.stderr.fileno(), f"\n{text}\n".encode())
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def print_table(rows: Sequence[Sequence[Any]], head: Sequence[str], out: Any = None) -> None:
    out = out or sys.stdout
    cells = [[str(c) for c in head]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def say_waiting(seconds: float) -> Any:
    """What a command prints when another process holds the ledger lock and it waits."""

    def say(holder: str) -> None:
        who = f" (pid {holder})" if holder else ""
        print(
            f"connector: another connector run{who} is talking to Netvisor; waiting up to "
            f"{seconds:g} s for it to finish…",
            file=sys.stderr,
            flush=True,
        )

    return say
