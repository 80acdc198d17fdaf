"""Many clients at once (issue #3) and the server under load with hostile clients (issue #7).

Clients are threads in this process using ``http.client``; every response body is checked.
The figures (elapsed time, requests per second, peak threads, peak RSS) are printed, so
``pytest -s`` shows them.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Callable

import psutil
import pytest

from httpexplore.demo import DemoServer, content

# (method, path, body, check of the response body)
Exchange = tuple[str, str, bytes | None, Callable[[bytes], bool]]

MIX: list[Exchange] = [
    ("GET", "/bytes/1024?kind=text", None, lambda b: b == content.payload(1024)),
    ("GET", "/status/204", None, lambda b: b == b""),
    ("GET", "/chunked?chunks=4&size=256", None, lambda b: b == content.payload(1024)),
    ("POST", "/echo", b"x" * 100, lambda b: b.startswith(b"POST /echo ") and
     b.endswith(b"\r\n\r\n" + b"x" * 100)),
    ("GET", "/headers", None, lambda b: json.loads(b)["headers"][0][0] == "Host"),
    ("HEAD", "/bytes/5000", None, lambda b: b == b""),
]


def client(srv: DemoServer, requests: int, index: int, errors: list[str],
           connected: threading.Barrier | None = None) -> None:
    """One keep-alive connection making ``requests`` checked requests."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=30)
    try:
        sock = None
        for n in range(requests):
            method, path, body, check = MIX[(index + n) % len(MIX)]
            conn.request(method, path, body=body)
            response = conn.getresponse()
            data = response.read()
            if sock is None:
                sock = conn.sock
                if connected is not None:
                    connected.wait(timeout=60)
            if response.status >= 300 or not check(data):
                errors.append(f"{method} {path}: {response.status} {data[:60]!r}")
            if conn.sock is not sock:
                errors.append("the connection was not kept alive")
    except Exception as exc:  # every failure counts, whatever it is
        errors.append(f"client {index}: {type(exc).__name__}: {exc}")
    finally:
        conn.close()


def run_clients(srv: DemoServer, count: int, requests: int, errors: list[str],
                on_all_connected: Callable[[], None] | None = None) -> float:
    barrier = threading.Barrier(count + 1)
    threads = [threading.Thread(target=client, args=(srv, requests, i, errors, barrier))
               for i in range(count)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)  # every client connected and answered once: all are open now
    if on_all_connected is not None:
        on_all_connected()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


def test_100_connections_by_20_requests() -> None:
    errors: list[str] = []
    open_now: list[int] = []
    with DemoServer() as srv:
        elapsed = run_clients(srv, 100, 20, errors, lambda: open_now.append(srv.connections))
    assert errors == []
    assert open_now == [100]
    print(f"\n100 x 20 requests: {elapsed:.2f} s, {2000 / elapsed:.0f} req/s")


# -- hostile clients -----------------------------------------------------------------------

BAD_REQUESTS = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"v" * 40_000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n\r\n",
]


def hostile(srv: DemoServer, rounds: int, outcomes: list[str]) -> None:
    """Send broken requests on fresh connections; record how each one ended."""
    for n in range(rounds):
        request = BAD_REQUESTS[n % len(BAD_REQUESTS)]
        try:
            with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
                sock.sendall(request)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            outcomes.append(data[9:12].decode() if data else "closed")
        except OSError as exc:
            outcomes.append(type(exc).__name__)


def slowloris(srv: DemoServer, outcomes: list[str]) -> None:
    """Trickle a never-ending head; the server must cut it off with 408."""
    start = time.monotonic()
    with socket.create_connection((srv.host, srv.port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            while time.monotonic() - start < 30:
                if select.select([sock], [], [], 0.2)[0]:
                    break  # the server answered (or closed)
                sock.sendall(b"X-Drip: 1\r\n")
            answered = time.monotonic() - start
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        except OSError as exc:
            answered, data = time.monotonic() - start, type(exc).__name__.encode()
    outcomes.append(f"{data[9:12].decode() or data.decode()} after {answered:.1f}s")


@pytest.mark.slow
def test_load_with_hostile_clients() -> None:
    process = psutil.Process()
    rss_before, threads_before = process.memory_info().rss, threading.active_count()
    errors: list[str] = []
    outcomes: list[str] = []
    slow_outcomes: list[str] = []
    peak = {"threads": 0, "rss": 0, "demo": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            demo = sum(t.name.startswith("httpexplore-demo") for t in threading.enumerate())
            peak["demo"] = max(peak["demo"], demo)
            peak["threads"] = max(peak["threads"], threading.active_count())
            peak["rss"] = max(peak["rss"], process.memory_info().rss)

    with DemoServer(request_timeout=2.0) as srv:
        attackers = [threading.Thread(target=hostile, args=(srv, 40, outcomes)) for _ in range(4)]
        attackers += [threading.Thread(target=slowloris, args=(srv, slow_outcomes))
                      for _ in range(5)]
        sampler = threading.Thread(target=sample)
        sampler.start()
        for thread in attackers:
            thread.start()
        elapsed = run_clients(srv, 200, 50, errors)
        for thread in attackers:
            thread.join()
        done.set()
        sampler.join()
    rss_growth = (peak["rss"] - rss_before) / 2**20
    print(f"\n200 x 50 requests with 160 broken requests and 5 slowloris: {elapsed:.1f} s, "
          f"{10_000 / elapsed:.0f} req/s; peak threads {peak['threads']} "
          f"(server {peak['demo']}, before {threads_before}); RSS +{rss_growth:.0f} MiB; "
          f"slowloris: {slow_outcomes}")
    assert errors == []
    assert len(outcomes) == 160
    assert set(outcomes) <= {"400", "414", "431", "ConnectionResetError"}, outcomes
    assert outcomes.count("ConnectionResetError") < len(outcomes) // 10
    assert [o.split()[0] for o in slow_outcomes] == ["408"] * 5
    # request_timeout is 2 s; the margin is for scheduling 400 threads on a busy machine.
    assert all(float(o.split()[-1][:-1]) < 10 for o in slow_outcomes)
    # Bounded: one thread per open connection plus the accept thread.  200 clients and up to 9
    # attackers are open at once, and a finished connection's thread may still be exiting when
    # the sampler looks (211 was seen once), so the bound allows a few stragglers; a leak of a
    # thread per request (10,000 requests) or per attack (165) would still fail it.
    assert peak["demo"] <= 200 + 9 + 1 + 10
    assert rss_growth < 200
