"""Read a TOML file, and find the line of a key or table in its text (tomllib gives none).

:func:`read_toml` reads and parses a file, a failure as a file:line problem; it is the one
reader of the config file and the fleet file.

A path is a sequence of table names, array-of-tables indexes and a final key, e.g.
``("target", 3, "voucher", 1, "unit_value")`` is the ``unit_value`` key of the second
``[[target.voucher]]`` of the fourth ``[[target]]``. When a key cannot be found (inline
tables, dotted keys) the line of the closest enclosing table header is returned instead.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = r"""^\s*(?:"{k}"|'{k}'|{k})\s*="""


@dataclass(frozen=True)
class _Header:
    line: int  # 1-based
    name: str  # dotted, quotes and spaces removed
    is_array: bool


def _normalise(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


class TomlLocator:
    """Line numbers for paths into one TOML document."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers: list[_Header] = []
        for number, raw in enumerate(self.lines, start=1):
            match = _HEADER.match(raw)
            if match:
                self.headers.append(
                    _Header(number, _normalise(match.group(2)), match.group(1) == "[[")
                )

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of ``path``, or of its nearest enclosing table; None if unknown."""
        start, end = 1, len(self.lines) + 1  # the span [start, end) being searched
        best: int | None = None
        prefix = ""
        i = 0
        while i < len(path):
            part = str(path[i])
            name = f"{prefix}.{part}" if prefix else part
            following = path[i + 1] if i + 1 < len(path) else None
            inside = [h for h in self.headers if start <= h.line < end]
            if isinstance(following, int):
                elements = [h for h in inside if h.name == name and h.is_array]
                if following >= len(elements):
                    return best
                head = elements[following]
                start, end = head.line + 1, self._span_end(head, end)
                best = head.line
                prefix = name
                i += 2
                continue
            tables = [h for h in inside if h.name == name and not h.is_array]
            if tables:
                head = tables[0]
                start, end = head.line + 1, self._span_end(head, end)
                best = head.line
                prefix = name
                i += 1
                continue
            # a key: search the lines that belong directly to the current table, as a plain key
            # or as a dotted key spelling out the rest of the path (``a.b = 1``)
            direct_end = min([h.line for h in inside] + [end])
            rest = [str(p) for p in path[i:]]
            patterns = [re.compile(_KEY.format(k=re.escape(part)))]
            if len(rest) > 1 and not any(isinstance(p, int) for p in path[i:]):
                dotted = r"\s*\.\s*".join(
                    rf"""(?:"{re.escape(p)}"|'{re.escape(p)}'|{re.escape(p)})""" for p in rest
                )
                patterns.insert(0, re.compile(rf"^\s*{dotted}\s*="))
            for pattern in patterns:
                for number in range(start, direct_end):
                    if pattern.match(self.lines[number - 1]):
                        return number
            return best
        return best

    def _span_end(self, head: _Header, limit: int) -> int:
        """First line after ``head``'s table: the next header that is not one of its sub-tables."""
        for h in self.headers:
            if h.line <= head.line or h.line >= limit:
                continue
            if not h.name.startswith(head.name + "."):
                return h.line
        return limit


def find_line(text: str, path: Sequence[str | int]) -> int | None:
    """1-based line of ``path`` in TOML ``text`` (see :meth:`TomlLocator.line_of`)."""
    return TomlLocator(text).line_of(path)


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    """The text of the TOML file at ``path`` and what it holds; :class:`ConfigError` naming the
    file (and the line of a syntax error) when it cannot be read or parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            ConfigProblem(str(path), None, "", worded("cannot_read", error=exc.strerror))
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise ConfigError(
            ConfigProblem(str(path), line, "", worded("not_valid_toml", error=exc))
        ) from None
