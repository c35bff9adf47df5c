"""The dry-run outbox: every XML body a run would send, written to a fresh private folder.

The folder is created ``0700`` and each file ``0600``: the bodies carry customer names and
addresses. Bodies are rendered by the same per-kind writer the apply phase uses.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from connector.core.domain import HELSINKI
from connector.sync.apply import render
from connector.sync.plan import Plan, render_table


def _safe_filename(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", key)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)  # also when the file existed with wider rights


def render_outbox(root: Path, plan: Plan) -> Path:
    """Write the plan table and one XML file per write into ``root/dry-run-<time>``."""
    stamp = datetime.now(HELSINKI).strftime("%Y%m%dT%H%M%S")
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"dry-run-{stamp}"
    folder.mkdir(mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, never widened
    _write_private(folder / "plan.txt", (render_table(plan.actions) + "\n").encode("utf-8"))
    for i, action in enumerate(plan.writes(), start=1):
        obj = action.obj
        body = render(obj)
        _write_private(folder / f"{i:04d}-{action.kind}-{_safe_filename(obj.key)}.xml", body)
    return folder
