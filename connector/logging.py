"""Structured logging: JSON lines for the daemon, a readable console for the CLI.

A redaction processor runs last-but-one on every event: it masks each configured secret value
wherever it appears and replaces the values of personal-data keys (name, henkilötunnus, address,
...) so no log line ever carries them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from connector.secrets import Secret, known_secret_values

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
# A Finnish personal identity code (henkilötunnus), wherever it appears in text.
_HETU = re.compile(r"\b\d{6}[-+AaBbCcDdEeFfYyXxWwVvU]\d{3}[0-9A-Ya-y]\b")


def _is_sensitive_key(key: str) -> bool:
    return key.lower() not in SAFE_KEYS and bool(SENSITIVE_KEYS.search(key))


def redact_text(text: str, secrets: frozenset[str] | None = None) -> str:
    """Mask every known secret value and any personal identity code in ``text``."""
    for value in secrets if secrets is not None else known_secret_values():
        if value and value in text:
            text = text.replace(value, MASK)
    return _HETU.sub(MASK, text)


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


def configure(*, json: bool = False, level: str = "INFO", stream: Any = None) -> None:
    """Configure structlog (and the stdlib root logger) for the CLI (console) or daemon (JSON)."""
    stream = stream or sys.stderr
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redaction_processor,
    ]
    if json:
        processors.append(structlog.processors.JSONRenderer(sort_keys=False))
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
