"""Our argparse: the parser class every command uses, its help formatter, and the argument types.

Exit code 64 (EX_USAGE) for a wrong command line (2 means a bad config file). Help and argparse's
own messages are in the default language, Finnish: each English help line of
connector/cli/parser.py is looked up in connector/texts/cli_help.py when help or an error is
shown, never on a command's normal path.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from connector.core.errors import EXIT_USAGE


def localised(text: str) -> str:
    """A help line or argparse message in the language help is shown in: the default, Finnish
    (help is shown before any config is read); the table is read only when help or an error
    is shown."""
    from connector.texts.cli_help import finnish

    return finnish(text)


def type_error(template: str, **values: object) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(localised(template).format(**values))


def as_of_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise type_error("expected YYYY-MM-DD, got {got!r}", got=text) from None


def period_arg(text: str) -> str:
    from connector.core.domain import Period

    try:
        Period.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise type_error("expected seconds, got {got!r}", got=text) from None
    if not 0 <= value <= 86400:
        raise type_error("expected 0..86400 seconds")
    return value


def wait_lock_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-lock",
        type=seconds_arg,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another connector run to finish (default: exit 3 at once)",
    )


@contextmanager
def argparse_words() -> Iterator[None]:
    """argparse words its messages through gettext (``argparse._``): in the help's language
    while one of our parsers parses (a subcommand's parser nests inside and restores the same).
    """
    saved = argparse._  # type: ignore[attr-defined]
    argparse._ = localised  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = saved  # type: ignore[attr-defined]


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Help in the default language: each option's line, the usage prefix (see
    connector/texts/cli_help.py); descriptions and examples keep their own line breaks."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        # a subcommand's prog is made with prefix "" (no prefix at all)
        super().add_usage(
            usage, actions, groups, localised("usage: ") if prefix is None else prefix
        )

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return localised(action.help) if action.help else action.help


class Parser(argparse.ArgumentParser):
    """argparse with EX_USAGE (64) for a wrong command line: exit 2 means a bad config file.

    A command's help carries its description and examples (``command_path`` and ``examples``
    are set by connector/cli/parser.py for every command's parser). Help and
    argparse's own messages are in the default language, Finnish (connector/texts/cli_help.py).
    """

    command_path: str | None = None
    examples: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        with argparse_words():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:  # type: ignore[override]
        with argparse_words():
            return super().parse_known_args(args, namespace)

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {localised('error')}: {message}\n")

    def format_help(self) -> str:
        for group in self._action_groups:
            if group.title:
                group.title = localised(group.title)
        if self.command_path is None and self.description:  # the top level
            self.description = textwrap.fill(localised(self.description), width=78)
            if self.epilog:
                self.epilog = textwrap.fill(localised(self.epilog), width=78)
        if self.command_path is not None and self.description is None:
            from connector.texts.i18n import MESSAGES, texts

            t = texts(None)  # the default language: help is shown before any config is read
            key = "cmd." + self.command_path.replace(" ", ".")
            if key in MESSAGES:
                self.description = textwrap.fill(t(key), width=78)
            if self.examples and self.epilog is None:
                lines = "\n".join(f"  {e}" for e in self.examples)
                self.epilog = t("cmd.examples") + "\n" + lines
        return super().format_help()
