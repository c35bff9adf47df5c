"""``connector completion bash``: generated from the parser, valid bash, and it completes
subcommands and their options."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from connector.cli.completion import bash_script, command_words
from connector.cli.parser import build_parser


def test_every_subcommand_and_its_options_are_known_to_the_completion() -> None:
    words = command_words(build_parser())
    assert {"sync", "plan", "status", "quarantine", "report", "ledger"} <= set(words[""])
    assert "--check" in words["status"] and "--config" in words["status"]
    assert {"backup", "rebind"} <= set(words["ledger"])
    assert "--json" in words["quarantine list"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("connector sta", {"status"}),
        ("connector status --ch", {"--check"}),
        ("connector --config c.toml quarantine li", {"list"}),
        ("connector ledger re", {"rebind", "resolve"}),
    ],
)
def test_bash_completes_a_partial_command_line(tmp_path, line, expected) -> None:
    script = tmp_path / "connector.bash"
    script.write_text(bash_script(build_parser()))
    words = line.split(" ")
    probe = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}\n"
        "_connector; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert set(done.stdout.split()) == expected, done.stderr
