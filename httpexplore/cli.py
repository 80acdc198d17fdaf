"""The ``httpexplore`` command: watch one request step by step, run the demo server, open the
notebooks.

``httpexplore get URL`` drives :class:`~httpexplore.HTTPClient` with the Godot tutorial's loop
(connect and poll, request and poll, poll and read the body) and prints what a learner would
print: each status change, ``response? True``, ``code: 200``, the headers, ``Response is
Chunked!`` or ``Response Length: N``, and ``bytes got: N``.  The whole run is recorded, so it can
also be dumped ``curl --trace-ascii``-style or saved as HAR.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from . import _render, export
from .client import HTTPClient
from .errors import Error
from .status import ERROR_STATUSES, Method, Status
from .tls import TLSOptions
from .trace import Trace

__all__ = ["main"]

# The commands are listed once, by argparse (from each sub-parser's help); this adds examples.
_EPILOG = """\
examples:
  httpexplore demo-server --port 8080
  httpexplore get http://127.0.0.1:8080/ChangeLog-5.php --trace-ascii
  httpexplore get http://127.0.0.1:8080/echo -X POST -H 'Content-Type: text/plain' --data hi
  httpexplore get https://127.0.0.1:8443/bytes/100 --cacert ca.pem --har run.har
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="httpexplore", epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Watch HTTP/1.1 happen, one poll at a time.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    get = sub.add_parser("get", help="run the Godot tutorial loop against URL and print every "
                                     "status change",
                         description="Fetch URL with the poll-driven client and print each step.")
    get.add_argument("url", help="http://host[:port]/path or https://...")
    get.add_argument("-X", "--request", dest="method", default="GET", metavar="METHOD",
                     help="request method: GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, "
                          "CONNECT or PATCH (default GET)")
    get.add_argument("-H", "--header", dest="headers", action="append", default=[],
                     metavar="'Name: value'", help="add a request header (repeatable)")
    get.add_argument("--data", default=None, help="request body (sent as UTF-8)")
    get.add_argument("--trace-ascii", action="store_true",
                     help="after the run, dump every step and byte like curl --trace-ascii")
    get.add_argument("--har", metavar="FILE", help="save the run as HAR 1.2 (browser dev tools)")
    get.add_argument("--chunk-size", type=int, default=None, metavar="N",
                     help="read_chunk_size: largest body piece per read (256 .. 16777216)")
    get.add_argument("--insecure", action="store_true",
                     help="HTTPS: accept any certificate (TLSOptions.client_unsafe())")
    get.add_argument("--cacert", metavar="FILE",
                     help="HTTPS: trust this CA bundle (TLSOptions.client(trusted_chain=FILE))")
    get.add_argument("--timeout", type=float, default=None, metavar="S",
                     help="connect_timeout and read_timeout in seconds")
    get.add_argument("--text", action="store_true", help="print the body, as the tutorial does")
    for name, text in (("demo-server", "run the loopback demo server "
                                        "(see: httpexplore demo-server --help)"),
                       ("lab", "start JupyterLab on notebooks/ (extra arguments go to "
                               "JupyterLab)"),
                       ("tutorial", "the Godot tutorial script, as the notebook runs it "
                                    "[URL] (default: the demo server)")):
        p = sub.add_parser(name, help=text, add_help=False)
        p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``httpexplore`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # These hand their arguments on untouched (argparse would try to read their options).
    if argv and argv[0] == "demo-server":
        from .demo import main as demo_main
        return demo_main(argv[1:])
    if argv and argv[0] == "lab":
        return _lab(argv[1:])
    if argv and argv[0] == "tutorial":
        from .tutorial import main as tutorial_main
        return tutorial_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "get":
        return _get(args, parser)
    parser.print_help()
    return 2


# -- get ---------------------------------------------------------------------------------------
def _target(url: str, parser: argparse.ArgumentParser) -> tuple[str, int, str]:
    """``(host for connect_to_host, port, request target)``; ``https://`` stays on the host,
    which is how Godot's ``connect_to_host`` turns TLS on."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        parser.error(f"URL must look like http://host[:port]/path, not {url!r}")
    try:
        port = parts.port if parts.port is not None else -1
    except ValueError:
        parser.error(f"bad port in {url!r}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # IPv6 literal
    return f"{parts.scheme}://{host}", port, target


def _tls(args: argparse.Namespace) -> TLSOptions | None:
    if args.insecure:
        return TLSOptions.client_unsafe()
    if args.cacert:
        return TLSOptions.client(trusted_chain=args.cacert)
    return None


class _Run:
    """The tutorial loop, printing each status change."""

    def __init__(self, client: HTTPClient, trace: Trace) -> None:
        self.client = client
        self.trace = trace
        self.last = client.get_status()

    def show(self) -> Status:
        status = self.client.get_status()
        if status is not self.last:
            print(f"status: {status.name} ({int(status)})")
            self.last = status
        return status

    def wait_while(self, *statuses: Status) -> Status:
        while self.show() in statuses:
            self.client.poll()
            row = self.trace.timeline[-1]
            if not (row.sent or row.received or row.events):
                time.sleep(0.001)  # nothing happened: don't spin
        return self.show()


def _fail(client: HTTPClient, what: str) -> int:
    status = client.get_status()
    detail = client.error_message or "no details"
    print(f"error: {what}: {status.name}: {_render.printable(detail)}", file=sys.stderr)
    return 1


def _get(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    host, port, target = _target(args.url, parser)
    try:
        method = Method[args.method.upper()]
    except KeyError:
        parser.error(f"unknown method {args.method!r}")
    client = HTTPClient(record=False, connect_timeout=args.timeout or 30.0,
                        read_timeout=args.timeout)
    trace = Trace(client)
    try:
        return _exchange(client, trace, args, host, port, target, method)
    finally:
        client.close()
        if args.trace_ascii:
            print(export.to_text(trace), end="")
        if args.har:
            export.save_har(trace, args.har)
            print(f"HAR written to {args.har}")


def _exchange(client: HTTPClient, trace: Trace, args: argparse.Namespace, host: str, port: int,
              target: str, method: Method) -> int:
    if args.chunk_size is not None and client.set_read_chunk_size(args.chunk_size) != Error.OK:
        return _fail(client, "read_chunk_size")
    run = _Run(client, trace)
    print(f"connect_to_host({host!r}, {port})")
    if client.connect_to_host(host, port, _tls(args)) != Error.OK:
        return _fail(client, "connect_to_host")
    if run.wait_while(Status.RESOLVING, Status.CONNECTING) is not Status.CONNECTED:
        return _fail(client, "connect")
    print(f"request({method.name}, {target!r})")
    if client.request(method, target, list(args.headers), args.data or "") != Error.OK:
        return _fail(client, "request")
    status = run.wait_while(Status.REQUESTING)
    if status in ERROR_STATUSES:
        return _fail(client, "request")
    print("response?", client.has_response())
    if not client.has_response():
        return 0
    print("code:", client.get_response_code())
    print("**headers:")
    for line in client.get_response_headers():
        print(f"  {_render.printable(line)}")
    if client.is_response_chunked():
        print("Response is Chunked!")
    else:
        print("Response Length:", client.get_response_body_length())
    body = _read_body(client, run)
    if client.get_status() in ERROR_STATUSES:
        return _fail(client, "body")
    print("bytes got:", len(body))
    if args.text:
        print("Text:", _render.printable(body, keep="\n\t"))
    return 0


def _read_body(client: HTTPClient, run: _Run) -> bytes:
    body = bytearray()
    while run.show() is Status.BODY:
        client.poll()
        chunk = client.read_response_body_chunk()
        if chunk:
            body += chunk
        else:
            time.sleep(0.001)  # got nothing: let the buffers fill a bit, as the tutorial does
    run.show()
    return bytes(body)


# -- lab ---------------------------------------------------------------------------------------
def notebook_dir(cwd: Path | None = None) -> Path:
    """The ``notebooks/`` folder of a source checkout, else ``./notebooks``, else ``.``."""
    here = Path(cwd or Path.cwd())
    for candidate in (Path(__file__).resolve().parent.parent / "notebooks",
                      here / "notebooks"):
        if candidate.is_dir():
            return candidate
    return here


def lab_command(extra: Sequence[str], cwd: Path | None = None) -> list[str]:
    """The JupyterLab command line ``httpexplore lab`` runs (loopback only)."""
    cmd = [sys.executable, "-m", "jupyterlab", "--notebook-dir", str(notebook_dir(cwd)),
           "--ServerApp.ip=127.0.0.1"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and Binder-like images often run as root
    return cmd + list(extra)


def _lab(extra: Sequence[str]) -> int:
    try:
        return subprocess.call(lab_command(extra))
    except KeyboardInterrupt:
        return 0
