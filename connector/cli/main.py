"""The ``connector`` command line (also ``python -m connector``); see docs/operations.md.

Exit codes: 0 success; 1 run finished but some records were quarantined or rejected; 2 bad config
or mappings (nothing written); 3 run aborted (authentication, lock held, fatal API error, a file
that cannot be written, a port in use); 64 the command line is wrong (EX_USAGE).

``--config`` may stand before or after the subcommand; without it ``$CONNECTOR_CONFIG``, then
``./config.toml``. Output cut short by its reader (``connector status | head``) is not an error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from connector import __version__
from connector.cli.common import configure_logging as _configure_logging
from connector.cli.common import make_engine as _engine
from connector.cli.common import parse_period as _period
from connector.cli.common import run_config as _config
from connector.cli.common import say_waiting as _say_waiting
from connector.cli.common import stop_on_signals as _stop_on_signals
from connector.core.errors import (
    EXIT_ABORTED,
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigError,
    ConnectorError,
    FatalRunError,
    UsageError,
)

DEFAULT_CONFIG = "config.toml"
#: seconds a daemon job waits for a run another process holds the ledger lock for
DAEMON_LOCK_WAIT = 60.0


# -- commands --------------------------------------------------------------------------------
# Each command's module is imported when that command runs: `connector check` must start fast,
# and the ledger, report, plan and tool commands bring modules it never uses.


def _cmd_status(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_status

    return cmd_status(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_report

    return cmd_report(args)


def _cmd_ledger(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_ledger

    return cmd_ledger(args)


def _cmd_quarantine(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_quarantine

    return cmd_quarantine(args)


def _cmd_plan(args: argparse.Namespace) -> int:
    from connector.cli.plan import cmd_plan

    return cmd_plan(args)


def _cmd_mappings_schema(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_mappings_schema

    return cmd_mappings_schema(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_demo

    return cmd_demo(args)


def _cmd_sandbox_serve(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_sandbox_serve

    return cmd_sandbox_serve(args)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection inside: what loads there (modules, pydantic's validators, the
    config) lives on, so collecting would only walk it, and pydantic's validators make that
    slow — about a tenth of `connector check`'s start-up."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _cmd_check(args: argparse.Namespace) -> int:
    with _collector_paused():
        from connector.mapping import load_mappings, unit_value_warnings

        config = _config(args, logging=False)  # the offline check logs nothing
        problems = []
        try:
            config.load_secrets()
        except ConfigError as exc:
            problems.extend(exc.problems)
        try:
            mappings = load_mappings(config.mappings_folder)
        except ConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
    secret_warnings = config.secret_file_warnings()
    for warning in secret_warnings:
        print(f"warning: {warning}")
    if secret_warnings and args.strict:
        print(f"--strict: {len(secret_warnings)} warnings count as errors")
        return EXIT_CONFIG
    print(f"config {config.path}: OK")
    print(
        f"mappings {config.mappings_folder}: {len(mappings.regions)} regions, "
        f"{len(mappings.targets)} targets, {len(mappings.products)} products: OK"
    )
    if not args.online:
        return EXIT_OK
    from connector.ledger import RunLock
    from connector.spotilla.source import BillableWorkRules, SpotillaSource

    _configure_logging(args, config)  # the clients log their requests
    engine = _engine(args, config, mappings=mappings)
    # the same lock as every run: never a request beside a sync's write (Netvisor refuses it)
    lock = RunLock(config.ledger_path)
    lock.acquire(args.wait_lock, _say_waiting(args.wait_lock))
    try:
        with engine.netvisor_client() as nv_client:
            nv_client.customers_by_code(["__connector_check__"])
    finally:
        lock.release()
    print(f"Netvisor {config.netvisor.base_url}: credentials OK")
    with engine.spotilla_client() as sp:
        sp.check_credentials()
        print(f"Spotilla {config.spotilla.base_url}: credentials OK")
        master = SpotillaSource(
            sp,
            BillableWorkRules.from_config(
                config.spotilla.counted_status, config.spotilla.require_order_number
            ),
        ).master_data()
    unmapped = sorted(code for code in master.products if code not in mappings.products)
    plain = sorted(fid for fid in master.targets if fid not in mappings.targets)
    if unmapped:
        print(
            f"Spotilla products with no product mapping (their work cannot be billed): {', '.join(unmapped)}"
        )
    print(f"targets with no PSOP mapping (billed in full, no voucher): {len(plain)}")
    for q in master.quarantined[:20]:
        print(f"  quarantined {q.kind} {q.record_id}: [{q.rule}] {q.reason}")
    # a voucher's unit value is one voucher's value, never PSOP's total (checked against the
    # prices of Spotilla's product register, which only an online check reads)
    warnings = unit_value_warnings(mappings, master.products)
    for warning in warnings:
        print(f"warning: {warning}")
    if warnings and args.strict:
        print(f"--strict: {len(warnings)} warnings count as errors")
        return EXIT_CONFIG
    return EXIT_PARTIAL if master.quarantined or unmapped else EXIT_OK


def _cmd_sync(args: argparse.Namespace) -> int:
    from connector.sync import print_summary

    refuse_future_as_of(args, dry_run=args.dry_run)
    config = _config(args)
    stop = threading.Event()
    _stop_on_signals(stop)
    report = _engine(args, config, stop=stop).run(
        command="sync",
        period=_period(args.period),
        dry_run=args.dry_run,
        lock_wait=args.wait_lock,
        on_lock_wait=_say_waiting(args.wait_lock),
    )
    print_summary(report)
    return report.exit_code


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from connector.sync import print_summary

    config = _config(args)
    stop = threading.Event()
    _stop_on_signals(stop)
    report = _engine(args, config, stop=stop).run(
        command="reconcile",
        scope="reconcile",
        lock_wait=args.wait_lock,
        on_lock_wait=_say_waiting(args.wait_lock),
    )
    print_summary(report)
    return report.exit_code


def _cmd_daemon(args: argparse.Namespace) -> int:
    from connector.core.logging import configure
    from connector.service.daemon import run_daemon

    config = _config(args)
    refuse_future_as_of(args, dry_run=False)  # a rehearsal date, never a future one
    configure(json=True, level=config.connector.log_level)
    secrets = config.load_secrets()  # fail fast (exit 2) before scheduling anything
    from connector.mapping import load_mappings
    from connector.sync import SyncEngine

    load_mappings(config.mappings_folder)

    def run_job(scope: str, stop: threading.Event) -> dict[str, Any]:
        # Mappings are re-read every run: an edited mapping file takes effect without a restart.
        engine = SyncEngine(config, secrets, stop=stop, as_of=args.as_of)
        # a CLI run in progress (e.g. `connector sync` by hand) is waited for, briefly
        report = engine.run(command=f"daemon:{scope}", scope=scope, lock_wait=DAEMON_LOCK_WAIT)
        return {
            "status": report.status,
            "exit_code": report.exit_code,
            "held_for_review": len(report.held),
            **report.counts,
        }

    return run_daemon(config, run_job, run_now=tuple(args.run_now or ()))


def _cmd_completion(args: argparse.Namespace) -> int:
    from connector.cli.completion import bash_script

    if args.shell == "zsh":
        print("autoload -U +X bashcompinit && bashcompinit")
    print(bash_script(build_parser()), end="")
    return EXIT_OK


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _period_arg(text: str) -> str:
    from connector.core.domain import Period

    try:
        Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError("expected 0..86400 seconds")
    return value


def _wait_lock_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-lock",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another connector run to finish (default: exit 3 at once)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse with EX_USAGE (64) for a wrong command line: exit 2 means a bad config file."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=argparse.SUPPRESS,  # so the value given before the subcommand survives
        help=f"the TOML config file (default: $CONNECTOR_CONFIG, else ./{DEFAULT_CONFIG})",
    )


# -- the command line ------------------------------------------------------------------------
# One function adds one command (or a group) to the subparsers. `main` builds only the command
# it runs (every command's parser, and the modules they name, cost a few milliseconds at each
# start); help, a command line naming no known command, and `completion` get the whole tree.


def _add_check(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("check", parents=[common], help="validate config and mapping files")
    p.add_argument("--online", action="store_true", help="also try both APIs' credentials")
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (e.g. a voucher's unit value) as errors",
    )
    _wait_lock_arg(p)
    p.set_defaults(func=_cmd_check)


def _add_plan(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("plan", parents=[common], help="what a sync would do; changes nothing")
    p.add_argument("--period", type=_period_arg, help="YYYY-MM (default: every closed period)")
    p.add_argument("--as-of", type=_as_of, help="evaluate period rules as on YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    _wait_lock_arg(p)
    p.set_defaults(func=_cmd_plan)


def _add_sync(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sync", parents=[common], help="run the job once now")
    p.add_argument("--period", type=_period_arg, help="YYYY-MM (default: every closed period)")
    p.add_argument(
        "--dry-run", action="store_true", help="render XML into the outbox, send nothing"
    )
    p.add_argument("--as-of", type=_as_of, help="evaluate period rules as on YYYY-MM-DD")
    _wait_lock_arg(p)
    p.set_defaults(func=_cmd_sync)


def _add_daemon(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("daemon", parents=[common], help="run the configured schedules")
    p.add_argument(
        "--run-now",
        action="append",
        choices=["master_data", "invoicing"],
        help="also run this job once at start (repeatable; jobs run one after the other)",
    )
    p.add_argument(
        "--as-of",
        type=_as_of,
        help="rehearsals only: every job evaluates period rules as on YYYY-MM-DD",
    )
    p.set_defaults(func=_cmd_daemon)


def _add_status(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("status", parents=[common], help="runs, ledger states, quarantine")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--runs", type=int, default=10, help="how many runs to show")
    p.add_argument(
        "--check",
        action="store_true",
        help="one line and exit 0/1/2 (OK/WARNING/CRITICAL) for Nagios/Icinga-style checks",
    )
    p.add_argument(
        "--warn-hours", type=float, default=26.0, help="--check: WARNING past this many hours"
    )
    p.add_argument(
        "--crit-hours", type=float, default=50.0, help="--check: CRITICAL past this many hours"
    )
    p.set_defaults(func=_cmd_status)


def _add_report(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="re-render a run's report from the ledger")
    p.add_argument("run", nargs="?", type=int, help="the run id (default: the latest run)")
    p.add_argument("--out", help="folder to write <run>.html and <run>.csv into")
    p.set_defaults(func=_cmd_report)


def _add_ledger(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ledger", parents=[common], help="the ledger file itself")
    lsub = p.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)
    q = lsub.add_parser(
        "backup", parents=[common], help="a consistent copy (SQLite online backup; WAL-safe)"
    )
    q.add_argument("file", help="where to write the copy (must not exist)")
    q.set_defaults(func=_cmd_ledger)
    q = lsub.add_parser(
        "rebind",
        parents=[common],
        help="bind the ledger to the Netvisor environment of this config (after a deliberate switch)",
    )
    q.set_defaults(func=_cmd_ledger)
    q = lsub.add_parser(
        "migrate",
        parents=[common],
        help="copy this config's SQLite ledger into PostgreSQL (verified; refused if the company has rows there)",
    )
    q.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://[user@]host[:port]/database"
    )
    q.add_argument(
        "--company", help="the company key there (default: [connector] company of the config)"
    )
    q.set_defaults(func=_cmd_ledger)


def _add_reconcile(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("reconcile", parents=[common], help="run only the reconcile phase")
    _wait_lock_arg(p)
    p.set_defaults(func=_cmd_reconcile)


def _add_quarantine(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("quarantine", parents=[common], help="records a rule stopped")
    qsub = p.add_subparsers(dest="quarantine_command", metavar="SUBCOMMAND", required=True)
    q = qsub.add_parser("list", parents=[common], help="list quarantined records")
    q.add_argument("--all", action="store_true", help="include resolved entries")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=_cmd_quarantine)
    q = qsub.add_parser(
        "retry",
        parents=[common],
        help="re-run and re-check quarantined records; send rejected objects again",
    )
    q.add_argument(
        "ids",
        nargs="*",
        metavar="ID|KEY",
        help="quarantine ids, or ledger keys of objects Netvisor rejected (default: all)",
    )
    q.add_argument("--as-of", type=_as_of, help="evaluate period rules as on YYYY-MM-DD")
    _wait_lock_arg(q)
    q.set_defaults(func=_cmd_quarantine)


def _add_review_and_psop(sub: Any, common: argparse.ArgumentParser) -> None:
    from connector.cli.psop import register as _register_psop

    _register_psop(sub, common, _period_arg, _as_of)


def _add_mappings(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("mappings", help="mapping files")
    msub = p.add_subparsers(dest="mappings_command", metavar="SUBCOMMAND", required=True)
    m = msub.add_parser(
        "schema", parents=[common], help="print (or --out DIR: write) JSON Schemas for editors"
    )
    m.add_argument("--out", help="folder to write <file>.schema.json into")
    m.set_defaults(func=_cmd_mappings_schema)


def _add_completion(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "completion", help="print a shell completion script (bash; zsh via bashcompinit)"
    )
    p.add_argument("shell", choices=("bash", "zsh"))
    p.set_defaults(func=_cmd_completion)


def _add_demo(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", help="run the whole job against the embedded sandbox")
    p.add_argument("--workdir", help="where to write the demo config and ledger (default: temp)")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    p.set_defaults(func=_cmd_demo)


def _add_sandbox(sub: Any, common: argparse.ArgumentParser) -> None:
    sandbox = sub.add_parser("sandbox", help="local stand-ins for Spotilla and Netvisor")
    sandbox_sub = sandbox.add_subparsers(
        dest="sandbox_command", metavar="SUBCOMMAND", required=True
    )
    serve_p = sandbox_sub.add_parser(
        "serve", parents=[common], help="serve both sandboxes on loopback"
    )
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=0, help="Netvisor sandbox port (0 = free)")
    serve_p.add_argument("--spotilla-port", type=int, default=0, help="Spotilla port (0 = free)")
    serve_p.add_argument("--spotilla-data", help="JSON fixture file for the Spotilla sandbox")
    serve_p.add_argument("--seed", type=int, default=1, help="seed of the generated Spotilla data")
    serve_p.add_argument(
        "--write-config",
        metavar="DIR",
        help="write DIR/config.toml and DIR/secrets/ for these sandboxes (for rehearsals)",
    )
    serve_p.set_defaults(func=_cmd_sandbox_serve)


#: (command names, what adds them), in the order help lists them
COMMANDS: tuple[tuple[tuple[str, ...], Callable[[Any, argparse.ArgumentParser], None]], ...] = (
    (("check",), _add_check),
    (("plan",), _add_plan),
    (("sync",), _add_sync),
    (("daemon",), _add_daemon),
    (("status",), _add_status),
    (("report",), _add_report),
    (("ledger",), _add_ledger),
    (("reconcile",), _add_reconcile),
    (("quarantine",), _add_quarantine),
    (("review", "psop"), _add_review_and_psop),
    (("mappings",), _add_mappings),
    (("completion",), _add_completion),
    (("demo",), _add_demo),
    (("sandbox",), _add_sandbox),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: every command, or with ``command`` only the one that names it.

    A parser with one command parses that command's arguments exactly as the whole tree does
    (see :func:`command_of`); ``main`` uses it so a command does not pay for building the others.
    """
    common = _Parser(add_help=False)
    _config_option(common)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    parser = _Parser(
        prog="connector",
        description="Spotilla -> PSOP -> Netvisor invoicing connector.",
        epilog="Exit codes: 0 ok; 1 finished with quarantined or rejected records; "
        "2 bad config or mappings; 3 aborted (authentication, lock held, fatal API error); "
        "64 wrong command line.",
    )
    parser.add_argument("--version", action="version", version=f"connector {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="print the details (traceback) of an unexpected error"
    )
    _config_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for names, add in COMMANDS:
        if command is None or command in names:
            add(sub, common)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when that is certain from the options before it; else None
    (help, ``--version``, an unknown option or command: the whole parser answers those).

    The top-level options are ``--debug`` (a flag) and ``--config FILE`` / ``--config=FILE``;
    argparse also takes unambiguous abbreviations of them (``--conf FILE``), so those count too.
    """
    expects_value = False
    for token in argv:
        if expects_value:
            expects_value = False
            continue
        if token == "--":
            return None
        if token.startswith("-"):
            name, eq, _ = token.partition("=")
            if len(name) >= 3 and "--config".startswith(name):
                expects_value = not eq
                continue
            if len(name) >= 3 and "--debug".startswith(name) and not eq:
                continue
            return None  # --help, --version, or something only the whole parser can judge
        return token if any(token in names for names, _ in COMMANDS) else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    args.config = (
        getattr(args, "config", None) or os.environ.get("CONNECTOR_CONFIG") or DEFAULT_CONFIG
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except UsageError as exc:
        print(f"connector {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"connector: {exc.message}", file=sys.stderr)
        print(
            "Nothing was written. Fix the files above and run `connector check`.", file=sys.stderr
        )
        return EXIT_CONFIG
    except FatalRunError as exc:
        print(f"connector: aborted: {exc.message}", file=sys.stderr)
        return EXIT_ABORTED
    except ConnectorError as exc:
        print(f"connector: {exc.error_type}: {exc.message}", file=sys.stderr)
        return EXIT_ABORTED
    except KeyboardInterrupt:
        print("connector: interrupted", file=sys.stderr)
        return EXIT_ABORTED
    except OSError as exc:  # a file we cannot write, a port in use: the OS says why
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(
            f"connector: {args.command or 'connector'}: {exc.strerror or type(exc).__name__}"
            f"{where}",
            file=sys.stderr,
        )
        return EXIT_ABORTED
    except Exception as exc:  # a bug or an unforeseen fault: one line, exit 3, no traceback
        return _unexpected(exc, args)


def _reader_went_away() -> int:
    """The reader of our output closed it (``| head``): stop quietly, as a filter does.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_OK


def refuse_future_as_of(args: argparse.Namespace, *, dry_run: bool) -> None:
    """``--as-of`` after today (Helsinki) only rehearses: with ``--dry-run`` or ``plan``."""
    from connector.sync.context import helsinki_today

    as_of = getattr(args, "as_of", None)
    if as_of is not None and not dry_run and as_of > helsinki_today():
        raise UsageError(
            f"--as-of {as_of} is in the future: it would invoice periods that are not closed "
            "yet. Rehearse it with --dry-run (or `connector plan`)"
        )


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
    hint = (
        "details above" if getattr(args, "debug", False) else "run again with --debug for details"
    )
    print(
        f"connector: {command} failed: unexpected {type(exc).__name__} at {where} "
        f"(logged as unexpected_error; {hint})",
        file=sys.stderr,
    )
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
