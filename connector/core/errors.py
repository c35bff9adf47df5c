"""The connector's error tree, grouped by what the caller should do.

::

    ConnectorError
     ├── ConfigError           stop before any write; exit 2 (names file, line, key)
     ├── RecordError           quarantine / reject this record, the run goes on
     ├── TransientError        retry with back-off (reads; writes only if provably not run)
     ├── AmbiguousWriteError   a write may or may not have happened: mark unknown, reconcile
     └── FatalRunError         abort the run; exit 3 (authentication, lock held, fatal API error)
          └── RunLockedError   another run holds the ledger lock

API-specific errors (``connector.netvisor.errors``, ``connector.spotilla``) subclass these, so
business code decides on the category, never on an API's quirks.
"""

from __future__ import annotations

from dataclasses import dataclass


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""

    #: a stable machine-readable name (ledger column ``last_error_type``, log field ``error_type``)
    error_type: str = "CONNECTOR_ERROR"

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if error_type is not None:
            self.error_type = error_type

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error_type}: {self.message!r})"


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config or mapping file: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}"


class ConfigError(ConnectorError):
    """A broken config or mapping file. Nothing has been written; exit code 2.

    Carries every problem found, not only the first, so a person can fix them in one go.
    """

    error_type = "CONFIG_ERROR"

    def __init__(self, problems: list[ConfigProblem] | ConfigProblem | str) -> None:
        if isinstance(problems, str):
            problems = [ConfigProblem(file="<config>", line=None, key="", message=problems)]
        elif isinstance(problems, ConfigProblem):
            problems = [problems]
        self.problems: list[ConfigProblem] = list(problems)
        summary = "\n".join(f"  {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in configuration:\n{summary}")


class RecordError(ConnectorError):
    """This record cannot be processed; quarantine or reject it with ``rule`` and ``reason``."""

    error_type = "RECORD_ERROR"

    def __init__(self, reason: str, *, rule: str = "invalid_record", error_type: str | None = None):
        super().__init__(reason, error_type=error_type)
        self.rule = rule
        self.reason = reason


class TransientError(ConnectorError):
    """A passing fault (timeout, 5xx, 429, maintenance). Safe to retry with back-off."""

    error_type = "TRANSIENT_ERROR"

    def __init__(
        self, message: str, *, error_type: str | None = None, retry_after: float | None = None
    ):
        super().__init__(message, error_type=error_type)
        self.retry_after = retry_after


class AmbiguousWriteError(ConnectorError):
    """A write whose outcome is unknown: the body left, the answer did not come back clean.

    Never resend blindly: mark the ledger row ``unknown`` and reconcile by the connector's key.
    """

    error_type = "AMBIGUOUS_WRITE"


class FatalRunError(ConnectorError):
    """The run cannot go on (bad credentials, service not enabled, ...). Exit code 3."""

    error_type = "FATAL"


class RunLockedError(FatalRunError):
    """Another sync or the daemon holds the ledger lock."""

    error_type = "RUN_LOCKED"


# Exit codes of the CLI (docs/operations.md "Exit codes").
EXIT_OK = 0
EXIT_PARTIAL = 1  # run finished, some records were quarantined or rejected
EXIT_CONFIG = 2  # bad config or mappings, nothing written
EXIT_ABORTED = 3  # authentication, lock held, fatal API error
EXIT_USAGE = 64  # the command line itself is wrong (sysexits.h EX_USAGE)


class UsageError(Exception):
    """The command line asks for something that cannot be done as written (exit 64)."""
