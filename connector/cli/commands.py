"""Every command's entry function: ``func(args) -> exit code``, as the parser registers them.

Each loads its command group's module when it runs (`connector check` must start fast, and the
ledger, report, plan and tool commands bring modules it never uses); the job's own commands
(check, sync, reconcile, daemon) are here in full.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

from connector.cli.common import configure_logging as _configure_logging
from connector.cli.common import make_engine as _engine
from connector.cli.common import parse_period as _period
from connector.cli.common import refuse_future_as_of
from connector.cli.common import run_config as _config
from connector.cli.common import say_waiting as _say_waiting
from connector.cli.common import stop_on_signals as _stop_on_signals
from connector.core.errors import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_PARTIAL,
    ConfigError,
)

#: seconds a daemon job waits for a run another process holds the ledger lock for
DAEMON_LOCK_WAIT = 60.0


def status(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_status

    return cmd_status(args)


def report(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_report

    return cmd_report(args)


def ledger(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_ledger

    return cmd_ledger(args)


def ledger_export(args: argparse.Namespace) -> int:
    from connector.cli.export import cmd_ledger_export

    return cmd_ledger_export(args)


def quarantine(args: argparse.Namespace) -> int:
    from connector.cli.ledger import cmd_quarantine

    return cmd_quarantine(args)


def plan(args: argparse.Namespace) -> int:
    from connector.cli.plan import cmd_plan

    return cmd_plan(args)


def mappings_schema(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_mappings_schema

    return cmd_mappings_schema(args)


def demo(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_demo

    return cmd_demo(args)


def sandbox_serve(args: argparse.Namespace) -> int:
    from connector.cli.tools import cmd_sandbox_serve

    return cmd_sandbox_serve(args)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection inside: what loads there (modules, pydantic's validators, the
    config) lives on, so collecting would only walk it, and pydantic's validators make that
    slow — about a tenth of `connector check`'s start-up."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check(args: argparse.Namespace) -> int:
    with _collector_paused():
        from connector.mapping import load_mappings, unit_value_warnings

        config = _config(args, logging=False)  # the offline check logs nothing
        problems = []
        try:
            config.load_secrets()
        except ConfigError as exc:
            problems.extend(exc.problems)
        try:
            mappings = load_mappings(config.mappings_folder)
        except ConfigError as exc:
            problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    secret_warnings = config.secret_file_warnings()
    for warning in secret_warnings:
        print(t("check.warning_line", warning=t.text(warning)))
    if secret_warnings and args.strict:
        print(t("check.strict", count=len(secret_warnings)))
        return EXIT_CONFIG
    print(t("check.config_ok", path=config.path))
    print(
        t(
            "check.mappings_ok",
            path=config.mappings_folder,
            regions=len(mappings.regions),
            targets=len(mappings.targets),
            products=len(mappings.products),
        )
    )
    if not args.online:
        return EXIT_OK
    from connector.core.errors import EXIT_ABORTED, ConnectorError
    from connector.ledger import RunLock
    from connector.spotilla.source import BillableWorkRules, SpotillaSource
    from connector.texts.i18n import texts

    t = texts(config.connector.language)
    _configure_logging(args, config)  # the clients log their requests
    engine = _engine(args, config, mappings=mappings)
    failed = 0  # every API is tried and reported, whichever fails first

    def failure(api: str, url: str, exc: Exception) -> None:
        nonlocal failed
        failed += 1
        why = f"{exc.error_type}: {exc.message}" if isinstance(exc, ConnectorError) else exc
        print(t("check.api_failed", api=api, url=url, error=why))

    # the same lock as every run: never a request beside a sync's write (Netvisor refuses it)
    lock = RunLock(config.ledger_path)
    lock.acquire(args.wait_lock, _say_waiting(args.wait_lock))
    try:
        with engine.netvisor_client() as nv_client:
            nv_client.customers_by_code(["__connector_check__"])
        print(t("check.credentials_ok", service="Netvisor", url=config.netvisor.base_url))
    except (ConnectorError, OSError) as exc:
        failure("Netvisor", config.netvisor.base_url, exc)
    finally:
        lock.release()
    try:
        with engine.spotilla_client() as sp:
            sp.check_credentials()
            print(t("check.credentials_ok", service="Spotilla", url=config.spotilla.base_url))
            master = SpotillaSource(
                sp,
                BillableWorkRules.from_config(
                    config.spotilla.counted_status, config.spotilla.require_order_number
                ),
            ).master_data()
    except (ConnectorError, OSError) as exc:
        failure("Spotilla", config.spotilla.base_url, exc)
        print(t("check.apis_failed", failed=failed))
        return EXIT_ABORTED
    unmapped = sorted(code for code in master.products if code not in mappings.products)
    plain = sorted(fid for fid in master.targets if fid not in mappings.targets)
    if unmapped:
        print(t("check.unmapped", codes=", ".join(unmapped)))
    print(t("check.plain_targets", count=len(plain)))
    for q in master.quarantined[:20]:
        kind, why = t.code("kind", q.kind), t.text(q.reason)
        print(t("check.quarantined", kind=kind, record=q.record_id, rule=q.rule, reason=why))
    # a voucher's unit value is one voucher's value, never PSOP's total (checked against the
    # prices of Spotilla's product register, which only an online check reads)
    warnings = unit_value_warnings(mappings, master.products)
    for warning in warnings:
        print(t("check.warning_line", warning=f"{warning.key}: {t.text(warning.message)}"))
    if failed:
        print(t("check.apis_failed", failed=failed))
        return EXIT_ABORTED
    if warnings and args.strict:
        print(t("check.strict", count=len(warnings)))
        return EXIT_CONFIG
    return EXIT_PARTIAL if master.quarantined or unmapped else EXIT_OK


def _print_run(args: argparse.Namespace, report: Any) -> None:
    """The run's summary: for a person, or with ``--json`` for machines."""
    from connector.sync import print_summary

    if getattr(args, "json", False):
        from connector.cli.common import print_json
        from connector.sync import summary_json

        print_json(summary_json(report))
    else:
        print_summary(report)


def sync(args: argparse.Namespace) -> int:

    refuse_future_as_of(args, dry_run=args.dry_run)
    config = _config(args)
    stop = threading.Event()
    _stop_on_signals(stop)
    report = _engine(args, config, stop=stop).run(
        command="sync",
        period=_period(args.period),
        dry_run=args.dry_run,
        lock_wait=args.wait_lock,
        on_lock_wait=_say_waiting(args.wait_lock),
        adopt=args.adopt,
    )
    _print_run(args, report)
    return report.exit_code


def reconcile(args: argparse.Namespace) -> int:
    config = _config(args)
    stop = threading.Event()
    _stop_on_signals(stop)
    report = _engine(args, config, stop=stop).run(
        command="reconcile",
        scope="reconcile",
        lock_wait=args.wait_lock,
        on_lock_wait=_say_waiting(args.wait_lock),
    )
    _print_run(args, report)
    return report.exit_code


def daemon(args: argparse.Namespace) -> int:
    from connector.core.logging import configure
    from connector.service.daemon import job_outcome, run_daemon

    config = _config(args)
    refuse_future_as_of(args, dry_run=False)  # a rehearsal date, never a future one
    configure(json=True, level=config.connector.log_level)
    secrets = config.load_secrets()  # fail fast (exit 2) before scheduling anything
    from connector.mapping import load_mappings
    from connector.sync import SyncEngine, prepare_threads

    load_mappings(config.mappings_folder)
    prepare_threads()  # before the console's and the scheduler's threads start
    if config.console.listen:  # the console in a thread of the daemon
        from connector.console.server import start_in_thread

        start_in_thread(config)

    def run_job(scope: str, stop: threading.Event) -> dict[str, Any]:
        # Mappings are re-read every run: an edited mapping file takes effect without a restart.
        engine = SyncEngine(config, secrets, stop=stop, as_of=args.as_of)
        # a CLI run in progress (e.g. `connector sync` by hand) is waited for, briefly
        report = engine.run(command=f"daemon:{scope}", scope=scope, lock_wait=DAEMON_LOCK_WAIT)
        return job_outcome(report)

    return run_daemon(config, run_job, run_now=tuple(args.run_now or ()))
