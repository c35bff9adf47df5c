"""What the console's route modules share: the company a page is about, a login session, the
404 of a page naming what the ledger lacks, and the checks on two request values.

Owns :class:`Company`, :class:`Session` (a logged-in user, the session's CSRF token, its flash
messages), :class:`PageMissing`, the cookie names, :func:`local_path` (where a login may go on
to: a same-site path only) and :func:`period_param` (a month from a query or form, or None).
The application that routes requests to them is :mod:`connector.console.web`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.console.users import User
from connector.core.config import Config

SESSION_COOKIE = "connector_console"
LOGIN_COOKIE = "connector_console_login"


@dataclass(frozen=True)
class Company:
    """One company the console shows: its name (the fleet's, or the config file's) and config."""

    name: str
    config: Config


@dataclass
class Session:
    user: User
    csrf: str
    last_seen: float
    flash: list[tuple[str, str]] = field(default_factory=list)  # (level, text)


class PageMissing(LookupError):
    """What a page names is not in the ledger: 404."""


def local_path(target: Any) -> str | None:
    """A same-site path to go to after login; anything else (another site, ``//x``) is None."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


def period_param(value: Any) -> str | None:
    from connector.core.domain import Period

    if not isinstance(value, str) or not value:
        return None
    try:
        return str(Period.parse(value))
    except ValueError:
        return None
