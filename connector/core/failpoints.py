"""Named crash points for crash tests: kill the process at the dangerous instants.

Inactive unless the environment variable ``CONNECTOR_FAILPOINTS`` is set, e.g.::

    CONNECTOR_FAILPOINTS="after_sending:invoice"      # SIGKILL right after `sending` is committed
    CONNECTOR_FAILPOINTS="after_answer:invoice@2"     # ... after the 2nd invoice answer arrives

Each entry is ``name[:kind][@n]`` (comma-separated); ``n`` counts matching hits from 1. The
process kills itself with SIGKILL — no cleanup, no flush — exactly like a power cut of the
process. Production code calls :func:`hit` at the points; it costs one dict lookup when unset.

A point is hit where its instant is, so a kill there leaves the same ledger and the same
Netvisor every time: ``after_answer`` on the thread that sends the writes, the moment an
answer is read and before the write queued behind it may leave (``connector/sync/apply.py``).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "CONNECTOR_FAILPOINTS"
_hits: Counter[tuple[str, str]] = Counter()


def _parse(spec: str) -> list[tuple[str, str | None, int]]:
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        nth = 1
        if "@" in item:
            item, n = item.rsplit("@", 1)
            if not n.isdigit():
                continue  # a malformed entry never breaks a production code path
            nth = int(n)
        name, _, kind = item.partition(":")
        out.append((name, kind or None, nth))
    return out


def hit(name: str, kind: str = "") -> None:
    """Crash here if ``CONNECTOR_FAILPOINTS`` names this point (and kind, and hit count)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    _hits[(name, kind)] += 1
    for point, want_kind, nth in _parse(spec):
        if point == name and (want_kind is None or want_kind == kind):
            count = (
                _hits[(name, kind)]
                if want_kind
                else sum(v for (n, _), v in _hits.items() if n == name)
            )
            if count == nth:
                os.kill(os.getpid(), signal.SIGKILL)
