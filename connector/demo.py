"""``connector demo``: the whole job against the embedded sandboxes, zero set-up.

Starts both sandboxes on free loopback ports, writes a ready config (secrets in files beside it,
never in the TOML) that uses the example mapping files, runs a full sync, runs it again to show
nothing is sent twice, changes a task the way a person would and syncs once more to show the
unsent invoice being corrected in place, and prints what happened.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from connector.domain import HELSINKI, Period
from connector.money import format_comma, format_eur

EXAMPLE_MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"


def example_mappings() -> Path:
    if (EXAMPLE_MAPPINGS / "regions.toml").exists():
        return EXAMPLE_MAPPINGS
    raise FileNotFoundError(
        f"example mapping files not found at {EXAMPLE_MAPPINGS}; run the demo from a source "
        "checkout installed with `pip install -e .`"
    )


def write_config(
    workdir: Path,
    *,
    netvisor_url: str,
    netvisor_credentials: dict[str, str],
    spotilla_url: str,
    spotilla_credentials: dict[str, str],
    mappings: Path,
    extra: str = "",
    language: str = "fi",
) -> Path:
    """Write a config for the sandboxes; the secrets go to 0600 files referenced by path."""
    secrets = workdir / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    for name, value in {
        "spotilla_token": spotilla_credentials["token"],
        "netvisor_customer_key": netvisor_credentials["customer_key"],
        "netvisor_partner_key": netvisor_credentials["partner_key"],
    }.items():
        path = secrets / name
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)
    config = workdir / "config.toml"
    config.write_text(
        f"""# Written by `connector demo` for the embedded sandboxes.
[connector]
ledger = "ledger.sqlite"
outbox = "outbox"
reports = "reports"
language = "{language}"
log_level = "WARNING"

[spotilla]
base_url = "{spotilla_url}"
subdomain = "{spotilla_credentials["subdomain"]}"
user_id = "{spotilla_credentials["user_id"]}"
token_env = "CONNECTOR_DEMO_UNSET"
token_file = "secrets/spotilla_token"
password_env = "CONNECTOR_DEMO_UNSET"

[netvisor]
base_url = "{netvisor_url}"
sender = "{netvisor_credentials["sender"]}"
customer_id = "{netvisor_credentials["customer_id"]}"
partner_id = "{netvisor_credentials["partner_id"]}"
organisation_id = "{netvisor_credentials["organisation_id"]}"
customer_key_env = "CONNECTOR_DEMO_UNSET"
customer_key_file = "secrets/netvisor_customer_key"
partner_key_env = "CONNECTOR_DEMO_UNSET"
partner_key_file = "secrets/netvisor_partner_key"

[mappings]
folder = "{mappings.as_posix()}"
{extra}""",
        encoding="utf-8",
    )
    return config


def demo_as_of(today: date) -> date:
    """The 2nd of this month: last month has closed (day 1) and is not yet locked (day 9)."""
    return date(today.year, today.month, 2)


def run_demo(
    workdir: str | None = None, keep: bool = False, out: Any = None, today: date | None = None
) -> int:
    """Run the demo; returns the CLI exit code of the first sync. ``today`` (default: today in
    Helsinki) dates the generated Spotilla data and the sync's as-of day."""
    from datetime import datetime

    from connector.config import load_config
    from connector.logging import configure
    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox
    from connector.sync import SyncEngine, print_summary

    out = out or sys.stdout
    started = time.monotonic()
    configure(level="WARNING")
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="connector-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    today = today or datetime.now(HELSINKI).date()
    as_of = demo_as_of(today)
    period = Period.of(as_of).prev()

    netvisor = NetvisorSandbox()
    spotilla = SpotillaSandbox.generated(seed=1, today=today)
    nv_server = serve(netvisor, name="netvisor")
    sp_server = serve(spotilla, name="spotilla")
    try:
        config_path = write_config(
            work,
            netvisor_url=nv_server.url,
            netvisor_credentials=netvisor.credentials,
            spotilla_url=f"{sp_server.url}/api",
            spotilla_credentials=spotilla.credentials,
            mappings=example_mappings(),
        )
        print("connector demo — Spotilla → PSOP → Netvisor, on the embedded sandboxes", file=out)
        print(f"  Netvisor sandbox {nv_server.url}, Spotilla sandbox {sp_server.url}/api", file=out)
        print(
            f"  config {config_path} (secrets in {work / 'secrets'}, never in the TOML)", file=out
        )
        print(f"  invoicing period {period}, evaluated as of {as_of}\n", file=out)
        config = load_config(config_path)
        secrets = config.load_secrets()

        def sync(title: str, detail: bool = False):
            print(f"== {title}", file=out)
            report = SyncEngine(config, secrets, as_of=as_of).run(command="demo")
            print_summary(report, out=out, detail=detail)
            print(file=out)
            return report

        first = sync("1. first sync: customers, products, invoices, organiser documents", True)
        writes_before = netvisor.write_count()
        sync("2. the same sync again: nothing may be sent twice")
        again = netvisor.write_count() - writes_before
        print(f"   -> Netvisor writes in the second run: {again}\n", file=out)

        changed = _change_a_task(spotilla, period)
        if changed:
            print(f"== 3. a person changes task {changed} in Spotilla (one hour less)", file=out)
            report = SyncEngine(config, secrets, as_of=as_of).run(command="demo")
            print_summary(report, out=out, detail=False)
            print(
                f"   -> {report.counts['updated']} still-unsent documents (the client's invoice and, "
                "where a voucher paid part, the organiser's) corrected in place; nothing duplicated\n",
                file=out,
            )

        _show_netvisor(netvisor, out)
        print(
            f"\nDone in {time.monotonic() - started:.1f} s. Ledger: {config.ledger_path}"
            + ("" if keep or workdir else " (temporary; use --keep to keep it)"),
            file=out,
        )
        return first.exit_code if first.exit_code != 1 else 0
    finally:
        nv_server.stop()
        sp_server.stop()
        if not keep and not workdir:
            shutil.rmtree(work, ignore_errors=True)


def _change_a_task(spotilla: Any, period: Period) -> str | None:
    """Lower the hours of one person's task in ``period`` (the sandbox's admin API)."""
    for task in spotilla.snapshot()["tasks"]:
        completed = task.get("completed_at")
        if (
            not completed
            or not task.get("hours")
            or task.get("status") not in ("completed", "approved")
        ):
            continue
        if not task.get("collection_id", "").startswith("L000"):
            continue
        try:
            when = datetime_from_iso(completed)
        except ValueError:
            continue
        if Period.of(when) != period:
            continue
        hours = [dict(h) for h in task["hours"]]
        from decimal import Decimal

        current = Decimal(str(hours[0]["hours"]))
        if current <= 1:
            continue
        hours[0]["hours"] = str(current - 1)
        spotilla.update_task(task["id"], {"hours": hours})
        return task["id"]
    return None


def datetime_from_iso(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _show_netvisor(netvisor: Any, out: Any) -> None:
    customers, products, invoices = netvisor.customers(), netvisor.products(), netvisor.invoices()
    print("== What the Netvisor sandbox now holds", file=out)
    print(
        f"  {len(customers)} customers, {len(products)} products, {len(invoices)} invoices",
        file=out,
    )

    def comment(inv: dict[str, Any]) -> str:
        return str(inv.get("private_comment") or "")

    organiser = next((i for i in invoices if comment(i).startswith("org:")), None)
    client = next(
        (
            i
            for i in invoices
            if comment(i).startswith("inv:")
            and any("product_code" in ln and ln["quantity"] < 0 for ln in i["lines"])
        ),
        None,
    )
    for title, inv in (
        ("a client's invoice with a voucher deduction and the self-pay specification", client),
        ("an organiser's voucher-share document (clients by PSOP customer number only)", organiser),
    ):
        if inv is None:
            continue
        print(
            f"\n  {title}\n  {comment(inv)}, status {inv['status']}, total {format_eur(inv['total'])}:",
            file=out,
        )
        for line in inv["lines"]:
            if "product_code" not in line:
                print(f"    | {line.get('comment') or ''}", file=out)
            else:
                print(
                    f"    {line['product_code']:<13} {format_comma(line['quantity'], None):>7} x "
                    f"{format_comma(line['unit_price']):>7}"
                    f"  {line.get('name') or ''}"
                    + (f"  ({line['free_text']})" if line.get("free_text") else ""),
                    file=out,
                )
