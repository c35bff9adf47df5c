"""connector/core/models.py: the deferred models are built before threads use them.

A fleet's companies start in worker threads and each loads its mappings at once. With
pydantic 2.13 a deferred model built by several threads together was validated, now and then,
with its base class's validator: a valid region file failed as "8 validation errors for
_Record", a valid customers.toml as "spotilla_id: Extra inputs are not permitted", and the
company's run failed (seen in CI as a fleet company crashing at its start).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# in a fresh interpreter: nothing is built yet when the script starts
SCRIPT = r"""
import json, sys, threading
from pydantic import BaseModel

import connector.sync
from connector.core.models import _subclasses

def deferred():
    return sorted(
        m.__qualname__ for m in _subclasses(BaseModel)
        if m.__module__.startswith("connector.")
        and not m.__dict__.get("__pydantic_complete__", False)
    )

before = deferred()
connector.sync.prepare_threads()
after = deferred()

# then the fleet's shape: eight threads load the same mappings at the same instant, with the
# interpreter switching threads as often as it can
from connector.mapping.loader import load_mappings
sys.setswitchinterval(1e-6)
errors, start = [], threading.Barrier(8)
def load():
    start.wait()
    try:
        load_mappings(sys.argv[1])
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:300])
threads = [threading.Thread(target=load) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"before": before, "after": after, "errors": errors}))
"""


def test_prepare_threads_leaves_no_connector_model_to_be_built_by_a_worker_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(REPO / "mappings")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout)
    # the mapping records stay deferred at import (`connector check` stays quick) ...
    assert "Region" in seen["before"] and "RegionEntry" in seen["before"]
    # ... and none is left for the threads
    assert seen["after"] == []
    assert seen["errors"] == []
