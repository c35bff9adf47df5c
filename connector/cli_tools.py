"""The tool commands: ``mappings schema``, ``demo`` and ``sandbox serve``."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from connector.errors import EXIT_OK


def cmd_mappings_schema(args: argparse.Namespace) -> int:
    from connector.mapping import json_schemas

    schemas = json_schemas()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            # one file per mapping file: targets.toml and targets.csv differ
            (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
        print(f"wrote {len(schemas)} JSON Schemas to {out}")
    else:
        print(json.dumps(schemas, indent=2))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from connector.demo import run_demo

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
    print(f"Netvisor sandbox: {nv.url}")
    for key, value in netvisor.credentials.items():
        print(f"  {key:<16} {value}")
    print(f"Spotilla sandbox: {sp.url}/api")
    for key, value in spotilla.credentials.items():
        print(f"  {key:<16} {value}")
    if args.write_config:
        from connector.demo import example_mappings, write_config

        config_path = write_config(
            Path(args.write_config).resolve(),
            netvisor_url=nv.url,
            netvisor_credentials=netvisor.credentials,
            spotilla_url=f"{sp.url}/api",
            spotilla_credentials=spotilla.credentials,
            mappings=example_mappings(),
        )
        print(
            f"Config for these sandboxes: {config_path} (secrets in {config_path.parent}/secrets)"
        )
        print(f"  try: connector plan --config {config_path}")
    print("State lives as long as this process. Ctrl-C stops.", flush=True)
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
