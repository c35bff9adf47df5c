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
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.core.domain import HELSINKI, Period
from connector.core.money import format_comma

#: The example mapping files, shipped inside the package (package data), so `demo` and
#: `sandbox serve --write-config` work from any installation. The repository's top-level
#: ``mappings/`` is the user-facing copy of the same files; tests/test_examples.py keeps the two
#: identical.
EXAMPLE_MAPPINGS = Path(__file__).resolve().parents[1] / "sandbox" / "mappings"


def example_mappings() -> Path:
    if (EXAMPLE_MAPPINGS / "regions.toml").exists():
        return EXAMPLE_MAPPINGS
    raise FileNotFoundError(
        f"example mapping files not found at {EXAMPLE_MAPPINGS}: the installation is incomplete "
        "(reinstall the connector package)"
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
    start_period: str | None = None,
) -> Path:
    """Write a config for the sandboxes; the secrets go to 0600 files referenced by path.

    ``start_period``: the first month the ledger bills; None leaves it to be set (a first
    sync refuses until it is, as for a new office)."""
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
    start_line = (
        f'start_period = "{start_period}"  # the first month this ledger bills'
        if start_period
        else '# start_period = "YYYY-MM"  # the first month to bill: set it before the first sync'
    )
    config.write_text(
        f"""# Written by `connector demo` for the embedded sandboxes.
[connector]
ledger = "ledger.sqlite"
outbox = "outbox"
reports = "reports"
language = "{language}"
log_level = "WARNING"
{start_line}

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

    from connector.core.config import load_config
    from connector.core.logging import configure
    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox
    from connector.sync import SyncEngine, print_summary
    from connector.texts.i18n import texts

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
            start_period=str(period),
        )
        config = load_config(config_path)
        t = texts(config.connector.language)
        print(t("demo.title"), file=out)
        sandboxes = t("demo.sandboxes", netvisor=nv_server.url, spotilla=f"{sp_server.url}/api")
        print(sandboxes, file=out)
        print(t("demo.config", config=config_path, secrets=work / "secrets"), file=out)
        print(t("demo.period", period=period, as_of=t.date(as_of)), file=out)
        secrets = config.load_secrets()

        def sync(title: str, detail: bool = False):
            print(f"== {title}", file=out)
            report = SyncEngine(config, secrets, as_of=as_of).run(command="demo")
            print_summary(report, out=out, detail=detail)
            print(file=out)
            return report

        first = sync(t("demo.first"), True)
        writes_before = netvisor.write_count()
        sync(t("demo.again"))
        again = netvisor.write_count() - writes_before
        print(t("demo.writes_again", count=again), file=out)

        changed = _change_a_task(spotilla, period)
        if changed:
            print(t("demo.change", task=changed), file=out)
            report = SyncEngine(config, secrets, as_of=as_of).run(command="demo")
            print_summary(report, out=out, detail=False)
            print(t("demo.corrected", count=report.counts["updated"]), file=out)

        _show_netvisor(netvisor, out, t)
        seconds = t.quantity(Decimal(f"{time.monotonic() - started:.1f}"))
        print(
            t("demo.done", seconds=seconds, ledger=config.ledger_path)
            + ("" if keep or workdir else t("demo.temporary")),
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


def _show_netvisor(netvisor: Any, out: Any, t: Any) -> None:
    customers, products, invoices = netvisor.customers(), netvisor.products(), netvisor.invoices()
    print(t("demo.holds"), file=out)
    counts = {
        "customers": t.n("customer", len(customers)),
        "products": t.n("product", len(products)),
        "invoices": t.n("invoice", len(invoices)),
    }
    print(t("demo.counts", **counts), file=out)

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
        (t("demo.client_invoice"), client),
        (t("demo.organiser_document"), organiser),
    ):
        if inv is None:
            continue
        head = t(
            "demo.invoice",
            key=comment(inv),
            status=t.code("nvstatus", inv["status"]),
            total=t.money(inv["total"]),
        )
        print(f"\n  {title}\n{head}", file=out)
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
