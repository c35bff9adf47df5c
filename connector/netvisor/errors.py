"""Netvisor error types mapped onto the connector's error tree (``connector.errors``).

Every error carries Netvisor's ``error_type``, the verbatim Netvisor text, the HTTP status, the
transaction id and the resource (path + method only), so a person can find the request in
Netvisor's logs. :func:`error_for` is the one place that decides which class an answer becomes.
"""

from __future__ import annotations

from connector.errors import (
    AmbiguousWriteError,
    FatalRunError,
    RecordError,
    TransientError,
)


class NetvisorError:
    """Mixin: the Netvisor context every Netvisor error carries."""

    netvisor_text: str
    http_status: int | None
    transaction_id: str | None
    resource: str | None

    def _set_context(
        self,
        text: str,
        http_status: int | None,
        transaction_id: str | None,
        resource: str | None,
    ) -> None:
        self.netvisor_text = text
        self.http_status = http_status
        self.transaction_id = transaction_id
        self.resource = resource


def _message(error_type: str, text: str, resource: str | None, http_status: int | None) -> str:
    where = f" ({resource}" + (f", HTTP {http_status})" if http_status else ")") if resource else ""
    return f"Netvisor {error_type}{where}: {text}" if text else f"Netvisor {error_type}{where}"


def _init(
    self: NetvisorError,
    base: type,
    error_type: str,
    text: str,
    http_status: int | None,
    transaction_id: str | None,
    resource: str | None,
    **kwargs: object,
) -> None:
    base.__init__(
        self, _message(error_type, text, resource, http_status), error_type=error_type, **kwargs
    )  # type: ignore[arg-type]
    self._set_context(text, http_status, transaction_id, resource)


class NetvisorAuthenticationError(NetvisorError, FatalRunError):
    """AUTHENTICATION_FAILED: credentials, headers, MAC, clock or resource not granted."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        _init(self, FatalRunError, error_type, text, http_status, transaction_id, resource)


class NetvisorServiceAccessError(NetvisorError, FatalRunError):
    """SERVICE_ACCESS_ERROR: the service is not enabled for this company."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        _init(self, FatalRunError, error_type, text, http_status, transaction_id, resource)


class NetvisorInvalidData(NetvisorError, RecordError):
    """INVALID_DATA / INVALID_DATA_SIZE: this record was refused; reject it, keep going."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        RecordError.__init__(
            self,
            _message(error_type, text, resource, http_status),
            rule="netvisor_" + error_type.lower(),
            error_type=error_type,
        )
        self._set_context(text, http_status, transaction_id, resource)


class NetvisorDuplicateData(NetvisorError, RecordError):
    """DUPLICATE_DATA: the record already exists; look it up and adopt its key."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        RecordError.__init__(
            self,
            _message(error_type, text, resource, http_status),
            rule="netvisor_duplicate_data",
            error_type=error_type,
        )
        self._set_context(text, http_status, transaction_id, resource)


class NetvisorPeriodLock(NetvisorError, RecordError):
    """PERIOD_LOCK: the accounting period of that date is locked; a person must act."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        RecordError.__init__(
            self,
            _message(error_type, text, resource, http_status),
            rule="netvisor_period_lock",
            error_type=error_type,
        )
        self._set_context(text, http_status, transaction_id, resource)


class NetvisorMaintenance(NetvisorError, TransientError):
    """SYSTEM_MAINTANANCE (sic): Netvisor is in maintenance; retry later."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        _init(
            self,
            TransientError,
            error_type,
            text,
            http_status,
            transaction_id,
            resource,
            retry_after=retry_after,
        )


class NetvisorTransientError(NetvisorError, TransientError):
    """A read that kept failing (5xx, TECHNICAL_ERROR, timeouts, 429) after its retries."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        _init(
            self,
            TransientError,
            error_type,
            text,
            http_status,
            transaction_id,
            resource,
            retry_after=retry_after,
        )


class NetvisorAmbiguousWrite(NetvisorError, AmbiguousWriteError):
    """A write whose outcome is unknown (timeout after sending, dropped, 5xx, TECHNICAL_ERROR,
    an unknown error type). Mark the ledger row ``unknown`` and reconcile."""

    def __init__(
        self,
        error_type: str,
        text: str,
        *,
        http_status: int | None = None,
        transaction_id: str | None = None,
        resource: str | None = None,
    ) -> None:
        _init(self, AmbiguousWriteError, error_type, text, http_status, transaction_id, resource)


# Error types whose meaning does not depend on read vs write.
_DEFINITE: dict[str, type] = {
    "AUTHENTICATION_FAILED": NetvisorAuthenticationError,
    "SERVICE_ACCESS_ERROR": NetvisorServiceAccessError,
    "INVALID_DATA": NetvisorInvalidData,
    "INVALID_DATA_SIZE": NetvisorInvalidData,
    "DUPLICATE_DATA": NetvisorDuplicateData,
    "PERIOD_LOCK": NetvisorPeriodLock,
    "SYSTEM_MAINTANANCE": NetvisorMaintenance,
    "SYSTEM_MAINTENANCE": NetvisorMaintenance,  # in case Netvisor ever fixes the spelling
}

#: Error types that mean "the request never ran": safe to resend (with a new transaction id).
NOT_RUN_ERROR_TYPES = frozenset({"REQUEST_NOT_UNIQUE"})
#: Error types a read retries with back-off.
RETRYABLE_READ_ERROR_TYPES = frozenset(
    {"SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE", "TECHNICAL_ERROR", "REQUEST_NOT_UNIQUE"}
)

NetvisorException = (
    NetvisorAuthenticationError
    | NetvisorServiceAccessError
    | NetvisorInvalidData
    | NetvisorDuplicateData
    | NetvisorPeriodLock
    | NetvisorMaintenance
    | NetvisorTransientError
    | NetvisorAmbiguousWrite
)


def error_for(
    error_type: str,
    text: str,
    *,
    is_write: bool,
    http_status: int | None = None,
    transaction_id: str | None = None,
    resource: str | None = None,
) -> NetvisorException:
    """The exception for a final (not retried) Netvisor failure.

    Unknown types (and TECHNICAL_ERROR, 5xx, lost answers) never crash: an ambiguous write on the
    write side, a transient error on the read side. Maintenance stays a transient error on both
    sides because Netvisor refuses the request before running it.
    """
    cls = _DEFINITE.get(error_type)
    if cls is None:
        cls = NetvisorAmbiguousWrite if is_write else NetvisorTransientError
    return cls(
        error_type, text, http_status=http_status, transaction_id=transaction_id, resource=resource
    )
