"""The one TOML config: every problem at once with file, line and key; secrets never in the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.core.config import Config, Secrets, load_config
from connector.core.errors import ConfigError, ConfigProblem
from connector.core.secrets import Secret

REPO = Path(__file__).resolve().parents[2]

CUSTOMER_KEY = "nv-customer-key-5b1e9c"
PARTNER_KEY = "nv-partner-key-0a4d72"
TOKEN = "spotilla-integration-key-c3f8"

# Line numbers below are relied on by the tests: keep the layout.
MINIMAL = """\
[connector]
ledger = "data/ledger.sqlite"
outbox = "out"

[spotilla]
subdomain = "testcompany"
user_id = "12345"

[netvisor]
customer_id = "XX_0000_1"
partner_id = "Xxx_000"
organisation_id = "1234567-8"

[mappings]
folder = "maps"
"""
SECTION_LINE = {"connector": 1, "spotilla": 5, "netvisor": 9, "mappings": 14}

SECRET_ENV = (
    "SPOTILLA_TOKEN",
    "SPOTILLA_PASSWORD",
    "NETVISOR_CUSTOMER_KEY",
    "NETVISOR_PARTNER_KEY",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[ConfigProblem]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


def add_to_section(text: str, section: str, line: str) -> str:
    """Insert ``line`` right after the ``[section]`` header."""
    return text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1)


# -- loading ---------------------------------------------------------------------------------


def test_the_example_config_loads_with_its_documented_defaults() -> None:
    config = load_config(REPO / "config.example.toml")
    assert isinstance(config, Config)
    assert config.connector.time_zone == "Europe/Helsinki"
    assert config.schedule.timezone == "Europe/Helsinki"
    assert config.schedule.master_data == "0 2 * * *"
    assert config.schedule.invoicing == "30 6 * * *"
    assert config.schedule.misfire_grace_seconds is None
    assert config.netvisor.invoice_status == "unsent"
    assert config.ledger_path == REPO / "connector-ledger.sqlite"
    assert config.mappings_folder == REPO / "mappings"


def test_a_minimal_config_loads_and_fills_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.path == tmp_path / "config.toml"
    assert config.spotilla.subdomain == "testcompany"
    assert config.netvisor.organisation_id == "1234567-8"
    assert config.netvisor.payment_term_days == 14
    assert config.connector.lock_day == 9
    assert config.spotilla.token_env == "SPOTILLA_TOKEN"


def test_relative_paths_resolve_against_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "etc" / "connector"
    folder.mkdir(parents=True)
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_file = "keys/customer"')
    path = write(folder, text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working directory must not matter

    config = load_config(path)
    assert config.ledger_path == folder / "data" / "ledger.sqlite"
    assert config.connector.outbox == folder / "out"
    assert config.mappings_folder == folder / "maps"
    assert config.netvisor.customer_key_file == folder / "keys" / "customer"
    assert config.netvisor.partner_key_file is None


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "abs" / "ledger.sqlite"
    text = MINIMAL.replace('ledger = "data/ledger.sqlite"', f'ledger = "{target}"')
    assert load_config(write(tmp_path, text)).ledger_path == target


def test_a_relative_config_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, MINIMAL)
    monkeypatch.chdir(tmp_path)
    config = load_config("config.toml")
    assert config.path.is_absolute()
    assert config.ledger_path == tmp_path / "data" / "ledger.sqlite"


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nope.toml")
    assert problem.file == str(tmp_path / "nope.toml")
    assert "cannot read" in problem.message


# -- secrets are refused in the file ---------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("netvisor", "customer_key"),
        ("netvisor", "partner_key"),
        ("spotilla", "token"),
        ("spotilla", "password"),
    ],
)
def test_a_secret_written_in_the_file_is_refused_with_file_line_and_key(
    tmp_path: Path, section: str, key: str
) -> None:
    text = add_to_section(MINIMAL, section, f'{key} = "{CUSTOMER_KEY}"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.line == SECTION_LINE[section] + 1
    assert problem.key == f"{section}.{key}"
    assert f"{key}_env" in problem.message and f"{key}_file" in problem.message
    assert f"{path}:{SECTION_LINE[section] + 1}: {section}.{key}:" in str(info.value)
    assert CUSTOMER_KEY not in str(info.value), "the refused value is never echoed"
    assert CUSTOMER_KEY not in repr(info.value)


def test_a_secret_as_a_dotted_key_is_refused(tmp_path: Path) -> None:
    text = """\
netvisor.customer_id = "XX_0000_1"
netvisor.customer_key = "x"
netvisor.partner_id = "Xxx_000"
netvisor.organisation_id = "1234567-8"

[spotilla]
subdomain = "testcompany"
"""
    (problem,) = problems_of(write(tmp_path, text))
    assert (problem.line, problem.key) == (2, "netvisor.customer_key")


# -- every other problem: file, line and key -------------------------------------------------


def test_an_unknown_key_is_a_typo_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, add_to_section(MINIMAL, "connector", 'ledgr = "x.sqlite"'))
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.key) == (str(path), 2, "connector.ledgr")
    assert "unknown key" in problem.message


def test_an_unknown_section_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '\n[netvisr]\ncustomer_id = "x"\n')
    (problem,) = problems_of(path)
    assert problem.key == "netvisr"
    assert problem.line == MINIMAL.count("\n") + 2


@pytest.mark.parametrize(
    ("section", "line", "key"),
    [
        ("spotilla", 'per_page = "many"', "spotilla.per_page"),
        ("spotilla", "per_page = 0", "spotilla.per_page"),
        ("netvisor", 'language = "DE"', "netvisor.language"),
        ("netvisor", "payment_term_days = -1", "netvisor.payment_term_days"),
        ("connector", "lock_day = 31", "connector.lock_day"),
        ("connector", 'time_zone = "Europe/Helsinky"', "connector.time_zone"),
        ("connector", 'over_grant = "ignore"', "connector.over_grant"),
        ("connector", 'start_period = "2026-13"', "connector.start_period"),
        ("connector", 'start_period = "11/2026"', "connector.start_period"),
    ],
)
def test_a_wrong_value_is_reported_with_its_line_and_key(
    tmp_path: Path, section: str, line: str, key: str
) -> None:
    path = write(tmp_path, add_to_section(MINIMAL, section, line))
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.key) == (str(path), SECTION_LINE[section] + 1, key)


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [("61 * * * *", "invalid cron"), ("* * *", "5-field"), ("0 2 * * * *", "5-field")],
)
def test_a_bad_cron_expression_is_reported(tmp_path: Path, cron: str, fragment: str) -> None:
    path = write(tmp_path, MINIMAL + f'\n[schedule]\ninvoicing = "{cron}"\n')
    (problem,) = problems_of(path)
    assert problem.key == "schedule.invoicing"
    assert problem.line == MINIMAL.count("\n") + 3
    assert fragment in problem.message


def test_a_required_key_that_is_missing_points_at_its_section(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('organisation_id = "1234567-8"\n', ""))
    (problem,) = problems_of(path)
    assert problem.key == "netvisor.organisation_id"
    assert problem.line == SECTION_LINE["netvisor"]
    assert "missing" in problem.message


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    text = MINIMAL.replace('outbox = "out"', "outbox = ")
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    assert problem.line == 3
    assert "not valid TOML" in problem.message
    assert f"{path}:3:" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = add_to_section(MINIMAL, "connector", 'ledgr = "x"')  # line 2
    text = add_to_section(text, "spotilla", 'per_page = "many"')  # line 7
    text = add_to_section(text, "netvisor", f'customer_key = "{CUSTOMER_KEY}"')  # line 12
    text += '\n[schedule]\nmaster_data = "99 * * * *"\n'
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    found = {(p.key, p.line) for p in info.value.problems}
    schedule_line = text.count("\n")
    assert found == {
        ("connector.ledgr", 2),
        ("spotilla.per_page", 7),
        ("netvisor.customer_key", 12),
        ("schedule.master_data", schedule_line),
    }
    assert str(info.value).startswith("4 problems in configuration:")
    assert CUSTOMER_KEY not in str(info.value)


# -- schedule --------------------------------------------------------------------------------


def test_the_schedule_defaults(tmp_path: Path) -> None:
    schedule = load_config(write(tmp_path, MINIMAL)).schedule
    assert (schedule.timezone, schedule.master_data, schedule.invoicing) == (
        "Europe/Helsinki",
        "0 2 * * *",
        "30 6 * * *",
    )
    assert schedule.misfire_grace_seconds is None


def test_an_unknown_schedule_time_zone_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '\n[schedule]\ntimezone = "Europe/Helsinky"\n')
    (problem,) = problems_of(path)
    assert problem.key == "schedule.timezone"


def test_off_disables_a_scheduled_job_and_a_missing_key_keeps_its_default(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + '\n[schedule]\ninvoicing = "off"\n')
    schedule = load_config(path).schedule
    assert schedule.invoicing is None
    assert schedule.master_data == "0 2 * * *"


# -- secrets from the environment and files --------------------------------------------------


def test_secrets_come_from_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTILLA_TOKEN", TOKEN)
    monkeypatch.setenv("NETVISOR_CUSTOMER_KEY", CUSTOMER_KEY)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    secrets = load_config(write(tmp_path, MINIMAL)).load_secrets()
    assert isinstance(secrets.netvisor_customer_key, Secret)
    assert secrets.spotilla_token is not None
    assert secrets.spotilla_token.reveal() == TOKEN
    assert secrets.spotilla_password is None
    assert secrets.netvisor_customer_key.reveal() == CUSTOMER_KEY
    assert secrets.netvisor_partner_key.reveal() == PARTNER_KEY


def test_secrets_come_from_files_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "customer").write_text(CUSTOMER_KEY + "\n", encoding="utf-8")
    (keys / "partner").write_text(PARTNER_KEY + "\n", encoding="utf-8")
    (keys / "token").write_text(TOKEN + "\n", encoding="utf-8")
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_file = "keys/customer"')
    text = add_to_section(text, "netvisor", 'partner_key_file = "keys/partner"')
    text = add_to_section(text, "spotilla", 'token_file = "keys/token"')
    path = write(tmp_path, text)
    monkeypatch.chdir(keys)  # the working directory must not matter
    secrets = load_config(path).load_secrets()
    assert secrets.netvisor_customer_key.reveal() == CUSTOMER_KEY
    assert secrets.netvisor_partner_key.reveal() == PARTNER_KEY
    assert secrets.spotilla_token is not None and secrets.spotilla_token.reveal() == TOKEN


def test_a_renamed_environment_variable_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_NV_CUSTOMER", CUSTOMER_KEY)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("SPOTILLA_TOKEN", TOKEN)
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_env = "MY_NV_CUSTOMER"')
    secrets = load_config(write(tmp_path, text)).load_secrets()
    assert secrets.netvisor_customer_key.reveal() == CUSTOMER_KEY


def test_every_missing_secret_is_named_at_once(tmp_path: Path) -> None:
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_env = "MY_NV_CUSTOMER"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path).load_secrets()
    by_key = {p.key: p for p in info.value.problems}
    assert set(by_key) == {"spotilla.token", "netvisor.customer_key", "netvisor.partner_key"}
    assert all(p.file == str(path) for p in info.value.problems)
    assert by_key["netvisor.customer_key"].line == SECTION_LINE["netvisor"] + 1  # its _env line
    assert "MY_NV_CUSTOMER" in by_key["netvisor.customer_key"].message
    assert "NETVISOR_PARTNER_KEY" in by_key["netvisor.partner_key"].message
    assert by_key["spotilla.token"].line == SECTION_LINE["spotilla"]


def test_an_integration_key_needs_the_user_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTILLA_TOKEN", TOKEN)
    monkeypatch.setenv("NETVISOR_CUSTOMER_KEY", CUSTOMER_KEY)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    path = write(tmp_path, MINIMAL.replace('user_id = "12345"\n', ""))
    with pytest.raises(ConfigError) as info:
        load_config(path).load_secrets()
    (problem,) = info.value.problems
    assert problem.key == "spotilla.user_id"
    for value in (TOKEN, CUSTOMER_KEY, PARTNER_KEY):
        assert value not in str(info.value)


def test_a_password_needs_a_username(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTILLA_PASSWORD", "a-password-value")
    monkeypatch.setenv("NETVISOR_CUSTOMER_KEY", CUSTOMER_KEY)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    path = write(tmp_path, MINIMAL)
    with pytest.raises(ConfigError) as info:
        load_config(path).load_secrets()
    assert [p.key for p in info.value.problems] == ["spotilla.username"]
    assert "a-password-value" not in str(info.value)

    with_user = add_to_section(MINIMAL, "spotilla", 'username = "integration.user"')
    secrets = load_config(write(tmp_path, with_user)).load_secrets()
    assert secrets.spotilla_password is not None
    assert secrets.spotilla_token is None


def test_a_missing_secret_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTILLA_TOKEN", TOKEN)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_env = ""')
    text = add_to_section(text, "netvisor", 'customer_key_file = "keys/missing"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path).load_secrets()
    (problem,) = info.value.problems
    assert problem.key == "netvisor.customer_key"
    assert str(tmp_path / "keys" / "missing") in problem.message


def test_neither_the_config_nor_the_secrets_print_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPOTILLA_TOKEN", TOKEN)
    monkeypatch.setenv("NETVISOR_CUSTOMER_KEY", CUSTOMER_KEY)
    monkeypatch.setenv("NETVISOR_PARTNER_KEY", PARTNER_KEY)
    config = load_config(write(tmp_path, MINIMAL))
    secrets = config.load_secrets()
    assert isinstance(secrets, Secrets)
    texts = [str(config), repr(config), str(secrets), repr(secrets), f"{secrets}"]
    for text in texts:
        for value in (TOKEN, CUSTOMER_KEY, PARTNER_KEY):
            assert value not in text
    assert re.search(r"netvisor_customer_key=Secret\('\*+'\)", repr(secrets))


def test_the_config_is_immutable(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    with pytest.raises(AttributeError):
        config.path = tmp_path  # type: ignore[misc]
    with pytest.raises(ValueError):  # pydantic frozen model
        config.netvisor.customer_id = "other"  # type: ignore[misc]


# -- transport and file modes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "url"),
    [
        ("spotilla", "http://api.spotilla.fi/api"),
        ("netvisor", "http://isvapi.netvisor.fi"),
        ("spotilla", "http://10.0.0.5:8080/api"),
        ("netvisor", "ftp://isvapi.netvisor.fi"),
        ("spotilla", "api.spotilla.fi/api"),
    ],
)
def test_a_base_url_over_plain_http_to_a_remote_host_is_refused_with_file_line_and_key(
    tmp_path: Path, section: str, url: str
) -> None:
    text = add_to_section(MINIMAL, section, f'base_url = "{url}"')
    [problem] = problems_of(write(tmp_path, text))
    assert problem.key == f"{section}.base_url"
    assert problem.line == SECTION_LINE[section] + 1
    assert problem.file.endswith("config.toml")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.spotilla.fi/api",
        "http://127.0.0.1:8080/api",
        "http://127.5.6.7/api",
        "http://[::1]:9000/api",
        "http://localhost:8000/api",
    ],
)
def test_https_anywhere_and_http_to_loopback_are_accepted(tmp_path: Path, url: str) -> None:
    text = add_to_section(MINIMAL, "spotilla", f'base_url = "{url}"')
    assert load_config(write(tmp_path, text)).spotilla.base_url == url


def test_paging_bounds_have_generous_finite_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.spotilla.max_pages == 10_000 and config.spotilla.list_time_budget == 3600
    text = add_to_section(MINIMAL, "spotilla", "max_pages = 0")
    [problem] = problems_of(write(tmp_path, text))
    assert problem.key == "spotilla.max_pages"


def test_a_secret_file_readable_by_group_or_others_is_warned_about(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("customer", "partner"):
        (keys / name).write_text("x" * 12 + "\n", encoding="utf-8")
    (keys / "customer").chmod(0o600)
    (keys / "partner").chmod(0o644)
    text = add_to_section(MINIMAL, "netvisor", 'customer_key_file = "keys/customer"')
    text = add_to_section(text, "netvisor", 'partner_key_file = "keys/partner"')
    config = load_config(write(tmp_path, text))
    [warning] = config.secret_file_warnings()
    assert "netvisor.partner_key_file" in warning and "group and others" in warning
    assert "0644" in warning and "chmod 600" in warning and "xxxx" not in warning
    (keys / "partner").chmod(0o640)
    assert "readable by group " in config.secret_file_warnings()[0]
    (keys / "partner").chmod(0o600)
    assert config.secret_file_warnings() == []


def test_start_period_is_a_month(tmp_path: Path) -> None:
    path = write(tmp_path, add_to_section(MINIMAL, "connector", 'start_period = "2026-11"'))
    config = load_config(path)
    assert config.connector.start_period == "2026-11"
    assert str(config.connector.first_period) == "2026-11"
    assert load_config(write(tmp_path, MINIMAL)).connector.first_period is None


# -- a PostgreSQL ledger -----------------------------------------------------------------------

PG_URL = "postgresql://connector@db.internal:5432/ledgers"


def on_postgres(extra: str = 'company = "acme"') -> str:
    return MINIMAL.replace('ledger = "data/ledger.sqlite"', f'ledger = "{PG_URL}"\n{extra}')


def test_a_postgresql_ledger_names_the_server_and_the_company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connector.core.config import PostgresLedger

    monkeypatch.setenv("LEDGER_DB_PASSWORD", "s3cret-pw")
    text = on_postgres('company = "acme"\nledger_password_env = "LEDGER_DB_PASSWORD"')
    config = load_config(write(tmp_path, text))
    ledger = config.ledger_path
    assert isinstance(ledger, PostgresLedger) and config.ledger_on_postgres
    assert (ledger.url, ledger.company, ledger.lease_seconds) == (PG_URL, "acme", 60.0)
    assert ledger.password is not None and ledger.password.reveal() == "s3cret-pw"
    assert "s3cret-pw" not in f"{ledger} {ledger!r}"  # the password never prints


def test_the_ledger_password_file_is_read_and_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-a-file\n", encoding="utf-8")
    (tmp_path / "pw").chmod(0o600)
    text = on_postgres('company = "acme"\nledger_password_file = "pw"')
    ledger = load_config(write(tmp_path, text)).ledger_path
    assert ledger.password.reveal() == "from-a-file"  # type: ignore[union-attr]


def test_without_a_password_setting_libpq_finds_its_own(tmp_path: Path) -> None:
    ledger = load_config(write(tmp_path, on_postgres())).ledger_path
    assert ledger.password is None  # type: ignore[union-attr]  # PGPASSWORD / PGPASSFILE


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        (on_postgres(""), "connector", "set company"),
        (on_postgres('company = "Acme Oy"'), "connector.company", "invalid company key"),
        (
            MINIMAL.replace(
                'ledger = "data/ledger.sqlite"',
                'ledger = "postgresql://connector:hunter2@db.internal/ledgers"\ncompany = "a"',
            ),
            "connector.ledger",
            "carries a password",
        ),
        (
            on_postgres('company = "acme"\nledger_password = "x"'),
            "connector.ledger_password",
            "never go in the config",
        ),
        (
            on_postgres('company = "acme"\nlease_seconds = 1'),
            "connector.lease_seconds",
            "greater than or equal",
        ),
        (
            on_postgres('company = "acme"\nledger_password_env = "NO_SUCH_VARIABLE_HERE"'),
            "connector.ledger_password",
            "NO_SUCH_VARIABLE_HERE",
        ),
    ],
)
def test_a_bad_postgresql_setting_is_named_by_file_line_and_key(
    tmp_path: Path, text: str, key: str, says: str
) -> None:
    path = write(tmp_path, text)
    problems = problems_of(path)
    found = [p for p in problems if p.key == key]
    assert found, problems
    assert says in found[0].message
    assert found[0].line is not None and found[0].file == str(path)
    assert "hunter2" not in str(problems)


BROKEN_CONFIGS = {
    "types and keys": [
        ("connector", 'ledgr = "x"'),
        ("connector", 'close_day = "viisi"'),
        ("connector", "reports = 5"),
        ("connector", 'language = "sv"'),
        ("connector", "start_period = 202611"),
        ("spotilla", 'per_page = "many"'),
        ("netvisor", f'customer_key = "{CUSTOMER_KEY}"'),
        ("netvisor", "payment_term_days = 2.5"),
    ],
    "values": [
        ("connector", 'start_period = "2026-13"'),
        ("connector", 'company = "Acme Oy"'),
        ("connector", 'time_zone = "Europe/Stockholm"'),
        ("connector", "lock_day = 3\nclose_day = 5"),
    ],
    "zone and ledger": [
        ("connector", 'time_zone = "Mars/Olympus"'),
        ("connector", 'ledger = "postgresql://connector@db.example/ledger"'),
    ],
    "settlement": [("connector", "settlement_day = 2\nclose_day = 5\nlock_day = 9")],
}


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_every_config_problem_reads_in_finnish(tmp_path: Path, case: str) -> None:
    """People read Finnish by default: a config problem, pydantic's wording or ours, is shown
    in Finnish (the CLI renders each message with ``Texts.text``)."""
    from connector.texts.i18n import Texts

    text = MINIMAL
    for section, line in BROKEN_CONFIGS[case]:
        text = add_to_section(text, section, line)
    if "ledger =" in str(BROKEN_CONFIGS[case]):  # the case's own ledger, not MINIMAL's
        text = text.replace('ledger = "data/ledger.sqlite"\n', "", 1)
    found = problems_of(write(tmp_path, text))
    assert found, case
    fi = Texts("fi")
    english = [(p.key, p.message) for p in found if fi.text(p.message) == p.message]
    assert english == [], english


def test_missing_secrets_read_in_finnish(tmp_path: Path) -> None:
    from connector.texts.i18n import Texts

    text = add_to_section(MINIMAL, "netvisor", 'customer_key_file = "nope/key"')
    config = load_config(write(tmp_path, text))
    with pytest.raises(ConfigError) as info:
        config.load_secrets()
    shown = [Texts("fi").text(p.message) for p in info.value.problems]
    assert "Spotillan tunnukset puuttuvat" in shown[0], shown
    assert any("salaisuustiedostoa" in s and "ei voi lukea" in s for s in shown), shown
    assert any("arvoa ei löytynyt ympäristömuuttujasta" in s for s in shown), shown
