"""The CLI's last line of defence: an unexpected exception is one line and exit 3, never a
traceback on stdout and never exit 1 (1 means "finished, with quarantined records")."""

from __future__ import annotations

import pytest

from connector.cli import commands
from connector.cli import main as cli
from connector.core.errors import EXIT_ABORTED
from connector.core.logging import configure


def explode(args):
    raise KeyError("Testi Henkilö Yksi")  # an exception text may hold personal data


def test_an_unexpected_exception_is_one_line_and_exit_3(monkeypatch, capsys):
    monkeypatch.setattr(commands, "status", explode)
    configure()  # as the CLI does (an earlier test may have pointed logging elsewhere)
    assert cli.main(["status", "--config", "nowhere.toml"]) == EXIT_ABORTED
    out, err = capsys.readouterr()
    assert out == ""
    lines = [line for line in err.splitlines() if line.startswith("connector:")]
    assert len(lines) == 1
    # no config to say otherwise: Finnish, the default
    assert "status epäonnistui: odottamaton KeyError kohdassa test_cli.py:" in lines[0]
    assert "--debug" in lines[0]
    assert "Traceback" not in err and "Testi" not in err
    assert "unexpected_error" in err and "error_type=KeyError" in err  # the log line, on stderr


@pytest.mark.parametrize("argv", [["--debug", "status"], ["status", "--debug"]])
def test_debug_prints_the_traceback_to_stderr(monkeypatch, capsys, argv):
    monkeypatch.setattr(commands, "status", explode)
    configure()  # as the CLI does: logging on stderr
    assert cli.main([*argv, "--config", "nowhere.toml"]) == EXIT_ABORTED
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" in err and "KeyError" in err
