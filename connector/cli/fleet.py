"""``connector fleet``: run an accounting firm's client companies from one fleet file.

``check`` (every company's config and mappings), ``sync`` (each company once, at most
``max_parallel`` at once), ``status`` (one row per company; ``--check`` for monitoring) and
``daemon`` (every company on its own schedule). The fleet file: ``--fleet FILE``, else
``$CONNECTOR_FLEET``, else ``./fleet.toml`` (see :mod:`connector.service.fleet`).

Exit codes as everywhere: 0 all done; 1 some company has something waiting (quarantined, held,
rejected, in doubt); 2 the fleet file or a company's config or mappings is broken (``check``;
``sync`` runs the other companies and exits 3); 3 some company was cut short or failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from connector.core.errors import EXIT_CONFIG, EXIT_OK


def _fleet(args: argparse.Namespace, *, strict: bool = False) -> Any:
    from connector.service.fleet import fleet_path, load_fleet

    return load_fleet(fleet_path(getattr(args, "fleet", None)), strict=strict)


def _texts(fleet: Any) -> Any:
    from connector.texts.i18n import texts

    return texts(fleet.settings.language)


def _configure_logging(fleet: Any, *, json_lines: bool) -> None:
    from connector.core.logging import configure

    configure(
        json=json_lines or fleet.settings.log_format == "json", level=fleet.settings.log_level
    )


# -- check -----------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from connector.service.fleet import check_fleet

    fleet = _fleet(args)  # a broken fleet file raises ConfigError: exit 2
    t = _texts(fleet)
    results = check_fleet(fleet, args.company)
    bad = 0
    for result in results:
        for warning in result.warnings:
            print(f"{result.name}: warning: {warning}")
        if result.ok:
            print(t("fleet.check_ok", company=result.name, summary=result.summary))
            continue
        bad += 1
        print(t("fleet.check_failed", company=result.name, count=len(result.problems)))
        for problem in result.problems:
            print(f"  {problem}")
    print(t("fleet.check_total", fleet=fleet.path, total=len(results), bad=bad))
    if args.strict and any(r.warnings for r in results):
        return EXIT_CONFIG
    return EXIT_CONFIG if bad else EXIT_OK


# -- sync ------------------------------------------------------------------------------------


def outcome_line(t: Any, outcome: Any) -> str:
    """One line a person reads when a company's run ends."""
    status = t(f"fleet.status.{outcome.status}")
    if outcome.status == "not_started":
        return t("fleet.line_not_started", company=outcome.company, status=status)
    if outcome.error_type and outcome.status not in ("ok", "partial"):
        return t(
            "fleet.line_failed",
            company=outcome.company,
            status=status,
            error_type=outcome.error_type,
            message=outcome.message or "",
        )
    c = outcome.counts
    return t(
        "fleet.line",
        company=outcome.company,
        status=status,
        created=c.get("created", 0),
        updated=c.get("updated", 0),
        skipped=c.get("skipped", 0),
        held=outcome.held,
        quarantined=outcome.quarantined,
        unknown=c.get("unknown", 0),
        rejected=c.get("rejected", 0),
        seconds=_seconds(t, outcome.seconds),
    )


def _seconds(t: Any, value: float) -> str:
    """Seconds with one decimal, in the reader's language (``1,5`` in Finnish)."""
    from decimal import Decimal

    return t.quantity(Decimal(f"{value:.1f}"))


class _Progress:
    """A progress line on a terminal (stderr), cleared before each summary line."""

    def __init__(self, t: Any, total: int, stream: Any = None) -> None:
        self.t, self.total = t, total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.shown = False

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def tick(self, running: list[str], done: int) -> None:
        if not self.enabled:
            return
        names = ", ".join(running[:4]) + (" …" if len(running) > 4 else "")
        line = self.t(
            "fleet.progress", done=done, total=self.total, running=len(running), names=names
        )
        self.stream.write("\r\x1b[K" + line[:200])
        self.stream.flush()
        self.shown = True


def cmd_sync(args: argparse.Namespace) -> int:
    from connector.cli.common import refuse_future_as_of, stop_on_signals
    from connector.core.domain import Period
    from connector.service.fleet_run import (
        FleetMetrics,
        fleet_exit_code,
        run_company,
        run_fleet,
    )

    refuse_future_as_of(args, dry_run=args.dry_run)
    fleet = _fleet(args)
    companies = fleet.select(args.company)
    _configure_logging(fleet, json_lines=getattr(args, "log_json", False))
    t = _texts(fleet)
    stop = threading.Event()
    stop_on_signals(stop, lambda name: t("fleet.stopping", signal=name))
    period = Period.parse(args.period) if args.period else None
    progress = _Progress(t, len(companies))
    started = time.monotonic()

    def one(company: Any) -> Any:
        return run_company(
            company,
            stop=stop,
            command="fleet:sync",
            as_of=args.as_of,
            period=period,
            dry_run=args.dry_run,
            lock_wait=args.wait_lock,
        )

    metrics = FleetMetrics(fleet.settings.metrics_file)
    if not args.dry_run:  # the textfile keeps every company, also those not run now
        chosen = {c.name for c in companies}
        metrics.update_all(c for c in fleet.companies if c.name not in chosen)

    def done(outcome: Any) -> None:
        progress.clear()
        print(outcome_line(t, outcome), flush=True)
        if not args.dry_run:
            metrics.update(fleet.company(outcome.company), outcome)

    outcomes = run_fleet(
        companies,
        one,
        max_parallel=fleet.max_parallel,
        stop=stop,
        on_done=done,
        on_tick=progress.tick,
    )
    progress.clear()
    code = fleet_exit_code(outcomes)
    print(
        t(
            "fleet.total",
            total=len(outcomes),
            ok=sum(o.exit_code == 0 for o in outcomes),
            partial=sum(o.exit_code == 1 for o in outcomes),
            failed=sum(o.exit_code not in (0, 1) for o in outcomes),
            seconds=_seconds(t, time.monotonic() - started),
        )
    )
    return code


# -- status ----------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    from connector.service.fleet_status import fleet_rows, worst

    fleet = _fleet(args)
    t = _texts(fleet)
    rows = fleet_rows(
        fleet, args.company, warning_hours=args.warn_hours, critical_hours=args.crit_hours
    )
    if args.check:
        code, line = worst(rows, t)
        print(line)
        return code
    if args.json:
        print(
            json.dumps(
                {
                    "schema_version": 1,
                    "fleet": str(fleet.path),
                    "companies": [r.as_json() for r in rows],
                },
                indent=2,
            )
        )
        return EXIT_OK
    from connector.cli.common import print_table

    print_table([r.cells(t) for r in rows], t("fleet.status_head").split("|"))
    for r in rows:
        if r.backoff_until is not None:
            print(
                f"{r.company}: "
                + t("fleet.backoff", failures=r.failures, until=t.datetime(r.backoff_until))
            )
    return EXIT_OK


# -- daemon ----------------------------------------------------------------------------------


def cmd_daemon(args: argparse.Namespace) -> int:
    from connector.cli.common import refuse_future_as_of
    from connector.service.fleet import fleet_path
    from connector.service.fleet_daemon import run_fleet_daemon

    refuse_future_as_of(args, dry_run=False)
    fleet = _fleet(args)
    _configure_logging(fleet, json_lines=True)
    return run_fleet_daemon(
        fleet_path(getattr(args, "fleet", None)),
        as_of=args.as_of,
        run_now=bool(args.run_now),
    )


# -- parser ----------------------------------------------------------------------------------


def register(
    sub: Any, common: argparse.ArgumentParser, period_arg: Any, as_of: Any, wait_lock_arg: Any
) -> None:
    """Add ``connector fleet ...`` to the subparsers."""
    p = sub.add_parser("fleet", help="run many client companies (an accounting firm's fleet)")
    fsub = p.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND", required=True)

    def fleet_parser(name: str, text: str) -> argparse.ArgumentParser:
        q = fsub.add_parser(name, parents=[common], help=text)
        q.add_argument(
            "--fleet",
            help="the fleet file (default: $CONNECTOR_FLEET, else ./fleet.toml)",
        )
        return q

    def company_arg(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--company",
            action="extend",
            nargs="+",
            metavar="NAME",
            help="only these companies (--company a b, or repeated; default: every company)",
        )

    q = fleet_parser("check", "every company's config and mappings, offline")
    company_arg(q)
    q.add_argument("--strict", action="store_true", help="treat warnings as errors")
    q.set_defaults(func=cmd_check)

    q = fleet_parser("sync", "run every company once, max_parallel at a time")
    company_arg(q)
    q.add_argument("--as-of", type=as_of, help="evaluate period rules as on YYYY-MM-DD")
    q.add_argument("--period", type=period_arg, help="YYYY-MM (default: every closed period)")
    q.add_argument("--dry-run", action="store_true", help="render XML into each outbox")
    q.add_argument("--log-json", action="store_true", help="log JSON lines to stderr")
    wait_lock_arg(q)
    q.set_defaults(func=cmd_sync)

    q = fleet_parser("status", "one row per company; --check for monitoring")
    company_arg(q)
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.add_argument(
        "--check", action="store_true", help="one line and exit 0/1/2 for the worst company"
    )
    q.add_argument("--warn-hours", type=float, default=26.0)
    q.add_argument("--crit-hours", type=float, default=50.0)
    q.set_defaults(func=cmd_status)

    q = fleet_parser("daemon", "every company on its schedule, max_parallel at a time")
    q.add_argument(
        "--run-now",
        action="store_true",
        help="also run every company once at start (in the fair queue)",
    )
    q.add_argument(
        "--as-of",
        type=as_of,
        help="rehearsals only: every run evaluates period rules as on YYYY-MM-DD",
    )
    q.set_defaults(func=cmd_daemon)
