"""The ``connector`` command line (also ``python -m connector``). See DESIGN.md "Contracts"."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from connector import __version__
from connector.errors import EXIT_OK


def _cmd_sandbox_serve(args: argparse.Namespace) -> int:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connector",
        description="Spotilla -> PSOP -> Netvisor invoicing connector.",
    )
    parser.add_argument("--version", action="version", version=f"connector {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sandbox = sub.add_parser("sandbox", help="local stand-ins for Spotilla and Netvisor")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", metavar="SUBCOMMAND")
    serve_p = sandbox_sub.add_parser("serve", help="serve both sandboxes on loopback")
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=0, help="Netvisor sandbox port (0 = free)")
    serve_p.add_argument("--spotilla-port", type=int, default=0, help="Spotilla port (0 = free)")
    serve_p.add_argument("--spotilla-data", help="JSON fixture file for the Spotilla sandbox")
    serve_p.add_argument("--seed", type=int, default=1, help="seed of the generated Spotilla data")
    serve_p.set_defaults(func=_cmd_sandbox_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_OK
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
