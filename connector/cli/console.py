"""``connector console``: serve the console; ``connector console adduser NAME``: add a user.

``connector console (--config CFG | --fleet FILE) [--listen HOST:PORT]`` serves one company or a
fleet on 127.0.0.1:8765 unless told otherwise (``--listen`` or ``[console] listen``); another
address than loopback is served with a warning unless ``[console] behind_tls_proxy = true``.
``connector console adduser NAME [--role viewer|decider]`` reads the password from a prompt, or
from the first line of stdin when stdin is not a terminal.

The users file is ``[console] users_file`` of the config; for a fleet ``console-users.json``
beside the fleet file (the first company's ``[console]`` gives the other settings).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from connector.cli.common import texts_for
from connector.console.server import DEFAULT_LISTEN, company_name
from connector.core.errors import EXIT_OK, ConfigError, ConfigProblem, UsageError
from connector.core.reasons import reason as worded
from connector.texts.i18n import Texts

FLEET_USERS_FILE = "console-users.json"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``console`` (and ``console adduser``) to the command line's subparsers."""
    p = sub.add_parser(
        "console", parents=[common], help="the local web console (month close, review, PSOP)"
    )
    _fleet_option(p)
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=f"address to serve on (default: [console] listen, else {DEFAULT_LISTEN})",
    )
    csub = p.add_subparsers(dest="console_command", metavar="SUBCOMMAND")
    a = csub.add_parser(
        "adduser",
        parents=[common],
        help="add a console user (or set a new password); the password is asked, never given",
    )
    a.add_argument("name", help="the login name (a-z, 0-9, '.', '_', '-')")
    a.add_argument(
        "--role",
        choices=("viewer", "decider"),
        default="viewer",
        help="viewer: reads every page; decider: also decides held work and imports reports",
    )
    _fleet_option(a)
    p.set_defaults(func=cmd_console)
    a.set_defaults(func=cmd_console)


def _fleet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fleet",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="a fleet file ([[company]] name, config): one console over every company",
    )


def cmd_console(args: argparse.Namespace) -> int:
    from connector.cli.common import configure_logging, run_config

    fleet = getattr(args, "fleet", None)
    adding = getattr(args, "console_command", None) == "adduser"
    if fleet:
        companies = fleet_companies(Path(fleet))
        users_path = Path(fleet).expanduser().resolve().parent / FLEET_USERS_FILE
    else:
        config = run_config(args, logging=False)
        companies = [(company_name(config.path), config)]
        users_path = config.console.users_file
    if adding:
        return _adduser(args, users_path)
    configure_logging(args, companies[0][1])
    from connector.console.server import serve_console

    return serve_console(companies, users_path, listen=getattr(args, "listen", None))


def _adduser(args: argparse.Namespace, users_path: Path) -> int:
    from connector.console.users import UsersFile, UsersFileError

    t = texts_for(args)
    password = read_password(t)
    try:
        fresh = UsersFile(users_path).add(args.name, password, args.role)
    except UsersFileError as exc:
        raise UsageError(str(exc)) from None
    done = "console.user_added" if fresh else "console.user_updated"
    print(t(done, name=args.name.strip().lower(), role=args.role, path=users_path))
    return EXIT_OK


def read_password(t: Texts) -> str:
    """From a prompt (twice) on a terminal; else the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass(t("console.password_prompt"))
        if getpass.getpass(t("console.password_again")) != first:
            raise UsageError(t("console.password_mismatch"))
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise UsageError(t("console.password_missing"))
    return line.rstrip("\r\n")


def fleet_companies(path: Path) -> list[tuple[str, Any]]:
    """(name, loaded Config) of each ``[[company]]`` in a fleet file; ``config`` resolves
    relative to the fleet file. Every problem is reported with file, line and key.

    Minimal on purpose: the fleet loader (``[fleet] max_parallel`` and the rest) replaces it.
    """
    from connector.core.config import load_config
    from connector.core.tomlsource import find_line

    path = path.expanduser().resolve()
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(
            ConfigProblem(str(path), None, "", worded("cannot_read", error=exc.strerror))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            ConfigProblem(str(path), None, "", worded("not_valid_toml", error=exc))
        ) from None
    entries = raw.get("company")
    problems: list[ConfigProblem] = []
    if not isinstance(entries, list) or not entries:
        raise ConfigError(ConfigProblem(str(path), None, "company", worded("fleet_no_tables")))
    companies: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        line = find_line(text, ["company", index])
        name, config = entry.get("name"), entry.get("config")
        if not isinstance(name, str) or not name.strip():
            problems.append(
                ConfigProblem(str(path), line, f"company[{index}].name", worded("value_required"))
            )
            continue
        if name in seen:
            problems.append(
                ConfigProblem(
                    str(path),
                    line,
                    f"company[{index}].name",
                    worded("named_twice", name=repr(name)),
                )
            )
            continue
        seen.add(name)
        if not isinstance(config, str) or not config:
            problems.append(
                ConfigProblem(str(path), line, f"company[{index}].config", worded("value_required"))
            )
            continue
        config_path = Path(config).expanduser()
        if not config_path.is_absolute():
            config_path = path.parent / config_path
        try:
            companies.append((name, load_config(config_path)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return companies


def demo_console(workdir: str | None) -> int:
    """``connector demo --console``: the demo, then the console on its ledger with a one-off
    ``demo`` user (a decider) whose password is printed; the work folder is kept."""
    import secrets
    import tempfile

    from connector.cli.demo import run_demo
    from connector.console.server import serve_console
    from connector.console.users import UsersFile
    from connector.core.config import load_config

    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="connector-demo-"))
    code = run_demo(workdir=str(work), keep=True)
    if code not in (EXIT_OK, 1):
        return code
    config = load_config(work / "config.toml")
    password = secrets.token_urlsafe(12)
    UsersFile(config.console.users_file).add("demo", password, "decider")
    print(f"\nconsole user: demo  password: {password}  (work folder {work})")
    return serve_console([(company_name(config.path), config)], config.console.users_file)
