"""Serving the console with uvicorn: in its own process (``connector console``) or in a thread
of the daemon (``[console] listen``). No access log: paths name documents and the log is not
the place for them; the audit in the ledger says who decided what."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from connector.core.config import Config
from connector.core.endpoints import is_loopback, split_listen
from connector.core.errors import EXIT_OK, UsageError
from connector.core.logging import get_logger
from connector.core.reasons import reason

log = get_logger("console")


DEFAULT_LISTEN = "127.0.0.1:8765"


def company_name(config_path: Path) -> str:
    """A single company's name in the console: its config file's name, or its folder's when
    the file is the usual ``config.toml``."""
    return config_path.parent.name if config_path.stem == "config" else config_path.stem


def build_app(companies: list[tuple[str, Config]], users_path: Path, host: str, port: int) -> Any:
    """The console's ASGI application over ``companies`` for ``host:port``."""
    from connector.console.users import UsersFile
    from connector.console.web import Company, Settings, accepted_hosts, create_app

    section = companies[0][1].console
    settings = Settings(
        users=UsersFile(users_path),
        hosts=accepted_hosts(host, port, section.allowed_hosts),
        secure_cookies=section.behind_tls_proxy,
        idle_seconds=section.idle_minutes * 60,
        language=companies[0][1].connector.language,
    )
    return create_app([Company(name, config) for name, config in companies], settings)


def _listen(companies: list[tuple[str, Config]], listen: str | None) -> tuple[str, int]:

    section = companies[0][1].console
    try:
        host, port = split_listen(listen or section.listen or DEFAULT_LISTEN)
    except ValueError as exc:
        raise UsageError(reason("option_invalid", option="--listen", why=exc)) from None
    if not is_loopback(host) and not section.behind_tls_proxy:
        from connector.texts.i18n import texts

        t = texts(companies[0][1].connector.language)
        print(t("console.not_loopback", host=host), file=sys.stderr)
        log.warning("console_not_loopback_without_tls")
    return host, port


def _server(app: Any, host: str, port: int) -> Any:
    import uvicorn

    from connector.sync import prepare_threads

    prepare_threads()  # the routes run in worker threads: no two may build a model at once

    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,
            log_level="warning",
            server_header=False,
            lifespan="off",
            proxy_headers=False,
        )
    )


def _require_users(users_path: Path) -> None:
    from connector.console.users import UsersFile, UsersFileError

    try:
        users = UsersFile(users_path).load()
    except UsersFileError as exc:
        raise UsageError(str(exc)) from None
    if not users:
        raise UsageError(reason("console_no_users", path=users_path))


def serve_console(
    companies: list[tuple[str, Config]], users_path: Path, *, listen: str | None = None
) -> int:
    """``connector console``: serve until Ctrl-C / SIGTERM."""
    _require_users(users_path)
    host, port = _listen(companies, listen)
    server = _server(build_app(companies, users_path, host, port), host, port)
    shown = f"[{host}]" if ":" in host else host
    from connector.texts.i18n import texts

    t = texts(companies[0][1].connector.language)
    print(t("console.serving", url=f"http://{shown}:{port}/", count=len(companies)), flush=True)
    server.run()
    return EXIT_OK


def start_in_thread(config: Config) -> threading.Thread:
    """The daemon's console (``[console] listen``): a daemon thread serving one company."""

    assert config.console.listen is not None
    companies = [(company_name(config.path), config)]
    _require_users(config.console.users_file)
    host, port = _listen(companies, config.console.listen)
    server = _server(build_app(companies, config.console.users_file, host, port), host, port)
    thread = threading.Thread(target=server.run, name="console", daemon=True)
    thread.start()
    log.info("console_started", port=port)
    return thread
