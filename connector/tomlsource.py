"""Where a key stands in a TOML file: line numbers for error messages.

``tomllib`` parses without positions, so problems are located by scanning the text for the table
header and the key. Good enough to point a person at the right line; never used for parsing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _norm(part: str) -> str:
    return part.strip().strip("\"'")


def find_line(text: str, path: Sequence[str | int]) -> int | None:
    """1-based line of ``path`` (table names, array-of-table indexes, key) in TOML ``text``.

    ``("netvisor", "customer_id")`` finds ``customer_id =`` inside ``[netvisor]``;
    ``("targets", 2, "region")`` finds ``region =`` in the third ``[[targets]]`` table. Falls back
    to the nearest enclosing table's header line, or None when nothing matches.
    """
    keys = [str(p) for p in path if not isinstance(p, int)]
    indexes = [p for p in path if isinstance(p, int)]
    table: list[str] = []
    seen_aot: dict[str, int] = {}
    best: int | None = None
    lines = text.splitlines()
    for lineno, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            table = [_norm(p) for p in header.group(2).split(".")]
            if header.group(1) == "[[":
                name = ".".join(table)
                seen_aot[name] = seen_aot.get(name, -1) + 1
                if table == keys[: len(table)] and (not indexes or seen_aot[name] == indexes[0]):
                    best = best if best and len(table) < len(keys) - 1 else lineno
                    if len(table) == len(keys):
                        return lineno
            elif table == keys[: len(table)]:
                if len(table) == len(keys):
                    return lineno
                best = lineno
            continue
        key = _KEY.match(line)
        if not key:
            continue
        dotted = [_norm(p) for p in key.group(1).split(".")]
        full = table + dotted
        in_right_aot = True
        if indexes and table:
            in_right_aot = seen_aot.get(".".join(table), -1) == indexes[0]
        if in_right_aot and full == keys:
            return lineno
        if in_right_aot and len(full) < len(keys) and full == keys[: len(full)]:
            best = lineno
    return best
