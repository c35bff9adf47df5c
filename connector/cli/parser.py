"""The command registry: every command's arguments, and a parser built for just the one run.

``COMMANDS`` lists each command's names and the function that adds its arguments; each command
runs the entry function in :mod:`connector.cli.commands` that it registers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from connector import __version__
from connector.cli import commands
from connector.cli.argparsing import (
    Parser,
    as_of_arg,
    period_arg,
    wait_lock_arg,
)
from connector.core.errors import EXIT_OK

DEFAULT_CONFIG = "config.toml"


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
    wait_lock_arg(p)
    p.set_defaults(func=commands.check)


def _add_plan(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("plan", parents=[common], help="what a sync would do; changes nothing")
    p.add_argument("--period", type=period_arg, help="YYYY-MM (default: every closed period)")
    p.add_argument("--as-of", type=as_of_arg, help="evaluate period rules as on YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    wait_lock_arg(p)
    p.set_defaults(func=commands.plan)


def _add_sync(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sync", parents=[common], help="run the job once now")
    p.add_argument("--period", type=period_arg, help="YYYY-MM (default: every closed period)")
    p.add_argument(
        "--dry-run", action="store_true", help="render XML into the outbox, send nothing"
    )
    p.add_argument("--as-of", type=as_of_arg, help="evaluate period rules as on YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="the run summary as JSON")
    p.add_argument(
        "--adopt",
        action="store_true",
        help="an unsent invoice Netvisor already holds under a document key the ledger does "
        "not know, with other content: adopt it and edit it to what billing produces",
    )
    wait_lock_arg(p)
    p.set_defaults(func=commands.sync)


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
        type=as_of_arg,
        help="rehearsals only: every job evaluates period rules as on YYYY-MM-DD",
    )
    p.set_defaults(func=commands.daemon)


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
    p.set_defaults(func=commands.status)


def _add_report(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("report", parents=[common], help="re-render a run's report from the ledger")
    p.add_argument("run", nargs="?", type=int, help="the run id (default: the latest run)")
    p.add_argument(
        "--out",
        help="folder to write <run>-ledger.html and .csv into (default: the reports folder; "
        "the run's own <run>.html is never overwritten)",
    )
    p.set_defaults(func=commands.report)


def _add_ledger(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ledger", parents=[common], help="the ledger file itself")
    lsub = p.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", required=True)
    q = lsub.add_parser(
        "backup", parents=[common], help="a consistent copy (SQLite online backup; WAL-safe)"
    )
    q.add_argument("file", help="where to write the copy (must not exist)")
    q.set_defaults(func=commands.ledger)
    q = lsub.add_parser(
        "rebind",
        parents=[common],
        help="bind the ledger to the Netvisor environment of this config (after a deliberate switch)",
    )
    q.set_defaults(func=commands.ledger)
    q = lsub.add_parser(
        "resolve",
        parents=[common],
        help="say which version of an undecided invoice edit (EDIT_UNCLEAR) Netvisor holds",
    )
    q.add_argument("key", metavar="KEY", help="the document key (connector status lists them)")
    q.add_argument(
        "--netvisor-has",
        required=True,
        choices=("new", "old"),
        help="new: the version sent; old: the version before it",
    )
    q.add_argument("--by", metavar="NAME", help="who decided (default: the OS user)")
    wait_lock_arg(q)
    q.set_defaults(func=commands.ledger)
    what = (
        "every table (or the named ones) as files for an auditor, one per table; the "
        "ledger holds no names, identity codes or addresses by design, so neither do these"
    )
    q = lsub.add_parser("export", parents=[common], help=what, description=what)
    q.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    q.add_argument("--table", action="append", metavar="NAME", help="only this table (repeatable)")
    q.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    q.set_defaults(func=commands.ledger_export)
    q = lsub.add_parser(
        "migrate",
        parents=[common],
        help="copy this config's SQLite ledger into PostgreSQL (verified; refused if the company "
        "has rows there)",
    )
    q.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://[user@]host[:port]/database"
    )
    q.add_argument(
        "--company", help="the company key there (default: [connector] company of the config)"
    )
    q.set_defaults(func=commands.ledger)


def _add_reconcile(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("reconcile", parents=[common], help="run only the reconcile phase")
    p.add_argument("--json", action="store_true", help="the run summary as JSON")
    wait_lock_arg(p)
    p.set_defaults(func=commands.reconcile)


def _add_quarantine(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("quarantine", parents=[common], help="records a rule stopped")
    qsub = p.add_subparsers(dest="quarantine_command", metavar="SUBCOMMAND", required=True)
    q = qsub.add_parser("list", parents=[common], help="list quarantined records")
    q.add_argument("--all", action="store_true", help="include resolved entries")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=commands.quarantine)
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
    q.add_argument("--as-of", type=as_of_arg, help="evaluate period rules as on YYYY-MM-DD")
    wait_lock_arg(q)
    q.set_defaults(func=commands.quarantine)


def _add_review_and_psop(sub: Any, common: argparse.ArgumentParser) -> None:
    from connector.cli.psop import register as _register_psop

    _register_psop(sub, common, period_arg, as_of_arg)


def _add_console(sub: Any, common: argparse.ArgumentParser) -> None:
    from connector.cli.console import register

    register(sub, common)


def _add_fleet(sub: Any, common: argparse.ArgumentParser) -> None:
    from connector.cli.fleet import register as _register_fleet

    _register_fleet(sub, common, period_arg, as_of_arg, wait_lock_arg)


def _add_mappings(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("mappings", help="mapping files")
    msub = p.add_subparsers(dest="mappings_command", metavar="SUBCOMMAND", required=True)
    m = msub.add_parser(
        "schema", parents=[common], help="print (or --out DIR: write) JSON Schemas for editors"
    )
    m.add_argument("--out", help="folder to write <file>.schema.json into")
    m.set_defaults(func=commands.mappings_schema)


def _add_completion(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "completion", help="print a shell completion script (bash; zsh via bashcompinit)"
    )
    p.add_argument("shell", choices=("bash", "zsh"))
    p.set_defaults(func=completion)


def _add_demo(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", help="run the whole job against the embedded sandbox")
    p.add_argument("--workdir", help="where to write the demo config and ledger (default: temp)")
    p.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    p.add_argument(
        "--today",
        type=as_of_arg,
        help="the demo's today, YYYY-MM-DD (default: today in Helsinki): its data and dates",
    )
    p.add_argument(
        "--console", action="store_true", help="then open the web console on the demo's ledger"
    )
    p.set_defaults(func=commands.demo)


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
    serve_p.set_defaults(func=commands.sandbox_serve)


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
    (("console",), _add_console),
    (("fleet",), _add_fleet),
    (("mappings",), _add_mappings),
    (("completion",), _add_completion),
    (("demo",), _add_demo),
    (("sandbox",), _add_sandbox),
)


#: each command's examples (command lines a test parses), shown under its --help
EXAMPLES: dict[str, tuple[str, ...]] = {
    "check": ("connector check", "connector check --online --strict"),
    "plan": ("connector plan", "connector plan --period 2026-04 --json"),
    "sync": (
        "connector sync",
        "connector sync --period 2026-04 --dry-run",
        "connector sync --json --wait-lock 60",
    ),
    "daemon": ("connector daemon --config /etc/connector/config.toml",),
    "status": ("connector status", "connector status --check --warn-hours 26 --crit-hours 50"),
    "report": ("connector report", "connector report 42 --out /tmp/reports"),
    "ledger": ("connector ledger backup /var/backups/connector/ledger-2026-05-02.sqlite",),
    "ledger backup": ("connector ledger backup /var/backups/connector/ledger-2026-05-02.sqlite",),
    "ledger rebind": ("connector ledger rebind",),
    "ledger migrate": (
        "connector ledger migrate --to postgresql://connector@db.example.fi/connector",
    ),
    "ledger export": (
        "connector ledger export --out tilintarkastus-2026",
        "connector ledger export --format json --table objects --table billed_lines --out vienti",
    ),
    "ledger resolve": ("connector ledger resolve inv:2026-04:SP-P0001 --netvisor-has new",),
    "console": (
        "connector console",
        "connector console --fleet fleet.toml --listen 127.0.0.1:8765",
    ),
    "console adduser": ("connector console adduser maija --role decider",),
    "reconcile": ("connector reconcile", "connector reconcile --wait-lock 60"),
    "quarantine": ("connector quarantine list", "connector quarantine retry 3"),
    "quarantine list": ("connector quarantine list", "connector quarantine list --all --json"),
    "quarantine retry": (
        "connector quarantine retry",
        "connector quarantine retry 3 7",
        "connector quarantine retry inv:2026-04:SP-P0001",
    ),
    "review": ("connector review list", "connector review approve T4:h0"),
    "review list": ("connector review list --period 2026-04", "connector review list --all --json"),
    "review approve": ('connector review approve T4:h0 --note "sovittu järjestäjän kanssa"',),
    "review reject": ("connector review reject T5:h0",),
    "psop": ("connector psop export --period 2026-04", "connector psop report --period 2026-04"),
    "psop export": (
        "connector psop export --period 2026-04",
        "connector psop export --period 2026-04 --format xlsx --out huhtikuu.xlsx",
    ),
    "psop import": ("connector psop import psop-raportti.csv --report-date 2026-05-20",),
    "psop report": (
        "connector psop report --period 2026-04",
        "connector psop report --period 2026-04 --json",
    ),
    "fleet": ("connector fleet check --fleet /etc/connector/fleet.toml", "connector fleet status"),
    "fleet check": ("connector fleet check", "connector fleet check --company acme beta"),
    "fleet sync": (
        "connector fleet sync",
        "connector fleet sync --company acme --period 2026-04 --dry-run",
    ),
    "fleet status": ("connector fleet status", "connector fleet status --check"),
    "fleet daemon": ("connector fleet daemon --fleet /etc/connector/fleet.toml",),
    "mappings": ("connector mappings schema --out schemas",),
    "mappings schema": ("connector mappings schema", "connector mappings schema --out schemas"),
    "completion": ("connector completion bash > /etc/bash_completion.d/connector",),
    "demo": ("connector demo", "connector demo --workdir demo-run --keep"),
    "sandbox": ("connector sandbox serve --write-config rehearsal",),
    "sandbox serve": (
        "connector sandbox serve",
        "connector sandbox serve --write-config rehearsal",
    ),
}


def _describe(parser: argparse.ArgumentParser, path: str = "") -> None:
    """Mark every command's parser with its path: its help then shows a description and
    examples (:meth:`connector.cli.argparsing.Parser.format_help`; texts in i18n under ``cmd.``, read only when help is
    shown — the catalogue's import is no cost a command pays)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, child in action.choices.items():
            child_path = f"{path} {name}".strip()
            child.command_path = child_path  # type: ignore[attr-defined]
            child.examples = EXAMPLES.get(child_path, ())  # type: ignore[attr-defined]
            _describe(child, child_path)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line: every command, or with ``command`` only the one that names it.

    A parser with one command parses that command's arguments exactly as the whole tree does
    (see :func:`command_of`); ``main`` uses it so a command does not pay for building the others.
    """
    common = Parser(add_help=False)
    _config_option(common)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    parser = Parser(
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for names, add in COMMANDS:
        if command is None or command in names:
            add(sub, common)
    _describe(parser)
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


def completion(args: argparse.Namespace) -> int:
    from connector.cli.completion import bash_script

    if args.shell == "zsh":
        print("autoload -U +X bashcompinit && bashcompinit")
    print(bash_script(build_parser()), end="")
    return EXIT_OK
