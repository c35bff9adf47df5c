"""The one TOML config file: typed, validated, secrets kept out of it.

Every problem is collected and reported with file, line and key before anything runs (exit 2).
Secrets (Spotilla token/password, Netvisor customer/partner keys) are read from environment
variables or ``*_file`` paths named in the config; a secret value written into the TOML itself is
refused.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from connector.core.errors import ConfigError, ConfigProblem
from connector.core.reasons import reason as worded
from connector.core.secrets import Secret, load_secret, secret_file_warning
from connector.core.tomlsource import find_line

if TYPE_CHECKING:
    from connector.core.domain import Period

# Keys that would hold a secret value; only their *_env / *_file forms are allowed.
SECRET_KEYS = {
    "connector": ("ledger_password",),
    "spotilla": ("token", "password"),
    "netvisor": ("customer_key", "partner_key"),
}


class _Section(BaseModel):
    # defer_build: a section's validator is built when first used, not at import; loading a
    # config builds only _ConfigModel's (which covers every section)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(value: str) -> str:
    """An ``https://`` URL; ``http://`` only to a loopback host (tests, the sandbox).

    Credentials travel in headers (Spotilla's token) or feed a MAC whose request Netvisor could
    replay: over plain HTTP anybody on the path could read or reuse them.
    """
    parts = urlsplit(value.strip())
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return value
    if parts.scheme == "http" and host:
        if _is_loopback(host):
            return value
        raise ValueError(
            f"http:// is refused for {host!r}: credentials would travel unencrypted; use https:// "
            "(plain http is allowed only to 127.0.0.0/8, ::1 or localhost)"
        )
    raise ValueError(f"expected an https:// URL with a host, got {value!r}")


#: what a PostgreSQL ledger URL starts with (anything else is a SQLite file path)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
#: a company key: a PostgreSQL schema name part, lower case, stable for the company's lifetime
COMPANY_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class PostgresLedger:
    """Where a PostgreSQL ledger lives: the server (a libpq URL without a password), the
    company whose rows this config reads and writes, and how its lease behaves.

    The password comes from ``password`` (read from ``ledger_password_env``/``_file``) or from
    libpq's own ``PGPASSWORD``/``PGPASSFILE``; ``str()`` never shows it.
    """

    url: str
    company: str
    password: Secret | None = None
    lease_seconds: float = 60.0
    # a write in doubt left by another host may still be in flight this long after a takeover
    request_timeout: float = 120.0

    def __str__(self) -> str:
        return f"{self.url} (company {self.company})"


def is_postgres_url(value: str | Path) -> bool:
    return isinstance(value, str) and value.startswith(POSTGRES_SCHEMES)


def check_ledger_url(value: str) -> str:
    """A ``postgresql://`` URL that carries no password (secrets never stand in the TOML)."""
    parts = urlsplit(value)
    if parts.password is not None or re.search(r"(^|&)password=", parts.query):
        raise ValueError(
            "the ledger URL carries a password: remove it and set ledger_password_env "
            "(an environment variable name) or ledger_password_file (a file path), or use "
            "libpq's PGPASSWORD/PGPASSFILE"
        )
    if not (parts.hostname or "host=" in parts.query) or not parts.path.strip("/"):
        raise ValueError(f"expected postgresql://[user@]host[:port]/database, got {value!r}")
    return value


class ConnectorSection(_Section):
    # a SQLite file path, or a postgresql:// URL (then ``company`` is required)
    ledger: str | Path = Path("connector-ledger.sqlite")
    # the company key of a PostgreSQL ledger: every row of this config's company is kept under
    # it, apart from every other company's (lower case letters, digits, _; at most 40)
    company: str | None = None
    ledger_password_env: str | None = None
    ledger_password_file: Path | None = None
    # how long a host's hold on a company lasts without renewal (a PostgreSQL ledger's lease)
    lease_seconds: float = Field(60.0, ge=2, le=3600)
    outbox: Path = Path("outbox")
    # the daemon writes a Prometheus textfile here after every job (None: no metrics file)
    metrics_file: Path | None = None
    # every sync writes reports/<run>.html and .csv here
    reports: Path = Path("reports")
    # what people read (CLI summary, plan, status, quarantine, the run report); wire formats keep
    # ISO dates and decimal points whatever this says
    language: Literal["fi", "en"] = "fi"
    time_zone: str = "Europe/Helsinki"
    close_day: int = Field(1, ge=1, le=28, description="day of next month a period closes")
    lock_day: int = Field(9, ge=1, le=28, description="day of next month a period locks")
    correction_lookback_months: int = Field(3, ge=0, le=24)
    # the first month ("YYYY-MM") a fresh ledger bills: months before it were invoiced some
    # other way (by hand) and are never billed. Required before a fresh ledger's first sync; a
    # ledger that has billed keeps going from its first invoice without it
    start_period: str | None = None
    # work above a voucher's granted quantity: held for the organiser's review (PSOP's rule)
    over_grant: Literal["bill_client", "hold"] = "hold"
    # the organiser's settlement day (4th-8th) where a region in regions.toml does not set one
    settlement_day: int = Field(8, ge=4, le=8, description="PSOP settlement day, 4..8")
    # capitation fee of a partial month: by days of the customership ("days") or whole ("month")
    capitation_proration: Literal["days", "month"] = "days"
    outside_validity: Literal["bill_full", "hold"] = "bill_full"
    # held work the organiser rejected (in review or in PSOP's report): the client pays it in
    # full ("bill_client") or nobody does ("write_off")
    rejected_review: Literal["bill_client", "write_off"] = "bill_client"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("start_period")
    @classmethod
    def _start_period(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
            raise ValueError(
                f'start_period is a month as "YYYY-MM" (e.g. "2026-11"), got {value!r}'
            )
        return value.strip()

    @property
    def first_period(self) -> Period | None:
        """``start_period`` as a period (None when not set)."""
        from connector.core.domain import Period  # not on `connector check`'s import path

        return Period.parse(self.start_period) if self.start_period else None

    @field_validator("ledger")
    @classmethod
    def _ledger(cls, value: str | Path) -> str | Path:
        if isinstance(value, str) and is_postgres_url(value):
            return check_ledger_url(value)
        return Path(value)

    @field_validator("company")
    @classmethod
    def _company(cls, value: str | None) -> str | None:
        if value is not None and not COMPANY_KEY.fullmatch(value):
            raise ValueError(
                f"invalid company key {value!r}: lower case letters, digits and _, starting "
                "with a letter, at most 40 characters"
            )
        return value

    @model_validator(mode="after")
    def _company_with_postgres(self) -> ConnectorSection:
        if is_postgres_url(self.ledger) and self.company is None:
            raise ValueError(
                'a PostgreSQL ledger is shared by companies: set company = "..." (a key '
                'unique to this Netvisor company, e.g. "acme")'
            )
        return self

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _finnish_months(cls, value: str) -> str:
        if value != "Europe/Helsinki":
            raise ValueError(
                "billing periods are PSOP's calendar months in Europe/Helsinki; "
                "no other zone is supported"
            )
        return value

    @model_validator(mode="after")
    def _lock_after_close(self) -> ConnectorSection:
        if self.lock_day <= self.close_day:
            raise ValueError(
                f"lock_day ({self.lock_day}) must come after close_day ({self.close_day}): "
                "a period is invoiced when it closes and frozen when it locks"
            )
        if self.settlement_day <= self.close_day:
            raise ValueError(
                f"settlement_day ({self.settlement_day}) must come after close_day "
                f"({self.close_day}): an organiser's document is built before it is settled"
            )
        return self


class SpotillaSection(_Section):
    base_url: str = "https://api.spotilla.fi/api"
    subdomain: str
    user_id: str | None = None
    token_env: str | None = "SPOTILLA_TOKEN"
    token_file: Path | None = None
    username: str | None = None
    password_env: str | None = "SPOTILLA_PASSWORD"
    password_file: Path | None = None
    counted_status: Literal["completed", "approved"] = "completed"
    require_order_number: bool = False
    timeout: float = Field(30.0, gt=0)
    per_page: int = Field(100, ge=1, le=1000)
    concurrency: int = Field(4, ge=1, le=16)
    time_budget: float = Field(300.0, gt=0)
    max_pages: int = Field(10_000, ge=1, description="pages one list read may take at most")
    list_time_budget: float = Field(3600.0, gt=0, description="seconds one list read may take")

    @field_validator("base_url")
    @classmethod
    def _secure_url(cls, value: str) -> str:
        return check_base_url(value)


class NetvisorSection(_Section):
    base_url: str = "https://isvapi.netvisor.fi"
    sender: str = "Spotilla-PSOP connector"
    customer_id: str
    partner_id: str
    organisation_id: str
    language: Literal["EN", "FI", "SE"] = "EN"
    customer_key_env: str | None = "NETVISOR_CUSTOMER_KEY"
    customer_key_file: Path | None = None
    partner_key_env: str | None = "NETVISOR_PARTNER_KEY"
    partner_key_file: Path | None = None
    invoice_status: Literal["unsent", "open"] = "unsent"
    payment_term_days: int = Field(14, ge=0, le=365)
    timeout: float = Field(120.0, gt=0)
    # seconds the company counts as busy after a write timed out (Netvisor may still be working
    # on it); None: the request timeout, at most 30 s
    busy_wait: float | None = Field(None, ge=0, le=3600)
    # writes in a row whose outcome is unknown before the run stops writing and aborts
    max_unknown_in_a_row: int = Field(3, ge=1, le=1000)

    @field_validator("base_url")
    @classmethod
    def _secure_url(cls, value: str) -> str:
        return check_base_url(value)


class MappingsSection(_Section):
    folder: Path = Path("mappings")


_CRON_WEEKDAYS = {
    "0": "sun",
    "1": "mon",
    "2": "tue",
    "3": "wed",
    "4": "thu",
    "5": "fri",
    "6": "sat",
    "7": "sun",
}


def cron_trigger(expr: str, timezone: str) -> Any:
    """An APScheduler CronTrigger from a standard 5-field crontab line.

    APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7). Numeric
    weekdays are translated to names so ``30 6 * * 1-5`` means Monday to Friday, as in cron.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected a 5-field cron expression, got {expr!r}")
    fields[4] = _crontab_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(timezone))


def _crontab_weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler day names: numeric items (``1-5``, ``*/2``,
    ``1-5/2``, ``5-7``) are expanded to the days crontab means (Sunday = 0 or 7), so a step
    counts from Sunday as in cron; named items (``mon-fri``) pass through."""
    days: list[str] = []
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        if base != "*" and not re.fullmatch(r"[0-7](-[0-7])?", base):
            if step_text or re.search(r"\d", base):
                raise ValueError(f"unsupported weekday item {item!r} (use 0-7 or mon-sun)")
            days.append(item)  # a name or a name range
            continue
        if base == "*":
            if not step_text:
                days.append("*")
                continue
            first, last = 0, 6
        elif "-" in base:
            first, last = (int(x) for x in base.split("-"))
        else:
            first = int(base)
            last = 7 if step_text else first  # "a/n" runs to the end of the week, as in cron
        if step_text and not step_text.isdigit():
            raise ValueError(f"invalid weekday step in {item!r}")
        step = int(step_text) if step_text else 1
        if step < 1 or first > last:
            raise ValueError(f"invalid weekday item {item!r}")
        days.extend(_CRON_WEEKDAYS[str(d)] for d in range(first, last + 1, step))
    if "*" in days:
        return "*"
    return ",".join(dict.fromkeys(days))


#: (lowest, highest) of the crontab fields minute, hour, day of month and month
_CRON_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12))
_WEEKDAY_NAMES = frozenset(_CRON_WEEKDAYS.values())


def plainly_valid_crontab(expr: str) -> bool:
    """Whether ``expr`` is certainly a valid crontab line for :func:`cron_trigger`, judged
    without APScheduler (whose import costs more than the rest of ``connector check``).

    Only plain forms count: each numeric field a comma list of ``*``, ``*/step``, ``n`` and
    ``n-m`` within the field's bounds, the weekday field anything :func:`_crontab_weekdays`
    turns into day names. False means "not certain", never "invalid": the caller then builds
    the trigger, which accepts or rejects it with APScheduler's own message. A property test
    checks that APScheduler accepts every expression this accepts.
    """
    fields = expr.split()
    if len(fields) != 5:
        return False
    try:
        weekdays = _crontab_weekdays(fields[4])
    except ValueError:
        return False
    if weekdays != "*" and not set(weekdays.split(",")) <= _WEEKDAY_NAMES:
        return False
    return all(
        _plain_cron_field(field, low, high)
        for field, (low, high) in zip(fields[:4], _CRON_BOUNDS, strict=True)
    )


def _plain_cron_field(field: str, low: int, high: int) -> bool:
    for item in field.split(","):
        if item == "*":
            continue
        if item.startswith("*/"):
            step = item[2:]
            if not (step.isascii() and step.isdigit() and 1 <= int(step) <= high - low):
                return False
            continue
        first, dash, last = item.partition("-")
        if not dash:
            last = first
        if not all(x.isascii() and x.isdigit() for x in (first, last)):
            return False
        if not low <= int(first) <= int(last) <= high:
            return False
    return True


class ScheduleSection(_Section):
    timezone: str = "Europe/Helsinki"
    master_data: str | None = Field("0 2 * * *", description="cron: customers and products")
    invoicing: str | None = Field("30 6 * * *", description="cron: closed periods, corrections")
    # None (the default): a job missed while the host slept runs once when it wakes, however late.
    misfire_grace_seconds: int | None = Field(None, ge=1)

    _zone = field_validator("timezone")(ConnectorSection._zone.__func__)  # type: ignore[attr-defined]

    @field_validator("master_data", "invoicing")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "off"):
            return None  # "off" (or "") disables the job
        try:
            if not plainly_valid_crontab(value):  # a plain line needs no APScheduler to judge
                cron_trigger(value, "UTC")
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
        return value


class AlertsSection(_Section):
    """Where a new problem is announced: a command (JSON on stdin, never a shell) and/or a webhook."""

    command: list[str] | str | None = None
    webhook_url: str | None = None
    timeout: float = Field(10.0, gt=0, le=300)

    @field_validator("webhook_url")
    @classmethod
    def _secure_url(cls, value: str | None) -> str | None:
        return None if value is None else check_base_url(value)


def split_listen(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:port`` for IPv6) -> (host, port); ValueError saying what is wrong."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT such as 127.0.0.1:8765, got {value!r}")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    return _is_loopback(host)


class ConsoleSection(_Section):
    """The web console (docs/operations.md): where the daemon serves it and who may log in."""

    # "127.0.0.1:8765": the daemon serves the console there (None: only `connector console`)
    listen: str | None = None
    # named users with scrypt-hashed passwords, written by `connector console adduser NAME`
    users_file: Path = Path("console-users.json")
    # TLS is in front (a reverse proxy): cookies are Secure, a non-loopback listen is not warned
    behind_tls_proxy: bool = False
    # host names the browser may use besides the listen address (the proxy's public name)
    allowed_hosts: list[str] = Field(default_factory=list)
    # a session ends after this many minutes without a request
    idle_minutes: int = Field(30, ge=1, le=1440)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is not None:
            split_listen(value)
        return value


class _ConfigModel(_Section):
    # factories, not instances: an instance here would build each section's validator at import
    connector: ConnectorSection = Field(default_factory=ConnectorSection)
    spotilla: SpotillaSection
    netvisor: NetvisorSection
    mappings: MappingsSection = Field(default_factory=MappingsSection)
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)
    alerts: AlertsSection = Field(default_factory=AlertsSection)
    console: ConsoleSection = Field(default_factory=ConsoleSection)


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
                    f"no Spotilla credentials: set ${sp.token_env or 'SPOTILLA_TOKEN'} "
                    "(integration key) or a username with a password",
                )
            )
        elif token is None and not sp.username:
            problems.append(
                ConfigProblem(
                    str(self.path),
                    find_line(text, ["spotilla"]),
                    "spotilla.username",
                    "a password is configured but no username",
                )
            )
        elif token is not None and not sp.user_id:
            problems.append(
                ConfigProblem(
                    str(self.path),
                    find_line(text, ["spotilla"]),
                    "spotilla.user_id",
                    "an integration key needs the user id shown with it",
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
    unknown: str = "unknown key (typo? see config.example.toml)",
) -> list[ConfigProblem]:
    """pydantic's errors of a TOML file as file:line:key problems (``unknown``: what an
    unknown key is called)."""
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if isinstance(p, str | int)]
        key = ".".join(str(p) for p in loc)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = unknown
        elif err["type"] == "missing":
            msg = "required key is missing"
        problems.append(ConfigProblem(str(path), find_line(text, loc), key, msg))
    return problems


def _ledger_location(model: _ConfigModel, path: Path, text: str) -> Path | PostgresLedger:
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
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            ConfigProblem(str(path), None, "", f"cannot read: {exc.strerror}")
        ) from None
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            import re

            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
        raise ConfigError(ConfigProblem(str(path), line, "", f"not valid TOML: {exc}")) from None

    problems: list[ConfigProblem] = []
    for section, keys in SECRET_KEYS.items():
        for key in keys:
            if isinstance(raw.get(section), dict) and key in raw[section]:
                problems.append(
                    ConfigProblem(
                        str(path),
                        find_line(text, [section, key]),
                        f"{section}.{key}",
                        f"secrets never go in the config file: remove it and set {key}_env "
                        f"(an environment variable name) or {key}_file (a file path) instead",
                    )
                )
                raw[section] = {k: v for k, v in raw[section].items() if k != key}
    try:
        model = _ConfigModel.model_validate(raw)
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
