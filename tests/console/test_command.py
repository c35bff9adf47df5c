"""``connector console`` and ``connector console adduser`` as a person runs them: the real CLI in
a separate process, the console served over real loopback HTTP; the users file; the fleet file;
the ``[console]`` config; the daemon's console thread."""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import subprocess
import time

import pytest
from console.conftest import PASSWORD, april

from connector.console.users import UsersFile, hash_password, verify_password
from connector.core.errors import EXIT_CONFIG, EXIT_OK, EXIT_USAGE, ConfigError


def _cli(env, *args: str, input: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a separate process, stdin a pipe (not a terminal)."""
    return subprocess.run(
        env.cli_args(*args),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env._env(None),
        cwd=env.tmp,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{port}"})
        answer = conn.getresponse()
        return answer.status, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _wait_until_served(port: int, proc=None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the console exited: {proc.stderr.read()}")
        try:
            _get(port, "/login")
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the console did not start")


def test_scrypt_hashes_verify_and_differ_per_salt():
    one, two = hash_password(PASSWORD), hash_password(PASSWORD)
    assert one != two and one.startswith("scrypt$16384$8$1$")
    assert verify_password(PASSWORD, one) and verify_password(PASSWORD, two)
    assert not verify_password("wrong", one)
    assert not verify_password(PASSWORD, "md5$abc")


def test_adduser_reads_the_password_from_stdin_and_keeps_only_its_hash(make_env):
    env = make_env(april(), language="en")
    done = _cli(env, "console", "adduser", "Maija", "--role", "decider", input=PASSWORD + "\n")
    assert done.returncode == EXIT_OK, done.stderr
    assert "console user maija added: role decider" in done.stdout
    path = env.config.console.users_file
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    users = json.loads(text)["users"]
    assert users["maija"]["role"] == "decider"
    assert UsersFile(path).authenticate("maija", PASSWORD) is not None
    # again: a new password and role for the same user
    done = _cli(env, "console", "adduser", "maija", input="another long password\n")
    assert "updated" in done.stdout
    assert UsersFile(path).authenticate("maija", "another long password").role == "viewer"


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("maija", "short", "at least 10 characters"),
        ("Maija Meikäläinen", PASSWORD, "a user name is 1-32 characters"),
        ("maija", "", "no password on stdin"),
    ],
)
def test_adduser_refuses_a_bad_name_or_password_and_writes_nothing(make_env, name, password, why):
    env = make_env(april(), language="en")
    done = _cli(env, "console", "adduser", name, input=password + ("\n" if password else ""))
    assert done.returncode == EXIT_USAGE
    assert why in done.stderr
    assert not env.config.console.users_file.exists()


def test_the_password_is_never_an_argument(make_env):
    env = make_env(april(), language="en")
    done = _cli(env, "console", "adduser", "maija", "--password", PASSWORD, input="")
    assert done.returncode == EXIT_USAGE


def test_console_refuses_to_start_without_users(make_env):
    env = make_env(april(), language="en")
    done = _cli(env, "console", "--listen", f"127.0.0.1:{_free_port()}", timeout=60)
    assert done.returncode == EXIT_USAGE
    assert "connector console adduser NAME" in done.stderr


def test_connector_console_serves_over_loopback_and_checks_the_host(make_env):
    env = make_env(april(), language="en")
    env.sync("2026-05-02")
    UsersFile(env.config.console.users_file).add("maija", PASSWORD, "decider")
    port = _free_port()
    proc = env.popen("console", "--listen", f"127.0.0.1:{port}")
    try:
        _wait_until_served(port, proc)
        status, body = _get(port, "/login")
        assert status == 200 and 'name="password"' in body
        assert _get(port, "/", host=f"localhost:{port}")[0] == 303  # to the login page
        assert _get(port, "/login", host="rebound.example")[0] == 400
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert f"console: http://127.0.0.1:{port}/" in out
    assert "Testi" not in out + err  # nothing of the ledger's clients in its output


def test_a_non_loopback_listen_without_tls_is_warned_about(make_env):
    env = make_env(april(), language="en")
    UsersFile(env.config.console.users_file).add("maija", PASSWORD, "decider")
    port = _free_port()
    proc = env.popen("console", "--listen", f"0.0.0.0:{port}")
    try:
        _wait_until_served(port, proc)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "not on loopback, and no TLS is in front" in err


def test_a_bad_listen_in_the_config_names_file_line_and_key(tmp_path):
    from console.conftest import Env  # noqa: F401  (the harness writes configs)

    from connector.cli.demo import example_mappings, write_config
    from connector.core.config import load_config

    config = write_config(
        tmp_path,
        netvisor_url="http://127.0.0.1:9",
        netvisor_credentials={
            "sender": "t",
            "customer_id": "c",
            "partner_id": "p",
            "organisation_id": "o",
            "customer_key": "k",
            "partner_key": "k",
        },
        spotilla_url="http://127.0.0.1:9/api",
        spotilla_credentials={"subdomain": "x", "user_id": "1", "token": "t"},
        mappings=example_mappings(),
        extra='\n[console]\nlisten = "everywhere"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert problem.key == "console.listen"
    assert problem.line == config.read_text().splitlines().index('listen = "everywhere"') + 1
    assert "HOST:PORT" in problem.message


def test_a_fleet_file_gives_one_console_over_every_company(make_env, tmp_path):
    from connector.cli.console import fleet_companies

    one = make_env(april(), name="one", language="en")
    two = make_env(april(), name="two", language="en")
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        "[fleet]\nmax_parallel = 2\n\n"
        f'[[company]]\nname = "Yksi Oy"\nconfig = "{one.config_path.relative_to(tmp_path)}"\n\n'
        f'[[company]]\nname = "Kaksi Oy"\nconfig = "{two.config_path}"\n',
        encoding="utf-8",
    )
    companies = fleet_companies(fleet)
    assert [name for name, _ in companies] == ["Yksi Oy", "Kaksi Oy"]
    assert companies[0][1].ledger_path == one.config.ledger_path
    done = _cli(one, "console", "adduser", "maija", "--fleet", str(fleet), input=PASSWORD + "\n")
    assert done.returncode == EXIT_OK, done.stderr
    assert (tmp_path / "console-users.json").exists()


def test_a_broken_fleet_file_names_file_line_and_key(make_env, tmp_path):
    env = make_env(april(), language="en")
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[[company]]\nname = "A"\nconfig = "missing.toml"\n\n[[company]]\nconfig = "x.toml"\n',
        encoding="utf-8",
    )
    done = _cli(env, "console", "--fleet", str(fleet), timeout=60)
    assert done.returncode == EXIT_CONFIG
    assert "missing.toml" in done.stderr and "cannot read" in done.stderr
    assert f"{fleet}:5: company[1].name: required" in done.stderr


def test_the_daemon_serves_the_console_in_a_thread(make_env):
    from connector.console.server import start_in_thread
    from connector.core.config import load_config

    port = _free_port()
    env = make_env(april(), language="en", extra=f'\n[console]\nlisten = "127.0.0.1:{port}"\n')
    config = load_config(env.config_path)
    UsersFile(config.console.users_file).add("maija", PASSWORD, "viewer")
    thread = start_in_thread(config)
    assert thread.daemon and thread.name == "console"
    _wait_until_served(port)
    assert _get(port, "/login")[0] == 200
    assert _get(port, "/login", host="evil.example")[0] == 400
