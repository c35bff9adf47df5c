"""Structured logging: JSON lines for the daemon, a readable console for the CLI.

A redaction processor runs last-but-one on every event: it masks each configured secret value
and every identity-code- or e-mail-shaped token wherever it appears, and replaces the values of
personal-data keys (name, henkilötunnus, address, ...) so no log line ever carries them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from connector.core.secrets import Secret, known_secret_values

MASK = "[redacted]"

# Keys whose values are personal data or secrets, matched case-insensitively on the key name.
SENSITIVE_KEYS = re.compile(
    r"(^|_)(name|names|first_?name|last_?name|full_?name|henkilotunnus|henkilötunnus|hetu|"
    r"ssn|personal_?id|identity_?code|address|street|street_?address|postal_?address|phone|"
    r"phone_?number|mobile|e_?mail|address_?line_?\d*|birth_?date|date_of_birth|"
    r"email|password|token|secret|key|customer_?key|partner_?key|mac|authorization)$",
    re.IGNORECASE,
)
# Keys that end in 'key' but are identifiers, not secrets (NetvisorKey, ledger key, ...).
SAFE_KEYS = frozenset(
    {"key", "netvisor_key", "document_key", "object_key", "line_key", "key_count", "event"}
)
# A Finnish personal identity code (henkilötunnus), wherever it appears in text, also glued to
# a word ("ID131052-308T"): DDMMYY, the century sign (+ for the 1800s; - Y X W V U for the 1900s;
# A-F for the 2000s), the individual number and the check character. Shape only: a
# mistyped or invented code is as personal as a valid one.
_HETU = re.compile(r"(?<![0-9])\d{6}[-+A-FU-Y]\d{3}[0-9A-Y](?![0-9A-Za-z])", re.IGNORECASE)
# An e-mail address (a person's, or one that names a person), wherever it appears in text.
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")


def _is_sensitive_key(key: str) -> bool:
    return key.lower() not in SAFE_KEYS and bool(SENSITIVE_KEYS.search(key))


def redact_text(text: str, secrets: frozenset[str] | None = None) -> str:
    """Mask every known secret value, any personal identity code and any e-mail address in
    ``text``: by pattern, whoever wrote the text (Netvisor's error texts echo what they like).
    The longest secret goes first: one secret inside another must not leave the rest of the
    longer one readable around a mask."""
    known = secrets if secrets is not None else known_secret_values()
    for value in sorted(known, key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, MASK)
    return _EMAIL.sub(MASK, _HETU.sub(MASK, text))


def redact(value: Any, secrets: frozenset[str] | None = None, _depth: int = 0) -> Any:
    """Return ``value`` with secrets and personal data masked, recursing into containers."""
    if secrets is None:
        secrets = known_secret_values()
    if _depth > 8:  # too deep to walk: mask whatever its text would reveal
        return redact_text(repr(value), secrets)
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            k: (
                MASK
                if isinstance(k, str) and _is_sensitive_key(k)
                else redact(v, secrets, _depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [redact(v, secrets, _depth + 1) for v in value]
        if hasattr(value, "_fields"):  # a namedtuple takes its fields as arguments
            return type(value)(*items)
        return type(value)(items)
    if isinstance(value, set | frozenset):
        return [redact(v, secrets, _depth + 1) for v in value]
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}", secrets)
    if value is None or isinstance(value, bool | int | float):
        return value
    # Any other object is rendered by its repr (JSON fallback, console): mask what that reveals.
    text = repr(value)
    masked = redact_text(text, secrets)
    return value if masked == text else masked


def redaction_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets and personal data in every field of the event."""
    secrets = known_secret_values()
    for key in list(event_dict):
        if key != "event" and _is_sensitive_key(key):
            event_dict[key] = MASK
        else:
            event_dict[key] = redact(event_dict[key], secrets)
    return event_dict


#: syslog priorities (RFC 5424) by structlog level name
SYSLOG_PRIORITY = {
    "debug": 7,
    "info": 6,
    "notice": 5,
    "warning": 4,
    "warn": 4,
    "error": 3,
    "exception": 3,
    "critical": 2,
    "fatal": 2,
}


def syslog_priority_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: ``priority`` (syslog's 0-7) from the event's level."""
    level = str(event_dict.get("level") or method_name).lower()
    event_dict["priority"] = SYSLOG_PRIORITY.get(level, 6)
    return event_dict


def writes_to_journal(stream: Any) -> bool:
    """Whether ``stream`` is the journald stream systemd named in ``JOURNAL_STREAM``."""
    import os

    wanted = os.environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return bool(wanted) and wanted == f"{st.st_dev}:{st.st_ino}"


def journald_prefix(renderer: Any, *, enabled: bool) -> Any:
    """Wrap a renderer so each line starts with ``<priority>`` when stderr goes to journald.

    systemd reads that prefix (``SyslogLevelPrefix=``, on by default) as the line's priority,
    which is what makes ``journalctl -p err`` select the connector's errors; the prefix is
    stripped before the line is stored, so the journal keeps plain JSON. Elsewhere (``enabled``
    false: see :func:`writes_to_journal`) the lines are unprefixed JSON.
    """

    def render(logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
        priority = event_dict.get("priority", 6)
        line = renderer(logger, method_name, event_dict)
        return f"<{priority}>{line}" if enabled else line

    return render


_HELSINKI = ZoneInfo("Europe/Helsinki")


def helsinki_timestamp(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: ``timestamp`` in Helsinki time, ISO 8601 with its UTC offset
    (``2026-03-29T04:00:00.123+03:00``): the time everything else the connector shows is in,
    and still one unambiguous moment for a machine."""
    event_dict["timestamp"] = datetime.now(_HELSINKI).isoformat(timespec="milliseconds")
    return event_dict


def configure(*, json: bool = False, level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog (and the stdlib root logger) for the CLI (console) or daemon (JSON).

    JSON lines carry ``priority`` (syslog's number) and, under journald, a ``<N>`` prefix.
    Timestamps are Helsinki time with the offset (:func:`helsinki_timestamp`).
    """
    stream = stream or sys.stderr
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        helsinki_timestamp,
        structlog.processors.format_exc_info,
        redaction_processor,
    ]
    if json:
        processors.append(syslog_priority_processor)
        processors.append(
            journald_prefix(
                structlog.processors.JSONRenderer(sort_keys=False),
                enabled=writes_to_journal(stream),
            )
        )
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper(), 20)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # Quiet libraries that would otherwise log URLs or bodies at INFO.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A lazy structlog logger with ``component=name``.

    Lazy on purpose: a module-level logger must pick up ``configure()`` (and its redaction
    processor) even when it was created at import time, before the CLI configured logging.
    """
    if name:
        initial["component"] = name
    return structlog.get_logger(**initial)


def carry_log_context() -> Any:
    """An initializer for a worker thread pool: binds the calling thread's structlog context
    variables (a fleet's ``company``) in each worker, so their lines say whose run they serve.

    A new thread starts with empty context variables; without this, the lines a run's sender
    or page-fetching threads log would not name the company."""
    snapshot = structlog.contextvars.get_contextvars()

    def bind() -> None:
        if snapshot:
            structlog.contextvars.bind_contextvars(**snapshot)

    return bind
