"""The ``connector`` command line (also ``python -m connector``); see docs/operations.md.

Exit codes: 0 success; 1 run finished but some records were quarantined or rejected; 2 bad config
or mappings (nothing written); 3 run aborted (authentication, lock held, fatal API error, a file
that cannot be written, a port in use); 64 the command line is wrong (EX_USAGE).

``--config`` may stand before or after the subcommand; without it ``$CONNECTOR_CONFIG``, then
``./config.toml``. Output cut short by its reader (``connector status | head``) is not an error:
the rest of the output is dropped, the command runs to its end and exits with its own code (a
warning stays a warning when the reader went away).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO

from connector.cli.common import forget_language, texts_for
from connector.cli.parser import DEFAULT_CONFIG, build_parser, command_of
from connector.core.errors import (
    EXIT_ABORTED,
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    ConnectorError,
    FatalRunError,
    UsageError,
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    forget_language()
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    args.config = (
        getattr(args, "config", None) or os.environ.get("CONNECTOR_CONFIG") or DEFAULT_CONFIG
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    guard = _ReaderGuard(sys.stdout)
    sys.stdout = guard  # type: ignore[assignment]
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:  # a write the guard did not see: the command was cut short
        _reader_went_away(guard.stream)
        return EXIT_ABORTED
    except UsageError as exc:
        t = texts_for(args)
        print(t("error.usage", command=args.command, error=t.text(str(exc))), file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        t = texts_for(args)
        print(f"connector: {t('error.config', count=len(exc.problems))}", file=sys.stderr)
        for problem in exc.problems:  # file:line: key: what, in the configured language
            print(f"  {replace(problem, message=t.text(problem.message))}", file=sys.stderr)
        print(t("error.nothing_written"), file=sys.stderr)
        return EXIT_CONFIG
    except FatalRunError as exc:
        t = texts_for(args)
        print(t("error.aborted", error=t.text(exc.message)), file=sys.stderr)
        return EXIT_ABORTED
    except ConnectorError as exc:
        t = texts_for(args)
        print(f"connector: {exc.error_type}: {t.text(exc.message)}", file=sys.stderr)
        return EXIT_ABORTED
    except KeyboardInterrupt:
        print(texts_for(args)("error.interrupted"), file=sys.stderr)
        return EXIT_ABORTED
    except OSError as exc:  # a file we cannot write, a port in use: the OS says why
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        why = exc.strerror or (str(exc) if not exc.errno else "") or type(exc).__name__
        print(f"connector: {args.command or 'connector'}: {why}{where}", file=sys.stderr)
        return EXIT_ABORTED
    except Exception as exc:  # a bug or an unforeseen fault: one line, exit 3, no traceback
        return _unexpected(exc, args)
    finally:
        if sys.stdout is guard:
            sys.stdout = guard.stream


class _ReaderGuard:
    """stdout for one command: when the reader of the output goes away (``| head``), the rest
    of the output is dropped and the command goes on to its own exit code.

    A cut-short reader must not turn a run's warning (exit 1) into success, nor stop a sync
    half-way through printing its summary."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            _reader_went_away(self.stream)
            return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            _reader_went_away(self.stream)
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()  # what was buffered goes to /dev/null now

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _reader_went_away(stream: TextIO) -> None:
    """The reader of our output closed it: point stdout at /dev/null, so later writes and the
    interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def _unexpected(exc: Exception, args: argparse.Namespace) -> int:
    """Report an unexpected exception in one line (type and place, never its text: it may hold
    personal data) and log it; ``--debug`` prints the traceback to stderr."""
    import traceback

    import structlog

    from connector.core.logging import configure, get_logger

    frame = traceback.extract_tb(exc.__traceback__)[-1:] or None
    where = f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "?"
    command = getattr(args, "command", None) or "connector"
    # if logging itself fails, the one line below still tells the user
    with contextlib.suppress(Exception):
        if not structlog.is_configured():  # failed before the config was read: log to stderr
            configure()
        get_logger("cli").error(
            "unexpected_error", command=command, error_type=type(exc).__name__, where=where
        )
    if getattr(args, "debug", False):
        traceback.print_exception(exc, file=sys.stderr)
    t = texts_for(args)
    hint = t("error.hint_above" if getattr(args, "debug", False) else "error.hint_debug")
    error_type = type(exc).__name__
    text = t("error.unexpected", command=command, error_type=error_type, where=where, hint=hint)
    print(text, file=sys.stderr)
    return EXIT_ABORTED


def run() -> NoReturn:
    """The console entry point (``connector``, ``python -m connector``): :func:`main`, then exit.

    What is still alive at exit dies with the process, so the garbage collector's passes over
    it during interpreter shutdown are skipped (``gc.freeze``): with pydantic's validators in
    memory each pass takes 10-20 ms, more than the offline ``check`` does. Python promises no
    finalizers at exit anyway; the connector closes its files, ledger and clients with ``with``,
    and the standard streams are flushed as always.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
