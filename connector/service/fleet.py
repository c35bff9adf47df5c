"""A fleet: one process runs many client companies, each with its own ordinary connector config.

An accounting firm keeps tens to hundreds of Netvisor companies. Netvisor takes one request at a
time *per company*, so a firm's throughput comes from running companies side by side. The fleet
file (TOML) lists them::

    [fleet]
    max_parallel = 8          # companies running at once (the only global throttle)
    language = "fi"           # what the fleet commands print
    metrics_file = "fleet.prom"        # optional: every company's figures, `company` label
    [fleet.schedule]          # for companies whose config has no [schedule] of its own
    master_data = "0 2 * * *"
    invoicing = "30 6 * * *"
    jitter_seconds = 900      # each company starts up to this much later (fixed per name)
    [[company]]
    name = "acme"             # [a-z0-9-]+, unique
    config = "acme/config.toml"

Each company's config is an ordinary connector config (its own credentials, mappings, ledger,
outbox, reports); its relative paths resolve in its own folder, as ``--config`` does. Nothing
of a company is shared with another: two companies on one Netvisor company (same host,
customer id and organisation id) or on one ledger are refused, as they would break one request
at a time and exactly once.

This module reads and checks the fleet (:func:`load_fleet`, :func:`check_fleet`); running it
is :mod:`connector.service.fleet_run` (one pass) and :mod:`connector.service.fleet_daemon`
(schedules).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connector.core.config import Config, ScheduleSection, load_config, problems_from_validation
from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded
from connector.core.tomlsource import find_line, read_toml

#: the environment variable naming the fleet file when ``--fleet`` is not given
FLEET_ENV = "CONNECTOR_FLEET"
DEFAULT_FLEET = "fleet.toml"
NAME = re.compile(r"[a-z0-9-]+")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FleetSchedule(_Section):
    """The fleet's default schedule, for companies whose config has no ``[schedule]``."""

    timezone: str = "Europe/Helsinki"
    master_data: str | None = "0 2 * * *"
    invoicing: str | None = "30 6 * * *"
    #: each company's firings are shifted by a fixed share of this (from its name), so a
    #: hundred companies do not start in the same second
    jitter_seconds: int = Field(900, ge=0, le=6 * 3600)
    misfire_grace_seconds: int | None = Field(None, ge=1)

    _checked = field_validator("master_data", "invoicing")(
        ScheduleSection._cron.__func__  # type: ignore[attr-defined]
    )
    _zone = field_validator("timezone")(
        ScheduleSection._zone.__func__  # type: ignore[attr-defined]
    )

    def as_schedule(self) -> ScheduleSection:
        return ScheduleSection(
            timezone=self.timezone,
            master_data=self.master_data,
            invoicing=self.invoicing,
            misfire_grace_seconds=self.misfire_grace_seconds,
        )


class FleetSection(_Section):
    max_parallel: int = Field(8, ge=1, le=256)
    language: Literal["fi", "en"] = "fi"
    metrics_file: Path | None = None
    log_format: Literal["console", "json"] = "console"  # the daemon always logs JSON
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: a company that keeps failing is retried after 2^n minutes, at most this many
    backoff_max_minutes: int = Field(240, ge=1, le=7 * 24 * 60)
    schedule: FleetSchedule = Field(default_factory=FleetSchedule)


class CompanyEntry(_Section):
    name: str
    config: Path

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError(f"{value!r}: a company name is lower-case letters, digits and '-'")
        return value


class _FleetModel(_Section):
    fleet: FleetSection = Field(default_factory=FleetSection)
    company: list[CompanyEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Company:
    """One client company of the fleet. ``config`` is None when its config could not be read
    (``problems`` says why); a fleet command then reports that company as failed."""

    name: str
    config_path: Path
    config: Config | None
    #: the company's own ``[schedule]``, or None: it follows the fleet's default schedule
    own_schedule: bool = False
    problems: tuple[ConfigProblem, ...] = ()

    def schedule(self, fleet: Fleet) -> ScheduleSection:
        if self.own_schedule and self.config is not None:
            return self.config.schedule
        return fleet.settings.schedule.as_schedule()

    def jitter(self, fleet: Fleet) -> int:
        """Seconds this company's firings come after its cron times (0 with its own schedule)."""
        spread = fleet.settings.schedule.jitter_seconds
        if self.own_schedule or spread == 0:
            return 0
        digest = hashlib.sha256(self.name.encode()).digest()
        return int.from_bytes(digest[:4], "big") % spread


@dataclass(frozen=True)
class Fleet:
    path: Path
    settings: FleetSection
    companies: list[Company] = field(default_factory=list)

    @property
    def max_parallel(self) -> int:
        return self.settings.max_parallel

    def company(self, name: str) -> Company:
        for company in self.companies:
            if company.name == name:
                return company
        raise KeyError(name)

    def select(self, names: list[str] | None) -> list[Company]:
        """The named companies (all when none are named); an unknown name is a ConfigError."""
        if not names:
            return list(self.companies)
        known = {c.name for c in self.companies}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                ConfigProblem(
                    str(self.path),
                    None,
                    "company",
                    worded("fleet_unknown", names=", ".join(unknown)),
                )
            )
        wanted = set(names)
        return [c for c in self.companies if c.name in wanted]

    @property
    def problems(self) -> list[ConfigProblem]:
        return [p for c in self.companies for p in c.problems]


def fleet_path(given: str | None) -> Path:
    import os

    return Path(given or os.environ.get(FLEET_ENV) or DEFAULT_FLEET).expanduser().resolve()


def load_fleet(path: str | Path, *, strict: bool = True) -> Fleet:
    """Read the fleet file and every company's config.

    A broken fleet file (bad TOML, unknown key, bad or repeated name, two companies on one
    Netvisor company or one ledger) always raises :class:`ConfigError` with every problem.
    A company whose own config is broken raises too with ``strict``; without it the company is
    returned with ``config=None`` and its problems, so the other companies still run.
    """
    path = Path(path).expanduser().resolve()
    text, raw = read_toml(path)
    try:
        model = _FleetModel.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            problems_from_validation(path, text, exc, unknown=worded("key_unknown"))
        ) from None
    settings = model.fleet
    if settings.metrics_file is not None and not settings.metrics_file.is_absolute():
        settings = settings.model_copy(
            update={"metrics_file": (path.parent / settings.metrics_file).resolve()}
        )
    problems: list[ConfigProblem] = []
    companies: list[Company] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(model.company):
        where = find_line(text, ["company", i, "name"])
        if entry.name in seen:
            problems.append(
                ConfigProblem(
                    str(path),
                    where,
                    f"company[{i}].name",
                    worded("named_twice", name=repr(entry.name)),
                )
            )
            continue
        seen[entry.name] = i
        companies.append(_load_company(path, entry))
    if not model.company:
        problems.append(ConfigProblem(str(path), None, "company", worded("fleet_empty")))
    problems.extend(_shared(path, text, model.company, companies))
    if problems:
        raise ConfigError(problems)
    fleet = Fleet(path, settings, companies)
    if strict and fleet.problems:
        raise ConfigError(fleet.problems)
    return fleet


def _load_company(path: Path, entry: CompanyEntry) -> Company:
    config_path = entry.config.expanduser()
    if not config_path.is_absolute():
        config_path = (path.parent / config_path).resolve()
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return Company(entry.name, config_path, None, problems=tuple(exc.problems))
    own = _has_schedule(config_path)
    return Company(
        entry.name, config_path, dataclasses.replace(config, company=entry.name), own_schedule=own
    )


def _has_schedule(config_path: Path) -> bool:
    """Whether the config sets a ``[schedule]`` of its own (else the fleet's default applies)."""
    try:
        return "schedule" in tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False


def _shared(
    path: Path, text: str, entries: list[CompanyEntry], companies: list[Company]
) -> list[ConfigProblem]:
    """Two companies on one Netvisor company or one ledger: each pair named once."""
    from connector.sync.outputs import environment

    index = {e.name: i for i, e in reversed(list(enumerate(entries)))}
    problems = []
    by_netvisor: dict[tuple[str, ...], str] = {}
    by_ledger: dict[Path, str] = {}
    for company in companies:
        if company.config is None:
            continue
        where = find_line(text, ["company", index[company.name], "config"])
        key = f"company[{index[company.name]}].config"
        env = environment(company.config)
        nv = (env["netvisor_host"], env["netvisor_customer_id"], env["netvisor_organisation_id"])
        clashes = []
        other = by_netvisor.setdefault(nv, company.name)
        if other != company.name:
            clashes.append(
                f"{company.name!r} and {other!r} are the same Netvisor company (host "
                f"{nv[0]}, customer id {nv[1]}, organisation id {nv[2]}): Netvisor takes one "
                "request at a time per company; list it once"
            )
        other = by_ledger.setdefault(company.config.ledger_path, company.name)
        if other != company.name:
            clashes.append(
                f"{company.name!r} and {other!r} share the ledger "
                f"{company.config.ledger_path}: every company needs its own"
            )
        problems.extend(ConfigProblem(str(path), where, key, clash) for clash in clashes)
    return problems


@dataclass(frozen=True)
class CompanyCheck:
    name: str
    problems: tuple[ConfigProblem, ...]
    warnings: tuple[str, ...] = ()
    summary: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_company(company: Company) -> CompanyCheck:
    """Config, secrets and mappings of one company (offline), every problem collected."""
    from connector.mapping import load_mappings

    if company.config is None:
        return CompanyCheck(company.name, company.problems)
    config = company.config
    problems: list[ConfigProblem] = []
    try:
        config.load_secrets()
    except ConfigError as exc:
        problems.extend(exc.problems)
    summary = ""
    try:
        mappings = load_mappings(config.mappings_folder)
        summary = (
            f"{len(mappings.regions)} regions, {len(mappings.targets)} targets, "
            f"{len(mappings.products)} products"
        )
    except ConfigError as exc:
        problems.extend(exc.problems)
    return CompanyCheck(
        company.name, tuple(problems), tuple(config.secret_file_warnings()), summary
    )


def check_fleet(fleet: Fleet, names: list[str] | None = None) -> list[CompanyCheck]:
    return [check_company(c) for c in fleet.select(names)]


def describe(fleet: Fleet) -> dict[str, Any]:
    """The fleet as plain data (for logs and ``--json``)."""
    return {
        "fleet": str(fleet.path),
        "max_parallel": fleet.max_parallel,
        "companies": [
            {"name": c.name, "config": str(c.config_path), "ok": c.config is not None}
            for c in fleet.companies
        ],
    }
