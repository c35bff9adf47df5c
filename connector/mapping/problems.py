"""How a mapping file's problems are gathered: where a record lives (file, label, line), reading
TOML, and pydantic's errors turned into ``file:line: key: message`` problems, all at once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connector.core.errors import ConfigProblem
from connector.core.money import to_decimal
from connector.core.reasons import reason as worded
from connector.core.tomlsource import TomlLocator
from connector.mapping.models import (
    TargetMapping,
)


@dataclass(frozen=True)
class Site:
    """Where a record lives: file, a label for messages, and how to find a key's line."""

    file: str
    label: str
    line_of: Callable[[Sequence[str | int]], int | None]

    def problem(self, key: Sequence[str | int] | str, message: str) -> ConfigProblem:
        path = (key,) if isinstance(key, str) else tuple(key)
        name = self.label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return ConfigProblem(self.file, self.line_of(path), name, message)


class Collector:
    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self.product_codes: set[str] = set()  # every product code written, valid or not
        self.region_codes: set[str] = set()  # every region code written, valid or not

    def add(self, problem: ConfigProblem) -> None:
        self.problems.append(problem)

    def validation(self, site: Site, error: ValidationError, rename: dict[str, str]) -> None:
        """Turn pydantic's errors into problems, one per location."""
        seen: set[tuple[Any, ...]] = set()
        for item in error.errors():
            loc = tuple(rename.get(p, p) if isinstance(p, str) else p for p in item["loc"])
            # union members ("str", "list[str]") add noise to the location: cut them off
            loc = tuple(p for p in loc if not (isinstance(p, str) and p in {"str", "list[str]"}))
            if loc in seen:
                continue
            seen.add(loc)
            message = re.sub(r"^(Value|Assertion) error, ", "", item["msg"])
            self.add(site.problem(loc or ("",), message) if loc else whole(site, message))


def whole(site: Site, message: str) -> ConfigProblem:
    return ConfigProblem(site.file, site.line_of(()), site.label, message)


def read_toml(path: Path, out: Collector) -> tuple[dict[str, Any], TomlLocator] | tuple[None, None]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text, parse_float=to_decimal)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        out.add(
            ConfigProblem(
                path.name, int(found.group(1)) if found else None, "", worded("not_toml", error=exc)
            )
        )
        return None, None
    return data, TomlLocator(text)


def entries(
    data: dict[str, Any],
    table: str,
    allowed: set[str],
    file: str,
    loc: TomlLocator,
    out: Collector,
) -> list[dict[str, Any]]:
    """The array of tables ``table`` of a file; unknown top-level keys are problems."""
    for key in data:
        if key not in allowed:
            line = loc.line_of((key,)) or loc.line_of((key, 0))
            out.add(ConfigProblem(file, line, key, worded("key_unknown_top")))
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        out.add(
            ConfigProblem(file, loc.line_of((table,)), table, worded("mapping_tables", table=table))
        )
        return []
    return entries


def toml_site(file: str, loc: TomlLocator, table: str, index: int, ident: object) -> Site:
    label = f"{table}[{ident}]" if isinstance(ident, str) and ident else f"{table}[#{index + 1}]"
    return Site(file, label, lambda p: loc.line_of((table, index, *p)))


def validate(
    model: type[BaseModel],
    raw: dict[str, Any],
    site: Site,
    out: Collector,
    rename: dict[str, str] | None = None,
) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        out.validation(site, exc, rename or {})
        return None


@dataclass
class LoadedTarget:
    mapping: TargetMapping
    site: Site
    voucher_sites: list[Site]
