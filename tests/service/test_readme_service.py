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
