"""Every Netvisor error type lands on the right branch of the connector's error tree."""

from __future__ import annotations

import pytest

from connector.core.errors import (
    AmbiguousWriteError,
    FatalRunError,
    RecordError,
    TransientError,
)
from connector.netvisor.errors import (
    NetvisorAmbiguousWrite,
    NetvisorAuthenticationError,
    NetvisorDuplicateData,
    NetvisorInvalidData,
    NetvisorMaintenance,
    NetvisorPeriodLock,
    NetvisorServiceAccessError,
    NetvisorTransientError,
    error_for,
)

CASES = [
    (
        "AUTHENTICATION_FAILED",
        NetvisorAuthenticationError,
        FatalRunError,
        NetvisorAuthenticationError,
    ),
    ("SERVICE_ACCESS_ERROR", NetvisorServiceAccessError, FatalRunError, NetvisorServiceAccessError),
    ("INVALID_DATA", NetvisorInvalidData, RecordError, NetvisorInvalidData),
    ("INVALID_DATA_SIZE", NetvisorInvalidData, RecordError, NetvisorInvalidData),
    ("DUPLICATE_DATA", NetvisorDuplicateData, RecordError, NetvisorDuplicateData),
    ("PERIOD_LOCK", NetvisorPeriodLock, RecordError, NetvisorPeriodLock),
    ("SYSTEM_MAINTANANCE", NetvisorMaintenance, TransientError, NetvisorMaintenance),
    ("TECHNICAL_ERROR", NetvisorAmbiguousWrite, AmbiguousWriteError, NetvisorTransientError),
    ("BRAND_NEW_ERROR_TYPE", NetvisorAmbiguousWrite, AmbiguousWriteError, NetvisorTransientError),
]


@pytest.mark.parametrize(("error_type", "on_write", "category", "on_read"), CASES)
def test_error_type_maps_onto_the_tree(error_type, on_write, category, on_read) -> None:
    err = error_for(
        error_type,
        "Netvisorin teksti sellaisenaan",
        is_write=True,
        http_status=400,
        transaction_id="txn-1",
        resource="salesinvoice.nv?method=add",
    )
    assert type(err) is on_write and isinstance(err, category)
    assert err.error_type == error_type
    assert err.netvisor_text == "Netvisorin teksti sellaisenaan"
    assert (err.http_status, err.transaction_id, err.resource) == (
        400,
        "txn-1",
        "salesinvoice.nv?method=add",
    )
    assert "Netvisorin teksti sellaisenaan" in str(err)
    assert "salesinvoice.nv?method=add" in str(err)
    assert type(error_for(error_type, "t", is_write=False)) is on_read


def test_record_errors_name_a_rule_for_quarantine() -> None:
    err = error_for("PERIOD_LOCK", "Kausi lukittu", is_write=True)
    assert isinstance(err, RecordError) and err.rule == "netvisor_period_lock"
    assert err.reason.endswith("Kausi lukittu")


def test_repr_is_short_and_useful() -> None:
    err = error_for("DUPLICATE_DATA", "exists", is_write=True, resource="customer.nv?method=add")
    assert repr(err).startswith("NetvisorDuplicateData(DUPLICATE_DATA:")
