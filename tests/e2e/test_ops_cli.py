"""Operator-facing CLI behaviour through the real CLI: a cut-short reader keeps the exit code,
every hint names a command that works on what it is hinted for, a re-rendered report never
overwrites the run's own, backups refuse a missing folder, ids that name nothing exit 64."""

from __future__ import annotations

import os
import subprocess

import pytest
from e2e.harness import base_data, task

from connector.core.errors import EXIT_OK, EXIT_PARTIAL

pytestmark = pytest.mark.e2e
AS_OF = "2026-05-02"


def work(*extra: dict) -> dict:
    data = base_data()
    data["tasks"] = [
        task("T1", "L0100", "2026-04-10", quantity="1", unit_price="20.00"),
        task("T2", "L0001", "2026-04-11", hours="2"),
        *extra,
    ]
    return data


def unmapped() -> dict:
    return task("T9", "L0100", "2026-04-12", quantity="1", unit_price="5.00", code="EI-MAPATTU")


def run_with_reader_gone(env, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has already gone (``| head -c 0``)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            env.cli_args(*args),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env._env(None),
            cwd=env.tmp,
            timeout=120,
        )
    finally:
        os.close(write_end)


def test_a_reader_that_goes_away_does_not_turn_a_warning_into_success(make_env):
    env = make_env(work(unmapped()))
    piped = run_with_reader_gone(env, "sync", "--as-of", AS_OF)
    assert piped.returncode == EXIT_PARTIAL, piped.stderr  # a quarantined record: 1, as unpiped
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr
    # the run went to its end: the second run has nothing left to create
    unpiped = env.cli("sync", "--as-of", AS_OF)
    assert unpiped.returncode == EXIT_PARTIAL and "0 created" in unpiped.stdout, unpiped.stdout

    check = env.cli("status", "--check")
    assert check.returncode != EXIT_OK, check.stdout  # the quarantined record warns
    piped = run_with_reader_gone(env, "status", "--check")
    assert piped.returncode == check.returncode, piped.stderr
    assert "Traceback" not in piped.stderr

    # a command that succeeds still exits 0 with its reader gone
    piped = run_with_reader_gone(env, "status", "--runs", "1000")
    assert piped.returncode == EXIT_OK and "Traceback" not in piped.stderr
