"""`python -m infra.customs_simulator --port 8089 [--receipt-url URL] [--receipt-secret S]
[--client-root NAME=PATH …]` (client mode: the Single Window client on a sandbox folder tree)."""

from __future__ import annotations

import argparse
import os

from .client_mode import NotASandbox
from .server import CustomsSimulator, SimulatorServer, add_clients


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m infra.customs_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (loopback by default)")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--receipt-url", help="where DEC_RESULT receipts are POSTed; kept in memory if absent")
    # from the environment too, so the secret need not appear in the process list
    parser.add_argument(
        "--receipt-secret",
        default=os.environ.get("CUSTOMS_SIM_RECEIPT_SECRET"),
        help="HMAC key for X-Receipt-Signature (env CUSTOMS_SIM_RECEIPT_SECRET)",
    )
    parser.add_argument("--receipt-delay", type=float, default=1.0, help="seconds before each receipt")
    parser.add_argument("--sandbox-slow", type=float, default=3.0, help="seconds SANDBOX:SLOW waits")
    parser.add_argument(
        "--auth-token",
        default=os.environ.get("CUSTOMS_SIM_AUTH_TOKEN"),
        help="require 'Authorization: Bearer <token>' on /dec/* and /logistics/*",
    )
    parser.add_argument(
        "--client-root",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="client mode on this sandbox folder tree (repeat); NAME names it in /control/clients",
    )
    parser.add_argument("--client-fail-rate", type=float, default=0.0, help="share of files moved to FailBox")
    parser.add_argument("--client-encoding", choices=("gb18030", "utf-8"), default="gb18030")
    args = parser.parse_args(argv)
    roots = {}
    for given in args.client_root:
        name, sep, path = given.partition("=")
        if not sep:
            parser.error("--client-root reads NAME=PATH")
        roots[name] = path
    simulator = CustomsSimulator(
        receipt_url=args.receipt_url,
        receipt_secret=args.receipt_secret,
        receipt_delay_seconds=args.receipt_delay,
        sandbox_slow_seconds=args.sandbox_slow,
        auth_token=args.auth_token,
    )
    try:
        add_clients(simulator, roots, fail_rate=args.client_fail_rate, encoding=args.client_encoding)
    except NotASandbox as exc:
        parser.error(str(exc))
    server = SimulatorServer((args.host, args.port), simulator)
    print(f"customs simulator on {server.base_url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
        server.server_close()


if __name__ == "__main__":
    main()
