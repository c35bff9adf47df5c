"""`connector check` (offline) starts fast because it imports only what it uses: the config and
mapping code, never the sync engine, the ledger, the API clients, the PSOP files or the logging
stack. Pinned by the modules a fresh interpreter holds after the command, not by timing."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import main as cli
from connector.cli.demo import example_mappings, write_config

REPO = Path(__file__).resolve().parents[1]

# runs the CLI in a fresh interpreter, then reports its exit code and every module imported
_RUN_AND_LIST_MODULES = """
import json, sys
from connector.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

#: what the offline check has no use for (packages: their submodules count too)
NOT_ON_THE_CHECK_PATH = (
    "connector.sync",
    "connector.ledger",
    "connector.billing",
    "connector.spotilla",
    "connector.netvisor",
    "connector.psop",
    "connector.sandbox",
    "connector.core.domain",
    "connector.core.logging",
    "connector.cli.ledger",
    "connector.cli.plan",
    "connector.cli.tools",
    "connector.cli.psop",
    "connector.console",
    "starlette",
    "jinja2",
    "uvicorn",
    "multipart",
    "httpx",
    "lxml",
    "sqlite3",
    "sqlite_utils",
    "psycopg",
    "psycopg_pool",
    "openpyxl",
    "numpy",
    "structlog",
    "babel",
    "apscheduler",
    "asyncio",
)


def _config(tmp_path: Path, extra: str = "") -> Path:
    creds = {
        "sender": "test",
        "customer_id": "c",
        "partner_id": "p",
        "organisation_id": "o",
        "customer_key": "customer-key",
        "partner_key": "partner-key",
    }
    return write_config(
        tmp_path,
        netvisor_url="http://127.0.0.1:9",
        netvisor_credentials=creds,
        spotilla_url="http://127.0.0.1:9/api",
        spotilla_credentials={"subdomain": "x", "user_id": "1", "token": "token-value"},
        mappings=example_mappings(),
        extra=extra,
    )


def _run(tmp_path: Path, *argv: str) -> tuple[int, list[str], str, str]:
    """Exit code, modules imported, stdout and stderr (without the module list)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST_MODULES, *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    *errors, last = done.stderr.strip().splitlines()
    report = json.loads(last)
    return report["code"], report["modules"], done.stdout, "\n".join(errors)


def _loaded(modules: list[str], package: str) -> list[str]:
    return [m for m in modules if m == package or m.startswith(package + ".")]


def test_the_offline_check_imports_neither_the_sync_engine_nor_the_logging_stack(tmp_path):
    config = _config(tmp_path)
    code, modules, out, _ = _run(tmp_path, "check", "--config", str(config))
    assert code == 0
    assert f"asetukset {config}: OK" in out  # the default language is Finnish
    assert f"mappaukset {example_mappings()}: " in out and out.rstrip().endswith("tuotetta: OK")
    loaded = {name: _loaded(modules, name) for name in NOT_ON_THE_CHECK_PATH}
    assert {name: found for name, found in loaded.items() if found} == {}
    # what it does use: the validated config and mappings
    assert "connector.core.config" in modules and "connector.mapping.loader" in modules


def test_the_check_of_a_postgresql_ledger_config_loads_no_database_driver(tmp_path):
    config = _config(tmp_path)
    config.write_text(
        config.read_text().replace(
            'ledger = "ledger.sqlite"',
            'ledger = "postgresql://connector@db.invalid/ledger"\ncompany = "acme"',
        )
    )
    code, modules, out, err = _run(tmp_path, "check", "--config", str(config))
    assert code == 0, err
    assert f"asetukset {config}: OK" in out  # Finnish, the default
    loaded = {name: _loaded(modules, name) for name in NOT_ON_THE_CHECK_PATH}
    assert {name: found for name, found in loaded.items() if found} == {}


def test_a_bad_config_is_reported_by_the_check_without_the_logging_stack_either(tmp_path):
    config = _config(tmp_path)
    config.write_text(config.read_text() + "\n[surprise]\nkey = 1\n")
    code, modules, _, err = _run(tmp_path, "check", "--config", str(config))
    assert code == 2
    assert "surprise: tuntematon avain" in err  # Finnish, the default
    assert not _loaded(modules, "structlog") and not _loaded(modules, "connector.sync")


def test_a_plain_schedule_is_checked_without_importing_apscheduler(tmp_path):
    schedule = '[schedule]\nmaster_data = "0 2 * * *"\ninvoicing = "30 6 * * 1-5"\n'
    config = _config(tmp_path, extra=schedule)
    code, modules, _, _ = _run(tmp_path, "check", "--config", str(config))
    assert code == 0
    assert not _loaded(modules, "apscheduler")


def test_a_schedule_line_that_is_not_plain_is_still_judged_by_apscheduler(tmp_path):
    config = _config(tmp_path, extra='[schedule]\ninvoicing = "30 6 * * mon-fry"\n')
    code, modules, _, err = _run(tmp_path, "check", "--config", str(config))
    assert code == 2
    assert "schedule.invoicing" in err and "mon-fry" in err
    assert _loaded(modules, "apscheduler")


def test_the_entry_point_exits_with_the_commands_code_without_collecting_at_shutdown(monkeypatch):
    frozen = []
    monkeypatch.setattr(cli, "main", lambda: 1)
    monkeypatch.setattr(cli.gc, "freeze", lambda: frozen.append(True))
    with pytest.raises(SystemExit) as exited:
        cli.run()
    assert exited.value.code == 1
    assert frozen == [True]


def test_python_m_connector_check_prints_everything_and_exits_0(tmp_path):
    config = _config(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "connector", "check", "--config", str(config)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[0] == f"asetukset {config}: OK"
    assert done.stdout.splitlines()[1].endswith("tuotetta: OK")


def test_the_check_pauses_the_garbage_collector_only_while_it_loads(tmp_path, capsys):
    config = _config(tmp_path)
    assert gc.isenabled()
    assert cli.main(["check", "--config", str(config)]) == 0
    assert gc.isenabled()
    config.write_text(config.read_text() + "\n[surprise]\n")
    assert cli.main(["check", "--config", str(config)]) == 2  # refused: restored all the same
    assert gc.isenabled()
    assert "tuotetta: OK" in capsys.readouterr().out
