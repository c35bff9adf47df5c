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
    from connector.texts.i18n import Texts

#: the configured language once a command has read its config (see :func:`texts_for`)
_language: list[str] = []


def forget_language() -> None:
    """A new command: no config read yet (``main`` calls this first)."""
    _language.clear()


def texts_for(args: argparse.Namespace | None = None) -> Texts:
    """The texts of this command's configured language: the config's once read, else its
    ``[connector] language`` looked up in the file (an error before or while reading the
    config still speaks the configured language), else Finnish."""
    from connector.texts.i18n import texts

    if _language:
        return texts(_language[-1])
    return texts(_peek_language(getattr(args, "config", None)))


def _peek_language(path: object) -> str | None:
    if not path:
        return None
    try:
        import tomllib

        with open(str(path), "rb") as f:
            language = tomllib.load(f).get("connector", {}).get("language")
    except Exception:  # unreadable or broken: the config error itself tells the user
        return None
    return language if isinstance(language, str) else None


def run_config(args: argparse.Namespace, *, logging: bool = True) -> Config:
    """The validated config; with ``logging``, logging configured as it says.

    ``logging=False`` is for a command that logs nothing (the offline ``check``): it then need
    not import the logging stack; it calls :func:`configure_logging` before it does log."""
    from connector.core.config import load_config

    config = load_config(args.config)
    _language.append(config.connector.language)
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
    progress = terminal_progress(language=config.connector.language)
    return SyncEngine(config, secrets, as_of=as_of, progress=progress, **kw)


def parse_period(text: str | None) -> Period | None:
    if not text:
        return None
    from connector.core.domain import Period

    return Period.parse(text)


def stop_on_signals(stop: threading.Event, say: Callable[[str], str] | None = None) -> None:
    """SIGTERM/SIGINT finish the action under way, then stop the run (every run sharing
    ``stop``: a fleet's companies too). ``say(signal name)``: the line printed instead of the
    default."""
    t = texts_for()  # worded before a signal comes

    def handler(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        text = say(name) if say else t("signal.stopping", signal=name)
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
        text = texts_for()("lock.waiting", who=who, seconds=f"{seconds:g}")
        print(text, file=sys.stderr, flush=True)

    return say


JSON_SCHEMA_VERSION = 1  # of every command's --json output


def print_json(value: Any) -> None:
    """A command's machine-readable answer: ``schema_version`` first, euros as decimal strings."""
    import json

    def enc(obj: Any) -> Any:
        from decimal import Decimal

        if isinstance(obj, Decimal):
            return str(obj)  # euros as decimal strings: no float rounding
        if hasattr(obj, "isoformat"):
            return obj.isoformat()
        return str(obj)

    print(json.dumps({"schema_version": JSON_SCHEMA_VERSION, **value}, indent=2, default=enc))


def refuse_future_as_of(args: argparse.Namespace, *, dry_run: bool) -> None:
    """``--as-of`` after today (Helsinki) only rehearses: with ``--dry-run`` or ``plan``."""
    from connector.core.errors import UsageError
    from connector.sync.context import helsinki_today

    as_of = getattr(args, "as_of", None)
    if as_of is not None and not dry_run and as_of > helsinki_today():
        raise UsageError(texts_for(args)("as_of.future", as_of=as_of))
