"""Every command's help has a description (Finnish and English in the catalogue) and examples,
and every example is a command line the parser accepts."""

from __future__ import annotations

import shlex

import pytest

from connector.cli.completion import command_words
from connector.cli.main import main
from connector.cli.parser import EXAMPLES, build_parser
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
