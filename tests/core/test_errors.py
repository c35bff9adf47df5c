"""The error tree: grouped by what the caller should do, each error explaining itself."""

from __future__ import annotations

import pytest

from connector.core import errors
from connector.core.errors import (
    AmbiguousWriteError,
    ConfigError,
    ConfigProblem,
    ConnectorError,
    FatalRunError,
    RecordError,
    RunLockedError,
    TransientError,
)


def test_a_config_problem_names_file_line_and_key() -> None:
    problem = ConfigProblem("/etc/connector/config.toml", 12, "netvisor.customer_id", "missing")
    assert str(problem) == "/etc/connector/config.toml:12: netvisor.customer_id: missing"


def test_a_config_problem_without_a_line_names_the_file() -> None:
    problem = ConfigProblem("mappings/targets.csv", None, "targets.region", "unknown region")
    assert str(problem) == "mappings/targets.csv: targets.region: unknown region"


def test_config_error_carries_every_problem_in_its_message() -> None:
    problems = [
        ConfigProblem("config.toml", 3, "connector.ledgr", "unknown key"),
        ConfigProblem("config.toml", 17, "netvisor.customer_key", "secrets never go here"),
        ConfigProblem("mappings/regions.toml", None, "regions.0.code", "required"),
    ]
    err = ConfigError(problems)
    assert err.problems == problems
    message = str(err)
    assert message.startswith("3 problems in configuration:")
    assert "config.toml:3: connector.ledgr: unknown key" in message
    assert "config.toml:17: netvisor.customer_key: secrets never go here" in message
    assert "mappings/regions.toml: regions.0.code: required" in message
    assert message.count("\n") == 3, "one line per problem"
    assert err.message == message


def test_config_error_from_one_problem_is_singular() -> None:
    err = ConfigError(ConfigProblem("config.toml", 1, "spotilla", "missing"))
    assert len(err.problems) == 1
    assert str(err).startswith("1 problem in configuration:")


def test_config_error_from_a_plain_message() -> None:
    err = ConfigError("no config file given")
    (problem,) = err.problems
    assert problem.message == "no config file given"
    assert problem.line is None
    assert "no config file given" in str(err)


def test_config_error_copies_the_problem_list() -> None:
    problems = [ConfigProblem("c.toml", 1, "a", "b")]
    err = ConfigError(problems)
    problems.append(ConfigProblem("c.toml", 2, "c", "d"))
    assert len(err.problems) == 1


@pytest.mark.parametrize(
    ("cls", "error_type"),
    [
        (ConfigError, "CONFIG_ERROR"),
        (RecordError, "RECORD_ERROR"),
        (TransientError, "TRANSIENT_ERROR"),
        (AmbiguousWriteError, "AMBIGUOUS_WRITE"),
        (FatalRunError, "FATAL"),
        (RunLockedError, "RUN_LOCKED"),
    ],
)
def test_every_category_is_a_connector_error_with_a_stable_type(
    cls: type[ConnectorError], error_type: str
) -> None:
    assert issubclass(cls, ConnectorError)
    assert issubclass(cls, Exception)
    assert cls.error_type == error_type


def test_a_held_lock_is_fatal_for_the_run() -> None:
    assert issubclass(RunLockedError, FatalRunError)
    with pytest.raises(FatalRunError):
        raise RunLockedError("another connector run holds the ledger lock")


def test_the_categories_do_not_overlap() -> None:
    categories = [ConfigError, RecordError, TransientError, AmbiguousWriteError, FatalRunError]
    for a in categories:
        for b in categories:
            if a is not b:
                assert not issubclass(a, b), f"{a.__name__} must not be a {b.__name__}"


def test_an_instance_may_name_a_more_precise_error_type() -> None:
    err = TransientError("Netvisor is in maintenance", error_type="MAINTENANCE", retry_after=60.0)
    assert err.error_type == "MAINTENANCE"
    assert err.retry_after == 60.0
    assert TransientError.error_type == "TRANSIENT_ERROR", "the class default is untouched"
    assert TransientError("x").retry_after is None


def test_a_record_error_carries_the_rule_and_reason_for_quarantine() -> None:
    err = RecordError("product P-9 has no Netvisor mapping", rule="unknown_product")
    assert err.rule == "unknown_product"
    assert err.reason == "product P-9 has no Netvisor mapping"
    assert str(err) == "product P-9 has no Netvisor mapping"
    assert RecordError("x").rule == "invalid_record"


def test_repr_names_the_class_type_and_message() -> None:
    err = AmbiguousWriteError("timeout after the body left")
    assert repr(err) == "AmbiguousWriteError(AMBIGUOUS_WRITE: 'timeout after the body left')"


def test_exit_codes_follow_the_cli_contract() -> None:
    assert (errors.EXIT_OK, errors.EXIT_PARTIAL, errors.EXIT_CONFIG, errors.EXIT_ABORTED) == (
        0,
        1,
        2,
        3,
    )
