"""The one TOML config file: read, validated, its paths made absolute, secrets kept out of it.

Every problem is collected and reported with file, line and key before anything runs (exit 2).
Secrets (Spotilla token/password, Netvisor customer/partner keys) are read from environment
variables or ``*_file`` paths named in the config; a secret value written into the TOML itself is
refused. This module owns the validated :class:`Config`, its secrets and :func:`load_config`;
what each section may hold is :mod:`connector.core.config_sections`, the address checks
:mod:`connector.core.endpoints`, the crontab lines :mod:`connector.core.cron`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from connector.core.config_sections import (
    AlertsSection,
    ConfigModel,
    ConnectorSection,
    ConsoleSection,
    MappingsSection,
    NetvisorSection,
    ScheduleSection,
    SpotillaSection,
)
from connector.core.endpoints import PostgresLedger
from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded
from connector.core.secrets import Secret, load_secret, secret_file_warning
from connector.core.tomlsource import find_line, read_toml

# Keys that would hold a secret value; only their *_env / *_file forms are allowed.
SECRET_KEYS = {
    "connector": ("ledger_password",),
    "spotilla": ("token", "password"),
    "netvisor": ("customer_key", "partner_key"),
}


@dataclass(frozen=True)
class Secrets:
    """Secret values, resolved from the environment or files; never printed."""

    spotilla_token: Secret | None
    spotilla_password: Secret | None
    netvisor_customer_key: Secret
    netvisor_partner_key: Secret


@dataclass(frozen=True)
class Config:
    """A validated config. Paths are absolute (relative ones resolve against the file's folder)."""

    path: Path
    connector: ConnectorSection
    spotilla: SpotillaSection
    netvisor: NetvisorSection
    mappings: MappingsSection
    schedule: ScheduleSection
    alerts: AlertsSection = field(default_factory=AlertsSection)
    console: ConsoleSection = field(default_factory=ConsoleSection)
    #: the company's name when a fleet runs it (logs, metrics and alerts say which company)
    company: str | None = None

    @property
    def ledger_path(self) -> Path | PostgresLedger:
        """The SQLite file, or the PostgreSQL ledger (server URL and company key)."""
        return self.connector.ledger  # type: ignore[return-value]

    @property
    def ledger_on_postgres(self) -> bool:
        return isinstance(self.connector.ledger, PostgresLedger)

    @property
    def mappings_folder(self) -> Path:
        return self.mappings.folder

    def secret_file_warnings(self) -> list[str]:
        """One line per configured secret file that group or others may read (for ``check``)."""
        files = {
            "spotilla.token_file": self.spotilla.token_file,
            "spotilla.password_file": self.spotilla.password_file,
            "netvisor.customer_key_file": self.netvisor.customer_key_file,
            "netvisor.partner_key_file": self.netvisor.partner_key_file,
            "connector.ledger_password_file": self.connector.ledger_password_file,
        }
        warnings = []
        for key, file in files.items():
            warning = secret_file_warning(file) if file is not None else None
            if warning:
                warnings.append(worded("config_warning", path=self.path, key=key, why=warning))
        return warnings

    def load_secrets(self) -> Secrets:
        """Resolve every secret; raises ConfigError naming the key (never the value)."""
        problems: list[ConfigProblem] = []
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""

        def get(section: str, name: str, env: str | None, file: Path | None, required: bool):
            try:
                return load_secret(f"{section}.{name}", env=env, file=file, required=required)
            except ValueError as exc:
                problems.append(
                    ConfigProblem(
                        str(self.path),
                        find_line(text, [section, f"{name}_env"]) or find_line(text, [section]),
                        f"{section}.{name}",
                        str(exc),
                    )
                )
                return None

        sp, nv = self.spotilla, self.netvisor
        token = get("spotilla", "token", sp.token_env, sp.token_file, required=False)
        password = get("spotilla", "password", sp.password_env, sp.password_file, required=False)
        if token is None and password is None:
            problems.append(
                ConfigProblem(
                    str(self.path),
                    find_line(text, ["spotilla"]),
                    "spotilla.token",
                    worded("spotilla_credentials_missing", env=sp.token_env or "SPOTILLA_TOKEN"),
                )
            )
        elif token is None and not sp.username:
            problems.append(
                ConfigProblem(
                    str(self.path),
                    find_line(text, ["spotilla"]),
                    "spotilla.username",
                    worded("spotilla_username_missing"),
                )
            )
        elif token is not None and not sp.user_id:
            problems.append(
                ConfigProblem(
                    str(self.path),
                    find_line(text, ["spotilla"]),
                    "spotilla.user_id",
                    worded("spotilla_user_id_missing"),
                )
            )
        ck = get("netvisor", "customer_key", nv.customer_key_env, nv.customer_key_file, True)
        pk = get("netvisor", "partner_key", nv.partner_key_env, nv.partner_key_file, True)
        if problems:
            raise ConfigError(problems)
        assert ck is not None and pk is not None
        return Secrets(token, password, ck, pk)


def problems_from_validation(
    path: Path,
    text: str,
    exc: ValidationError,
    unknown: str | None = None,
) -> list[ConfigProblem]:
    """pydantic's errors of a TOML file as file:line:key problems (``unknown``: what an
    unknown key is called; by default it points to config.example.toml)."""
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if isinstance(p, str | int)]
        key = ".".join(str(p) for p in loc)
        msg = re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
        if err["type"] == "extra_forbidden":
            msg = unknown or worded("config_key_unknown")
        elif err["type"] == "missing":
            msg = worded("config_key_missing")
        problems.append(ConfigProblem(str(path), find_line(text, loc), key, msg))
    return problems


def _ledger_location(model: ConfigModel, path: Path, text: str) -> Path | PostgresLedger:
    """The SQLite file (absolute), or the PostgreSQL ledger with its password resolved."""
    section = model.connector
    if not isinstance(section.ledger, str):
        p = section.ledger.expanduser()
        return p if p.is_absolute() else (path.parent / p).resolve()
    password = None
    env, file = section.ledger_password_env, section.ledger_password_file
    if env or file:
        if file is not None and not file.is_absolute():
            file = (path.parent / file.expanduser()).resolve()
        try:
            password = load_secret("connector.ledger_password", env=env, file=file, required=True)
        except ValueError as exc:
            raise ConfigError(
                ConfigProblem(
                    str(path),
                    find_line(
                        text,
                        ["connector", "ledger_password_env" if env else "ledger_password_file"],
                    ),
                    "connector.ledger_password",
                    str(exc),
                )
            ) from None
    assert section.company is not None  # the model requires it with a PostgreSQL ledger
    return PostgresLedger(
        url=section.ledger,
        company=section.company,
        password=password,
        lease_seconds=section.lease_seconds,
        request_timeout=model.netvisor.timeout,
    )


def load_config(path: str | Path) -> Config:
    """Read and validate the TOML config at ``path``; raises ConfigError with every problem."""
    path = Path(path).expanduser().resolve()
    text, raw = read_toml(path)

    problems: list[ConfigProblem] = []
    for section, keys in SECRET_KEYS.items():
        for key in keys:
            if isinstance(raw.get(section), dict) and key in raw[section]:
                problems.append(
                    ConfigProblem(
                        str(path),
                        find_line(text, [section, key]),
                        f"{section}.{key}",
                        worded("secret_in_config", key=key),
                    )
                )
                raw[section] = {k: v for k, v in raw[section].items() if k != key}
    try:
        model = ConfigModel.model_validate(raw)
    except ValidationError as exc:
        problems.extend(problems_from_validation(path, text, exc))
        model = None
    if problems or model is None:
        raise ConfigError(problems)

    base = path.parent

    def absolute(p: Path | None) -> Path | None:
        if p is None:
            return None
        p = p.expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    connector = model.connector.model_copy(
        update={
            "ledger": _ledger_location(model, path, text),
            "ledger_password_file": absolute(model.connector.ledger_password_file),
            "outbox": absolute(model.connector.outbox),
            "metrics_file": (
                absolute(model.connector.metrics_file) if model.connector.metrics_file else None
            ),
            "reports": absolute(model.connector.reports),
        }
    )
    mappings = model.mappings.model_copy(update={"folder": absolute(model.mappings.folder)})
    spotilla = model.spotilla.model_copy(
        update={
            "token_file": absolute(model.spotilla.token_file),
            "password_file": absolute(model.spotilla.password_file),
        }
    )
    netvisor = model.netvisor.model_copy(
        update={
            "customer_key_file": absolute(model.netvisor.customer_key_file),
            "partner_key_file": absolute(model.netvisor.partner_key_file),
        }
    )
    console = model.console.model_copy(update={"users_file": absolute(model.console.users_file)})
    return Config(
        path, connector, spotilla, netvisor, mappings, model.schedule, model.alerts, console
    )
