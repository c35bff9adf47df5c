"""Every command's help has a description (Finnish and English in the catalogue) and examples,
and every example is a command line the parser accepts. Help and argparse's own messages are
Finnish, the default language: every option's help line has its Finnish line."""

from __future__ import annotations

import argparse
import shlex

import pytest

from connector.cli.completion import command_words
from connector.cli.main import main
from connector.cli.parser import EXAMPLES, build_parser
from connector.texts.cli_help import HELP_FI
from connector.texts.i18n import MESSAGES


def command_paths() -> list[str]:
    return [path for path in command_words(build_parser()) if path]


def test_every_command_has_a_description_in_both_languages_and_examples():
    paths = command_paths()
    assert "sync" in paths and "review approve" in paths and "sandbox serve" in paths
    for path in paths:
        texts = MESSAGES["cmd." + path.replace(" ", ".")]
        assert texts["fi"] and texts["en"], path
        assert EXAMPLES[path], path
    assert set(EXAMPLES) == set(paths)  # no example of a command that does not exist


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_every_example_is_a_command_line_the_parser_accepts(path: str):
    for example in EXAMPLES[path]:
        words = shlex.split(example)
        if ">" in words:
            words = words[: words.index(">")]
        assert words[0] == "connector" and " ".join(words[1:]).startswith(path), example
        args = build_parser().parse_args(words[1:])
        assert args.func is not None, example


def test_a_commands_help_shows_its_description_and_examples(capsys):
    with pytest.raises(SystemExit) as done:
        main(["sync", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Ajaa koko työn kerran" in out  # Finnish, the default language
    assert "esimerkkejä:\n  connector sync\n" in out
    assert "--json" in out


def help_lines(parser: argparse.ArgumentParser) -> list[str]:
    """Every help line of the parser tree: options' and the commands' lines in their lists."""
    found: list[str] = []
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            found.append(action.help)
        if isinstance(action, argparse._SubParsersAction):
            found += [a.help for a in action._choices_actions if a.help]
            for child in action.choices.values():
                found += help_lines(child)
    return found


def test_every_help_line_has_its_finnish_line():
    lines = set(help_lines(build_parser()))
    assert "the run summary as JSON" in lines and "run the job once now" in lines
    missing = sorted(line for line in lines if line not in HELP_FI)
    assert missing == [], "add these to connector/texts/cli_help.py HELP_FI"
    unused = sorted(set(HELP_FI) - lines)
    top = build_parser()  # the top level's description and epilog are in the table too
    assert unused == sorted({top.description, top.epilog}), "lines no option has any more"


@pytest.mark.parametrize("argv", [["--help"], ["sync", "--help"], ["fleet", "sync", "--help"]])
def test_help_reads_in_finnish_with_no_english_line_left(argv, capsys):
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("käyttö: connector") and "\nvalinnat:\n" in out
    assert "näytä tämä ohje ja lopeta" in out
    flat = " ".join(out.split())  # help wraps long lines
    english = [line for line in HELP_FI if " ".join(line.split()) in flat and len(line) > 12]
    assert english == [], english


def test_a_wrong_value_is_refused_in_finnish(capsys):
    with pytest.raises(SystemExit) as done:
        main(["sync", "--as-of", "31.12.2026"])
    assert done.value.code == 64
    err = capsys.readouterr().err
    assert "connector sync: virhe: argumentti --as-of: odotettiin päivää VVVV-KK-PP" in err
    assert "'31.12.2026'" in err
