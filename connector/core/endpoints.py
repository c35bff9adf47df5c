"""Where the connector connects, and the safety checks on each address.

Owns the rules for the addresses a config names: an API base URL is ``https://`` (plain
``http://`` only to a loopback host, :func:`check_base_url`), the console's ``host:port``
(:func:`split_listen`, :func:`is_loopback`), and a PostgreSQL ledger (:class:`PostgresLedger`,
a ``postgresql://`` URL that never carries a password, and the company key its rows are kept
under). Pure string checks: nothing here opens a connection.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from connector.core.reasons import reason
from connector.core.secrets import Secret


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
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
        if is_loopback(host):
            return value
        raise ValueError(reason("http_refused", host=repr(host)))
    raise ValueError(reason("https_expected", value=repr(value)))


def split_listen(value: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:port`` for IPv6) -> (host, port); ValueError saying what is wrong."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(reason("listen_expected", value=repr(value)))
    return host, int(port)


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
        raise ValueError(reason("ledger_url_password"))
    if not (parts.hostname or "host=" in parts.query) or not parts.path.strip("/"):
        raise ValueError(reason("ledger_url_expected", value=repr(value)))
    return value
