"""The config file's sections as validated models, one class per TOML table.

Owns what each table of the config may hold, its defaults and the checks on one value or one
section (``[connector]``, ``[spotilla]``, ``[netvisor]``, ``[mappings]``, ``[schedule]``,
``[alerts]``, ``[console]``) and the whole file's model (:class:`ConfigModel`). Reading the file,
resolving its relative paths and secrets and turning pydantic's errors into file:line:key
problems is :mod:`connector.core.config`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.core.cron import cron_trigger, plainly_valid_crontab
from connector.core.endpoints import (
    COMPANY_KEY,
    check_base_url,
    check_ledger_url,
    is_postgres_url,
    split_listen,
)
from connector.core.reasons import reason as worded

if TYPE_CHECKING:
    from connector.core.domain import Period


class _Section(BaseModel):
    # defer_build: a section's validator is built when first used, not at import; loading a
    # config builds only _ConfigModel's (which covers every section)
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
            raise ValueError(worded("start_period_form", value=repr(value)))
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
            raise ValueError(worded("company_key_invalid", value=repr(value)))
        return value

    @model_validator(mode="after")
    def _company_with_postgres(self) -> ConnectorSection:
        if is_postgres_url(self.ledger) and self.company is None:
            raise ValueError(worded("company_key_needed"))
        return self

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(worded("time_zone_unknown", value=repr(value))) from None
        return value

    @field_validator("time_zone")
    @classmethod
    def _finnish_months(cls, value: str) -> str:
        if value != "Europe/Helsinki":
            raise ValueError(worded("time_zone_helsinki"))
        return value

    @model_validator(mode="after")
    def _lock_after_close(self) -> ConnectorSection:
        if self.lock_day <= self.close_day:
            raise ValueError(worded("lock_after_close", lock=self.lock_day, close=self.close_day))
        if self.settlement_day <= self.close_day:
            raise ValueError(
                worded(
                    "settlement_after_close", settlement=self.settlement_day, close=self.close_day
                )
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
            raise ValueError(worded("cron_invalid", value=repr(value), error=exc)) from None
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


class ConfigModel(_Section):
    # factories, not instances: an instance here would build each section's validator at import
    connector: ConnectorSection = Field(default_factory=ConnectorSection)
    spotilla: SpotillaSection
    netvisor: NetvisorSection
    mappings: MappingsSection = Field(default_factory=MappingsSection)
    schedule: ScheduleSection = Field(default_factory=ScheduleSection)
    alerts: AlertsSection = Field(default_factory=AlertsSection)
    console: ConsoleSection = Field(default_factory=ConsoleSection)
