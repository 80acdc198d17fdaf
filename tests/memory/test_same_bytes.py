"""Both executors run the same plans: for a request to any route (pipelined, HEAD, with a
body, with ``Expect: 100-continue``, malformed), the in-memory server sends exactly the bytes
the socket server sends, up to the close."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from httpexplore import _listeners
from httpexplore.demo import DemoServer

H = b"Host: x\r\n"
CLOSE = b"Connection: close\r\n"


def get(path: str, method: bytes = b"GET", extra: bytes = b"") -> bytes:
    return method + b" " + path.encode() + b" HTTP/1.1\r\n" + H + CLOSE + extra + b"\r\n"


PATHS = ["/", "/routes.json", "/ChangeLog-5.php", "/bytes/100000?kind=text", "/bytes/70000",
         "/chunked?chunks=3&size=10", "/drip?bytes=10&pieces=3&delay=0.01", "/stream/3",
         "/close", "/http10", "/status/204", "/status/304", "/status/418", "/status/503",
         "/redirect/2", "/redirect-to?url=/x", "/redirect-to?url=javascript:x", "/gzip",
         "/trailers", "/early-hints?delay=0.01", "/headers", "/sse?count=2&delay=0.01",
         "/slow-head?delay=0.05", "/delay/0.01", "/malformed/", "/nope/<b>", "/bytes/x",
         "/malformed/bare-lf", "/malformed/truncated-body"]

REQUESTS = [get(p) for p in PATHS] + [get(p, b"HEAD") for p in ("/ChangeLog-5.php", "/gzip")] + [
    get("/echo", b"POST", b"Content-Length: 5\r\n") + b"hello",
    b"POST /echo HTTP/1.1\r\n" + H + CLOSE + b"Transfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n",
    b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3 ;x\r\nabc\r\n",
    get("/continue", b"POST", b"Expect: 100-continue\r\nContent-Length: 3\r\n") + b"abc",
    get("/continue?max=2", b"POST", b"Expect: 100-continue\r\nContent-Length: 3\r\n"),
    # Pipelined: two requests in one write, answered in order on one connection.
    b"GET /status/201 HTTP/1.1\r\n" + H + b"\r\n" + get("/bytes/5?kind=text"),
    b"GET / HTTP/1.0\r\n\r\n", b"GET /chunked HTTP/1.0\r\n\r\n", b"BREW / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/2.0\r\n" + H + b"\r\n", b"GET / HTTP/1.1\r\n" + H + b"X : y\r\n\r\n",
    b"\x16\x03\x01\x00\x05hello",
]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[DemoServer, DemoServer]]:
    with DemoServer() as on_sockets, DemoServer(in_memory=True) as in_memory:
        yield on_sockets, in_memory


def over_socket(server: DemoServer, request: bytes) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        out = bytearray()
        while data := sock.recv(65536):
            out += data
        return bytes(out)


def in_memory(server: DemoServer, request: bytes) -> bytes:
    listener = _listeners.find(server.host, server.port)
    assert listener is not None
    peer = listener.connect()
    assert peer is not None
    assert peer.send(request) == len(request)
    out = bytearray()
    while (data := peer.receive(65536)) != b"":
        if data is None:
            time.sleep(0.001)
        else:
            out += data
    return bytes(out)


@pytest.mark.parametrize("request_bytes", REQUESTS, ids=lambda r: repr(r[:40])[2:-1])
def test_same_bytes(servers: tuple[DemoServer, DemoServer], request_bytes: bytes) -> None:
    on_sockets, memory = servers
    expected = over_socket(on_sockets, request_bytes)
    assert expected  # every request here gets an answer
    assert in_memory(memory, request_bytes) == expected
