"""The systemd unit in the README is one an admin can copy: notify, watchdog, no restart on a bad
config or command line, a state directory, hardening, credentials — and no inline comments,
which systemd would read as part of the value."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def unit() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```ini\n# /etc/systemd/system/connector.service\n(.*?)```", text, re.S)
    assert block, "the README shows the unit file"
    settings: dict[str, list[str]] = {}
    for line in block.group(1).splitlines():
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        assert "#" not in value, f"inline comment in {line!r}"
        settings.setdefault(key, []).append(value)
    return settings


def test_the_readme_unit_is_a_hardened_notify_service_with_credentials() -> None:
    u = unit()
    assert u["Type"] == ["notify"] and int(u["WatchdogSec"][0]) > 0
    assert set(u["RestartPreventExitStatus"][0].split()) == {"2", "64"}
    assert u["StateDirectory"] == ["connector"]
    assert u["NoNewPrivileges"] == ["yes"] and u["ProtectSystem"] == ["strict"]
    assert len(u["LoadCredential"]) == 3
    assert "EnvironmentFile" not in u  # secrets as credentials, not in the environment


def service_config() -> dict:
    import tomllib

    text = README.read_text(encoding="utf-8")
    block = re.search(r"systemd sets for the service.*?```toml\n(.*?)```", text, re.S)
    assert block, "the README shows the config the service runs with"
    return tomllib.loads(block.group(1))


def test_every_file_the_service_writes_is_in_a_folder_protectsystem_strict_leaves_writable():
    u = unit()
    writable = [f"/var/lib/{d}/" for d in u["StateDirectory"]]
    writable += [p.rstrip("/") + "/" for v in u.get("ReadWritePaths", []) for p in v.split()]
    connector = service_config()["connector"]
    for key in ("ledger", "reports", "outbox", "metrics_file"):
        path = connector[key]
        assert any(path.startswith(w) for w in writable), f"{key} = {path!r} is read-only"
    assert connector["start_period"]  # a fresh ledger requires it


def test_the_readme_backup_unit_runs_as_the_service_user_into_its_own_folder():
    text = README.read_text(encoding="utf-8")
    block = re.search(
        r"```ini\n# /etc/systemd/system/connector-backup.service\n(.*?)```", text, re.S
    )
    assert block, "the README shows the backup unit"
    settings = dict(line.partition("=")[::2] for line in block.group(1).splitlines() if "=" in line)
    assert settings["User"] == "connector" and settings["Type"] == "oneshot"
    assert "connector ledger backup" in settings["ExecStart"]
    assert "/var/backups/connector/ledger-" in settings["ExecStart"]
    assert "install -d -o connector -g connector -m 0700 /var/backups/connector" in text
