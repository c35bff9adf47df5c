"""outbox: a dry run writes every body it would send into a private folder."""

from __future__ import annotations

import stat
from pathlib import Path

from sync.helpers import customer, invoice, product

from connector.sync.outbox import render_outbox
from connector.sync.plan import make_plan


def test_a_dry_run_writes_the_plan_and_one_private_xml_file_per_write(tmp_path: Path) -> None:
    plan = make_plan([customer(), product(), invoice()], {})
    folder = render_outbox(tmp_path / "outbox", plan)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "0001-create-cust_C1.xml",
        "0002-create-prod_KOTIHOITO.xml",
        "0003-create-inv_2026-04_C1.xml",
        "plan.txt",
    ]
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    assert b"<InternalIdentifier>C1</InternalIdentifier>" in (folder / files[0]).read_bytes()
    assert "inv:2026-04:C1" in (folder / "plan.txt").read_text()
