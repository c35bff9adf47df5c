"""The tool commands: ``mappings schema``, ``demo`` and ``sandbox serve``."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from connector.cli.common import texts_for
from connector.core.errors import EXIT_OK


def cmd_mappings_schema(args: argparse.Namespace) -> int:
    from connector.mapping import json_schemas

    schemas = json_schemas()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            # one file per mapping file: targets.toml and targets.csv differ
            (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
        print(texts_for(args)("schema.wrote", count=len(schemas), path=out))
    else:
        print(json.dumps(schemas, indent=2))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from connector.cli.demo import run_demo

    if getattr(args, "console", False):
        from connector.cli.console import demo_console

        return demo_console(args.workdir)
    return run_demo(workdir=args.workdir, keep=args.keep, today=getattr(args, "today", None))


def cmd_sandbox_serve(args: argparse.Namespace) -> int:
    from connector.sandbox.netvisor import NetvisorSandbox
    from connector.sandbox.server import serve
    from connector.sandbox.spotilla import SpotillaSandbox

    netvisor = NetvisorSandbox()
    if args.spotilla_data:
        spotilla = SpotillaSandbox.from_fixture(args.spotilla_data)
    else:
        spotilla = SpotillaSandbox.generated(seed=args.seed)
    nv = serve(netvisor, name="netvisor", host=args.host, port=args.port)
    sp = serve(spotilla, name="spotilla", host=args.host, port=args.spotilla_port)
    t = texts_for(args)
    print(t("sandbox.netvisor", url=nv.url))
    for key, value in netvisor.credentials.items():
        print(f"  {key:<16} {value}")
    print(t("sandbox.spotilla", url=f"{sp.url}/api"))
    for key, value in spotilla.credentials.items():
        print(f"  {key:<16} {value}")
    if args.write_config:
        from connector.cli.demo import example_mappings, write_config

        config_path = write_config(
            Path(args.write_config).resolve(),
            netvisor_url=nv.url,
            netvisor_credentials=netvisor.credentials,
            spotilla_url=f"{sp.url}/api",
            spotilla_credentials=spotilla.credentials,
            mappings=example_mappings(),
        )
        print(t("sandbox.config", path=config_path, secrets=config_path.parent / "secrets"))
        print(t("sandbox.try", command=f"connector plan --config {config_path}"))
    print(t("sandbox.lives"), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        nv.stop()
        sp.stop()
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------
