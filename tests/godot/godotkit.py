"""Run the tutorial loop in the real Godot engine and in httpexplore, side by side.

The same list of demo-server endpoints goes to both: the engine runs ``tutorial_loop.gd`` (the
seed tutorial's loop in Godot 3 syntax, all cases in one engine process), and
:func:`run_ours` runs the same loop with :class:`httpexplore.HTTPClient`.  Each side gives one
:class:`Observation` per case; :mod:`divergences` explains every difference between the two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from httpexplore import HTTPClient, Status, TLSOptions
from httpexplore.demo import MALFORMED, DemoServer
from httpexplore.demo.routes import ROUTES

HERE = Path(__file__).resolve().parent
GODOT = os.environ.get("GODOT_BIN", "godot3-server")
#: The tutorial's own request headers (so both clients send the same fields).
HEADERS = ["User-Agent: Pirulo/1.0 (Godot)", "Accept: */*"]
#: Waits inside the loops (the tutorial uses 500 ms; a shorter wait changes nothing but time).
WAIT_MSEC = 2
#: Per-case budget, so that a server that never answers cannot hang a run.
BUDGET_MSEC = 4000
#: The demo server's silence timeout for /malformed/silence (seconds).
SILENCE = 1.0


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    #: "" (plain HTTP), or TLS to the demo server's HTTPS twin: "verify" (the system's CAs,
    #: which do not know the demo CA) or "unsafe" (no verification).
    tls: str = ""


#: Every teaching endpoint of the demo server (at least one case per route; a test checks it),
#: then every /malformed/ entry.  Delays are shortened where the route allows it.
TEACHING: tuple[Case, ...] = (
    Case("index", "/"),
    Case("routes-json", "/routes.json"),
    Case("changelog", "/ChangeLog-5.php?delay=0.01"),
    Case("bytes-binary", "/bytes/3000"),
    Case("bytes-text", "/bytes/2000?kind=text"),
    Case("bytes-large", "/bytes/300000"),
    Case("chunked", "/chunked"),
    Case("chunked-large", "/chunked?chunks=3&size=100000"),
    Case("drip", "/drip?delay=0.02"),
    Case("stream", "/stream/3"),
    Case("close", "/close"),
    Case("http10", "/http10"),
    Case("status-200", "/status/200"),
    Case("status-204", "/status/204"),
    Case("status-304", "/status/304"),
    Case("status-404", "/status/404"),
    Case("status-503", "/status/503"),
    Case("redirect", "/redirect/2"),
    Case("redirect-to", "/redirect-to?url=/headers&status=307"),
    Case("gzip", "/gzip"),
    Case("trailers", "/trailers"),
    Case("early-hints", "/early-hints?delay=0.05"),
    Case("continue", "/continue"),
    Case("echo", "/echo"),
    Case("headers", "/headers"),
    Case("sse", "/sse?delay=0.02"),
    Case("slow-head", "/slow-head?delay=0.2"),
    Case("delay", "/delay/0.2"),
    Case("malformed-index", "/malformed/"),
    Case("tls-untrusted", "/status/200", tls="verify"),
    Case("tls-unverified", "/status/200", tls="unsafe"),
)


def malformed_cases() -> tuple[Case, ...]:
    """One case per entry of the demo server's malformed catalogue, as it is now."""
    return tuple(Case(f"malformed/{name}", f"/malformed/{name}") for name in MALFORMED)


def all_cases() -> tuple[Case, ...]:
    return TEACHING + malformed_cases()


def uncovered_routes(cases: Iterable[Case] = TEACHING) -> list[str]:
    """Route patterns of the demo server that no teaching case exercises."""
    paths = [case.path.split("?")[0] for case in cases]
    missing = []
    for route in ROUTES:
        if route.pattern == "/malformed/<name>":
            continue  # covered entry by entry
        if not any(route.match(path) is not None for path in paths):
            missing.append(route.pattern)
    return missing


@dataclass
class Observation:
    """What one run of the tutorial loop saw for one case."""

    id: str
    path: str
    code: int
    body: bytes
    statuses: list[int]
    final: int
    has_response: bool = False
    has_response_after_headers: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False
    body_length: int = -1
    timed_out: bool = False
    #: Only on our side: 1xx codes that came before the final response.
    interim: list[int] = field(default_factory=list)
    #: Only on our side: the response's HTTP version and its raw bytes as received.
    http_version: str = ""
    received: bytes = b""
    #: Only on our side: the server's close was seen (a PeerClosed/ConnectionClosed event).
    peer_closed: bool = False

    @classmethod
    def from_engine(cls, row: dict[str, Any]) -> Observation:
        headers = row["headers"] if isinstance(row["headers"], dict) else {}
        return cls(id=row["id"], path=row["path"], code=int(row["code"]),
                   body=bytes.fromhex(row["body_hex"]),
                   statuses=[int(s) for s in row["statuses"]], final=int(row["final"]),
                   has_response=bool(row["has_response"]),
                   has_response_after_headers=bool(row["has_response_after_headers"]),
                   headers={str(k): str(v) for k, v in headers.items()},
                   chunked=bool(row["chunked"]), body_length=int(row["body_length"]),
                   timed_out=bool(row["timed_out"]))

    def outcome(self) -> str:
        """A short summary for the parity table: code, body size, final status."""
        if self.timed_out:
            return f"no end within the budget ({Status(self.final).name})"
        code = str(self.code) if self.code else "no response"
        return f"{code}, {len(self.body)} B, {Status(self.final).name}"


def godot_available() -> str | None:
    """The engine's path, or None when it is not installed."""
    return shutil.which(GODOT)


def demo_server() -> DemoServer:
    return DemoServer(silence_timeout=SILENCE)


def tls_demo_server() -> DemoServer:
    return DemoServer(tls=True)


def run_engine(host: str, port: int, tls_port: int, cases: Sequence[Case]
               ) -> dict[str, Observation]:
    """Run ``tutorial_loop.gd`` in the real engine over ``cases`` (one engine process)."""
    rows = _engine("tutorial_loop.gd", {
        "host": host, "port": port, "tls_port": tls_port, "headers": HEADERS,
        "wait_msec": WAIT_MSEC, "budget_msec": BUDGET_MSEC,
        "cases": [{"id": c.id, "path": c.path, "tls": c.tls} for c in cases]},
        len(cases), BUDGET_MSEC / 1000)
    return {row["id"]: Observation.from_engine(row) for row in rows}


def run_ours(host: str, port: int, tls_port: int, case: Case) -> Observation:
    """The same tutorial loop, with httpexplore's HTTPClient."""
    http = HTTPClient()
    statuses: list[int] = []
    received = bytearray()

    def note() -> None:
        status = int(http.get_status())
        if not statuses or statuses[-1] != status:
            statuses.append(status)

    closed: list[bool] = []

    def on_poll(record: Any) -> None:
        received.extend(record.received)
        if any(e.kind in ("PeerClosed", "ConnectionClosed") for e in record.events):
            closed.append(True)

    http.on_poll(on_poll)
    deadline = time.monotonic() + BUDGET_MSEC / 1000
    wait = WAIT_MSEC / 1000
    obs = Observation(id=case.id, path=case.path, code=0, body=b"", statuses=statuses, final=0)
    if case.tls:
        tls = TLSOptions.client() if case.tls == "verify" else TLSOptions.client_unsafe()
        http.connect_to_host(host, tls_port, tls)
    else:
        http.connect_to_host(host, port)
    note()
    while http.get_status() in (Status.CONNECTING, Status.RESOLVING):
        http.poll()
        note()
        time.sleep(wait)
        if time.monotonic() > deadline:
            obs.timed_out = True
            break
    if http.get_status() == Status.CONNECTED:
        http.request(HTTPClient.METHOD_GET, case.path, HEADERS)
        note()
        while http.get_status() == Status.REQUESTING:
            http.poll()
            note()
            time.sleep(wait)
            if time.monotonic() > deadline:
                obs.timed_out = True
                break
        obs.has_response = http.has_response()
        if http.has_response():
            obs.headers = http.get_response_headers_as_dictionary()
            obs.has_response_after_headers = http.has_response()
            obs.code = http.get_response_code()
            obs.chunked = http.is_response_chunked()
            obs.body_length = http.get_response_body_length()
            obs.http_version = http.get_response_http_version()
            obs.interim = http.get_interim_responses()
            body = bytearray()
            while http.get_status() == Status.BODY:
                http.poll()
                note()
                chunk = http.read_response_body_chunk()
                note()
                if not chunk:
                    time.sleep(0.001)
                else:
                    body += chunk
                if time.monotonic() > deadline:
                    obs.timed_out = True
                    break
            obs.body = bytes(body)
    obs.final = int(http.get_status())
    http.off_poll(on_poll)
    obs.received = bytes(received)
    obs.peer_closed = bool(closed)
    http.close()
    return obs


# -- HTTPRequest: Godot 3.2's node and ours ------------------------------------------------------

@dataclass(frozen=True)
class RequestCase:
    id: str
    path: str
    max_redirects: int = 8
    body_size_limit: int = -1
    download: bool = False
    timeout: float = 0.0
    use_threads: bool = False


#: Features Godot 3.2's node has: redirects, body_size_limit, download_file, timeout, threads.
REQUEST_CASES: tuple[RequestCase, ...] = (
    RequestCase("get", "/headers"),
    RequestCase("status-404", "/status/404"),
    RequestCase("redirect-302", "/redirect/3"),
    RequestCase("redirect-301", "/redirect-to?url=/headers&status=301"),
    RequestCase("redirect-303", "/redirect/2?status=303"),
    RequestCase("redirect-307", "/redirect/2?status=307"),
    RequestCase("redirect-308", "/redirect/2?status=308"),
    RequestCase("redirect-limit", "/redirect/3", max_redirects=2),
    RequestCase("limit-length", "/bytes/5000", body_size_limit=1000),
    RequestCase("limit-chunked", "/chunked?chunks=20&size=500", body_size_limit=1000),
    RequestCase("limit-exact", "/bytes/1000", body_size_limit=1000),
    RequestCase("download", "/bytes/300000", download=True),
    RequestCase("download-chunked", "/chunked?chunks=10&size=1000", download=True),
    RequestCase("download-threads", "/bytes/100000", download=True, use_threads=True),
    # Godot 3.2's timeout is whole seconds (an int property: 0.5 would become 0).
    RequestCase("timeout", "/delay/3", timeout=1.0),
    RequestCase("malformed/truncated-body", "/malformed/truncated-body"),
    RequestCase("malformed/conflicting-content-length",
                "/malformed/conflicting-content-length"),
    RequestCase("malformed/extra-response", "/malformed/extra-response"),
)


@dataclass
class RequestObservation:
    """What ``request_completed`` carried for one case (and the downloaded file)."""

    case_id: str
    result: str
    code: int
    headers: list[str]
    body: bytes
    file: bytes
    #: Only on our side: redirects followed.
    hops: int = 0

    def outcome(self) -> str:
        size = f"file {len(self.file)} B" if self.file else f"{len(self.body)} B"
        return f"{self.result}, {self.code or 'no code'}, {size}"


def _engine(script: str, config: dict[str, Any], count: int, budget: float) -> list[Any]:
    engine = godot_available()
    if engine is None:
        raise RuntimeError(f"{GODOT} is not installed")
    with tempfile.TemporaryDirectory(prefix="hx-godot-") as tmp:
        case_file, out = Path(tmp, "cases.json"), Path(tmp, "results.jsonl")
        config = dict(config, dir=tmp)
        case_file.write_text(json.dumps(config), encoding="utf-8")
        env = dict(os.environ, HOME=tmp)  # the engine writes its user data under $HOME
        proc = subprocess.run(
            [engine, "--no-window", "-s", str(HERE / script), "--case-file", str(case_file),
             "--out", str(out)], capture_output=True, text=True, env=env,
            timeout=60 + count * budget, check=False, cwd=tmp)
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()
                if line.strip()] if out.exists() else []
    if proc.returncode != 0 or len(rows) != count:
        errors = "\n".join(line for line in proc.stderr.splitlines()
                           if "locale" not in line and "translation.cpp" not in line)
        raise RuntimeError(f"the engine run of {script} failed (exit {proc.returncode}, "
                           f"{len(rows)} of {count} results):\n{errors[-3000:]}")
    return rows


def run_engine_requests(base: str, cases: Sequence[RequestCase]) -> dict[str, RequestObservation]:
    """Run ``request_node.gd`` (Godot 3.2's HTTPRequest node) over ``cases``, one engine."""
    rows = _engine("request_node.gd", {
        "base": base, "headers": HEADERS,
        "cases": [dict(id=c.id, path=c.path, max_redirects=c.max_redirects,
                       body_size_limit=c.body_size_limit, download=c.download,
                       timeout=c.timeout, use_threads=c.use_threads) for c in cases]},
        len(cases), BUDGET_MSEC / 1000)
    return {row["id"]: RequestObservation(
        case_id=row["id"], result=row["result"] or f"request() returned {row['request_err']}",
        code=int(row["code"]), headers=[str(h) for h in row["headers"]],
        body=bytes.fromhex(row["body_hex"]), file=bytes.fromhex(row["file_hex"]))
        for row in rows}


def run_ours_request(base: str, case: RequestCase, directory: Path) -> RequestObservation:
    """The same case with httpexplore's HTTPRequest (accept_gzip off: Godot 3.2 has none)."""
    from httpexplore import HTTPRequest

    node = HTTPRequest()
    node.accept_gzip = False
    node.max_redirects, node.body_size_limit = case.max_redirects, case.body_size_limit
    node.timeout, node.use_threads = case.timeout, case.use_threads
    path = directory / (case.id.replace("/", "_") + ".bin")
    if case.download:
        node.download_file = str(path)
    got: list[tuple[Any, ...]] = []
    node.request_completed.connect(lambda *args: got.append(args))
    err = node.request(base + case.path, HEADERS)
    if err != 0:
        return RequestObservation(case.id, f"request() returned {int(err)}", 0, [], b"", b"")
    deadline = time.monotonic() + BUDGET_MSEC / 1000
    while not got and time.monotonic() < deadline:
        node.process()
        time.sleep(0.0005)
    if not got:
        node.cancel_request()
        return RequestObservation(case.id, "no signal within the budget", 0, [], b"", b"")
    result, code, headers, body = got[0]
    return RequestObservation(case.id, result.name, code, list(headers), bytes(body),
                              path.read_bytes() if case.download and path.exists() else b"",
                              hops=len(node.visited) - 1)
