"""``httpexplore demo-server``: run the demo server in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from .certs import CERT_KINDS
from .server import DemoServer

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="httpexplore demo-server",
        description="Serve the httpexplore teaching endpoints until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default 0: any free port)")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a freshly generated CA (needs trustme)")
    parser.add_argument("--cert", choices=CERT_KINDS, default="valid",
                        help="with --tls: which certificate to present (default valid)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo server in the foreground; return the exit status (0 after Ctrl-C)."""
    args = _parser().parse_args(argv)
    if args.cert != "valid" and not args.tls:
        _parser().error("--cert needs --tls")
    server = DemoServer(tls=args.tls, host=args.host, port=args.port, cert=args.cert)
    try:
        server.start()
    except (OSError, ImportError) as exc:
        print(f"demo server: cannot start: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"Serving {server.url}/ (the route table is at /; Ctrl-C to stop)", flush=True)
        if server.ca_path is not None:
            print(f"CA certificate: {server.ca_path}", flush=True)
        threading.Event().wait()  # until Ctrl-C; the server runs in its own threads
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        server.stop()
    return 0
