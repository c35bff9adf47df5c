"""`main` builds only the parser of the command it runs (start-up): that parser must read every
command line exactly as the whole command tree does, and anything it cannot be sure of (help,
``--version``, an unknown option or command) goes to the whole tree."""

from __future__ import annotations

import pytest

from connector.cli.parser import COMMANDS, build_parser, command_of

COMMAND_LINES = [
    ["check"],
    ["check", "--online", "--strict", "--wait-lock", "5"],
    ["--config", "c.toml", "check"],
    ["--config=c.toml", "--debug", "check", "--config", "other.toml"],
    ["--conf", "check", "plan", "--period", "2026-10"],
    ["--debug", "plan", "--json", "--as-of", "2026-11-02"],
    ["sync", "--dry-run", "--period", "2026-10", "--wait-lock", "1.5"],
    ["daemon", "--run-now", "master_data", "--run-now", "invoicing"],
    ["status", "--check", "--warn-hours", "3", "--runs", "2"],
    ["report", "7", "--out", "reports"],
    ["ledger", "backup", "copy.sqlite"],
    ["ledger", "rebind", "--config", "c.toml"],
    ["ledger", "resolve", "inv:2026-04:SP-1", "--netvisor-has", "new", "--by", "maija"],
    ["reconcile"],
    ["quarantine", "list", "--all", "--json"],
    ["quarantine", "retry", "3", "SP-1", "--as-of", "2026-11-02"],
    ["review", "list", "--period", "2026-10"],
    ["review", "approve", "4", "5", "--note", "ok"],
    ["psop", "export", "--period", "2026-10", "--format", "xlsx"],
    ["psop", "import", "report.csv", "--report-date", "2026-11-05"],
    ["mappings", "schema", "--out", "schemas"],
    ["completion", "zsh"],
    ["demo", "--keep"],
    ["sandbox", "serve", "--port", "8080", "--seed", "3"],
]


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_the_parser_of_one_command_reads_its_command_line_as_the_whole_tree_does(argv):
    command = command_of(argv)
    assert command is not None
    assert vars(build_parser(command).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_every_command_is_known_to_the_one_command_parser():
    whole = build_parser()
    sub = next(a for a in whole._actions if a.dest == "command")
    assert [name for names, _ in COMMANDS for name in names] == list(sub.choices)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check"], "check"),
        (["--config", "check", "plan"], "plan"),
        (["--config=check", "status"], "status"),
        (["--c", "x.toml", "--deb", "sync"], "sync"),
        (["--debug", "review", "list"], "review"),
        ([], None),
        (["--help"], None),
        (["-h", "check"], None),
        (["--version"], None),
        (["--verbose", "check"], None),  # an unknown option: the whole parser reports it
        (["--debug=yes", "check"], None),
        (["chek"], None),  # a typo: the whole parser lists the commands
        (["--", "check"], None),
    ],
)
def test_the_command_is_read_from_the_command_line_only_when_certain(argv, expected):
    assert command_of(argv) == expected


@pytest.mark.parametrize("argv", [["chek"], ["--verbose", "check"]])
def test_a_wrong_command_line_is_judged_by_the_whole_tree(argv, capsys):
    with pytest.raises(SystemExit) as raised:
        build_parser(command_of(argv)).parse_args(argv)
    assert raised.value.code == 64
    err = capsys.readouterr().err
    # in Finnish, the default language (connector/texts/cli_help.py)
    assert "käyttö: connector [-h] [--version] [--debug] [--config CONFIG] COMMAND" in err
    if argv == ["chek"]:
        assert "virheellinen valinta: 'chek'" in err and "'sandbox'" in err  # every command
    else:
        assert "connector: virhe: tuntemattomat argumentit: --verbose" in err
