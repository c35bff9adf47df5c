"""Secrets never print, and they come from the environment or a file — never from text we show."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from connector.core.secrets import Secret, known_secret_values, load_secret

VALUE = "nv-customer-key-3f9a7c"


# -- Secret ----------------------------------------------------------------------------------


def test_a_secret_never_prints_its_value() -> None:
    secret = Secret(VALUE)
    renderings = [
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret!s}",
        "%s %r" % (secret, secret),  # noqa: UP031
        "{} {!r}".format(secret, secret),  # noqa: UP032
        str([secret]),
        str({"key": secret}),
        repr((secret,)),
    ]
    for text in renderings:
        assert VALUE not in text, text
        assert "*" in text


def test_a_secret_in_a_stdlib_log_record_stays_masked(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("using key %s", Secret(VALUE))
    assert VALUE not in caplog.text
    assert "using key" in caplog.text


def test_reveal_gives_the_value_for_the_one_place_that_needs_it() -> None:
    assert Secret(VALUE).reveal() == VALUE


def test_secrets_compare_by_value_without_exposing_it() -> None:
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret(VALUE + "x")
    assert Secret(VALUE) != VALUE  # a bare string is not a Secret
    assert len({Secret(VALUE), Secret(VALUE)}) == 1
    assert bool(Secret(VALUE))
    assert not Secret("")


def test_a_secret_has_no_attribute_dict_to_leak_through() -> None:
    secret = Secret(VALUE)
    assert not hasattr(secret, "__dict__")
    with pytest.raises(AttributeError):
        secret.other = 1  # type: ignore[attr-defined]


def test_a_secret_must_be_a_string() -> None:
    with pytest.raises(TypeError):
        Secret(1234)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Secret(b"bytes-value")  # type: ignore[arg-type]


def test_every_secret_of_four_or_more_characters_is_known_for_redaction() -> None:
    Secret("registered-for-redaction-91")
    assert "registered-for-redaction-91" in known_secret_values()


def test_very_short_secrets_are_not_registered_so_ordinary_text_is_not_mangled() -> None:
    Secret("ab")
    assert "ab" not in known_secret_values()
    assert isinstance(known_secret_values(), frozenset)


# -- load_secret -----------------------------------------------------------------------------


def test_load_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_NV_KEY", VALUE)
    secret = load_secret("netvisor.customer_key", env="TEST_NV_KEY", file=None)
    assert isinstance(secret, Secret)
    assert secret.reveal() == VALUE


def test_load_from_file_takes_the_first_line_stripped(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text(f"  {VALUE}  \nsecond line is ignored\n", encoding="utf-8")
    secret = load_secret("netvisor.customer_key", env=None, file=path)
    assert secret is not None
    assert secret.reveal() == VALUE


def test_load_from_file_accepts_a_string_path_with_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "key").write_text(VALUE, encoding="utf-8")
    secret = load_secret("x", env=None, file="~/key")
    assert secret is not None
    assert secret.reveal() == VALUE


def test_environment_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "key"
    path.write_text("from-the-file", encoding="utf-8")
    monkeypatch.setenv("TEST_NV_KEY", "from-the-environment")
    secret = load_secret("x", env="TEST_NV_KEY", file=path)
    assert secret is not None
    assert secret.reveal() == "from-the-environment"


def test_an_empty_environment_variable_falls_back_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "key"
    path.write_text("from-the-file", encoding="utf-8")
    monkeypatch.setenv("TEST_NV_KEY", "")
    secret = load_secret("x", env="TEST_NV_KEY", file=path)
    assert secret is not None
    assert secret.reveal() == "from-the-file"


def test_missing_required_secret_names_its_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_NV_KEY", raising=False)
    with pytest.raises(ValueError) as info:
        load_secret("netvisor.customer_key", env="TEST_NV_KEY", file=None)
    message = str(info.value)
    assert "netvisor.customer_key" in message
    assert "environment variable TEST_NV_KEY" in message


def test_missing_file_names_the_file_not_any_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_NV_KEY", raising=False)
    missing = tmp_path / "nope"
    with pytest.raises(ValueError) as info:
        load_secret("netvisor.partner_key", env="TEST_NV_KEY", file=missing)
    message = str(info.value)
    assert "netvisor.partner_key" in message
    assert str(missing) in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_an_empty_secret_file_is_an_error_not_an_empty_secret(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty") as info:
        load_secret("spotilla.token", env=None, file=path)
    assert str(path) in str(info.value)


def test_an_unreadable_secret_file_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read secret file"):
        load_secret("x", env=None, file=tmp_path)  # a folder, not a file


def test_optional_missing_secret_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_NV_KEY", raising=False)
    assert load_secret("x", env="TEST_NV_KEY", file=None, required=False) is None


def test_no_source_configured_says_so() -> None:
    with pytest.raises(ValueError, match="any configured source"):
        load_secret("x", env=None, file=None)
